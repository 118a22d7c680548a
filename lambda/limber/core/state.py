"""Conversation state as it travels in Alexa session attributes.

Session attributes come back from the device untouched, but tests (and stored progress)
can hand us anything, so reading is defensive: whatever does not fit the content is
dropped, with a note the skill can say, rather than trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from limber.core.content import Library
from limber.core.routine import Position, clamp_hold, steps_of

# Yes/no questions a turn can leave open: forget my data?, is it sharp/numb/tingling?,
# shall I ask the warning-sign questions (in general, or after bad pain)?, carry on gently
# after self-care advice?, start a week-old routine over?, a reminder (offered once, after a finish)?
PENDING_QUESTIONS = ("delete", "pain", "screen_offer", "pain_offer", "continue", "restart", "reminder")


@dataclass(frozen=True)
class State:
    position: Position | None = None
    hold: int | None = None  # the person's hold preference, seconds
    offer: str | None = None  # a routine id offered after finishing; "yes" starts it
    screen: dict | None = None  # a red-flag screen in progress (never stored)
    pending: str | None = None  # a yes/no question waiting for an answer, e.g. "delete"
    repairs: tuple[str, ...] = field(default=(), compare=False)

    def with_(self, **changes) -> State:
        return replace(self, **changes)

    def to_session(self) -> dict:
        data: dict = {}
        if self.position:
            data["position"] = {
                "routine": self.position.routine_id,
                "step": self.position.step,
                "paused": self.position.paused,
                "skipped": self.position.skipped,
            }
        for key in ("hold", "offer", "screen", "pending"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_position(raw, library: Library) -> tuple[Position | None, str | None]:
    """A position checked against the content; a note when it had to be dropped."""
    if not isinstance(raw, dict):
        return None, None if raw is None else "bad"
    routine = library.routine(raw.get("routine"))
    step = _int(raw.get("step"))
    if routine is None:
        return None, "routine"
    if step is None or not 0 <= step < len(steps_of(routine)):
        return Position(routine.id, 0), "step"
    skipped = _int(raw.get("skipped"))
    skipped = skipped if skipped is not None and 0 <= skipped <= len(routine.stretches) else 0
    return Position(routine.id, step, raw.get("paused") is True, skipped), None


def from_session(attributes, library: Library) -> State:
    attributes = attributes if isinstance(attributes, dict) else {}
    position, problem = read_position(attributes.get("position"), library)
    hold = _int(attributes.get("hold"))
    offer = attributes.get("offer")
    screen = attributes.get("screen")
    pending = attributes.get("pending")
    return State(
        position=position,
        hold=clamp_hold(hold) if hold else None,
        offer=offer if library.routine(offer) else None,
        screen=screen if isinstance(screen, dict) else None,
        pending=pending if pending in PENDING_QUESTIONS else None,
        repairs=(problem,) if problem else (),
    )
