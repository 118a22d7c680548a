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
    # The yes/no question this reply asks ("delete", "offer", ...): see limber.core.questions.
    asks: str | None = None

    @property
    def ssml(self) -> str:
        return self.speech.ssml()
