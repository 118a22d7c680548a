"""The yes/no questions a turn can leave open, by name, and how to ask each one again.

A question lives for exactly one turn: the reply that asks it names it (``Reply.asks``),
and any reply that does not name it closes it. Help, fallback and repeat ask it again,
so "yes" always answers the question the person last heard.
"""

from __future__ import annotations

from limber.core.content import Library
from limber.core.reply import Reply
from limber.core.state import State

OFFER_QUESTION = "Would you like me to ask a few quick questions about warning signs?"
YES_OR_NO = "Say yes or no."
PAIN_QUESTION = "Is the pain sharp or shooting, or do you have numbness or tingling?"
CONTINUE_QUESTION = "Shall we carry on gently with the routine?"
DELETE_QUESTION = "Should I delete all your saved progress?"
OFF_FLOOR_QUESTION = "Shall I keep to versions off the floor next time too?"


def open_question(state: State) -> str | None:
    """The name of the question the last turn left open, if any (and if it still makes
    sense: restarting needs a place to restart)."""
    if state.pending == "restart" and not state.position:
        return None
    return state.pending or ("offer" if state.offer else None)


def question_text(library: Library, state: State, name: str) -> str:
    if name == "offer":
        return f"Would you like to do {library.routine(state.offer).name}? {YES_OR_NO}"
    if name == "restart":
        return f"Would you like to start {library.routine(state.position.routine_id).name} over? {YES_OR_NO}"
    text = {
        "delete": DELETE_QUESTION,
        "pain": PAIN_QUESTION,
        "screen_offer": OFFER_QUESTION,
        "pain_offer": OFFER_QUESTION,
        "continue": CONTINUE_QUESTION,
        "reminder": "Would you like a reminder to stretch at this time every day?",
        "off_floor": OFF_FLOOR_QUESTION,
    }[name]
    return f"{text} {YES_OR_NO}"


def ask_again(library: Library, reply: Reply) -> Reply:
    """Help, fallback or repeat while a question is open: say it again, keep it open."""
    name = open_question(reply.state)
    if name is None:
        return reply
    text = question_text(library, reply.state, name)
    reply.speech.say(text)
    reply.reprompt, reply.asks = text, name
    return reply


def close_unanswered(reply: Reply) -> Reply:
    """Keep only the question this reply asked; a later "yes" must not answer an older one
    (it could delete someone's data, or start a routine)."""
    state = reply.state
    pending = state.pending if reply.asks == state.pending else None
    offer = state.offer if reply.asks == "offer" else None
    if (pending, offer) != (state.pending, state.offer):
        reply.state = state.with_(pending=pending, offer=offer)
    return reply
