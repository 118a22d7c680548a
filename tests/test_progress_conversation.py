"""Saved progress, spoken: resume, streaks, deleting, and storage that fails mid-session.

The skill is the real one, composed with a real store (SQLite here; DynamoDB in
test_storage_faults.py), driven with real envelopes through the Lambda entry point.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import is_intent_name
from ask_sdk_runtime.dispatch_components import GenericRequestHandlerChain

from alexa import Conversation
from limber.core import progress, screening
from limber.core.reply import Card, Reply
from limber.core.ssml import speech
from limber.core.timing import TEN_SECONDS_LEFT
from limber.skill.builder import build_skill
from limber.skill.entry import handle_event
from limber.skill.render import render
from limber.skill.turn import state_of
from limber.storage.sqlite import SqliteAdapter
from settings_api import settings_api
from stored_skill import key_of

DISCLAIMED = "not a substitute for professional medical advice"  # the once-ever disclaimer

HEADING = re.compile(r"Stretch (\d+) of (\d+): ([^,.]+)(?:, (left side|right side))?\.")


def test_resume_tomorrow_restores_routine_step_side_and_hold(stored_talk, store):
    person = stored_talk()
    person.launch()
    person.say("StartRoutineIntent", routine="hips")
    person.say("SetHoldTimeIntent", seconds="45")
    for _ in range(4):
        said = person.say("AMAZON.NextIntent")
    where = HEADING.search(said).groups()
    person.say("AMAZON.StopIntent")

    welcome = person.launch()
    assert welcome.startswith(
        f"Welcome back. You stopped at stretch {where[0]} of {where[1]} of Hip flexors"
        + (f", {where[3]}." if where[3] else ".")
    )
    assert "Say resume to carry on" in welcome and DISCLAIMED not in welcome
    resumed = person.say("AMAZON.ResumeIntent")
    assert HEADING.search(resumed).groups() == where
    assert "Holds are" not in resumed
    person.say("AMAZON.StopIntent")
    # A one-shot "ask limber coach to resume" works the same without a launch.
    assert HEADING.search(person.say("AMAZON.ResumeIntent")).groups() == where
    assert store.load(key_of(person))["hold_seconds"] == 45


def held_seconds(ssml: str) -> float:
    """Silence plus words at Alexa's rate between "Starting now." and "Release."."""
    timed = re.search(r"Starting now\.(.*?)Release\.", ssml, re.S).group(1)
    silence = sum(int(ms) for ms in re.findall(r'time="(\d+)ms"', timed)) / 1000
    return silence + len(re.sub(r"<[^>]+>", " ", timed).split()) / 2.5


def test_the_hold_preference_is_used_in_the_next_session(stored_talk):
    person = stored_talk()
    person.say("SetHoldTimeIntent", seconds="20")
    person.say("AMAZON.StopIntent")
    person.say("StartRoutineIntent", routine="low back")  # a new session
    while not any(cue in person.last["response"]["outputSpeech"]["ssml"] for cue in TEN_SECONDS_LEFT):
        person.say("SkipStretchIntent")  # to the first timed hold
    assert held_seconds(person.last["response"]["outputSpeech"]["ssml"]) == pytest.approx(20, rel=0.1)


def stop_at_step_two_aged(person, store, days: int) -> None:
    """Do a step of Desk reset and stop; then make that place ``days`` old in the store."""
    person.say("StartRoutineIntent", routine="desk")
    person.say("AMAZON.NextIntent")
    person.say("AMAZON.StopIntent")
    key = key_of(person)
    attributes = store.load(key)
    stamp = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    attributes["position"]["updated"] = stamp
    attributes["_basis"] = None
    store.save(key, attributes)


def test_progress_older_than_a_week_offers_to_start_over(stored_talk, store):
    person = stored_talk()
    stop_at_step_two_aged(person, store, days=8)

    welcome = person.launch()
    assert "over a week ago" in welcome and "start Desk reset over" in welcome
    assert HEADING.search(person.say("AMAZON.YesIntent")).group(1) == "1"


