"""Turns inside a routine: start, next, back, repeat, skip, pause, resume, hold length."""

from __future__ import annotations

from dataclasses import replace

from limber.core import routine as moves
from limber.core.content import Library, Routine
from limber.core.menu import choose_prompt, goodbye, repair_notes, routine_menu
from limber.core.questions import ask_again, open_question
from limber.core.reply import Reply
from limber.core.routine import Position, clamp_hold, steps_of
from limber.core.ssml import Speech, speech
from limber.core.state import State
from limber.core.step_speech import exact_place, feel_sentence, routine_minutes, step_speech
from limber.core.timing import number_word
from limber.core.words import spoken_list

STEP_REPROMPT = "Say next to carry on, repeat to do that one again, or stop to finish for now."
INTERRUPT_NOTE = "While I'm talking, you can say Alexa, stop, or Alexa, that hurts, at any moment."
PAUSE_PROMPT = "Say resume to carry on now, or later say, Alexa, ask limber coach to resume."
PAUSE_REPROMPT = "To carry on, say resume. Any time later, say, Alexa, ask limber coach to resume."
PAUSED_PROMPT = "Say resume to carry on, or stop to finish for now."


def step_prompt(state: State) -> str:
    """What to say next in a routine: "next" moves on, so a paused place asks for resume."""
    return PAUSED_PROMPT if state.position and state.position.paused else STEP_REPROMPT


HOLD_STEP = 10  # seconds added or taken by "make the holds longer / shorter"
DEFAULT_HOLD = 30
OWN_HOLDS = "Right now each stretch has its own hold time."
REPS_NOT_HOLDS = "This stretch counts reps, so the new hold starts with the next timed stretch. Say next."


def _deliver(
    library: Library,
    state: State,
    index: int,
    *lead: str,
    routine: Routine | None = None,
    skipped: int | None = None,
) -> Reply:
    """Speak the step at ``index`` of ``routine`` (default: the current one) and move there.
    ``skipped``: stretches skipped so far in this run (default: as the place says, in the same
    routine), so the finish can say honestly how much was done."""
    routine = routine or library.routine(state.position.routine_id)
    if skipped is None:
        same = state.position is not None and state.position.routine_id == routine.id
        skipped = state.position.skipped if same else 0
    # The same step again (repeat, resume) doesn't repeat who should skip it.
    again = bool(state.position) and (state.position.routine_id, state.position.step) == (routine.id, index)
    out = speech(*repair_notes(state), *lead).extend(step_speech(routine, index, state.hold, again=again))
    new_state = state.with_(position=Position(routine.id, index, skipped=skipped), offer=None, repairs=())
    # Only a changed place is worth a write: repeat and help leave storage alone.
    moved = ("position",) if new_state.position != state.position else ()
    step = steps_of(routine)[index]
    # Seconds from the start of the speech, so a screen's countdown runs with the voice.
    display = {
        "kind": "step",
        "routine": routine.id,
        "step": index,
        "hold": moves.hold_for(step.stretch, state.hold),
        "timer_starts": round(out.marks["hold_start"], 1),
        "timer_ends": round(out.marks["hold_end"], 1),
    }
    if "rest_start" in out.marks:  # the rest between sets, for the screen's countdown
        marks = out.marks
        display |= {"rest_starts": round(marks["rest_start"], 1), "rest_ends": round(marks["rest_end"], 1)}
    return Reply(out, new_state, reprompt=STEP_REPROMPT, events=moved, display=display)


def _no_routine(library: Library, state: State, lead: str) -> Reply:
    prompt = choose_prompt(library)
    return Reply(speech(lead, routine_menu(library), prompt), state, reprompt=prompt)


def speakable(heard: str | None) -> bool:
    """Only a short, plain phrase is said back: anything else could be junk or far too long."""
    return bool(heard) and len(heard) <= 60 and all(c.isalnum() or c in " '-." for c in heard)


def start(library: Library, state: State, routine_id: str | None, heard: str | None) -> Reply:
    routine = library.routine(routine_id)
    if routine is None:
        lead = f"I don't have a routine called {heard}." if speakable(heard) else "Sure."
        return _no_routine(library, state, lead)
    count = len(routine.stretches)
    minutes = routine_minutes(routine, state.hold)
    intro = (
        f"Let's do {routine.name}: {number_word(count)} stretches, about {number_word(minutes)} minutes. "
        f"{routine.summary} {INTERRUPT_NOTE}"
    )
    return _deliver(library, state, 0, intro, routine=routine, skipped=0)


def next_step(library: Library, state: State) -> Reply:
    if not state.position and state.offer:  # "next" after "would you like to do X next?"
        return answer_offer(library, state, accepted=True)
    if not state.position:
        return _no_routine(library, state, "We haven't started a routine yet.")
    routine = library.routine(state.position.routine_id)
    following = moves.next_index(routine, state.position.step)
    if following is None:
        return finish(library, state, routine)
    return _deliver(library, state, following)


