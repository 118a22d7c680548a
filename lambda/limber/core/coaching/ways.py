"""A way for every body: an easier version, a version off the floor, slower speech, and the
whole set-up on request. Choices that should last ("slower", "off the floor") go into the
state and, through the "preferences" event, into saved progress: which choice, never why.
"""

from __future__ import annotations

from limber.core.coaching.deliver import carry_on_prompt, deliver, no_routine, step_prompt
from limber.core.coaching.session import moved_on
from limber.core.coaching.steps import advance
from limber.core.content import Library
from limber.core.menu import choose_prompt
from limber.core.questions import OFF_FLOOR_QUESTION, YES_OR_NO, ask_again
from limber.core.reply import Reply
from limber.core.routine import steps_of
from limber.core.ssml import speech
from limber.core.state import State
from limber.core.step_speech import same_place, variant_speech

NOT_YET_EASIER = "There isn't an easier version of this one, so go only as far as feels comfortable."
KEEP_OFF_FLOOR = f"{OFF_FLOOR_QUESTION} {YES_OR_NO}"
FLOOR_BACK = "To use the floor ones again, say, Alexa, ask limber coach for floor stretches."
OFF_FLOOR_LEAD = "Here's a version off the floor."
# The chair stretches say to skip them if the chair rolls: a wheelchair with its brakes on
# doesn't. The versions off the floor have standing stretches too: there is no seated-only one.
IN_A_WHEELCHAIR = "Put your brakes on, and when a standing stretch comes, say skip this one."
OFF_FLOOR_ALREADY = (
    "This routine is already done in a chair and standing. If standing is hard for you, "
    "say skip this one when a standing stretch comes."
)


def easier(library: Library, state: State) -> Reply:
    """ "That's too hard": this step again, the easier way content gives for it."""
    if not state.position:
        lead = "Every routine goes gently, and you only go as far as feels comfortable."
        lead += " If the floor is hard for you, say, I can't get down on the floor."
        prompt = choose_prompt(library)
        return Reply(speech(lead, prompt), state, reprompt=prompt)
    routine = library.routine(state.position.routine_id)
    said = variant_speech(routine, state.position.step, state.hold, "easier")
    if said is None:
        prompt = step_prompt(state)
        out = speech(NOT_YET_EASIER, "You can also say skip this one.", prompt)
        return Reply(out, state, reprompt=prompt)
    stretch = steps_of(routine)[state.position.step].stretch
    return deliver(library, state.with_(easier_for=stretch.id), state.position.step, said=said)


def off_floor(library: Library, state: State, finished: bool = False, *, wheelchair: bool = False) -> Reply:
    """ "I can't kneel", "I can't get down on the floor", "I'm in a wheelchair": the rest of the
    routine in its chair-and-standing version, starting with this stretch's alternative (the
    next one's, when this step had played through: ``finished``); then the offer to keep it
    that way (unless it is already the saved choice)."""
    ask = None if state.off_floor else ("off_floor", KEEP_OFF_FLOOR)
    chosen = state.with_(off_floor=True)
    if not state.position:
        if ask is None:
            prompt = choose_prompt(library)
            out = speech("Every routine is already off the floor for you.", prompt)
            return Reply(out, state, reprompt=prompt)
        text = "Okay. I'll do every routine in a chair or standing."
        if wheelchair:
            text += f" {IN_A_WHEELCHAIR}"
        return Reply(speech(text, KEEP_OFF_FLOOR), chosen.with_(pending="off_floor"),
                     reprompt=KEEP_OFF_FLOOR, asks="off_floor")
    routine = library.routine(state.position.routine_id)
    target = library.variant(routine.id, "no_floor")
    if target is None or target.id == routine.id:
        prompt = step_prompt(state)
        return Reply(speech(OFF_FLOOR_ALREADY, prompt), state, reprompt=prompt)
    here = moved_on(library, state.position, finished).step
    index = same_place(routine, here, target)
    steps = steps_of(target)
    if steps[index].stretch.id != steps_of(routine)[here].stretch.id:
        # Another stretch in its place: from its first side, with who should skip it.
        index = next(i for i, s in enumerate(steps) if s.stretch_number == steps[index].stretch_number)
    lead = f"{OFF_FLOOR_LEAD} {IN_A_WHEELCHAIR}" if wheelchair else OFF_FLOOR_LEAD
    return deliver(
        library, chosen, index, lead,
        routine=target, skipped=state.position.skipped, question=ask,
    )


