"""What Limber says about the weekly goal, and the one-time offer of a reminder.

The goal is said back every time it is set ("your goal is three days a week"), and a
number outside 1-7 is clamped and said so. The reminder is offered once ever, after a
finished routine; the profile keeps only that it was offered, so "no" is never asked again.
"""

from __future__ import annotations

from limber.core.content import Library
from limber.core.plan.goal import GOAL_RANGE, clamp_goal, goal_progress
from limber.core.reply import Reply
from limber.core.ssml import speech
from limber.core.state import State
from limber.core.timing import number_word

GOAL_EXAMPLE = "For example, say: three days a week."
REMINDER_QUESTION = "Would you like a reminder to stretch at this time every day?"
COME_BACK = "To stretch again, just say, Alexa, open limber coach."


def _days(goal: int) -> str:
    if goal == GOAL_RANGE[1]:
        return "every day"
    return "one day a week" if goal == 1 else f"{number_word(goal)} days a week"


def _carry_on(library: Library, state: State) -> str:
    from limber.core.coaching import carry_on_prompt  # coaching imports the menu; keep plan light

    return carry_on_prompt(library, state)


def goal_set(library: Library, state: State, wanted: int | None, days_this_week: int) -> Reply:
    """ "I want to stretch three times a week": the goal, said back, against this week."""
    state = state.with_(pending=None, offer=None)
    if wanted is None:
        question = f"How many days a week would you like to stretch? {GOAL_EXAMPLE}"
        return Reply(speech(question), state, reprompt=question)
    goal = clamp_goal(wanted)
    out = speech()
    if goal != wanted:
        low, high = (number_word(n) for n in GOAL_RANGE)
        out.say(f"I can set a goal from {low} to {high} days a week, so I've made it {_days(goal)}.")
    else:
        out.say(f"Okay, your goal is {_days(goal)}.")
    out.say(goal_progress(goal, days_this_week))
    prompt = _carry_on(library, state)
    return Reply(out.say(prompt), state, reprompt=prompt, events=(f"goal:{goal}",))


def offer_reminder(library: Library, reply: Reply, routine_id: str) -> Reply:
    """A finished routine's reply, asking once ever about a reminder instead of offering
    the next routine (one question at a time)."""
    routine = library.routine(routine_id)
    name = routine.name if routine else "your routine"
    out = speech(f"Well done! You've finished {name}.", REMINDER_QUESTION)
    return Reply(
        out,
        reply.state.with_(offer=None, pending="reminder"),
        reprompt=f"{REMINDER_QUESTION} Say yes or no.",
        events=(*reply.events, "reminder_offered"),
        display=reply.display,
        card=reply.card,
        asks="reminder",
    )


def reminder_declined(state: State) -> Reply:
    text = "Okay, no reminder, and I won't ask again. Nice work today."
    return Reply(speech(text, COME_BACK), state.with_(pending=None, offer=None), end_session=True)
