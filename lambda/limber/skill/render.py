"""Turns a core ``Reply`` into the ASK SDK's response."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import SimpleCard

from limber.core.questions import close_unanswered
from limber.core.reply import Reply
from limber.core.ssml import speech
from limber.skill import progress, screens
from limber.skill.timezone import local_today
from limber.skill.turn import STATE_KEY, request_time, state_of

REPLY_KEY = "limber_reply"
DEFAULT_REPROMPT = "What would you like to do? You can say help."


def render(handler_input: HandlerInput, reply: Reply) -> Response:
    before = state_of(handler_input)
    reply = close_unanswered(reply)
    reply = progress.settle(handler_input, reply, before, today=lambda: local_today(handler_input))
    attributes = handler_input.attributes_manager
    sent = request_time(handler_input)
    if isinstance(reply.display, dict) and reply.display.get("kind") == "step" and sent is not None:
        # When this step was sent and when its hold ends in it: pause and stop use it to tell a
        # step that played through from one cut short (limber.skill.turn.step_played_through).
        played = (sent, float(reply.display["timer_ends"]), int(reply.display["step"]))
        reply.state = reply.state.with_(played=played)
    attributes.request_attributes[REPLY_KEY] = reply
    attributes.request_attributes[STATE_KEY] = reply.state
    builder = handler_input.response_builder
    builder.speak(reply.ssml)
    if reply.end_session:
        builder.set_should_end_session(True)
    else:
        # Alexa closes a session without a reprompt; ours always stay open on purpose.
        builder.ask(speech(reply.reprompt or DEFAULT_REPROMPT).ssml())
    if reply.card:
        builder.set_card(SimpleCard(title=reply.card.title, content=reply.card.text))
    for directive in screens.directives(handler_input, reply):
        builder.add_directive(directive)
    return builder.response
