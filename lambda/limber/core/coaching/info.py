"""Questions about where we are and what a stretch is: how many left, which side, what's
next, what a stretch is for, who should skip it, and the hold length."""

from __future__ import annotations

from limber.core import routine as moves
from limber.core.coaching.deliver import no_routine, step_prompt
from limber.core.content import Library, Routine
from limber.core.menu import choose_prompt
from limber.core.questions import ask_again, open_question
from limber.core.reply import Reply
from limber.core.routine import clamp_hold, steps_of
from limber.core.ssml import Speech, speech
from limber.core.state import State
from limber.core.step_speech import feel_sentence, routine_seconds
from limber.core.timing import number_word
from limber.core.words import spoken_list

HOLD_STEP = 10  # seconds added or taken by "make the holds longer / shorter"
DEFAULT_HOLD = 30
OWN_HOLDS = "Right now each stretch has its own hold time."
REPS_NOT_HOLDS = "This stretch counts reps, so the new hold starts with the next timed stretch. Say next."


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def minutes_of(seconds: float) -> str:
    """ "about four minutes": whole minutes, never "zero"."""
    minutes = _minutes(seconds)
    return "about one minute" if minutes == 1 else f"about {number_word(minutes)} minutes"


def seconds_from(library: Library, routine: Routine, first: int, state: State) -> float:
    """How long the steps from ``first`` to the end take as this person hears them."""
    return routine_seconds(routine, state.hold, familiar=state.familiar, slower=state.slower, first=first)


def how_many_left(library: Library, state: State) -> Reply:
    """Where we are, how many stretches are left and roughly how many minutes they take."""
    if not state.position:
        lengths = sorted(_minutes(seconds_from(library, r, 0, state)) for r in library.routines)
        low, high = lengths[0], lengths[-1]
        span = f"about {number_word(low)} minutes"
        if high != low:
            span = f"about {number_word(low)} to {number_word(high)} minutes"
        lead = f"Each routine takes {span}."
        prompt = choose_prompt(library)
        return Reply(speech(lead, prompt), state, reprompt=prompt)
    routine = library.routine(state.position.routine_id)
    step = steps_of(routine)[state.position.step]
    left = moves.stretches_left(routine, state.position.step)
    # A step's speech holds its whole hold, so once it has played only later steps remain.
    first = state.position.step + (0 if state.position.paused else 1)
    remaining = seconds_from(library, routine, first, state)
    time_left = f"{minutes_of(remaining).capitalize()} to go." if remaining else ""
    after = (
        "This is the last one."
        if left == 0
        else (
            f"{number_word(left).capitalize()} more after this one."
            if left > 1
            else "One more after this one."
        )
    )
    text = f"You're on stretch {step.stretch_number} of {len(routine.stretches)}. {after} {time_left}".strip()
    prompt = step_prompt(state)
    return Reply(speech(text, prompt), state, reprompt=prompt)


def set_hold(library: Library, state: State, seconds: int | None, direction: str | None) -> Reply:
    own_hold = _current_hold(library, state)
    if seconds is not None:
        wanted = seconds
    elif direction in ("longer", "shorter"):
        wanted = _stepped_hold(library, state, longer=direction == "longer")
    else:
        prompt = "Say, for example, hold for 30 seconds, or make the holds longer."
        now = f"Holds are {state.hold} seconds now." if state.hold else OWN_HOLDS
        return Reply(speech(now, prompt), state, reprompt=prompt)
    hold = clamp_hold(wanted)
    out = Speech()
    if hold != wanted:
        out.say(f"I can time holds from {moves.MIN_HOLD} to {moves.MAX_HOLD} seconds.")
    out.say(f"Holds are now {hold} seconds.")
    if state.position and own_hold is not None:
        prompt = "Say repeat to do this stretch again with the new hold, or next to carry on."
    elif state.position:
        prompt = REPS_NOT_HOLDS
    else:
        prompt = choose_prompt(library)
    changed = ("hold",) if hold != state.hold else ()
    return Reply(out.say(prompt), state.with_(hold=hold), reprompt=prompt, events=changed)


def _stepped_hold(library: Library, state: State, *, longer: bool) -> int:
    """The hold after "longer" or "shorter". One preference applies to every timed stretch,
    so without one yet, step from the routine's longest hold (or its shortest): every
    stretch then moves the way the person asked, none the other way."""
    if state.hold:
        base = state.hold
    else:
        routines = [library.routine(state.position.routine_id)] if state.position else library.routines
        holds = [s.hold_seconds for r in routines for s in r.stretches if s.hold_seconds] or [DEFAULT_HOLD]
        base = max(holds) if longer else min(holds)
    return base + (HOLD_STEP if longer else -HOLD_STEP)


def _current_hold(library: Library, state: State) -> int | None:
    if not state.position:
        return None
    step = steps_of(library.routine(state.position.routine_id))[state.position.step]
    return step.stretch.hold_seconds


def describe_stretch(library: Library, state: State) -> Reply:
    if not state.position:
        return no_routine(library, state, "Start a routine and I'll tell you about each stretch as we go.")
    stretch = steps_of(library.routine(state.position.routine_id))[state.position.step].stretch
    skip = _reasons(stretch)
    text = f"The {stretch.name}. {stretch.purpose} {feel_sentence(stretch.feel)} Skip it if {skip}."
    prompt = step_prompt(state)
    return Reply(speech(text, prompt), state, reprompt=prompt)


def which_side(library: Library, state: State) -> Reply:
    if not state.position:
        return no_routine(library, state, "We haven't started a routine yet.")
    step = steps_of(library.routine(state.position.routine_id))[state.position.step]
    if step.side == "both":
        return _answer(state, f"The {step.stretch.name} works both sides at once.")
    return _answer(state, f"You're on the {step.side} side of the {step.stretch.name}.")


def whats_next(library: Library, state: State) -> Reply:
    """The next step's name, without moving there."""
    if not state.position:
        if open_question(state):
            return ask_again(library, Reply(Speech(), state))
        return no_routine(library, state, "We haven't started a routine yet.")
    routine = library.routine(state.position.routine_id)
    steps = steps_of(routine)
    following = moves.next_index(routine, state.position.step)
    if following is None:
        text, prompt = "That was the last one. Say next to finish.", "Say next to finish."
    else:
        here, then = steps[state.position.step], steps[following]
        if then.stretch_number == here.stretch_number and then.side != here.side:
            text = f"Next is the {then.side} side of the {then.stretch.name}."
        elif then.stretch_number == here.stretch_number:
            text = f"Next is set {number_word(then.set_number)} of the {then.stretch.name}."
        else:
            text = f"Next is stretch {then.stretch_number}: the {then.stretch.name}."
        prompt = step_prompt(state)
    return Reply(speech(text, prompt), state, reprompt=prompt)


def who_should_skip(library: Library, state: State) -> Reply:
    """ "Who should skip this": the current stretch's whole list, on request."""
    if not state.position:
        return no_routine(library, state, "Start a routine and I'll tell you who should skip each stretch.")
    stretch = steps_of(library.routine(state.position.routine_id))[state.position.step].stretch
    text = f"Leave out the {stretch.name} if {_reasons(stretch)}. If something hurts, say, that hurts."
    return _answer(state, text)


def _reasons(stretch) -> str:
    """Every reason to leave ``stretch`` out, each once: on request the whole list is said."""
    return spoken_list(list(dict.fromkeys(stretch.skip_if)), "or")


def _answer(state: State, text: str) -> Reply:
    """An answer mid-routine, then what to say to go on."""
    prompt = step_prompt(state)
    return Reply(speech(text, prompt), state, reprompt=prompt)
