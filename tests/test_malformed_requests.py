"""Malformed envelopes get a spoken answer, never an exception, a 500 or a traceback.

Each case goes through the real ``lambda_function.lambda_handler`` and over real HTTP to the
web host (waitress on 127.0.0.1, LIMBER_VERIFY=0-style: verification off, so the body itself
is what is tested). The two entry points answer differently on purpose:

* Lambda must always speak: whatever arrives, the device hears a valid response.
* The web host speaks for every body it accepts as an Alexa request envelope (HTTP 200). A
  body that is not one (no request object, a request without a string type, an envelope that
  does not deserialize) is refused with 400 before the skill runs, and a body over 128 KiB
  with 413: the same rejections as a forged request, by design (limber.web.adapter).

Found by these tests and fixed since (regression cases now): envelopes that did not
deserialize raised out of the Lambda handler; an unknown routine name was said back at any
length or with control characters; a profile cached in session attributes was trusted
without the checks a stored record gets.
"""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace

import pytest
import requests

import lambda_function
from alexa_rules import check_response
from alexa_test_certs import encode, running_waitress
from limber.console.envelopes import envelope, intent_request, speech_text
from limber.core import progress
from limber.core.content import default_library
from limber.core.menu import REPAIR_NOTES
from limber.skill.builder import build_skill
from limber.storage import partition_key
from limber.storage.memory import MemoryAdapter
from limber.web import create_app

MEGABYTE = 1_000_000
HTTP_TIMEOUT = 20


def _launch() -> dict:
    return envelope({"type": "LaunchRequest"})


def _intent(name: str, **slots) -> dict:
    return envelope(intent_request(name, **slots), new=False)


def _with(event: dict, change) -> dict:
    event = copy.deepcopy(event)
    change(event)
    return event


def _set(path: str, value):
    """A change that sets ``event[a][b]...`` (dotted path) to ``value``."""

    def change(event: dict) -> None:
        *parents, last = path.split(".")
        target = event
        for name in parents:
            target = target[name]
        target[last] = value

    return change


def _drop(name: str):
    return lambda event: event.pop(name)


def _attributes(attributes, request: dict | None = None) -> dict:
    """A mid-session request carrying ``attributes`` as its session attributes."""
    request = request or intent_request("AMAZON.HelpIntent")
    return envelope(request, session_attributes=attributes, new=False)


LAUNCH = {"type": "LaunchRequest"}
HELP = intent_request("AMAZON.HelpIntent")
AT_STEP = {"routine": "hip_flexors", "step": 2}


def case(event: dict, http_status: int, answer: str = "any"):
    """``answer``: "any" valid speech, with no exception swallowed on the way; "apology": a
    "Sorry" line, and the skill's catch-all may have been what caught the problem (a request
    the ASK SDK itself trips on); "no_echo": the junk heard is not said back. Over Lambda, a
    case the web host refuses (400) must get the entry point's recovery line."""
    return event, http_status, answer


