"""The spoken text of one step of a routine: position, set-up, timed hold, what next."""

from __future__ import annotations

from functools import lru_cache

from limber.core.content import Routine
from limber.core.routine import Step, hold_for, is_last, step_at, steps_of
from limber.core.ssml import Speech
from limber.core.timing import hold_speech, number_word, reps_speech, rest_speech
from limber.core.words import spoken_list

SETUP_PAUSE_SECONDS = 1.0  # time to move between set-up steps
GET_READY_SECONDS = 2.0  # time to settle into position before the hold starts


def side_phrase(side: str) -> str:
    return "both sides" if side == "both" else f"{side} side"


def heading(routine: Routine, step: Step) -> str:
    """The exact opening of every step: "Stretch 2 of 6: name, left side." """
    return (
        f"Stretch {step.stretch_number} of {len(routine.stretches)}: "
        f"{step.stretch.name}, {side_phrase(step.side)}."
    )


def setup_lines(step: Step) -> list[str]:
    other = {"left": "right", "right": "left"}.get(step.side, "")
    return [line.format(side=step.side, other=other) for line in step.stretch.setup]


def feel_sentence(feel: str) -> str:
    """Content writes what to feel as a phrase: "A gentle pull across the hip." """
    return f"You should feel {feel[0].lower()}{feel[1:]}"


def what_next(routine: Routine, index: int) -> str:
    """The closing line telling the person what to say to move on."""
    if is_last(routine, index):
        return "That was the last one. Say next to finish."
    current, following = step_at(routine, index), step_at(routine, index + 1)
    if following.stretch_number == current.stretch_number:
        if following.set_number != current.set_number:
            return f"Say next for set {number_word(following.set_number)}."
        return f"Say next for the {following.side} side."
    return f"Say next for the next stretch, {following.stretch.name}."


def step_speech(routine: Routine, index: int, hold_preference: int | None) -> Speech:
    """A fresh copy of the step's speech: callers may add to it."""
    return _step_speech(routine, index, hold_preference).copy()


@lru_cache(maxsize=512)
def _step_speech(routine: Routine, index: int, hold_preference: int | None) -> Speech:
    # A step's words depend only on the content and the hold, so each is built once.
    step = steps_of(routine)[index]
    stretch = step.stretch
    speech = Speech().say(heading(routine, step))
    if stretch.sets > 1:
        speech.say(f"Set {number_word(step.set_number)} of {number_word(stretch.sets)}.")
    first_time = step.set_number == 1 and step.side in ("left", "both")
    if first_time:  # before getting into position: who should leave this stretch out
        speech.say(f"Skip this one if {spoken_list(list(stretch.skip_if), 'or')}.")
    for line in setup_lines(step):
        speech.say(line).pause(SETUP_PAUSE_SECONDS)
    if first_time:
        speech.say(feel_sentence(stretch.feel), stretch.safety)
    speech.pause(GET_READY_SECONDS).say("Starting now.").mark("hold_start")
    hold = hold_for(stretch, hold_preference)
    if hold is not None:
        speech.extend(hold_speech(hold))
    else:
        speech.extend(reps_speech(stretch.reps, stretch.rep_seconds))
    speech.mark("hold_end").say("Release.")
    if stretch.rest_seconds and step.set_number < stretch.sets:
        speech.say(f"Rest for {stretch.rest_seconds} seconds.")
        speech.extend(rest_speech(stretch.rest_seconds)).say("Rest over.")
    return speech.say(what_next(routine, index))