def test_a_saved_place_in_a_removed_routine_is_reset_with_a_sentence(stored_talk, store):
    person = stored_talk()
    person.launch()
    key = key_of(person)
    attributes = store.load(key)
    attributes["position"] = {
        "routine_id": "routine_that_was_deleted",
        "step": 3,
        "paused": False,
        "updated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }
    attributes["_basis"] = None
    store.save(key, attributes)
    welcome = person.launch()
    assert "couldn't find the routine you were doing" in welcome
    assert store.load(key)["position"] is None
    assert "couldn't find" not in person.launch()


def test_damaged_stored_data_is_repaired_and_said_once(stored_talk, store):
    person = stored_talk()
    person.launch()
    store._write(
        key_of(person),
        {"schema": 1, "completions": "every day", "hold_seconds": "long"},
        store.load(key_of(person))["_version"],
        10**13,
        1.0,
    )
    assert "damaged" in person.launch()
    assert "damaged" not in person.launch()


def test_storage_calls_per_session(stored_talk, store):
    person = stored_talk()
    store.counters.reset()
    person.launch()
    assert store.counters.snapshot()["reads"] == 1
    writes = store.counters.snapshot()["writes"]  # the first launch records the disclaimer
    person.say("StartRoutineIntent", routine="hips")
    assert store.counters.snapshot()["writes"] == writes + 1
    for read_only in (
        "AMAZON.HelpIntent",
        "AMAZON.RepeatIntent",
        "HowManyLeftIntent",
        "DescribeStretchIntent",
        "ListRoutinesIntent",
    ):
        person.say(read_only)
    counts = store.counters.snapshot()
    assert counts["reads"] == 1 and counts["writes"] == writes + 1
    person.say("AMAZON.NextIntent")
    assert store.counters.snapshot()["writes"] == writes + 2
    assert store.counters.snapshot()["reads"] == 1


def finish_a_routine(person, routine="desk"):
    said = person.say("StartRoutineIntent", routine=routine)
    for _ in range(100):  # every step done: a routine mostly skipped isn't finished
        if "finished" in said:
            break
        said = person.say("AMAZON.NextIntent")
    person.say("AMAZON.NoIntent")


def test_progress_counts_days_in_the_persons_time_zone(stored_talk, store, tmp_path, monkeypatch):
    # A zone whose date differs from UTC's right now, so the test can tell them apart.
    now = datetime.now(UTC)
    zone = next(
        z
        for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago")
        if now.astimezone(ZoneInfo(z)).date() != now.date()
    )
    with settings_api(tmp_path, monkeypatch) as api:
        api.time_zone = zone
        person = stored_talk(api_endpoint=api.url)
        finish_a_routine(person)
        said = person.say("ProgressIntent")
    local_day = datetime.now(ZoneInfo(zone)).date().isoformat()
    assert store.load(key_of(person))["completions"] == [local_day]
    assert "This week you've stretched on one day" in said
    assert "streak is one day in a row" in said and "finished one routine" in said
    assert api.calls and all(auth == "Bearer local-token" for _, auth in api.calls)


def test_progress_falls_back_to_utc_when_the_settings_api_fails(stored_talk, store, tmp_path, monkeypatch):
    with settings_api(tmp_path, monkeypatch) as api:
        api.time_zone = None  # answers 500
        person = stored_talk(api_endpoint=api.url)
        finish_a_routine(person)
        said = person.say("ProgressIntent")
    assert store.load(key_of(person))["completions"] == [datetime.now(UTC).date().isoformat()]
    assert "streak is one day in a row" in said


def test_progress_with_nothing_done_yet(stored_talk):
    assert "haven't finished a routine yet" in stored_talk().say("ProgressIntent")


def test_delete_my_data_asks_then_deletes(stored_talk, store):
    person = stored_talk()
    person.launch()
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.NextIntent")
    key = key_of(person)
    assert store.load(key)["position"] is not None
    asked = person.say("DeleteMyDataIntent")
    assert "Say yes or no" in asked and not person.ended
    assert "kept everything" in person.say("AMAZON.NoIntent")
    assert store.load(key)["position"] is not None
    person.say("DeleteMyDataIntent")
    assert "deleted your saved progress" in person.say("AMAZON.YesIntent")
    assert store.load(key)["_version"] == 0  # nothing stored any more
    person.say("AMAZON.StopIntent")
    assert DISCLAIMED in person.launch()  # a stranger again


def test_skill_disabled_event_deletes_the_persons_data(stored_talk, store):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="hips")
    key = key_of(person)
    assert store.load(key)["_version"] > 0
    from alexa import envelope

    event = envelope(
        {
            "type": "AlexaSkillEvent.SkillDisabled",
            "eventCreationTime": "2026-11-25T10:00:00Z",
            "eventPublishingTime": "2026-11-25T10:00:01Z",
        },
        user_id=person.user_id,
    )
    del event["session"]
    response = person.handler(event, None)
    assert "outputSpeech" not in response["response"]
    assert store.load(key)["_version"] == 0


