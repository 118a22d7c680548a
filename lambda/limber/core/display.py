"""What a screen shows for a turn: APL data sources built from ``Reply.display`` and the content.

Pure: it names the document to use and builds the data it binds to. The documents themselves
live beside the skill's handlers (``limber/skill/apl/<document>.json``), and the skill decides
whether the device has a screen at all.

Hints the core puts on a reply:

* ``{"kind": "step", "routine", "step", "hold", "timer_starts", "timer_ends"}``: the times are
  seconds from the start of the speech to the end of "Starting now." and to "Release.", so the
  countdown on the device runs in step with the voice.
* ``{"kind": "routines"}``: the touchable routine list.
* ``{"kind": "outcome", "level", "title", "text"}``: the result of the red-flag questions.
* ``{"kind": "paused", "routine", "step"}``: the place a pause keeps, and how to come back.
* ``{"kind": "progress", "routine", "days", "goal"}``: after a routine, this week's days
  (Monday first, True where the person stretched) against their weekly goal (or None). The
  core asks for it with the routine only; the skill adds the days and goal from progress.

A step's hint may also carry ``rest_starts``/``rest_ends`` (seconds, like the hold's): the rest
between sets, which the screen counts down too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from limber.core.content import Library, Routine
from limber.core.routine import step_at, steps_of
from limber.core.step_speech import exact_place, side_phrase, what_next
from limber.core.step_speech import routine_minutes as spoken_minutes
from limber.core.step_speech import setup_lines as setup_lines
from limber.core.timing import number_word

START_ROUTINE = "startRoutine"  # first SendEvent argument when a routine is touched
MENU_TITLE = "Limber"
MENU_HINT = "Touch a routine to start, or say its name."
OUTCOME_LABELS = {
    "emergency": "Emergency",
    "urgent": "Urgent",
    "soon": "See a doctor",
    "self_care": "Self-care",
}
OUTCOME_NOTE = "Limber is a stretching coach, not a doctor: it can't tell what causes your pain."


@dataclass(frozen=True)
class Screen:
    document: str  # file stem under limber/skill/apl/
    token: str  # names the document on the device, and in UserEvents it sends
    datasources: dict


def screen_for(display: dict | None, library: Library) -> Screen | None:
    """The screen for a reply's display hint, or None when there is nothing (valid) to show."""
    if not isinstance(display, dict):
        return None
    kind = display.get("kind")
    if kind == "step":
        return _step_screen(display, library)
    if kind == "routines":
        return Screen("routines", "limber.routines", {"menu": routines_data(library)})
    if kind == "outcome":
        return _outcome_screen(display)
    if kind == "paused":
        return _paused_screen(display, library)
    if kind == "progress":
        return _progress_screen(display, library)
    return None


def capitalised(text: str) -> str:
    """Content writes names in sentence case for speech ("kneeling hip flexor stretch")."""
    return text[:1].upper() + text[1:]


def step_data(
    routine: Routine, index: int, hold: int | None, starts: float, ends: float, rest: tuple | None = None
) -> dict:
    step = steps_of(routine)[index]
    stretch = step.stretch
    total = len(routine.stretches)
    position = f"Stretch {step.stretch_number} of {total}"
    if side_phrase(step.side):
        position += f" · {side_phrase(step.side)}"
    if stretch.sets > 1:
        position += f" · set {step.set_number} of {stretch.sets}"
    start_ms, end_ms = round(starts * 1000), round(ends * 1000)
    if hold is not None:
        timer = {"kind": "hold", "seconds": hold, "reps": 0, "repMs": 0}
    else:
        rep_ms = stretch.rep_seconds * 1000
        timer = {"kind": "reps", "seconds": 0, "reps": stretch.reps, "repMs": rep_ms}
    # A hint whose end is not after its start would divide by zero on the device's progress bar.
    timer |= {"startMs": start_ms, "endMs": max(end_ms, start_ms + 1000)}
    # The rest between sets, counted down after "Release." (0 and 0: no rest in this step).
    rest_start, rest_end = (round(rest[0] * 1000), round(rest[1] * 1000)) if rest else (0, 0)
    timer |= {"restStartMs": rest_start, "restEndMs": max(rest_end, rest_start + 1000) if rest else 0}
    return {
        "routine": routine.name,
        "position": position,
        "name": capitalised(stretch.name),
        "setup": setup_lines(step),
        "next": what_next(routine, index),
        "timer": timer,
    }


