"""Launch, help, stop, yes/no, fallback, session end and anything unrecognised."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import is_request_type

from limber.core import coaching, menu
from limber.skill.handlers.base import TurnHandler, intent_turn, on_request
from limber.skill.turn import library, state_of


def _launch(hi):
    return menu.welcome(library(), state_of(hi), first_time=True)


launch = TurnHandler(on_request("LaunchRequest"), _launch, "launch")


@intent_turn("ListRoutinesIntent", "AMAZON.NavigateHomeIntent")
def list_routines(hi):
    return menu.list_routines(library(), state_of(hi))


@intent_turn("AMAZON.HelpIntent")
def help_(hi):
    return menu.help_reply(library(), state_of(hi))


@intent_turn("AMAZON.StopIntent", "AMAZON.CancelIntent")
def stop(hi):
    return menu.goodbye(library(), state_of(hi))


@intent_turn("AMAZON.YesIntent")
def yes(hi):
    return coaching.answer_offer(library(), state_of(hi), accepted=True)


@intent_turn("AMAZON.NoIntent")
def no(hi):
    return coaching.answer_offer(library(), state_of(hi), accepted=False)


@intent_turn("AMAZON.FallbackIntent")
def fallback(hi):
    return menu.fallback(library(), state_of(hi))


class SessionEndedHandler(AbstractRequestHandler):
    """Alexa ignores speech here; the response must be empty."""

    def can_handle(self, handler_input):
        return is_request_type("SessionEndedRequest")(handler_input) or is_request_type(
            "System.ExceptionEncountered")(handler_input)

    def handle(self, handler_input):
        return handler_input.response_builder.response


# Last in line: an intent the model does not have, or a request type we don't serve.
unrecognised = TurnHandler(lambda hi: True, lambda hi: menu.fallback(library(), state_of(hi)), "unrecognised")

FIRST = [launch]
HANDLERS = [list_routines, help_, stop, yes, no, fallback, SessionEndedHandler()]
LAST = [unrecognised]
