"""Conversation state as it travels in Alexa session attributes.

Session attributes come back from the device untouched, but tests (and stored progress)
can hand us anything, so reading is defensive: whatever does not fit the content is
dropped, with a note the skill can say, rather than trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from limber.core.content import Library
from limber.core.routine import Position, clamp_hold, steps_of

# Yes/no questions a turn can leave open: forget my data?, is it sharp/numb/tingling?,
# shall I ask the warning-sign questions (in general, or after bad pain)?, carry on gently
# after self-care advice?, start a week-old routine over?, a reminder (offered once, after a finish)?
PENDING_QUESTIONS = (
    "delete", "pain", "screen_offer", "pain_offer", "continue", "restart", "reminder", "off_floor"
)
MAX_FAMILIAR = 64  # stretch ids carried in the session (the content has 28)


@dataclass(frozen=True)
class State:
    position: Position | None = None
    hold: int | None = None  # the person's hold preference, seconds
    offer: str | None = None  # a routine id offered after finishing; "yes" starts it
    screen: dict | None = None  # a red-flag screen in progress (never stored)
    pending: str | None = None  # a yes/no question waiting for an answer, e.g. "delete"
    # How this person likes to be coached, read from saved progress once per session:
    familiar: frozenset[str] = frozenset()  # stretch ids they know: a short cue, not the set-up
    slower: bool = False  # slower speech and wider gaps
    off_floor: bool = False  # routines in their chair-and-standing version
    brief: bool = False  # "less talking": short cues this session, skip lists and safety still said
    interrupt_told: bool = False  # "Alexa, stop / Alexa, that hurts" said this session
    easier_for: str | None = None  # a stretch found too hard: its other side and sets go easier too
    # (request time, seconds into its speech when the hold ended, step index) of the last step
    # sent, so a pause after it finished resumes at the next step, not the same one again.
    played: tuple[datetime, float, int] | None = field(default=None, compare=False)
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
        for key in ("hold", "offer", "screen", "pending", "easier_for"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.played:
            sent, hold_ends, step = self.played
            data["played"] = [sent.strftime("%Y-%m-%dT%H:%M:%SZ"), hold_ends, step]
        if self.familiar:
            data["familiar"] = sorted(self.familiar)
        for key in ("slower", "off_floor", "brief", "interrupt_told"):
            if getattr(self, key):
                data[key] = True
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
    familiar = attributes.get("familiar")
    known = {s.id for r in library.routines for s in r.stretches}
    known |= {s.alternative for r in library.routines for s in r.stretches if s.alternative}
    familiar = frozenset(
        sid
        for sid in (familiar if isinstance(familiar, list) else [])[:MAX_FAMILIAR]
        if isinstance(sid, str) and sid in known
    )
    easier_for = attributes.get("easier_for")
    return State(
        position=position,
        hold=clamp_hold(hold) if hold else None,
        offer=offer if library.routine(offer) else None,
        screen=screen if isinstance(screen, dict) else None,
        pending=pending if pending in PENDING_QUESTIONS else None,
        familiar=familiar,
        slower=attributes.get("slower") is True,
        off_floor=attributes.get("off_floor") is True,
        brief=attributes.get("brief") is True,
        interrupt_told=attributes.get("interrupt_told") is True,
        easier_for=easier_for if isinstance(easier_for, str) and easier_for in known else None,
        played=_played(attributes.get("played")),
        repairs=(problem,) if problem else (),
    )


def _played(raw) -> tuple[datetime, float, int] | None:
    """(request time, seconds to the hold's end, step index) of the last step sent; anything
    else is dropped (session attributes come back from the device, or from a forger)."""
    if not (isinstance(raw, list) and len(raw) == 3 and isinstance(raw[0], str) and len(raw[0]) <= 40):
        return None
    seconds, step = raw[1], raw[2]
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 3600:
        return None
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < 10_000:
        return None
    try:
        sent = datetime.fromisoformat(raw[0].replace("Z", "+00:00"))
        sent = sent.astimezone(UTC) if sent.tzinfo else sent.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    return sent, float(seconds), step
