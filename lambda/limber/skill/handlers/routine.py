"""Routine handlers: choose, steer and describe a routine."""

from __future__ import annotations

import re

from ask_sdk_core.utils import get_intent_name

from limber.core import coaching, habits, menu, screening
from limber.skill import progress
from limber.skill.handlers.base import intent_turn
from limber.skill.turn import (
    library,
    locale_of,
    number_slot,
    slot,
    state_of,
    step_played_through,
)

# Words about getting medical help: wherever an open slot hears them, they are a question for
# the safety check, never a routine's name.
GETTING_HELP = re.compile(
    r"\b(ambulance|emergency|hospital|doctor|physio\w*|g ?p|a and e|casualty|urgent care|"
    r"nine one one|nine nine nine|one one one|one one two|triple zero|zero zero zero|911|999|111|112|000)\b"
)


# Alexa sends a slot's words, a sentence at most; a forged request can send anything.
MAX_HEARD = 200


@intent_turn("StartRoutineIntent")
def start_routine(hi):
    chosen = slot(hi, "routine")
    if chosen.id is None and chosen.heard:
        from limber.core.hearing import read, routine_phrases  # the reader loads on first use

        # The slot is open: "my {routine} is tight" also hears "my chest is tight", and
        # "something {routine}" hears "something popped". Raw words are read before
        # anything is said about routines; a symptom always reaches the check.
        words = chosen.heard[:MAX_HEARD]
        heard = read(words, routines=routine_phrases(library()))
        if heard.kind == "unknown":
            # The carriers around this slot ("my {routine} is tight", "I've got a stiff
            # {routine}") carry the tightness the slot's words lack: "chest" alone says
            # nothing, "my chest feels tight" is chest pain.
            heard = read(f"my {words} feels tight", routines=routine_phrases(library()))
        if heard.is_symptom:
            return screening.symptom(library(), state_of(hi), heard, locale_of(hi))
        if GETTING_HELP.search(words.lower()):  # "do {routine}" hears "do I need to call 999"
            return screening.check(library(), state_of(hi), None, locale_of(hi))
        if heard.kind == "pain":
            return screening.pain(library(), state_of(hi), locale_of(hi))
        if heard.routine:
            return start_turn(hi, heard.routine, chosen.heard)
    return start_turn(hi, chosen.id, chosen.heard)


def start_turn(hi, routine_id: str | None, heard: str | None):
    """Start a routine, said or touched: with the saved hold, and the disclaimer if the
    person never heard it ("ask limber coach to start hip stretches" skips the launch)."""
    reply = coaching.start(library(), progress.with_saved_preferences(hi, state_of(hi)), routine_id, heard)
    return menu.with_disclaimer(reply) if progress.first_time(hi) else reply


@intent_turn("AMAZON.NextIntent")
def next_step(hi):
    state = state_of(hi)
    if not state.position and not state.offer and not state.pending:
        # "ask limber coach to carry on" in a new session: the saved place, if there is one
        saved = progress.saved_position(progress.load(hi))
        if saved is not None:
            return _resume_saved(hi, state, saved)
    return coaching.next_step(library(), state)


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
    state = state_of(hi)
    return coaching.pause(library(), state, finished=step_played_through(hi, state))


@intent_turn("AMAZON.ResumeIntent")
def resume(hi):
    state = state_of(hi)
    if state.position and not state.position.paused:
        # "Continue" / "keep going" after a step that wasn't paused: go on.
        return coaching.go_on(library(), state)
    if state.position:
        return coaching.resume(library(), state)
    return _resume_saved(hi, state, progress.saved_position(progress.load(hi)))


def _resume_saved(hi, state, saved):
    state = progress.with_saved_preferences(hi, state)
    reply = habits.resume_saved(library(), state, saved)
    return menu.with_disclaimer(reply) if progress.first_time(hi) else reply


@intent_turn("HowManyLeftIntent")
def how_many_left(hi):
    return coaching.how_many_left(library(), state_of(hi))


# AMAZON.DURATION values are ISO-8601 durations: "a minute" is PT1M, "twenty seconds" PT20S.
ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def duration_seconds(value: str | None) -> int | None:
    """Whole seconds of an ISO-8601 duration ("PT1M30S" -> 90); None when it isn't one
    (Alexa sends "?" or "PT" for a length it half heard)."""
    found = ISO_DURATION.match(value or "")
    if not found or value in ("P", "PT") or not any(found.groups()):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in found.groups())
    return round(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


@intent_turn("SetHoldTimeIntent")
def set_hold(hi):
    seconds = number_slot(hi, "seconds")
    if seconds is None:
        seconds = duration_seconds(slot(hi, "duration").heard)
    return coaching.set_hold(library(), state_of(hi), seconds, slot(hi, "direction").id)


@intent_turn("DescribeStretchIntent")
def describe_stretch(hi):
    return coaching.describe_stretch(library(), state_of(hi))


@intent_turn("GoOnIntent")
def go_on(hi):
    state = state_of(hi)
    if state.offer and not state.pending:  # "okay" to the next routine: with the saved hold
        state = progress.with_saved_preferences(hi, state)
    return coaching.go_on(library(), state)


@intent_turn("DoneIntent")
def done(hi):
    return coaching.done(library(), state_of(hi))


@intent_turn("WhichSideIntent")
def which_side(hi):
    return coaching.which_side(library(), state_of(hi))


@intent_turn("WhatsNextIntent")
def whats_next(hi):
    return coaching.whats_next(library(), state_of(hi))


@intent_turn("EasierIntent")
def easier(hi):
    return coaching.easier(library(), state_of(hi))


@intent_turn("OffFloorIntent", "WheelchairIntent")
def off_floor(hi):
    state = progress.with_saved_preferences(hi, state_of(hi))
    wheelchair = get_intent_name(hi) == "WheelchairIntent"
    return coaching.off_floor(library(), state, step_played_through(hi, state), wheelchair=wheelchair)


@intent_turn("FloorAgainIntent")
def floor_again(hi):
    return coaching.floor_again(library(), progress.with_saved_preferences(hi, state_of(hi)))


@intent_turn("SlowerIntent")
def slower(hi):
    return coaching.slower(library(), progress.with_saved_preferences(hi, state_of(hi)))


@intent_turn("FasterIntent")
def faster(hi):
    return coaching.faster(library(), progress.with_saved_preferences(hi, state_of(hi)))


@intent_turn("HowToIntent")
def how_to(hi):
    return coaching.full_setup(library(), state_of(hi))


@intent_turn("BriefIntent")
def briefer(hi):
    return coaching.briefer(library(), progress.with_saved_preferences(hi, state_of(hi)))


@intent_turn("HarderIntent")
def harder(hi):
    return coaching.harder(library(), state_of(hi))


@intent_turn("WhoShouldSkipIntent")
def who_should_skip(hi):
    return coaching.who_should_skip(library(), state_of(hi))


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
    go_on,
    done,
    which_side,
    whats_next,
    easier,
    off_floor,
    floor_again,
    slower,
    faster,
    how_to,
    briefer,
    harder,
    who_should_skip,
]