def previous_step(library: Library, state: State) -> Reply:
    if not state.position:
        # Alexa hears a bare "back" as AMAZON.PreviousIntent; with no routine to go back
        # in, the person was naming the back routine.
        routine = routine_called(library, "back")
        if routine and not open_question(state):
            return start(library, state, routine.id, "back")
        return _no_routine(
            library, state, "We haven't started a routine yet, so there's nothing to go back to."
        )
    earlier = moves.previous_index(state.position.step)
    if earlier is None:
        prompt = "Say repeat to do it again, or next to move on."
        return Reply(
            speech("This is the first stretch, so there's nothing before it.", prompt), state, reprompt=prompt
        )
    return _deliver(library, state, earlier, "Going back.")


def repeat_step(library: Library, state: State) -> Reply:
    if open_question(state):  # "repeat" while a yes/no question is open: the question again
        return ask_again(library, Reply(Speech(), state))
    if not state.position:
        return _no_routine(library, state, "There's nothing to repeat yet.")
    return _deliver(library, state, state.position.step, "Once more.")


def skip_stretch(library: Library, state: State) -> Reply:
    if not state.position:
        return _no_routine(library, state, "There's nothing to skip yet.")
    routine = library.routine(state.position.routine_id)
    following = moves.next_stretch_index(routine, state.position.step)
    skipped = state.position.skipped + 1
    if following is None:
        return finish(library, state, routine, skipped=skipped)
    return _deliver(library, state, following, "Skipping that one.", skipped=skipped)


def start_over(library: Library, state: State) -> Reply:
    if not state.position:
        return _no_routine(library, state, "There's no routine to start over yet.")
    return _deliver(library, state, 0, "Starting from the top.", skipped=0)


def pause(library: Library, state: State) -> Reply:
    """The device closes the session a few seconds after this reply, so the way back is said as
    the person will need it: with the invocation name."""
    if not state.position:
        return _no_routine(library, state, "There's nothing to pause.")
    routine = library.routine(state.position.routine_id)
    step = steps_of(routine)[state.position.step]
    paused = replace(state.position, paused=True)
    where = exact_place(routine, step)
    out = speech(f"Paused at {where}.", PAUSE_PROMPT)
    changed = ("position",) if paused != state.position else ()
    display = {"kind": "paused", "routine": routine.id, "step": state.position.step}
    return Reply(out, state.with_(position=paused), reprompt=PAUSE_REPROMPT, events=changed, display=display)


def resume(library: Library, state: State) -> Reply:
    """Back to the exact step (side and set) the place names."""
    if not state.position:
        return _no_routine(library, state, "There's nothing paused to resume.")
    lead = "Carrying on." if state.position.paused else "We weren't paused, so here's where we are."
    return _deliver(library, state, state.position.step, lead)


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))


def minutes_of(seconds: float) -> str:
    """ "about four minutes": whole minutes, never "zero"."""
    minutes = _minutes(seconds)
    return "about one minute" if minutes == 1 else f"about {number_word(minutes)} minutes"


def seconds_from(library: Library, routine: Routine, first: int, hold: int | None) -> float:
    """How long the steps from ``first`` to the end take as spoken (holds and set-ups)."""
    return sum(step_speech(routine, i, hold).estimated_seconds for i in range(first, len(steps_of(routine))))


def how_many_left(library: Library, state: State) -> Reply:
    """Where we are, how many stretches are left and roughly how many minutes they take."""
    if not state.position:
        lengths = sorted(_minutes(seconds_from(library, r, 0, state.hold)) for r in library.routines)
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
    remaining = seconds_from(library, routine, first, state.hold)
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
        return _no_routine(library, state, "Start a routine and I'll tell you about each stretch as we go.")
    stretch = steps_of(library.routine(state.position.routine_id))[state.position.step].stretch
    skip = spoken_list(list(stretch.skip_if), "or")
    text = f"The {stretch.name}. {stretch.purpose} {feel_sentence(stretch.feel)} Skip it if {skip}."
    prompt = step_prompt(state)
    return Reply(speech(text, prompt), state, reprompt=prompt)


def finish(library: Library, state: State, routine: Routine, *, skipped: int | None = None) -> Reply:
    """The end of a routine. Praise only what was done: when most stretches were skipped
    (``skipped``, else the count the place carries) it says so, offers the quick version
    instead, and does not count as a completed routine."""
    skipped = skipped if skipped is not None else (state.position.skipped if state.position else 0)
    done = len(routine.stretches) - skipped
    if skipped and done < len(routine.stretches) / 2:
        offer = library.variant(routine.id, "quick") or routine
        ending = "That's the end of" if done else "We've reached the end of"
        lines = [f"{ending} {routine.name}, though we skipped most of it."]
        events: tuple[str, ...] = ("position", f"avoided:{routine.id}")  # the plan suggests others
    else:
        offer = suggestion(library, routine)
        lines = [f"Well done! You've finished {routine.name}."]
        events = (f"completed:{routine.id}", "position")
    out = speech(*lines, f"Would you like to do {offer.name} next?")
    new_state = state.with_(position=None, offer=offer.id)
    prompt = f"Would you like to do {offer.name}? Say yes, or name another routine."
    # A finished routine shows the week (the skill adds the days and goal from progress).
    display = {"kind": "progress", "routine": routine.id} if events[0].startswith("completed:") else None
    return Reply(out, new_state, reprompt=prompt, events=events, asks="offer", display=display)


