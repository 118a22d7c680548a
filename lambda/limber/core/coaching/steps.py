"""Moving through a routine: next, back, repeat, skip, start over, and the natural "okay"."""

from __future__ import annotations

from limber.core import routine as moves
from limber.core.coaching.deliver import deliver, no_routine
from limber.core.coaching.session import answer_offer, finish, resume, start
from limber.core.content import Library, Routine
from limber.core.menu import goodbye
from limber.core.questions import ask_again, open_question
from limber.core.reply import Reply
from limber.core.ssml import Speech, speech
from limber.core.state import State


def next_step(library: Library, state: State) -> Reply:
    if not state.position and state.offer:  # "next" after "would you like to do X next?"
        return answer_offer(library, state, accepted=True)
    if not state.position:
        return no_routine(library, state, "We haven't started a routine yet.")
    if state.pending == "off_floor":  # "next" to "keep to versions off the floor?": not saved, on
        return advance(library, state.with_(pending=None))
    return advance(library, state)


def advance(library: Library, state: State, *lead: str) -> Reply:
    """On to the next step after ``lead`` (or the finish, after the last one)."""
    routine = library.routine(state.position.routine_id)
    following = moves.next_index(routine, state.position.step)
    if following is None:
        reply = finish(library, state, routine)
        reply.speech = speech(*lead).extend(reply.speech)
        return reply
    return deliver(library, state, following, *lead)


def previous_step(library: Library, state: State) -> Reply:
    if not state.position:
        # Alexa hears a bare "back" as AMAZON.PreviousIntent; with no routine to go back
        # in, the person was naming the back routine.
        routine = routine_called(library, "back")
        if routine and not open_question(state):
            return start(library, state, routine.id, "back")
        return no_routine(
            library, state, "We haven't started a routine yet, so there's nothing to go back to."
        )
    earlier = moves.previous_index(state.position.step)
    if earlier is None:
        prompt = "Say repeat to do it again, or next to move on."
        return Reply(
            speech("This is the first stretch, so there's nothing before it.", prompt), state, reprompt=prompt
        )
    return deliver(library, state, earlier, "Going back.")


def repeat_step(library: Library, state: State) -> Reply:
    if open_question(state):  # "repeat" while a yes/no question is open: the question again
        return ask_again(library, Reply(Speech(), state))
    if not state.position:
        return no_routine(library, state, "There's nothing to repeat yet.")
    return deliver(library, state, state.position.step, "Once more.")


def skip_stretch(library: Library, state: State) -> Reply:
    if not state.position:
        return no_routine(library, state, "There's nothing to skip yet.")
    routine = library.routine(state.position.routine_id)
    following = moves.next_stretch_index(routine, state.position.step)
    skipped = state.position.skipped + 1
    if following is None:
        return finish(library, state, routine, skipped=skipped)
    return deliver(library, state, following, "Skipping that one.", skipped=skipped)


def start_over(library: Library, state: State) -> Reply:
    if not state.position:
        return no_routine(library, state, "There's no routine to start over yet.")
    return deliver(library, state, 0, "Starting from the top.", skipped=0)


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
    if state.pending == "off_floor" and state.position:  # a choice for later: "okay" goes on
        return next_step(library, state)
    if open_question(state):
        return _asked_again(library, state)
    if not state.position:
        return no_routine(library, state, "Okay.")
    if state.position.paused:
        return resume(library, state)
    return next_step(library, state)


def done(library: Library, state: State) -> Reply:
    """ "Done", "finished": on to the next step; at the last one the routine is finished;
    with no routine (after one) it means goodbye."""
    if state.pending and open_question(state) and state.pending != "off_floor":
        return _asked_again(library, state)
    if not state.position:
        return goodbye(library, state)
    return go_on(library, state)