# name -> event, the web host's status for it, and what the person must hear.
CASES = {
    # The envelope's shape.
    "missing_request": case(_with(_launch(), _drop("request")), 400),
    "request_null": case(_with(_launch(), _set("request", None)), 400),
    "empty_object": case({}, 400),
    "request_as_list": case(_with(_launch(), _set("request", [LAUNCH])), 400),
    "unknown_request_type": case(
        _with(_launch(), _set("request.type", "Alexa.Future.NewRequest")), 400
    ),
    "request_type_number": case(_with(_launch(), _set("request.type", 7)), 400),
    "intent_as_string": case(
        _with(_intent("AMAZON.HelpIntent"), _set("request.intent", "AMAZON.HelpIntent")),
        400,
    ),
    # ask_sdk_core's is_intent_name raises on it; the catch-all apologises, which is the
    # right answer to a request with no intent (tests/test_routine_conversation.py agrees).
    "intent_missing": case(
        _with(_intent("AMAZON.HelpIntent"), lambda e: e["request"].pop("intent")),
        200,
        answer="apology",
    ),
    "slots_as_list": case(
        _with(
            _intent("StartRoutineIntent", routine="hips"), _set("request.intent.slots", [{"a": 1}])
        ),
        400,
    ),
    "slot_value_a_number": case(
        _with(
            _intent("SetHoldTimeIntent", seconds="30"),
            _set("request.intent.slots.seconds.value", 30),
        ),
        200,
    ),
    "locale_as_number": case(_with(_intent("AMAZON.HelpIntent"), _set("request.locale", 5)), 200),
    "locale_unknown": case(
        _with(_intent("AMAZON.HelpIntent"), _set("request.locale", "xx-YY")), 200
    ),
    "timestamp_garbage": case(_with(_launch(), _set("request.timestamp", "yesterday")), 400),
    "session_as_string": case(_with(_launch(), _set("session", "open")), 400),
    "session_attributes_as_list": case(_attributes([1, 2]), 400),
    "context_as_number": case(_with(_launch(), _set("context", 5)), 400),
    "no_session_no_context": case(_with(_with(_launch(), _drop("session")), _drop("context")), 200),
    "no_user_id": case(
        _with(_launch(), lambda e: (e["session"].pop("user"), e["context"]["System"].pop("user"))),
        200,
    ),
    # Session state that does not fit.
    "session_attributes_garbage": case(
        _attributes(
            {"position": [1, None], "hold": "long", "screen": {"x": [None]}, "pending": {}}
        ),
        200,
    ),
    "screen_state_garbage": case(
        _attributes({"screen": {"ask": 12, "answers": "yes", "v": None}}), 200
    ),
    "position_step_out_of_range": case(
        _attributes({"position": {**AT_STEP, "step": 10**30}}, intent_request("AMAZON.NextIntent")),
        200,
    ),
    "position_deleted_routine": case(
        _attributes(
            {"position": {**AT_STEP, "routine": "retired"}}, intent_request("AMAZON.NextIntent")
        ),
        200,
    ),
    # Huge strings: over Lambda the skill must still speak; the web host refuses them (413).
    "huge_number_slot": case(_intent("SetHoldTimeIntent", seconds="9" * MEGABYTE), 413),
    "huge_intent_name": case(_intent("X" * MEGABYTE), 413),
    "huge_session_attribute": case(_attributes({"junk": "x" * MEGABYTE}), 413),
    "huge_screen_state": case(_attributes({"screen": {"ask": "x" * MEGABYTE}}), 413),
    "huge_user_id": case(_with(_launch(), _set("context.System.user.userId", "u" * MEGABYTE)), 413),
    "huge_routine_slot": case(
        _intent("StartRoutineIntent", routine="x" * MEGABYTE), 413, answer="no_echo"
    ),
    "long_routine_slot_under_the_body_cap": case(
        _intent("StartRoutineIntent", routine="yoga " * 20_000), 200, answer="no_echo"
    ),
    "control_characters_in_routine_slot": case(
        _intent("StartRoutineIntent", routine="yoga\x01\x1b"), 200, answer="no_echo"
    ),
    "cached_profile_position_not_a_mapping": case(
        _attributes({"profile": {"_version": 1, "position": [1]}}, LAUNCH), 200
    ),
    "cached_profile_completions_not_a_list": case(
        _attributes(
            {"profile": {"_version": 1, "completions": 5}}, intent_request("ProgressIntent")
        ),
        200,
    ),
    "cached_profile_with_huge_junk": case(
        _attributes({"profile": {"_version": 1, "junk": "x" * 50_000}}), 200
    ),
}


def _params() -> list:
    return [pytest.param(*values, id=name) for name, values in CASES.items()]


def spoken(response: dict) -> str:
    check_response(response)
    said = speech_text(response)
    assert said, f"nothing said: {json.dumps(response)[:300]}"
    assert response["response"].get("shouldEndSession") is False, "the person could not reply"
    assert "Traceback" not in json.dumps(response)
    return said


def hidden_errors(caplog) -> list[str]:
    """Exceptions the skill's catch-all swallowed: the person heard an apology for a bug."""
    return [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]


def check_answer(said: str, answer: str, caplog) -> None:
    if answer == "no_echo":
        assert "routine called" not in said
    if answer == "recovery":
        assert said.startswith("Sorry, I didn't understand that request.")
    elif answer == "apology":
        assert said.startswith("Sorry")
    if answer != "apology":
        assert hidden_errors(caplog) == []


@pytest.mark.parametrize(("event", "http_status", "answer"), _params())
def test_lambda_speaks_whatever_arrives(lambda_handler, caplog, event, http_status, answer):
    said = spoken(lambda_handler(copy.deepcopy(event), None))
    check_answer(said, "recovery" if http_status == 400 else answer, caplog)


@pytest.fixture(scope="module")
def web_host():
    """The real skill behind the real web host, verification off: the body is under test."""
    skill = build_skill(skill_id=None, persistence_adapter=MemoryAdapter())
    app = create_app(skill=skill, skill_id=None, verify=False)
    with running_waitress(app) as base_url:
        yield base_url


