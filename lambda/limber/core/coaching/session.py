"""A run of a routine from start to finish: start, pause, resume, stop and the finish.

A step's reply holds its whole hold, and the microphone is closed while it plays, so when
someone pauses or stops the shell says whether the step had played through (``finished``:
the request came after the hold's end, by the time stamped when the step was sent). If it
had, the place moves on to the next step, so resuming never replays a side already done; if
the hold was cut short, it is done again. A session that ends mid-routine is decided the same
way by the shell (limber.skill.progress.keep_place_at_end).
"""

from __future__ import annotations

import re
from dataclasses import replace

from limber.core.coaching.deliver import (
    INTERRUPT_NOTE,
    carry_on_prompt,
    deliver,
    knows_all,
    no_routine,
)
from limber.core.content import Library, Routine
from limber.core.menu import goodbye
from limber.core.reply import Reply
from limber.core.routine import Position, next_index, steps_of
from limber.core.ssml import speech
from limber.core.state import State
from limber.core.step_speech import exact_place, routine_minutes
from limber.core.timing import number_word

# Who should skip a familiar stretch isn't said before it: this covers it, once, at the start.
KNOWN_SKIPS = (
    "As before, leave out any stretch that hurts or you've been told to avoid, "
    "and stop for sharp pain, tingling or dizziness."
)
# "a quick one", "quick hip flexors", "a short back routine": the routine's five-minute version.
QUICK = re.compile(r"\b(quick|quicker|short|shorter|five minutes?|5 minutes?|brief)\b")
PAUSE_PROMPT = "Say resume to carry on now, or later say, Alexa, ask limber coach to resume."
PAUSE_REPROMPT = "To carry on, say resume. Any time later, say, Alexa, ask limber coach to resume."


def speakable(heard: str | None) -> bool:
    """Only a short, plain phrase is said back: anything else could be junk or far too long."""
    return bool(heard) and len(heard) <= 60 and all(c.isalnum() or c in " '-." for c in heard)


def start(library: Library, state: State, routine_id: str | None, heard: str | None) -> Reply:
    routine = library.routine(routine_id)
    if routine is None:
        lead = f"I don't have a routine called {heard}." if speakable(heard) else "Sure."
        return no_routine(library, state, lead)
    if state.off_floor:  # the person chose chair and standing versions: never a floor one
        routine = library.variant(routine.id, "no_floor") or routine
    elif heard and routine.base is None and QUICK.search(heard.lower()):
        routine = library.variant(routine.id, "quick") or routine
    state = state.with_(easier_for=None)  # "too hard" was about that run's stretch
    count = len(routine.stretches)
    minutes = routine_minutes(routine, state.hold, familiar=state.familiar, slower=state.slower)
    length = f"{number_word(count)} stretches, about {number_word(minutes)} minutes."
    known = any(s.id in state.familiar for s in routine.stretches)
    if knows_all(state, routine):  # a returning person: the length and what they need, no summary
        intro = f"{routine.name}: {length} {KNOWN_SKIPS} {INTERRUPT_NOTE}"
    else:
        intro = f"Let's do {routine.name}: {length} {routine.summary}"
        intro += f" {KNOWN_SKIPS} {INTERRUPT_NOTE}" if known else f" {INTERRUPT_NOTE}"
    return deliver(library, state, 0, intro, routine=routine, skipped=0)


def moved_on(library: Library, position: Position, finished: bool) -> Position:
    """The place after a step that had played through (``finished``): the next step, or the
    same one when it was the last; otherwise the place as it is."""
    routine = library.routine(position.routine_id) if finished else None
    following = next_index(routine, position.step) if routine else None
    return replace(position, step=following) if following is not None else position


def pause(library: Library, state: State, finished: bool = False) -> Reply:
    """The device closes the session a few seconds after this reply, so the way back is said as
    the person will need it: with the invocation name."""
    if not state.position:
        return no_routine(library, state, "There's nothing to pause.")
    routine = library.routine(state.position.routine_id)
    place = moved_on(library, state.position, finished)
    paused = replace(place, paused=True)
    where = exact_place(routine, steps_of(routine)[paused.step])
    said = f"Paused. Next is {where}." if place != state.position else f"Paused at {where}."
    out = speech(said, PAUSE_PROMPT)
    changed = ("position",) if paused != state.position else ()
    display = {"kind": "paused", "routine": routine.id, "step": paused.step}
    return Reply(out, state.with_(position=paused), reprompt=PAUSE_REPROMPT, events=changed, display=display)


def stop(library: Library, state: State, finished: bool = False) -> Reply:
    """ "Stop" mid-routine: goodbye, with the place kept as paused (at the next step when this
    one had played through), so a later launch resumes exactly there."""
    if not state.position:
        return goodbye(library, state)
    place = replace(moved_on(library, state.position, finished), paused=True)
    reply = goodbye(library, state.with_(position=place))
    if place != state.position:
        reply.events = (*reply.events, "position")
    return reply


def resume(library: Library, state: State) -> Reply:
    """Back to the exact step (side and set) the place names."""
    if not state.position:
        return no_routine(library, state, "There's nothing paused to resume.")
    lead = "Carrying on." if state.position.paused else "We weren't paused, so here's where we are."
    return deliver(library, state, state.position.step, lead)


def finish(library: Library, state: State, routine: Routine, *, skipped: int | None = None) -> Reply:
    """The end of a routine. Praise only what was done: when most stretches were skipped
    (``skipped``, else the count the place carries) it says so, offers the quick version
    instead, and does not count as a completed routine."""
    skipped = skipped if skipped is not None else (state.position.skipped if state.position else 0)
    done = len(routine.stretches) - skipped
    if skipped and done < len(routine.stretches) / 2:
        off_floor = state.off_floor or routine.id.endswith("_no_floor")
        # The quick version, unless the floor is out: it has floor stretches
        offer = suggestion(library, routine) if off_floor else library.variant(routine.id, "quick") or routine
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
    prompt = carry_on_prompt(library, state)
    return Reply(speech("I'm not sure what that answers.", prompt), state, reprompt=prompt)
