"""What a turn answers, independent of how Alexa's response is shaped."""

from __future__ import annotations

from dataclasses import dataclass, field

from limber.core.ssml import Speech
from limber.core.state import State


@dataclass(frozen=True)
class Card:
    title: str
    text: str


@dataclass
class Reply:
    speech: Speech
    state: State
    reprompt: str | None = None  # plain text; the shell adds a generic one if the session stays open
    end_session: bool = False
    card: Card | None = None
    # What changed that storage cares about: "position", "completed:<routine id>", "hold", ...
    events: tuple[str, ...] = ()
    # Data for a screen (APL), when the turn has something to show.
    display: dict | None = field(default=None)
    # This reply (re-)asks the yes/no question in its state's pending/offer; see below.
    asks: bool = False

    @property
    def ssml(self) -> str:
        return self.speech.ssml()


def close_unanswered_question(before: State, reply: Reply) -> Reply:
    """A yes/no question lives for one turn. If the person said something else, a later
    "yes" must not answer it (it could delete their data, or start a routine)."""
    state = reply.state
    if not (state.pending or state.offer):
        return reply
    asked_now = reply.asks or state.pending != before.pending or state.offer != before.offer
    if not asked_now:
        reply.state = state.with_(pending=None, offer=None)
    return reply