def test_a_question_left_unanswered_is_not_answered_by_a_later_yes(stored_talk, store):
    person = stored_talk()
    person.launch()
    person.say("StartRoutineIntent", routine="desk")
    assert "Say yes or no" in person.say("DeleteMyDataIntent")
    said = person.say("AMAZON.NextIntent")  # the person moved on instead of answering
    for _ in range(100):  # every step done: a routine mostly skipped isn't finished
        if "finished" in said:
            break
        said = person.say("AMAZON.NextIntent")
    assert "Would you like to do" in said
    reply = person.say("AMAZON.YesIntent")  # yes to the next routine, not to deleting
    assert "Let's do" in reply and "deleted" not in reply
    assert store.load(key_of(person))["routines_completed"] == 1


def test_launch_puts_the_saved_place_in_the_session(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.NextIntent")
    person.say("AMAZON.StopIntent")
    person.launch()
    assert HEADING.search(person.say("AMAZON.NextIntent")).group(1) in ("1", "2")
    assert "You're on stretch" in person.say("HowManyLeftIntent")
    assert "Starting from the top." in person.say("AMAZON.StartOverIntent")


def test_a_week_old_place_offers_a_restart_that_yes_and_no_both_answer(stored_talk, store):
    person = stored_talk()
    stop_at_step_two_aged(person, store, days=2000)
    person.launch()
    reprompt = person.last["response"]["reprompt"]["outputSpeech"]["ssml"]
    assert "start Desk reset over" in reprompt
    declined = person.say("AMAZON.NoIntent")
    assert "Say resume" in declined and not person.ended
    assert HEADING.search(person.say("AMAZON.ResumeIntent")).group(1) == "1"


def test_the_disclaimer_comes_with_a_one_shot_start_once(stored_talk):
    person = stored_talk()
    assert DISCLAIMED in person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.StopIntent")
    assert DISCLAIMED not in person.say("StartRoutineIntent", routine="hips")
    assert DISCLAIMED not in person.launch()


def test_saying_the_same_hold_or_pausing_twice_writes_once(stored_talk, store):
    person = stored_talk()
    person.launch()
    person.say("StartRoutineIntent", routine="hips")
    writes = store.counters.snapshot()["writes"]
    person.say("SetHoldTimeIntent", seconds="30")
    person.say("SetHoldTimeIntent", seconds="30")
    person.say("AMAZON.PauseIntent")
    person.say("AMAZON.PauseIntent")
    assert store.counters.snapshot()["writes"] == writes + 2


def test_next_after_finishing_takes_up_the_offer(stored_talk):
    person = stored_talk()
    said = person.say("StartRoutineIntent", routine="desk")
    for _ in range(100):  # every step done: a routine mostly skipped isn't finished
        if "finished" in said:
            break
        said = person.say("AMAZON.NextIntent")
    offered = re.search(r"Would you like to do (.+?) next\?", said).group(1)
    assert f"Let's do {offered}" in person.say("AMAZON.NextIntent")


class TestQuestionsLiveOneTurn:
    """A "yes" answers only the question the person last heard."""

    def test_an_old_delete_question_is_not_answered_by_a_yes_two_turns_later(self, stored_talk, store):
        person = stored_talk()
        said = person.say("StartRoutineIntent", routine="desk")
        for _ in range(40):  # to the very last step, bounded
            if "last one" in said:
                break
            said = person.say("AMAZON.NextIntent")
        assert "last one" in said
        person.say("DeleteMyDataIntent")
        assert "Would you like to do" in person.say("AMAZON.NextIntent")  # finished; offer asked
        assert "Let's do" in person.say("AMAZON.NextIntent")  # took the offer instead
        assert "deleted" not in person.say("AMAZON.YesIntent")
        assert store.load(key_of(person))["routines_completed"] == 1

    @pytest.mark.parametrize("detour", ["AMAZON.HelpIntent", "AMAZON.FallbackIntent", "AMAZON.RepeatIntent"])
    def test_help_fallback_and_repeat_ask_the_open_question_again(self, stored_talk, store, detour):
        person = stored_talk()
        person.launch()
        person.say("StartRoutineIntent", routine="hips")
        person.say("DeleteMyDataIntent")
        assert "Should I delete all your saved progress? Say yes or no." in person.say(detour)
        assert "deleted your saved progress" in person.say("AMAZON.YesIntent")

    def test_not_sure_asks_again_where_a_guess_would_be_wrong(self, stored_talk):
        person = stored_talk()
        said = person.say("StartRoutineIntent", routine="desk")
        for _ in range(100):  # every step done: a routine mostly skipped isn't finished
            if "finished" in said:
                break
            said = person.say("AMAZON.NextIntent")
        again = person.say("NotSureIntent")
        assert "Please answer yes or no." in again and "Would you like to do" in again
        assert not person.ended and "Let's do" in person.say("AMAZON.YesIntent")

    def test_a_paused_place_is_resumed_not_skipped(self, stored_talk):
        person = stored_talk()
        person.say("StartRoutineIntent", routine="hips")
        person.say("AMAZON.PauseIntent")
        assert "Say resume to carry on" in person.say("HowManyLeftIntent")


def test_carrying_on_after_bad_pain_moves_past_the_stretch_that_hurt(stored_talk):
    person = stored_talk()
    first = person.say("StartRoutineIntent", routine="low back")
    hurt = HEADING.search(first).group(3)
    person.say("PainDuringStretchIntent")
    person.say("AMAZON.YesIntent")  # sharp or numb
    person.say("AMAZON.YesIntent")  # ask the questions
    while "screen" in person.attributes:
        said = person.say("AMAZON.NoIntent")
    assert "carry on gently" in said
    carried = person.say("AMAZON.YesIntent")
    assert HEADING.search(carried).group(3) != hurt


def test_a_goodbye_during_an_outage_does_not_promise_the_place(tmp_path):
    from limber.storage import StorageUnavailable

    class FailingStore(SqliteAdapter):
        def _write(self, *args):
            raise StorageUnavailable("down")

    store = FailingStore(tmp_path / "p.sqlite3")
    skill = build_skill(skill_id=None, persistence_adapter=store)
    person = Conversation(lambda event, context: handle_event(skill, event, context))
    person.say("StartRoutineIntent", routine="hips")
    said = person.say("AMAZON.StopIntent")
    assert "couldn't save your place" in said and "start a little earlier" in said


def test_a_progress_file_from_the_previous_release_resumes_without_a_repair(tmp_path):
    """The table without expiry, a schema-1 profile (no completion ids) with a saved place."""
    path = tmp_path / "old.sqlite3"
    now = datetime.now(UTC)
    profile = {
        "schema": 1,
        "updated_at": progress.timestamp(now - timedelta(days=1)),
        "position": {
            "routine_id": "hip_flexors",
            "step": 2,
            "paused": False,
            "updated": progress.timestamp(now - timedelta(days=1)),
        },
        "position_cleared_at": None,
        "hold_seconds": 30,
        "hold_updated_at": None,
        "completions": [(now - timedelta(days=2)).date().isoformat()],
        "routines_completed": 7,
        "disclaimer_heard": True,
    }
    person = Conversation(lambda event, context: None)  # only for its user id
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE progress (id TEXT PRIMARY KEY, version INTEGER NOT NULL,"
            " profile TEXT NOT NULL, written_at REAL NOT NULL)"
        )
        db.execute(
            "INSERT INTO progress VALUES (?, 5, ?, ?)",
            (key_of(person), json.dumps(profile), now.timestamp() - 86400),
        )
    store = SqliteAdapter(path)
    skill = build_skill(skill_id=None, persistence_adapter=store)
    person.handler = lambda event, context: handle_event(skill, event, context)
    welcome = person.launch()
    assert welcome.startswith("Welcome back. You stopped at stretch 2 of 7 of Hip flexors")
    assert "damaged" not in welcome
    assert "finished seven routines" in person.say("ProgressIntent")
    finish_a_routine(person)
    assert store.load(key_of(person))["routines_completed"] == 8


# --- "clear_place": after an emergency or urgent outcome the saved place is forgotten -----


class OutcomeThatClearsThePlace(AbstractRequestHandler):
    """The reply the screening code sends after an emergency outcome, on an intent of its own
    so these tests do not depend on which symptoms lead there."""

    def can_handle(self, handler_input):
        return is_intent_name("TestEmergencyOutcomeIntent")(handler_input)

    def handle(self, handler_input):
        state = state_of(handler_input)
        reply = Reply(
            speech("This is an emergency: call 911 now."),
            state.with_(screen=None, pending=None, offer=None, position=None),
            end_session=True,
            card=Card("Emergency: call 911 now", "Not a substitute for professional medical advice."),
            display={"kind": "outcome", "level": "emergency"},
            events=("clear_place",),
        )
        return render(handler_input, reply)


@pytest.fixture
def outcome_talk(store):
    """The real skill, with the outcome above answered first; driven through handle_event."""
    skill = build_skill(skill_id=None, persistence_adapter=store)
    chains = skill.request_dispatcher.request_mappers[0].request_handler_chains
    chains.insert(0, GenericRequestHandlerChain(OutcomeThatClearsThePlace()))
    handler = lambda event, context: handle_event(skill, event, context)  # noqa: E731
    return lambda **options: Conversation(handler, **options)


def stored_text(tmp_path) -> str:
    with sqlite3.connect(tmp_path / "progress.sqlite3") as db:
        return " ".join(str(row) for row in db.execute("SELECT * FROM progress"))


def test_clear_place_forgets_the_saved_place_and_records_nothing_about_why(outcome_talk, store, tmp_path):
    person = outcome_talk()
    person.launch()
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.NextIntent")
    before = store.load(key_of(person))
    assert before["position"]["step"] == 1
    said = person.say("TestEmergencyOutcomeIntent")
    assert said == "This is an emergency: call 911 now."  # nothing added to the outcome
    after = store.load(key_of(person))
    assert after["position"] is None and after["position_cleared_at"] is not None
    changed = {k for k in progress.new_profile() if after[k] != before[k]}
    assert changed == {"position", "position_cleared_at", "updated_at"}  # what any clearing writes
    text = stored_text(tmp_path).lower()
    # Whole words: the record's hex ids and hashes may well contain the digits 911.
    words = ("emergency", "urgent", "screen", "flag", "911")
    assert not any(re.search(rf"\b{word}\b", text) for word in words)
    welcome = person.launch()
    assert "You stopped at" not in welcome and "resume" not in welcome.lower()


def test_clear_place_in_a_one_shot_request_clears_a_place_saved_yesterday(outcome_talk, store):
    person = outcome_talk()
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.StopIntent")
    assert store.load(key_of(person))["position"] is not None
    person.new_session()
    store.counters.reset()
    person.say("TestEmergencyOutcomeIntent")
    assert store.load(key_of(person))["position"] is None
    assert store.counters.snapshot()["writes"] == 1


def test_clear_place_with_no_saved_place_writes_nothing(outcome_talk, store):
    person = outcome_talk()
    store.counters.reset()
    person.say("TestEmergencyOutcomeIntent")
    counts = store.counters.snapshot()
    assert (counts["reads"], counts["writes"]) == (1, 0)


def test_clear_place_with_storage_down_says_nothing_about_saving(tmp_path):
    from limber.storage import StorageUnavailable

    class FailingStore(SqliteAdapter):
        def _write(self, *args):
            raise StorageUnavailable("down")

    store = FailingStore(tmp_path / "p.sqlite3")
    skill = build_skill(skill_id=None, persistence_adapter=store)
    chains = skill.request_dispatcher.request_mappers[0].request_handler_chains
    chains.insert(0, GenericRequestHandlerChain(OutcomeThatClearsThePlace()))
    person = Conversation(lambda event, context: handle_event(skill, event, context))
    person.say("StartRoutineIntent", routine="hips")
    said = person.say("TestEmergencyOutcomeIntent")
    assert said == "This is an emergency: call 911 now." and person.ended


@pytest.mark.skipif(
    not hasattr(screening, "CLEAR_PLACE"), reason="the screening code does not emit clear_place yet"
)
def test_a_real_emergency_mid_routine_clears_the_saved_place(stored_talk, store):
    person = stored_talk()
    person.launch()
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.NextIntent")
    assert store.load(key_of(person))["position"] is not None
    said = person.say("RedFlagCheckIntent", symptom="numb groin")
    assert "This is an emergency" in said  # after "stop the stretch now" mid-routine
    assert store.load(key_of(person))["position"] is None
    assert "You stopped at" not in person.launch()