@pytest.mark.slow
@pytest.mark.parametrize(("event", "http_status", "answer"), _params())
def test_web_host_speaks_or_refuses_by_design(web_host, caplog, event, http_status, answer):
    response = requests.post(f"{web_host}/", data=encode(event), timeout=HTTP_TIMEOUT)
    assert response.status_code == http_status, response.text[:300]
    assert "Traceback" not in response.text
    if http_status == 200:
        check_answer(spoken(response.json()), answer, caplog)
    else:
        assert response.headers["Content-Type"].startswith("application/json")
        assert set(response.json()) == {"error"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [b"", b"null", b"[]", b'"LaunchRequest"', b"{not json", b'{"request": {"type": null}}'],
    ids=["empty", "null", "list", "string", "broken_json", "type_null"],
)
def test_web_host_refuses_bodies_that_are_not_envelopes(web_host, body):
    response = requests.post(f"{web_host}/", data=body, timeout=HTTP_TIMEOUT)
    assert response.status_code == 400
    assert response.json() == {"error": "request verification failed"}


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(None, id="none"),
        pytest.param("not json at all", id="string"),
        pytest.param([1, 2], id="list"),
        pytest.param(42, id="number"),
    ],
)
def test_lambda_event_that_is_not_an_object(lambda_handler, event):
    said = spoken(lambda_handler(event, None))
    assert said.startswith("Sorry, I didn't understand that request.")


# --- stored progress naming a routine the content no longer has ---------------------------


def user_key(user_id: str) -> str:
    """The partition key the skill stores this user under."""
    user = SimpleNamespace(user_id=user_id)
    return partition_key(
        SimpleNamespace(context=SimpleNamespace(system=SimpleNamespace(user=user)))
    )


def plant_place(store, user_id: str, routine_id: str, step: int) -> str:
    """Store a place as an older content version would have saved it; its partition key."""
    key = user_key(user_id)
    store.save(
        key, {**progress.set_position(progress.new_profile(), routine_id, step), "_version": 0}
    )
    assert store.load(key)["position"]["routine_id"] == routine_id
    return key


STALE_PLACES = [("retired_routine", 3), ("hip_flexors", 999)]


def lambda_store() -> MemoryAdapter:
    store = lambda_function.skill.persistence_adapter
    assert isinstance(store, MemoryAdapter), "conftest sets LIMBER_STORE=memory"
    return store


@pytest.mark.parametrize(("routine_id", "step"), STALE_PLACES, ids=["deleted_routine", "step_gone"])
def test_launch_with_a_stored_place_the_content_lost(lambda_handler, routine_id, step):
    user_id = f"amzn1.ask.account.STALE-LAUNCH-{routine_id}"
    key = plant_place(lambda_store(), user_id, routine_id, step)
    said = spoken(lambda_handler(envelope(LAUNCH, user_id=user_id), None))
    assert "Stretch" not in said  # nothing started
    if routine_id in {r.id for r in default_library().routines}:
        # The routine is still there but not that step: its place is the top of the routine.
        assert said.startswith(REPAIR_NOTES["step"]) and "You stopped at stretch 1 of" in said
        assert lambda_store().load(key)["position"]["step"] == 0  # repaired, said only once
    else:
        assert said.startswith(REPAIR_NOTES["routine"]) and "Welcome to Limber." in said
        assert lambda_store().load(key)["position"] is None  # repaired, said only once
    again = spoken(lambda_handler(envelope(LAUNCH, user_id=user_id), None))
    assert not again.startswith((REPAIR_NOTES["routine"], REPAIR_NOTES["step"]))


@pytest.mark.parametrize(("routine_id", "step"), STALE_PLACES, ids=["deleted_routine", "step_gone"])
def test_resume_with_a_stored_place_the_content_lost(lambda_handler, routine_id, step):
    user_id = f"amzn1.ask.account.STALE-RESUME-{routine_id}"
    plant_place(lambda_store(), user_id, routine_id, step)
    response = lambda_handler(
        envelope(intent_request("AMAZON.ResumeIntent"), user_id=user_id), None
    )
    said = spoken(response)
    if routine_id in {r.id for r in default_library().routines}:
        assert REPAIR_NOTES["step"] in said and "Stretch 1 of" in said
    else:
        assert REPAIR_NOTES["routine"] in said
        assert "nothing paused" in said and "routines" in said
        assert "position" not in response.get("sessionAttributes", {})


@pytest.mark.slow
@pytest.mark.parametrize(
    "request_", [LAUNCH, intent_request("AMAZON.ResumeIntent")], ids=["launch", "resume"]
)
def test_stored_deleted_routine_over_http(request_):
    store = MemoryAdapter()
    user_id = "amzn1.ask.account.STALE-HTTP"
    key = plant_place(store, user_id, "retired_routine", 3)
    app = create_app(
        skill=build_skill(skill_id=None, persistence_adapter=store), skill_id=None, verify=False
    )
    with running_waitress(app) as base_url:
        body = encode(envelope(request_, user_id=user_id))
        response = requests.post(f"{base_url}/", data=body, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200
    said = spoken(response.json())
    assert "Stretch" not in said
    if request_ is LAUNCH:
        assert said.startswith(REPAIR_NOTES["routine"])
        assert store.load(key)["position"] is None