def suggestion(library: Library, routine: Routine) -> Routine:
    """The routine to offer after ``routine``: the next one in the list; after a routine done
    entirely off the floor, that one's no-floor version, so "yes" doesn't start a floor stretch."""
    base = library.routine(routine.base) if routine.base else routine
    names = [r.id for r in library.routines]
    following = library.routines[(names.index(base.id) + 1) % len(names)] if base.id in names else base
    movement = library.movement
    on_floor = movement is not None and any(
        movement.places[s.position].group == "floor" for s in routine.stretches
    )
    if not on_floor and following.id != base.id:
        return library.variant(following.id, "no_floor") or following
    return following


def answer_offer(library: Library, state: State, accepted: bool) -> Reply:
    if accepted and state.offer:
        return start(library, state.with_(offer=None), state.offer, None)
    if state.offer:
        return Reply(speech("Okay. Nice work today. Goodbye."), state.with_(offer=None), end_session=True)
    prompt = step_prompt(state) if state.position else choose_prompt(library)
    return Reply(speech("I'm not sure what that answers.", prompt), state, reprompt=prompt)


# --- what people say around the steps ------------------------------------------------------

OFF_THE_FLOOR = "desk_reset"  # the routine done in a chair and standing: offered for "not the floor"
NOT_YET_EASIER = "There isn't an easier version of this one yet, so go only as far as feels comfortable."
SLOWER = "I can't talk more slowly yet, but you can say pause at any time, or hold for 60 seconds."


def routine_called(library: Library, words: str) -> Routine | None:
    """The routine whose name or synonym is exactly ``words``."""
    words = words.lower()
    return next((r for r in library.routines if words == r.name.lower() or words in r.synonyms), None)


def _asked_again(library: Library, state: State) -> Reply:
    """ "Okay" or "done" while a yes/no question is open: never an answer, the question again."""
    return ask_again(library, Reply(speech("Please answer yes or no."), state))


def go_on(library: Library, state: State) -> Reply:
    """ "Okay", "alright", "ready": the natural go on. To "would you like to do X next?" it is
    a yes; to any other open question it is no answer, so the question comes again."""
    if state.offer and not state.pending:
        return answer_offer(library, state, accepted=True)
    if open_question(state):
        return _asked_again(library, state)
    if not state.position:
        return _no_routine(library, state, "Okay.")
    if state.position.paused:
        return resume(library, state)
    return next_step(library, state)


def done(library: Library, state: State) -> Reply:
    """ "Done", "finished": on to the next step; at the last one the routine is finished;
    with no routine (after one) it means goodbye."""
    if state.pending and open_question(state):
        return _asked_again(library, state)
    if not state.position:
        return goodbye(library, state)
    return go_on(library, state)


def which_side(library: Library, state: State) -> Reply:
    if not state.position:
        return _no_routine(library, state, "We haven't started a routine yet.")
    step = steps_of(library.routine(state.position.routine_id))[state.position.step]
    if step.side == "both":
        text = f"The {step.stretch.name} works both sides at once."
    else:
        text = f"You're on the {step.side} side of the {step.stretch.name}."
    prompt = step_prompt(state)
    return Reply(speech(text, prompt), state, reprompt=prompt)


def whats_next(library: Library, state: State) -> Reply:
    """The next step's name, without moving there."""
    if not state.position:
        if open_question(state):
            return ask_again(library, Reply(Speech(), state))
        return _no_routine(library, state, "We haven't started a routine yet.")
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


def easier(library: Library, state: State) -> Reply:
    """ "That's too hard", "I can't get down on the floor": an honest answer, nothing skipped."""
    chair = library.routine(OFF_THE_FLOOR)
    if not state.position:
        lead = "Every routine goes gently, and you only go as far as feels comfortable."
        if chair:
            lead += f" {chair.name} is done in a chair and standing: say start {chair.name.lower()}."
        prompt = choose_prompt(library)
        return Reply(speech(lead, prompt), state, reprompt=prompt)
    text = [NOT_YET_EASIER, "You can also say skip this one."]
    if chair and state.position.routine_id != chair.id:
        text.append(f"If the floor is hard for you, {chair.name} is done in a chair and standing.")
    prompt = step_prompt(state)
    return Reply(speech(*text, prompt), state, reprompt=prompt)


def slower(library: Library, state: State) -> Reply:
    prompt = step_prompt(state) if state.position else choose_prompt(library)
    return ask_again(library, Reply(speech(SLOWER, prompt), state, reprompt=prompt))
