"""Storage that dies or hangs mid-conversation: the person hears one line, nothing is lost.

dynalite keeps its data on disk, so it can be killed and restarted like a real endpoint
coming back; the skill reaches it through boto3's standard settings only. A hung store
(``HungServer``: accepts connections, never answers) is reached through the real
``lambda_function.lambda_handler``, configured as on Lambda with LIMBER_STORE.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import boto3
import pytest

from alexa import Conversation
from dynamo_server import DYNALITE, FAKE_AWS_ENV, DynaliteServer, HungServer
from limber.skill.builder import build_skill
from limber.skill.entry import handle_event
from limber.skill.progress import COULD_NOT_SAVE
from limber.storage import TURN_SECONDS
from limber.storage.dynamodb import DynamoDbAdapter
from test_progress_conversation import HEADING, key_of

ROOT = Path(__file__).resolve().parents[1]
TABLE = "limber-faults"
ALEXA_TURN_LIMIT = 8.0
# What a hung store may cost a turn at most: its storage deadline plus the turn's own work.
HUNG_TURN_LIMIT = 3.0

needs_dynalite = pytest.mark.skipif(
    not DYNALITE.exists(), reason="dynalite missing: run npm ci (make test does)"
)


@pytest.fixture
def dynalite(tmp_path, monkeypatch):
    if not DYNALITE.exists():
        pytest.skip("dynalite missing: run npm ci (make test does)")
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


@needs_dynalite
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


# --- a store that accepts connections and never answers -----------------------------------


@pytest.fixture
def hung(monkeypatch):
    """The real Lambda entry point, its LIMBER_STORE a DynamoDB table behind a hung endpoint."""
    with HungServer() as server:
        for name, value in FAKE_AWS_ENV.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.url)
        monkeypatch.setenv("LIMBER_STORE", "dynamodb:limber-hung")
        path = ROOT / "lambda" / "lambda_function.py"
        spec = importlib.util.spec_from_file_location("lambda_function_hung", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # builds its skill from the environment, as Lambda does
        yield server, module.lambda_handler


def hung_turn(person, intent=None, **slots):
    start = time.monotonic()
    said = person.launch() if intent is None else person.say(intent, **slots)
    elapsed = time.monotonic() - start
    assert elapsed < HUNG_TURN_LIMIT, f"{intent or 'launch'} took {elapsed:.2f} s"
    return said, elapsed


def test_a_hung_store_costs_a_turn_at_most_its_deadline_and_safety_still_answers(hung):
    server, lambda_handler = hung
    person = Conversation(lambda_handler)
    said, waited = hung_turn(person)  # the read waits out the turn's deadline; the save gets none
    assert said.startswith("Welcome to Limber") and said.endswith(COULD_NOT_SAVE)
    assert waited >= TURN_SECONDS * 0.9, "the store was really waited for, not skipped"
    said, _ = hung_turn(person, "StartRoutineIntent", routine="hips")
    assert HEADING.search(said) and "couldn't save" not in said  # one line per outage, not per turn
    said, _ = hung_turn(person, "AMAZON.NextIntent")
    assert HEADING.search(said) and "couldn't save" not in said
    # Nothing is lost: the unsaved place waits in the session for a turn that can write.
    assert person.attributes["position"]["step"] == 1
    assert '"_unsaved":true' in person.attributes["profile"]
    said, _ = hung_turn(person, "RedFlagCheckIntent", symptom="numb groin")
    assert said.startswith("This is an emergency") and "911" in person.card["content"]
    assert "couldn't save" not in said  # nothing talks over the outcome
    assert server.accepted >= 1 and server.received > 0  # DynamoDB was really asked


def test_a_one_shot_emergency_with_a_hung_store_answers_in_time(hung):
    _, lambda_handler = hung
    person = Conversation(lambda_handler)
    said, _ = hung_turn(person, "RedFlagCheckIntent", symptom="numb groin")
    assert said.startswith("This is an emergency") and person.ended


TURNS = ((None, {}), ("StartRoutineIntent", {"routine": "hips"}), ("AMAZON.NextIntent", {}))


def test_eight_sessions_on_four_threads_each_answer_every_turn_in_time(hung):
    _, lambda_handler = hung
    people = [Conversation(lambda_handler) for _ in range(8)]
    slowest: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def talk(group):
        try:
            for person in group:
                for intent, slots in TURNS:
                    _, elapsed = hung_turn(person, intent, **slots)
                    with lock:
                        slowest.append(elapsed)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=talk, args=(people[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(slowest) == 24 and max(slowest) < HUNG_TURN_LIMIT
