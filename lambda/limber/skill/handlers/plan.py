"""Handlers for the weekly plan: setting a goal, and the answer to the one-time offer of
a reminder (yes sets it through the reminders flow, with its permission prompt)."""

from __future__ import annotations

from datetime import datetime

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import get_intent_name, is_intent_name

from limber.core import plan, questions
from limber.core import reminders as words
from limber.core.plan import GOAL_RANGE
from limber.core.progress import stats
from limber.core.reminders.schedule import DAYS, Schedule
from limber.core.reply import Reply
from limber.core.ssml import speech
from limber.skill import progress
from limber.skill import reminders as api
from limber.skill.handlers import reminders as reminder_flow
from limber.skill.handlers.base import intent_turn
from limber.skill.render import render
from limber.skill.timezone import local_today, time_zone
from limber.skill.turn import STATE_KEY, library, number_slot, state_of

ANSWERS = ("AMAZON.YesIntent", "AMAZON.NoIntent", "NotSureIntent")
ROUND_TO_MINUTES = 15  # "at this time": 6:52 PM is said and set as 7 PM


def _goal_reply(hi, wanted):
    figures = stats(progress.load(hi), local_today(hi))
    return plan.goal_set(library(), state_of(hi), wanted, figures.days_this_week)


@intent_turn("SetGoalIntent")
def set_goal(hi):
    return _goal_reply(hi, number_slot(hi, "count"))


@intent_turn("DailyGoalIntent")
def daily_goal(hi):
    return _goal_reply(hi, GOAL_RANGE[1])


def this_time(hi) -> Schedule | None:
    """Every day at the person's local time now, to the nearest quarter hour; None when
    their time zone is unknown (a UTC hour would ring at the wrong time for them)."""
    from zoneinfo import ZoneInfo

    zone = time_zone(hi)
    if zone is None:
        return None
    now = datetime.now(ZoneInfo(zone))
    minutes = round((now.hour * 60 + now.minute) / ROUND_TO_MINUTES) * ROUND_TO_MINUTES % (24 * 60)
    return Schedule(DAYS, minutes // 60, minutes % 60)


class ReminderAnswer(AbstractRequestHandler):
    """Yes, no or not sure to "Would you like a reminder to stretch at this time every day?"."""

    name = "reminder_answer"

    def can_handle(self, handler_input):
        return any(is_intent_name(n)(handler_input) for n in ANSWERS) and (
            state_of(handler_input).pending == "reminder"
        )

    def handle(self, handler_input):
        state, said = state_of(handler_input), get_intent_name(handler_input)
        if said == "NotSureIntent":
            again = questions.ask_again(library(), Reply(speech("Please answer yes or no."), state))
            return render(handler_input, again)
        if said == "AMAZON.NoIntent":
            return render(handler_input, plan.reminder_declined(state))
        schedule = this_time(handler_input)
        if schedule is None:
            return render(handler_input, words.ask_for_time(state.with_(pending=None)))
        # The reminders flow reads the session state: the question is answered now.
        handler_input.attributes_manager.request_attributes[STATE_KEY] = state.with_(pending=None)
        if not api.has_permission(handler_input):
            return reminder_flow._ask_permission(handler_input, schedule)
        return reminder_flow._create(handler_input, schedule)


HANDLERS = [ReminderAnswer(), set_goal, daily_goal]