def _step_screen(display: dict, library: Library) -> Screen | None:
    routine = library.routine(display.get("routine"))
    index, hold = display.get("step"), display.get("hold")
    starts, ends = display.get("timer_starts"), display.get("timer_ends")
    if routine is None or not _is_int(index) or step_at(routine, index) is None:
        return None
    if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in (starts, ends)):
        return None
    if hold is not None and not _is_int(hold):
        return None
    if (hold is None) != (steps_of(routine)[index].stretch.hold_seconds is None):
        return None  # a hold for a rep stretch (or none for a timed one): the hint is stale
    rest = (display.get("rest_starts"), display.get("rest_ends"))
    if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in rest):
        rest = None
    return Screen("step", "limber.step", {"step": step_data(routine, index, hold, starts, ends, rest)})


PAUSED_HINT = "To carry on, say: Alexa, ask limber coach to resume."
WEEKDAY_LABELS = ("M", "T", "W", "T", "F", "S", "S")


def _paused_screen(display: dict, library: Library) -> Screen | None:
    routine, index = library.routine(display.get("routine")), display.get("step")
    if routine is None or not _is_int(index) or step_at(routine, index) is None:
        return None
    step = steps_of(routine)[index]
    data = {
        "title": "Paused",
        "routine": routine.name,
        "detail": capitalised(f"{exact_place(routine, step)}: {step.stretch.name}"),
        "hint": PAUSED_HINT,
    }
    return Screen("status", "limber.status", {"status": data})


def _progress_screen(display: dict, library: Library) -> Screen | None:
    routine, days, goal = library.routine(display.get("routine")), display.get("days"), display.get("goal")
    if (
        routine is None
        or not isinstance(days, list)
        or len(days) != 7
        or not all(isinstance(d, bool) for d in days)
    ):
        return None
    if goal is not None and not (_is_int(goal) and 1 <= goal <= 7):
        goal = None
    done = sum(days)
    if goal:
        summary = f"{number_word(done).capitalize()} of {number_word(goal)} days this week"
    else:
        summary = f"{number_word(done).capitalize()} {'day' if done == 1 else 'days'} this week"
    data = {
        "title": "Well done",
        "routine": routine.name,
        "summary": summary,
        "days": [{"label": label, "done": bool(d)} for label, d in zip(WEEKDAY_LABELS, days, strict=True)],
        "goalMet": bool(goal) and done >= goal,
    }
    return Screen("progress", "limber.progress", {"progress": data})


def routines_data(library: Library) -> dict:
    items = [
        {
            "id": routine.id,
            "name": routine.name,
            "summary": routine.summary,
            "detail": f"{number_word(len(routine.stretches)).capitalize()} stretches · "
            f"about {routine_minutes(routine)} minutes",
        }
        for routine in library.routines
    ]
    return {"title": MENU_TITLE, "hint": MENU_HINT, "routines": items}


@lru_cache(maxsize=32)
def routine_minutes(routine: Routine) -> int:
    """How long the routine takes with the content's holds, from the speech's own estimate."""
    return spoken_minutes(routine)


def _outcome_screen(display: dict) -> Screen | None:
    level, title, text = display.get("level"), display.get("title"), display.get("text")
    if level not in OUTCOME_LABELS or not isinstance(title, str) or not isinstance(text, str):
        return None
    label = OUTCOME_LABELS[level]
    data = {"level": level, "label": label, "title": title, "text": text, "note": OUTCOME_NOTE}
    return Screen("outcome", "limber.outcome", {"outcome": data})


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
