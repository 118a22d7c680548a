"""A weekly goal, what launch suggests today, and the one-time offer of a reminder: spoken,
through the skill's Lambda entry point with real envelopes and a real store (SQLite), the
reminders flow against the local HTTPS stand-in for Alexa's Reminders API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from limber.console.nlu import understand
from limber.core import coaching, progress
from limber.core.content import default_library
from limber.core.menu import DISCLAIMER
from limber.core.plan import REMINDER_QUESTION
from limber.core.state import State
from reminders_api import reminders_api
from stored_skill import key_of, stored

LIBRARY = default_library()
HEADING = re.compile(r"Stretch (\d+) of (\d+): ([^,.]+)")
CONSENT = {"consentToken": "consent-token-from-alexa"}


@pytest.fixture
def api(tmp_path, monkeypatch):
    with reminders_api(tmp_path, monkeypatch) as running:
        yield running


def allowing_reminders(stored_talk, api):
    """Someone on an Echo who has granted the reminders permission."""

    def person():
        talk_ = stored_talk(api_endpoint=api.url)
        handler = talk_.handler

        def with_permission(event, context):
            event["context"]["System"]["user"]["permissions"] = dict(CONSENT)
            return handler(event, context)

        talk_.handler = with_permission
        return talk_

    return person


def routine_id(name_heard: str) -> str:
    return next(r.id for r in LIBRARY.routines if name_heard in r.name)


def run_to_the_end(person, routine="desk") -> str:
    """Start a routine and say next until it is finished; the finishing words."""
    said = person.say("StartRoutineIntent", routine=routine)
    while "finished" not in said:
        assert HEADING.search(said), said
        said = person.say("AMAZON.NextIntent")
    return said


def words(text: str) -> int:
    return len(text.split())


# --- hearing the new phrases ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "intent", "count"),
    [
        ("I want to stretch three times a week", "SetGoalIntent", "3"),
        ("set my goal to 4 days a week", "SetGoalIntent", "4"),
        ("my goal is five times a week", "SetGoalIntent", "5"),
        ("I'd like to stretch two days a week", "SetGoalIntent", "2"),
        ("three days a week", "SetGoalIntent", "3"),
        ("set a weekly goal", "SetGoalIntent", None),
        ("I want to stretch every day", "DailyGoalIntent", None),
        ("my goal is every day", "DailyGoalIntent", None),
    ],
)
def test_goal_phrases_are_heard(said, intent, count):
    match = understand(said)
    assert match.intent == intent
    assert (match.slots.get("count") or {}).get("value") == count


@pytest.mark.parametrize("said", ["I want to stretch", "I want to stretch my hips", "how am I doing"])
def test_nearby_phrases_keep_their_own_intents(said):
    assert understand(said).intent not in ("SetGoalIntent", "DailyGoalIntent")


# --- the goal -------------------------------------------------------------------------------


def test_a_goal_is_said_back_stored_and_progress_answers_against_it(stored_talk, store):
    person = stored_talk()
    person.launch()
    said = person.say("SetGoalIntent", count="3")
    assert "your goal is three days a week" in said
    assert "zero of three days this week" in said and not person.ended
    assert stored(store, person)["goal"] == 3
    run_to_the_end(person)
    person.say("AMAZON.StopIntent")
    said = person.say("ProgressIntent")  # a one-shot "ask limber coach how am I doing"
    assert "one of three days this week" in said
    person.say("SetGoalIntent", count="1")
    assert "reached your goal of one this week" in person.say("ProgressIntent")


@pytest.mark.parametrize(
    ("count", "heard"), [("10", "every day"), ("0", "one day a week"), ("-2", "one day a week")]
)
def test_a_goal_out_of_range_is_clamped_and_said_so(stored_talk, store, count, heard):
    person = stored_talk()
    said = person.say("SetGoalIntent", count=count)
    assert "from one to seven days a week" in said and f"made it {heard}" in said
    assert stored(store, person)["goal"] == (7 if heard == "every day" else 1)


def test_every_day_is_a_goal_of_seven(stored_talk, store):
    person = stored_talk()
    assert "your goal is every day" in person.say("DailyGoalIntent")
    assert stored(store, person)["goal"] == 7


def test_without_a_number_it_asks_and_the_answer_sets_it(stored_talk, store):
    person = stored_talk()
    said = person.say("SetGoalIntent")
    assert "How many days a week" in said and not person.ended
    assert "goal" not in stored(store, person)
    assert "your goal is four days a week" in person.say("SetGoalIntent", count="4")


def test_a_goal_set_mid_routine_keeps_the_place(stored_talk, store):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="desk")
    place = stored(store, person)["position"]
    said = person.say("SetGoalIntent", count="2")
    assert "your goal is two days a week" in said and "Say next" in said
    assert stored(store, person)["position"] == place
    assert HEADING.search(person.say("AMAZON.NextIntent"))
    assert stored(store, person)["position"]["step"] == place["step"] + 1


def test_only_exercise_facts_are_stored(stored_talk, store):
    person = stored_talk()
    person.launch()
    person.say("SetGoalIntent", count="3")
    person.say("StartRoutineIntent", routine="hips")
    person.say("EasierIntent")  # "that's too hard"
    profile = stored(store, person)
    optional = {"goal", "goal_updated_at", "finished_at", "avoided_at", "reminder_offered", "met"}
    assert set(profile) - set(progress.new_profile()) - {"_version", "_repairs", "_basis"} <= optional
    assert list(profile["avoided_at"]) == [routine_id("Hip")]  # a routine id and a time, nothing else


# --- what launch suggests -------------------------------------------------------------------


def test_a_returning_welcome_suggests_a_routine_in_under_thirty_words_and_yes_starts_it(stored_talk):
    person = stored_talk()
    person.launch()
    run_to_the_end(person, "desk")
    person.say("AMAZON.NoIntent")
    welcome = person.launch()
    assert welcome.startswith("Welcome to Limber.") and "How about" in welcome
    assert "welcome back" not in welcome.lower()  # that greeting offers a saved place
    assert words(welcome) <= 30, welcome
    assert "Desk reset" not in welcome  # just done: another one, for variety
    suggested = next(r for r in LIBRARY.routines if r.name.lower() in welcome)
    started = person.say("AMAZON.YesIntent")
    assert HEADING.search(started).group(3) == suggested.stretches[0].name


def test_suggestions_rotate_and_count_down_the_goal(stored_talk):
    person = stored_talk()
    person.launch()
    person.say("SetGoalIntent", count="3")
    done = []
    for _ in range(2):
        person.end()
        welcome = person.launch()
        assert words(welcome) <= 30, welcome
        suggested = next(r for r in LIBRARY.routines if r.name.lower() in welcome)
        assert suggested.id not in done
        if not done:
            assert "Three to go this week" in welcome
        person.say("AMAZON.YesIntent")
        said = person.say("AMAZON.NextIntent")
        while "finished" not in said:
            said = person.say("AMAZON.NextIntent")
        done.append(suggested.id)
    person.end()
    welcome = person.launch()
    # Days count, not sessions: two routines today are one day of three (two if past midnight).
    assert "Two to go this week" in welcome or "One to go this week" in welcome
    assert not any(LIBRARY.routine(i).name.lower() in welcome for i in done)


def test_a_routine_found_too_hard_is_not_suggested(stored_talk):
    first = LIBRARY.routines[0]
    control = stored_talk()
    control.launch()
    control.say("AMAZON.StopIntent")
    assert first.name.lower() in control.launch()  # never done: the first is suggested
    person = stored_talk()
    person.launch()
    person.say("StartRoutineIntent", routine=first.synonyms[0])
    person.say("EasierIntent")
    person.say("AMAZON.StopIntent")
    person.launch()  # the saved place is offered first
    person.say("StartRoutineIntent", routine="desk")
    said = person.say("AMAZON.NextIntent")
    while "finished" not in said:
        said = person.say("AMAZON.NextIntent")
    person.end()
    welcome = person.launch()
    assert "How about" in welcome and first.name.lower() not in welcome


def test_a_mostly_skipped_finish_marks_the_routine_for_the_plan():
    routine = LIBRARY.routines[0]
    state = State()
    reply = coaching.finish(LIBRARY, state, routine, skipped=len(routine.stretches))
    assert f"avoided:{routine.id}" in reply.events
    assert not any(e.startswith("completed:") for e in reply.events)


def test_the_first_welcome_is_unchanged_no_suggestion(stored_talk):
    welcome = stored_talk().launch()
    assert DISCLAIMER in welcome and "How about" not in welcome


# --- the reminder, offered once ---------------------------------------------------------------


def test_someone_with_a_goal_is_offered_a_reminder_once_and_yes_sets_it(stored_talk, store, api):
    person = allowing_reminders(stored_talk, api)()
    person.launch()
    person.say("SetGoalIntent", count="3")
    finished = run_to_the_end(person)
    assert finished.endswith(REMINDER_QUESTION) and "next?" not in finished
    assert not person.ended and stored(store, person)["reminder_offered"] is True
    before = datetime.now(ZoneInfo(api.time_zone))
    said = person.say("AMAZON.YesIntent")
    after = datetime.now(ZoneInfo(api.time_zone))
    assert "I'll remind you to stretch every day at" in said and person.ended
    (body,) = api.reminders.values()
    rule = body["trigger"]["recurrence"]["recurrenceRules"][0]
    hour, minute = (int(x) for x in re.search(r"BYHOUR=(\d+);BYMINUTE=(\d+)", rule).groups())
    assert rule.startswith("FREQ=DAILY") and minute % 15 == 0
    rung = before.replace(hour=hour, minute=minute, second=0, microsecond=0)
    nearest = [rung + timedelta(days=d) for d in (-1, 0, 1)]
    assert any(before - timedelta(minutes=8) <= t <= after + timedelta(minutes=8) for t in nearest)
    # Never again: the next finish offers the next routine, as ever.
    again = run_to_the_end(person)
    assert "next?" in again and REMINDER_QUESTION not in again
    assert len(api.reminders) == 1


def test_no_is_remembered_and_never_asked_again(stored_talk, store, api):
    person = allowing_reminders(stored_talk, api)()
    person.say("SetGoalIntent", count="2")
    assert run_to_the_end(person).endswith(REMINDER_QUESTION)
    said = person.say("AMAZON.NoIntent")
    assert "won't ask again" in said and "limber coach" in said and person.ended
    assert not api.reminders
    assert REMINDER_QUESTION not in run_to_the_end(person)
    assert stored(store, person)["reminder_offered"] is True


def test_not_sure_and_help_ask_the_reminder_question_again(stored_talk, api):
    person = allowing_reminders(stored_talk, api)()
    person.say("SetGoalIntent", count="2")
    run_to_the_end(person)
    assert REMINDER_QUESTION in person.say("NotSureIntent") and not person.ended
    assert REMINDER_QUESTION in person.say("AMAZON.HelpIntent")
    assert "I'll remind you" in person.say("AMAZON.YesIntent")


def test_without_the_permission_yes_brings_alexas_own_prompt(stored_talk, api):
    person = stored_talk(api_endpoint=api.url)
    person.say("SetGoalIntent", count="2")
    run_to_the_end(person)
    person.say("AMAZON.YesIntent")
    (directive,) = person.last["response"]["directives"]
    assert directive["type"] == "Connections.SendRequest" and directive["name"] == "AskFor"
    assert directive["token"].startswith("limber-reminder:MO_TU_WE_TH_FR_SA_SU:")
    assert not api.reminders and "screen" not in person.attributes


def test_an_unknown_time_zone_asks_for_a_time_instead(stored_talk, api):
    api.time_zone = "Not/AZone"
    person = allowing_reminders(stored_talk, api)()
    person.say("SetGoalIntent", count="2")
    run_to_the_end(person)
    assert "What time should I remind you" in person.say("AMAZON.YesIntent")
    assert not api.reminders


def test_a_first_day_without_a_goal_is_not_asked(stored_talk, api):
    person = allowing_reminders(stored_talk, api)()
    finished = run_to_the_end(person)
    assert "next?" in finished and REMINDER_QUESTION not in finished


def test_a_finish_on_a_later_day_brings_the_offer(stored_talk, store, api):
    person = allowing_reminders(stored_talk, api)()
    run_to_the_end(person)
    person.say("AMAZON.NoIntent")
    key = key_of(person)
    attributes = store.load(key)
    yesterday = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    attributes["completions"] = [yesterday]
    attributes["_basis"] = None
    store.save(key, attributes)
    person.new_session()
    assert run_to_the_end(person).endswith(REMINDER_QUESTION)


def test_a_reminder_set_by_voice_means_it_is_never_offered(stored_talk, store, api):
    person = allowing_reminders(stored_talk, api)()
    person.say("SetGoalIntent", count="2")
    person.say("SetReminderIntent", time="08:00", days="every day")
    assert stored(store, person)["reminder_offered"] is True
    assert REMINDER_QUESTION not in run_to_the_end(person)
