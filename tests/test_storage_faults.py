"""Storage that dies mid-conversation: the person hears one line, nothing is lost.

dynalite keeps its data on disk, so it can be killed and restarted like a real endpoint
coming back; the skill reaches it through boto3's standard settings only.
"""

from __future__ import annotations

import time

import boto3
import pytest

from alexa import Conversation
from dynamo_server import DYNALITE, FAKE_AWS_ENV, DynaliteServer
from limber.skill.builder import build_skill
from limber.skill.entry import handle_event
from limber.storage.dynamodb import DynamoDbAdapter
from test_progress_conversation import HEADING, key_of

TABLE = "limber-faults"
ALEXA_TURN_LIMIT = 8.0

pytestmark = pytest.mark.skipif(not DYNALITE.exists(), reason="dynalite missing: run npm ci (make test does)")


@pytest.fixture
def dynalite(tmp_path, monkeypatch):
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    server = DynaliteServer(tmp_path / "dynalite")
    server.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.url)
    import create_local_table

    create_local_table.create_table(boto3.client("dynamodb"), TABLE)
    yield server
    server.stop()


def timed_say(person, intent, **slots):
    start = time.monotonic()
    said = person.say(intent, **slots)
    elapsed = time.monotonic() - start
    assert elapsed < ALEXA_TURN_LIMIT / 2, f"{intent} took {elapsed:.1f} s"
    return said


def test_an_outage_mid_routine_is_survived_and_progress_lands_when_storage_returns(dynalite):
    store = DynamoDbAdapter(TABLE)
    skill = build_skill(skill_id=None, persistence_adapter=store)
    person = Conversation(lambda event, context: handle_event(skill, event, context))
    person.launch()
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.NextIntent")
    key = key_of(person)
    assert store.load(key)["position"]["step"] == 1

    dynalite.stop()
    first = timed_say(person, "AMAZON.NextIntent")
    assert "couldn't save your place" in first and HEADING.search(first)
    second = timed_say(person, "AMAZON.NextIntent")
    assert "couldn't save" not in second and HEADING.search(second)
    assert "You're on stretch" in timed_say(person, "AMAZON.HelpIntent")
    step_in_session = person.attributes["position"]["step"]
    assert step_in_session == 3

    dynalite.start()
    assert store.load(key)["position"]["step"] == 1  # still the last saved place
    person.say("HowManyLeftIntent")  # the next turn that can write, writes
    assert store.load(key)["position"]["step"] == step_in_session
    person.say("AMAZON.StopIntent")
    assert "You stopped at stretch" in person.launch()


def test_a_session_that_starts_during_an_outage_still_coaches(dynalite):
    store = DynamoDbAdapter(TABLE)
    skill = build_skill(skill_id=None, persistence_adapter=store)
    person = Conversation(lambda event, context: handle_event(skill, event, context))
    dynalite.stop()
    assert "I coach you through stretches" in timed_say(person, "AMAZON.HelpIntent")
    said = timed_say(person, "StartRoutineIntent", routine="desk")
    assert HEADING.search(said) and "couldn't save" in said
    dynalite.start()
    person.say("AMAZON.NextIntent")
    assert store.load(key_of(person))["position"]["step"] == 1


def test_a_failed_save_gets_one_more_try_when_the_session_ends(dynalite):
    store = DynamoDbAdapter(TABLE)
    skill = build_skill(skill_id=None, persistence_adapter=store)
    person = Conversation(lambda event, context: handle_event(skill, event, context))
    person.launch()
    person.say("StartRoutineIntent", routine="hips")
    dynalite.stop()
    person.say("AMAZON.NextIntent")
    person.say("AMAZON.NextIntent")
    dynalite.start()
    person.end()  # the person walked away; Alexa sends SessionEndedRequest
    assert store.load(key_of(person))["position"]["step"] == 2
