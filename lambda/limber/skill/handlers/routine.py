"""Routine handlers: choose, steer and describe a routine."""

from __future__ import annotations

from limber.core import coaching, habits, menu
from limber.skill import progress
from limber.skill.handlers.base import intent_turn
from limber.skill.turn import library, number_slot, slot, state_of


@intent_turn("StartRoutineIntent")
def start_routine(hi):
    chosen = slot(hi, "routine")
    return start_turn(hi, chosen.id, chosen.heard)


def start_turn(hi, routine_id: str | None, heard: str | None):
    """Start a routine, said or touched: with the saved hold, and the disclaimer if the
    person never heard it ("ask limber coach to start hip stretches" skips the launch)."""
    reply = coaching.start(library(), progress.with_saved_hold(hi, state_of(hi)), routine_id, heard)
    return menu.with_disclaimer(reply) if progress.first_time(hi) else reply


@intent_turn("AMAZON.NextIntent")
def next_step(hi):
    return coaching.next_step(library(), state_of(hi))


@intent_turn("AMAZON.PreviousIntent")
def previous_step(hi):
    return coaching.previous_step(library(), state_of(hi))


@intent_turn("AMAZON.RepeatIntent")
def repeat_step(hi):
    return coaching.repeat_step(library(), state_of(hi))


@intent_turn("SkipStretchIntent")
def skip_stretch(hi):
    return coaching.skip_stretch(library(), state_of(hi))


@intent_turn("AMAZON.StartOverIntent")
def start_over(hi):
    return coaching.start_over(library(), state_of(hi))


@intent_turn("AMAZON.PauseIntent")
def pause(hi):
    return coaching.pause(library(), state_of(hi))


@intent_turn("AMAZON.ResumeIntent")
def resume(hi):
    state = state_of(hi)
    if state.position:
        return coaching.resume(library(), state)
    state = progress.with_saved_hold(hi, state)
    reply = habits.resume_saved(library(), state, progress.saved_position(progress.load(hi)))
    return menu.with_disclaimer(reply) if progress.first_time(hi) else reply


@intent_turn("HowManyLeftIntent")
def how_many_left(hi):
    return coaching.how_many_left(library(), state_of(hi))


@intent_turn("SetHoldTimeIntent")
def set_hold(hi):
    return coaching.set_hold(library(), state_of(hi), number_slot(hi, "seconds"), slot(hi, "direction").id)


@intent_turn("DescribeStretchIntent")
def describe_stretch(hi):
    return coaching.describe_stretch(library(), state_of(hi))


HANDLERS = [
    start_routine,
    next_step,
    previous_step,
    repeat_step,
    skip_stretch,
    start_over,
    pause,
    resume,
    how_many_left,
    set_hold,
    describe_stretch,
]
