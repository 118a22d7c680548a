"""Turns about saved progress: welcome back, resume, the streak, forgetting everything."""

from __future__ import annotations

from dataclasses import replace

from limber.core import coaching
from limber.core.content import Library
from limber.core.menu import REPAIR_NOTES, choose_prompt, routine_menu
from limber.core.plan.goal import goal_progress
from limber.core.reply import Reply
from limber.core.routine import Position
from limber.core.ssml import speech
from limber.core.state import State, read_position
from limber.core.timing import number_word


def saved_place(library: Library, saved: Position | None) -> tuple[Position | None, str | None]:
    """The stored place as a paused session position, checked against the content, with
    what was wrong if it no longer fits ("routine": gone; "step": it starts from the top)."""
    if saved is None:
        return None, None
    raw = {"routine": saved.routine_id, "step": saved.step, "skipped": saved.skipped}
    position, problem = read_position(raw, library)
    if position is None:
        return None, problem or "routine"
    return replace(position, paused=True), problem


def resume_saved(library: Library, state: State, saved: Position | None) -> Reply:
    """Resume with nothing in the session: the stored place, repaired if it must be."""
    position, problem = saved_place(library, saved)
    state = state.with_(position=position, repairs=(problem,) if problem else ())
    if position is None and problem:
        reply = coaching.resume(library, state.with_(repairs=()))
        reply.speech = speech(REPAIR_NOTES[problem]).extend(reply.speech)
    else:
        reply = coaching.resume(library, state)
    if problem:  # write the repaired place back, so it is said once
        reply.events = (*reply.events, "position")
    return reply


def progress_summary(
    library: Library,
    state: State,
    days_this_week: int,
    streak: int,
    completed: int,
    *,
    goal: int | None = None,
) -> Reply:
    def days(n: int) -> str:
        return "one day" if n == 1 else f"{number_word(n)} days"

    if completed == 0 and days_this_week == 0:
        text = "You haven't finished a routine yet. Finish one today and your streak begins."
    else:
        streak_text = (
            f"Your streak is {days(streak)} in a row" if streak else "You have no streak running today"
        )
        routines = "one routine" if completed == 1 else f"{number_word(completed)} routines"
        text = (
            f"This week you've stretched on {days(days_this_week)}. {streak_text}, "
            f"and you've finished {routines} in all."
        )
    prompt = coaching.carry_on_prompt(library, state)
    return Reply(speech(text, goal_progress(goal, days_this_week), prompt), state, reprompt=prompt)


def ask_to_forget(library: Library, state: State) -> Reply:
    prompt = "Should I delete all your saved progress? Say yes or no."
    text = "I can forget everything I've saved for you: your place, your hold time and your streak."
    return Reply(
        speech(text, prompt), state.with_(pending="delete", offer=None), reprompt=prompt, asks="delete"
    )


def forgotten(library: Library, state: State, deleted: bool) -> Reply:
    if not deleted:
        prompt = "Please try again in a little while."
        return Reply(
            speech("I couldn't reach your saved progress just now, so nothing was deleted.", prompt),
            state.with_(pending=None),
            reprompt=prompt,
        )
    fresh = State()
    prompt = choose_prompt(library)
    text = "Done. I've deleted your saved progress and settings."
    return Reply(speech(text, routine_menu(library), prompt), fresh, reprompt=prompt)


def kept(library: Library, state: State) -> Reply:
    prompt = coaching.carry_on_prompt(library, state)
    return Reply(speech("Okay, I've kept everything.", prompt), state.with_(pending=None), reprompt=prompt)