def answer_off_floor(library: Library, state: State, said: str) -> Reply:
    """The answer to "shall I keep to versions off the floor next time too?"; then on."""
    state = state.with_(pending=None)
    if said == "yes":
        lead, events = f"Okay, I'll keep to them. {FLOOR_BACK}", ("preferences:off_floor",)
    else:
        lead, events = "Okay, just for today.", ()
    if state.position:
        reply = advance(library, state, lead)  # the lead inside the step: its timers shift with it
    else:
        prompt = choose_prompt(library)
        reply = Reply(speech(lead, prompt), state, reprompt=prompt)
    reply.events = (*reply.events, *events)
    return reply


def floor_again(library: Library, state: State) -> Reply:
    prompt = carry_on_prompt(library, state)
    if not state.off_floor:
        return Reply(speech("Okay. The floor stretches are in.", prompt), state, reprompt=prompt)
    text = "Okay. The floor stretches are back, from the next routine you start."
    return Reply(
        speech(text, prompt), state.with_(off_floor=False), reprompt=prompt, events=("preferences:off_floor",)
    )


def slower(library: Library, state: State) -> Reply:
    """ "Slower please": slower speech and more time between set-up lines, from now on."""
    if state.slower:
        text = "I'm already at my slowest. You can say Alexa, pause, at any time, or hold for sixty seconds."
        prompt = carry_on_prompt(library, state)
        return ask_again(library, Reply(speech(text, prompt), state, reprompt=prompt))
    prompt = "Say repeat to do this one again more slowly, or next to carry on." if state.position else (
        choose_prompt(library)
    )
    text = "Okay, I'll speak more slowly and leave more time, from now on."
    slowed = state.with_(slower=True)
    reply = Reply(speech(text, prompt), slowed, reprompt=prompt, events=("preferences:slower",))
    return ask_again(library, reply)


def faster(library: Library, state: State) -> Reply:
    prompt = carry_on_prompt(library, state)
    if not state.slower:
        return ask_again(library, Reply(speech("This is my usual pace.", prompt), state, reprompt=prompt))
    reply = Reply(speech("Okay, back to my usual pace.", prompt), state.with_(slower=False), reprompt=prompt,
                  events=("preferences:slower",))
    return ask_again(library, reply)


def full_setup(library: Library, state: State) -> Reply:
    """ "How do I do this", "tell me more": this step again with the whole set-up."""
    if not state.position:
        return no_routine(library, state, "Start a routine and I'll talk you through each stretch.")
    return deliver(library, state, state.position.step, "Here it is in full.", full=True)


def briefer(library: Library, state: State) -> Reply:
    """ "Less talking", "I know this one": short cues from now on. A stretch heard in this run
    counts as familiar next time too; one not yet heard still gets who should skip it and its
    safety line first (nobody can know those without hearing them once)."""
    if not state.position:
        prompt = choose_prompt(library)
        text = "Okay. Once you know a stretch, I keep it short: just its name and one key point."
        return Reply(speech(text, prompt), state, reprompt=prompt)
    routine = library.routine(state.position.routine_id)
    here = steps_of(routine)[state.position.step].stretch_number
    heard = [s.id for s in routine.stretches[:here]]
    prompt = step_prompt(state)
    text = "Okay, shorter from now on. Say how do I do this any time for the whole set-up."
    events = tuple(f"known:{sid}" for sid in heard if sid not in state.familiar)
    chosen = state.with_(brief=True, familiar=state.familiar | frozenset(heard))
    return Reply(speech(text, prompt), chosen, reprompt=prompt, events=events)


HARDER = (
    "For more of a stretch, make the holds longer: say, make the holds longer. "
    "Only ever go as far as a comfortable pull."
)


def harder(library: Library, state: State) -> Reply:
    """ "That's too easy": the honest way to do more, longer holds, never a push into pain."""
    prompt = carry_on_prompt(library, state)
    return ask_again(library, Reply(speech(HARDER, prompt), state, reprompt=prompt))
