"""The routine as a sequence of steps, and how a position moves through it.

A step is one spoken unit: one stretch, on one side, for one set. Positions are plain
indexes into that sequence so they survive in session attributes and storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from limber.core.content import Routine, Stretch
from limber.core.progress import HOLD_RANGE

MIN_HOLD, MAX_HOLD = HOLD_RANGE  # what the person may choose; content may go outside it


@dataclass(frozen=True)
class Step:
    stretch_number: int  # 1-based position of the stretch in the routine
    stretch: Stretch
    side: str  # "left", "right" or "both"
    set_number: int  # 1-based


@lru_cache(maxsize=64)
def steps_of(routine: Routine) -> tuple[Step, ...]:
    out = []
    for number, stretch in enumerate(routine.stretches, start=1):
        for side in stretch.sides:
            for set_number in range(1, stretch.sets + 1):
                out.append(Step(number, stretch, side, set_number))
    return tuple(out)


@dataclass(frozen=True)
class Position:
    routine_id: str
    step: int
    paused: bool = False
    skipped: int = 0  # stretches skipped so far in this run, so the finish can be honest


def clamp_hold(seconds: int) -> int:
    return max(MIN_HOLD, min(MAX_HOLD, seconds))


def step_at(routine: Routine, index: int) -> Step | None:
    steps = steps_of(routine)
    return steps[index] if 0 <= index < len(steps) else None


def is_last(routine: Routine, index: int) -> bool:
    return index == len(steps_of(routine)) - 1


def next_index(routine: Routine, index: int) -> int | None:
    """The following step, or None when the routine is finished."""
    return index + 1 if index + 1 < len(steps_of(routine)) else None


def previous_index(index: int) -> int | None:
    return index - 1 if index > 0 else None


def next_stretch_index(routine: Routine, index: int) -> int | None:
    """First step of the next stretch (skip), or None when this was the last stretch."""
    steps = steps_of(routine)
    current = steps[index].stretch_number
    return next((i for i in range(index + 1, len(steps)) if steps[i].stretch_number != current), None)


def stretches_left(routine: Routine, index: int) -> int:
    """Stretches not yet started, after the current one."""
    return len(routine.stretches) - steps_of(routine)[index].stretch_number


def hold_for(stretch: Stretch, preference: int | None) -> int | None:
    """The hold a step uses: the person's preference when set, else the content's."""
    if stretch.hold_seconds is None:
        return None
    return clamp_hold(preference) if preference else stretch.hold_seconds
