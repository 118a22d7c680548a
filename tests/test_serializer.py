"""limber.skill.serializer.FastSerializer builds exactly what the SDK's DefaultSerializer
builds: the same classes, the same values, the same extra attributes, and the same
SerializationException for what can't be read, on generated envelopes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import Enum

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from limber.console.envelopes import envelope, intent_request
from limber.interaction_model import build_model
from limber.skill.serializer import FastSerializer

SDK, OURS = DefaultSerializer(), FastSerializer()
INTENTS = build_model("en-US")["interactionModel"]["languageModel"]["intents"]


def shape(obj):
    """Everything about an object graph that a handler could see, classes included."""
    if isinstance(obj, Enum):
        return ("enum", type(obj), obj.value)
    if isinstance(obj, datetime | date):
        return (type(obj), obj.isoformat() if not isinstance(obj, datetime) else obj.timestamp()
                if obj.tzinfo else obj.isoformat())  # fmt: skip
    if isinstance(obj, list):
        return [shape(x) for x in obj]
    if isinstance(obj, dict):
        return {k: shape(v) for k, v in obj.items()}
    if hasattr(obj, "deserialized_types"):
        return (type(obj), {k: shape(v) for k, v in sorted(vars(obj).items())})
    return (type(obj), obj)


def both(payload: str, obj_type=RequestEnvelope):
    outcomes = []
    for serializer in (SDK, OURS):
        try:
            outcomes.append(("ok", shape(serializer.deserialize(payload, obj_type))))
        except Exception as err:  # the same kind of failure, where the SDK fails
            outcomes.append(("error", type(err)))
    return outcomes


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@st.composite
def envelopes(draw):
    intent = draw(st.sampled_from(INTENTS))
    slots = {s["name"]: draw(st.none() | st.text(min_size=1, max_size=12)) for s in intent.get("slots", [])}
    kind = draw(st.sampled_from(["intent", "launch", "ended", "apl", "connections"]))
    if kind == "intent":
        request = intent_request(intent["name"], **{k: v for k, v in slots.items() if v})
    elif kind == "launch":
        request = {"type": "LaunchRequest"}
    elif kind == "ended":
        request = {
            "type": "SessionEndedRequest",
            "reason": draw(st.sampled_from(["USER_INITIATED", "ERROR"])),
        }
    elif kind == "apl":
        request = {"type": "Alexa.Presentation.APL.UserEvent", "token": "t", "arguments": draw(json_values)}
    else:
        request = {
            "type": "Connections.Response",
            "name": "AskFor",
            "status": {"code": "200", "message": "OK"},
            "payload": {"status": "ACCEPTED"},
            "token": draw(st.text(max_size=8)),
        }
    event = envelope(
        request,
        session_attributes=draw(st.dictionaries(st.text(max_size=6), json_values, max_size=3)),
        interfaces=draw(
            st.sampled_from([{}, {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}])
        ),
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
    )
    event["request"]["timestamp"] = draw(
        st.sampled_from(
            [
                "2026-12-01T22:31:55Z",
                "2026-12-01T22:31:55.123Z",
                "2026-12-01T22:31:55+01:00",
                "2026-12-01",
                "Dec 1 2026 10pm",
                "not a time",
                "",
            ]
        )  # fmt: skip
    )
    if draw(st.booleans()):  # a field Amazon added after this SDK was built
        event["request"][draw(st.sampled_from(["newField", "x"]))] = draw(json_values)
    if draw(st.booleans()):
        event["context"]["System"]["user"]["permissions"] = {"consentToken": "c"}
        event["context"]["Viewport"] = {
            "pixelWidth": 1280,
            "pixelHeight": 800,
            "shape": "RECTANGLE",
            "experiences": [{"canRotate": False, "canResize": False}],
        }
    return event


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(envelopes())
def test_envelopes_deserialise_exactly_as_the_sdk_does(event):
    sdk, ours = both(json.dumps(event))
    assert ours == sdk


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_anything_else_fails_or_passes_the_same_way(value):
    sdk, ours = both(json.dumps(value))
    assert ours == sdk


PAYLOADS = [None, 1, "x", [1, "2"], {"a": 1}, "2026-12-01", [{"name": "a", "value": "b"}], "ER_SUCCESS_MATCH"]


@pytest.mark.parametrize(
    "obj_type",
    ["list[int]", "dict(str, int)", "list[ask_sdk_model.slot.Slot]", "datetime", "date", "str", "object",
     "ask_sdk_model.slu.entityresolution.status_code.StatusCode", "no.such.Module", "list[", "bool"],
)  # fmt: skip
@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_kind_of_type_string_behaves_the_same(obj_type, payload):
    sdk, ours = both(json.dumps(payload), obj_type)
    assert ours == sdk


def test_unparseable_json_is_a_serialization_exception():
    with pytest.raises(SerializationException):
        OURS.deserialize("{", RequestEnvelope)
    assert OURS.deserialize(None, RequestEnvelope) is None


# --- writing responses ---------------------------------------------------------------------------

speech_text_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@st.composite
def responses(draw):
    from decimal import Decimal

    from ask_sdk_model import ResponseEnvelope
    from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective
    from ask_sdk_model.ui import AskForPermissionsConsentCard, SimpleCard

    from limber.core.reminders import from_slots
    from limber.skill.reminders import consent_directive

    extras = st.recursive(
        st.none() | st.integers() | st.text(max_size=6) | st.decimals(allow_nan=False, allow_infinity=False,
                                                                       places=2) | st.just(Decimal("3")),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
        | st.tuples(inner, inner),
        max_leaves=8,
    )  # fmt: skip
    from ask_sdk_core.response_helper import ResponseFactory

    builder = ResponseFactory()
    builder.speak(f"<speak>{escape_text(draw(speech_text_values))}</speak>")
    if draw(st.booleans()):
        builder.ask("<speak>again?</speak>")
    if draw(st.booleans()):
        builder.set_should_end_session(draw(st.booleans()))
    card = draw(st.sampled_from(["none", "simple", "consent"]))
    if card == "simple":
        builder.set_card(SimpleCard(title=draw(speech_text_values), content=draw(speech_text_values)))
    elif card == "consent":
        builder.set_card(
            AskForPermissionsConsentCard(permissions=["alexa::alerts:reminders:skill:readwrite"])
        )
    if draw(st.booleans()):
        sources = draw(st.dictionaries(st.text(max_size=4), extras))
        builder.add_directive(
            RenderDocumentDirective(token="t", document={"type": "APL"}, datasources=sources)
        )
    if draw(st.booleans()):
        builder.add_directive(consent_directive(from_slots("08:00", "daily")))
    attributes = draw(st.dictionaries(st.text(max_size=5), extras, max_size=4))
    return ResponseEnvelope(version="1.0", session_attributes=attributes, response=builder.response)


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(responses())
def test_responses_serialise_exactly_as_the_sdk_does(envelope_):
    def written(serializer):
        try:
            return json.dumps(serializer.serialize(envelope_), default=repr)  # key order counts too
        except Exception as err:  # e.g. a Decimal too big for % 1: the same failure
            return type(err)

    assert written(OURS) == written(SDK)


@pytest.mark.parametrize("value", [None, 1, 2.5, True, b"x", "s", [1, (2, 3)], {"a": [None]},
                                   datetime(2026, 12, 1, tzinfo=UTC), date(2026, 12, 1)])  # fmt: skip
def test_plain_values_serialise_as_the_sdk_does(value):
    assert OURS.serialize(value) == SDK.serialize(value)
