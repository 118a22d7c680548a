"""Handlers for saved progress: the streak and forgetting everything."""

from __future__ import annotations

from limber.core import habits
from limber.core.progress import stats
from limber.skill import progress
from limber.skill.handlers.base import intent_turn
from limber.skill.timezone import local_today
from limber.skill.turn import library, state_of


@intent_turn("ProgressIntent")
def how_am_i_doing(hi):
    figures = stats(progress.load(hi), local_today(hi))
    goal = progress.load(hi).get("goal")
    return habits.progress_summary(library(), state_of(hi), *figures, goal=goal)


@intent_turn("DeleteMyDataIntent")
def delete_my_data(hi):
    return habits.ask_to_forget(library(), state_of(hi))


HANDLERS = [how_am_i_doing, delete_my_data]
