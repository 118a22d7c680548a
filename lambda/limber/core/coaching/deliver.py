"""Speaking one step and moving there: every step a person hears is built here.

One place decides what a step sounds like for this person (the full set-up the first times
they meet a stretch, a short cue once it is familiar; slower if they asked; one line about
back pain in one long hold of a run) and what it changes: the place, and that the stretch
was met, so the next run knows it (``met:<stretch id>``, stored as a count, never why).
"""

from __future__ import annotations

from limber.core import pain_education
from limber.core import routine as moves
from limber.core.content import Library, Routine
from limber.core.menu import choose_prompt, repair_notes, routine_menu
from limber.core.reply import Reply
from limber.core.routine import Position, steps_of
from limber.core.ssml import Speech, speech
from limber.core.state import State
from limber.core.step_speech import (
    hold_line_step,
    is_first_time,
    step_reprompt,
    step_speech,
    variant_speech,
)

INTERRUPT_NOTE = "While I'm talking, you can say Alexa, stop, or Alexa, that hurts, at any moment."
STEP_REPROMPT = "Say next to carry on, repeat to do that one again, or stop to finish for now."
PAUSED_PROMPT = "Say resume to carry on, or stop to finish for now."


def step_prompt(state: State) -> str:
    """What to say next in a routine: "next" moves on, so a paused place asks for resume."""
    return PAUSED_PROMPT if state.position and state.position.paused else STEP_REPROMPT


def carry_on_prompt(library: Library, state: State) -> str:
    """What to say next, in a routine or at the menu."""
    return step_prompt(state) if state.position else choose_prompt(library)


def no_routine(library: Library, state: State, lead: str) -> Reply:
    prompt = choose_prompt(library)
    return Reply(speech(lead, routine_menu(library), prompt), state, reprompt=prompt)


def knows_all(state: State, routine: Routine) -> bool:
    return all(s.id in state.familiar for s in routine.stretches)


def hold_line(state: State, routine: Routine, index: int) -> str | None:
    """The run's one line of pain education, in its first long hold after the opening
    stretch, while the routine is still new to the person (returning people have heard them)."""
    if knows_all(state, routine) or index != hold_line_step(routine, state.hold):
        return None
    lines = pain_education.hold_lines()
    return lines[(routine.order - 1) % len(lines)] if lines else None  # orders count from one


def deliver(
    library: Library,
    state: State,
    index: int,
    *lead: str,
    routine: Routine | None = None,
    skipped: int | None = None,
    full: bool = False,
    said: Speech | None = None,
    question: tuple[str, str] | None = None,
) -> Reply:
    """Speak the step at ``index`` of ``routine`` (default: the current one) and move there.

    ``skipped``: stretches skipped so far in this run (default: as the place says, in the same
    routine), so the finish can say honestly how much was done. ``full``: the whole set-up
    even for a familiar stretch ("how do I do this"). ``said``: this step done another way (an
    easier version). ``question``: (name, words) of a yes/no question asked after the step.
    """
    routine = routine or library.routine(state.position.routine_id)
    same = state.position is not None and state.position.routine_id == routine.id
    if skipped is None:
        skipped = state.position.skipped if same else 0
    # The same step again (repeat, resume) doesn't repeat who should skip it.
    again = same and state.position.step == index
    step = steps_of(routine)[index]
    if said is None and not full and state.easier_for == step.stretch.id:  # too hard: both sides easier
        said = variant_speech(routine, index, state.hold, "easier")
    if said is None:
        said = step_speech(
            routine,
            index,
            state.hold,
            again=again or full,
            slower=state.slower,
            familiar=step.stretch.id in state.familiar,
            brief=state.brief,
            full=full,
            hold_line=None if again else hold_line(state, routine, index),
        )
    # The microphone is closed while a step plays: how to interrupt it is said before the
    # first step of every session (a start says it in its introduction).
    told = state.interrupt_told or any(INTERRUPT_NOTE in line for line in lead)
    notes = () if told else (INTERRUPT_NOTE,)
    out = speech(*repair_notes(state), *lead, *notes).extend(said)
    pending, asks, reprompt = state.pending, None, step_reprompt(routine, index)
    if question:
        pending, words = question
        out.say(words)
        asks, reprompt = pending, words
    new_state = state.with_(
        position=Position(routine.id, index, skipped=skipped),
        offer=None,
        pending=pending,
        repairs=(),
        interrupt_told=True,
    )
    # Only a changed place is worth a write: repeat and help leave storage alone.
    events: list[str] = ["position"] if new_state.position != state.position else []
    forward = not same or index > state.position.step
    if is_first_time(step) and forward:
        events.append(f"met:{step.stretch.id}")
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
    return Reply(out, new_state, reprompt=reprompt, events=tuple(events), display=display, asks=asks)
