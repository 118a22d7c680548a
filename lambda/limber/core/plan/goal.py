"""The weekly goal: how many days a week the person wants to stretch."""

from __future__ import annotations

from limber.core.timing import number_word

GOAL_RANGE = (1, 7)  # days of the week a routine can count on


def clamp_goal(count: int | None) -> int | None:
    """A goal the week can hold; None when no number was heard."""
    if count is None:
        return None
    return max(GOAL_RANGE[0], min(GOAL_RANGE[1], count))


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{number_word(n)} times")


def goal_progress(goal: int | None, days_this_week: int) -> str:
    """ "Two of three days this week." / "You've reached your goal of three this week." """
    if not goal:
        return ""
    if days_this_week >= goal:
        return f"You've reached your goal of {number_word(goal)} this week."
    return f"That's {number_word(days_this_week)} of {number_word(goal)} days this week."
