"""Property-based: random conversations, garbage included, never break the skill.

Hypothesis drives the real ``lambda_function.lambda_handler`` (memory store, see conftest)
with sequences of turns built from the voice model's own intents and slot types: valid
synonyms, garbage and huge slot values, odd numbers, locales Limber has and ones it has not,
devices with and without screens, session attributes carried between turns as Alexa carries
them and sometimes swapped for garbage, and stored progress that is garbage or points at a
routine the content no longer has. After every turn:

* the response passes ``alexa_rules.check_response`` and no exception escaped;
* a ``position`` in the session attributes names a routine that exists, at a step it has;

and after every conversation the stored place is one the content has (or, only when the
test itself planted a broken one, that same broken one left untouched).

The search is derandomized so CI sees the same conversations every run. More examples:
``LIMBER_PROPERTY_EXAMPLES=2000 pytest tests/test_properties.py``; a fresh random search:
``LIMBER_PROPERTY_RANDOM=1``.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import string
import time
import traceback
from collections import Counter
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambda_function
from alexa_rules import check_response
from limber.console.envelopes import LOCAL_SKILL_ID, envelope
from limber.core.content import default_library
from limber.core.display import START_ROUTINE
from limber.core.routine import steps_of
from limber.interaction_model import build_model, resolve_value
from limber.storage import partition_key
from limber.storage.memory import MemoryAdapter

EXAMPLES = int(os.environ.get("LIMBER_PROPERTY_EXAMPLES", "1500"))
RANDOM_SEARCH = os.environ.get("LIMBER_PROPERTY_RANDOM") == "1"
MIN_TURNS, MAX_TURNS = 3, 16

LIBRARY = default_library()
ROUTINE_IDS = [routine.id for routine in LIBRARY.routines]
LANGUAGE_MODEL = build_model("en-US")["interactionModel"]["languageModel"]
INTENT_SLOTS = {
    intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
    for intent in LANGUAGE_MODEL["intents"]
}
TYPE_VALUES = {
    slot_type["name"]: [
        (value["id"], phrase)
        for value in slot_type["values"]
        for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]
    ]
    for slot_type in LANGUAGE_MODEL["types"]
}
UNKNOWN_INTENTS = ["TotallyUnknownIntent", "AMAZON.ScrollDownIntent", "", "StartRoutine"]
KNOWN_LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]
LOCALES = KNOWN_LOCALES + ["fr-FR", "", "de"]
USER_EVENT = "Alexa.Presentation.APL.UserEvent"

# --- garbage -------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
garbage = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
garbage_dicts = st.dictionaries(st.text(max_size=8), garbage, max_size=4)
huge_text = st.builds(
    lambda chunk, repeat: chunk * repeat,
    st.text(alphabet=string.ascii_letters + " '<&>.", min_size=1, max_size=6),
    st.integers(min_value=2_000, max_value=60_000),
)
ODD_TEXT = st.text(max_size=40) | huge_text

# --- plausible-looking but wrong state -----------------------------------------------------

routine_ids = (
    st.sampled_from(ROUTINE_IDS)
    | st.sampled_from(["deleted_routine", "", "HIP_FLEXORS", "hip flexors"])
    | st.text(max_size=10)
    | garbage
)
steps = (
    st.integers(min_value=-3, max_value=40)
    | st.sampled_from([2**63, -(2**63), 10**30])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["3", True, None])
)
positions = st.fixed_dictionaries(
    {"routine": routine_ids, "step": steps}, optional={"paused": st.booleans() | garbage}
)
stored_positions = st.fixed_dictionaries(
    {"routine_id": routine_ids, "step": steps},
    optional={
        "paused": st.booleans() | garbage,
        "updated": st.sampled_from(["2024-01-01T00:00:00.000Z", "yesterday"]) | garbage,
    },
)
profiles = st.fixed_dictionaries(
    {},
    optional={
        "schema": st.sampled_from([1, 0, 7]) | garbage,
        "position": stored_positions | garbage,
        "hold_seconds": st.integers(min_value=-100, max_value=500) | garbage,
        "completions": st.lists(st.sampled_from(["2024-05-01", "2024-13-40", "nope"]), max_size=4)
        | garbage,
        "routines_completed": st.integers(min_value=-5, max_value=10**12) | garbage,
        "disclaimer_heard": st.booleans() | garbage,
        "updated_at": st.sampled_from(["2024-05-06T07:08:09.123Z", "soon"]) | garbage,
    },
)
# A profile cached in session attributes carries the adapter's bookkeeping keys. Alexa hands
# back what the skill sent, but the skill must not trust it: the same garbage as in storage.
session_profiles = st.builds(
    lambda profile, version, extra: {**profile, "_version": version, **extra},
    profiles,
    st.integers(min_value=-5, max_value=10**15) | garbage,
    st.fixed_dictionaries(
        {}, optional={"_unsaved": st.booleans() | garbage, "_basis": garbage, "_repairs": garbage}
    ),
)
session_attributes = st.fixed_dictionaries(
    {},
    optional={
        "position": positions | garbage,
        "hold": st.integers(min_value=-100, max_value=10**6) | garbage,
        "offer": routine_ids,
        # The red-flag screening keeps its state here; whatever arrives must not break a turn.
        "screen": garbage_dicts | garbage,
        "pending": st.sampled_from(["delete", "restart"]) | garbage,
        "profile": session_profiles | garbage,
        "unexpected": garbage,
    },
)
# Sometimes not even a mapping: such an envelope does not deserialize, and still gets an answer.
replacement_attributes = session_attributes | garbage_dicts | garbage

# --- requests ------------------------------------------------------------------------------


def resolutions(slot_type: str, heard, kind: str, other_id: str):
    """Entity resolution as Alexa attaches it to a custom slot type, for each kind of value."""
    if slot_type.startswith("AMAZON.") or kind == "no_resolution":
        return None
    authority = {"authority": f"amzn1.er-authority.echo-sdk.{LOCAL_SKILL_ID}.{slot_type}"}
    match = resolve_value("en-US", slot_type, heard) if isinstance(heard, str) else None
    if match and kind != "unmatched":
        status, values = "ER_SUCCESS_MATCH", [{"value": {"id": match[0], "name": match[1]}}]
    elif kind == "stale_id":  # a stale model: Alexa matched an id this content never had
        status, values = "ER_SUCCESS_MATCH", [{"value": {"id": other_id, "name": "x"}}]
    else:
        status, values = "ER_SUCCESS_NO_MATCH", None
    authority["status"] = {"code": status}
    if values:
        authority["values"] = values
    return {"resolutionsPerAuthority": [authority]}


odd_numbers = st.integers(min_value=-(10**6), max_value=10**6).map(str) | st.sampled_from(
    ["0", "-0", "?", "1e9", str(2**64), "9" * 5000, "1_000", "\u0663", "forty five", " 45 "]
)
# "valid": what Alexa sends for a phrase in the model; weighted so conversations get going.
SLOT_KINDS = ["valid"] * 4 + [
    "missing",
    "garbage",
    "number",
    "stale_id",
    "unmatched",
    "no_resolution",
]


def valid_value(slot_type: str):
    if slot_type == "AMAZON.NUMBER":
        return st.integers(min_value=5, max_value=90).map(str)
    known = [phrase for _, phrase in TYPE_VALUES.get(slot_type) or []]
    return st.sampled_from(known) if known else st.none()


@st.composite
def slots_for(draw, intent_name: str):
    declared = INTENT_SLOTS.get(intent_name, {})
    names = list(declared)
    if draw(st.integers(0, 9)) == 0:  # a slot the model never declared
        names.append(draw(st.text(min_size=1, max_size=8)))
    out = {}
    for name in names:
        slot_type = declared.get(name, "Unknown")
        kind = draw(st.sampled_from(SLOT_KINDS))
        if kind == "missing":
            heard = None
        elif kind == "garbage":
            heard = draw(ODD_TEXT)
        elif kind == "number":
            heard = draw(odd_numbers)
        else:
            heard = draw(valid_value(slot_type))
        slot = {"name": name, "confirmationStatus": "NONE"}
        if heard is not None:
            slot["value"] = heard
        other_id = draw(routine_ids.filter(lambda v: isinstance(v, str)))
        found = resolutions(slot_type, heard, kind, other_id)
        if found:
            slot["resolutions"] = found
        out[name] = slot
    return out


# Every intent of the model and some it lacks; the ones that get into and through a routine
# count several times so that many conversations reach deep into one. (Hypothesis leans
# towards the first entry of a list, so the first is one that keeps a routine going.)
WEIGHTED_INTENTS = (
    ["AMAZON.NextIntent"] * 8
    + ["StartRoutineIntent"] * 5
    + ["AMAZON.PreviousIntent", "SkipStretchIntent", "AMAZON.ResumeIntent"]
    + sorted(INTENT_SLOTS)
    + UNKNOWN_INTENTS
)


@st.composite
def intent_requests(draw):
    name = draw(st.sampled_from(WEIGHTED_INTENTS))
    intent = {"name": name, "confirmationStatus": "NONE"}
    slots = draw(slots_for(name))
    if slots:
        intent["slots"] = slots
    return {"type": "IntentRequest", "dialogState": "COMPLETED", "intent": intent}


touch_arguments = st.one_of(
    st.tuples(st.just(START_ROUTINE), routine_ids).map(list),
    st.lists(garbage, max_size=3),
)
other_requests = {
    "launch": st.just({"type": "LaunchRequest"}),
    "touch": st.builds(
        lambda a: {"type": USER_EVENT, "token": "limber", "arguments": a}, touch_arguments
    ),
    "ended": st.just({"type": "SessionEndedRequest", "reason": "USER_INITIATED"}),
    "exception": st.just(
        {"type": "System.ExceptionEncountered", "error": {"type": "INVALID_RESPONSE"}}
    ),
    "unserved": st.just({"type": "Alexa.Presentation.APL.LoadIndexListData"}),
}
REQUEST_KINDS = ["intent"] * 12 + ["launch", "touch", "touch"] + sorted(other_requests)
requests_ = st.sampled_from(REQUEST_KINDS).flatmap(
    lambda kind: intent_requests() if kind == "intent" else other_requests[kind]
)

interfaces = st.one_of(
    st.none(),
    st.builds(
        lambda version: {"Alexa.Presentation.APL": {"runtime": {"maxVersion": version}}},
        st.sampled_from(["1.8", "2024.3", "1.4", "x.y", ""]),
    ),
    st.just({"Alexa.Presentation.APL": {}}),
)


@st.composite
def turns(draw):
    request = draw(requests_)
    # None (mostly): the device's usual locale.
    locale = draw(st.sampled_from([None] * 5 + LOCALES))
    # One turn in six arrives with its session attributes swapped for something else.
    replaced = (
        [draw(replacement_attributes)] if draw(st.sampled_from([False] * 5 + [True])) else None
    )
    return request, locale, replaced


def valid_start(phrase: str) -> tuple:
    match = resolve_value("en-US", "RoutineName", phrase)
    slot = {"name": "routine", "value": phrase, "confirmationStatus": "NONE"}
    slot["resolutions"] = resolutions("RoutineName", phrase, "valid", "")
    assert match, phrase
    intent = {
        "name": "StartRoutineIntent",
        "confirmationStatus": "NONE",
        "slots": {"routine": slot},
    }
    return {"type": "IntentRequest", "dialogState": "COMPLETED", "intent": intent}, None, None


# Most conversations open by starting a routine, so the random turns after it land inside one.
openings = st.sampled_from([True, True, False]).flatmap(
    lambda opens: (
        st.sampled_from([p for _, p in TYPE_VALUES["RoutineName"]]).map(
            lambda phrase: [valid_start(phrase)]
        )
        if opens
        else st.just([])
    )
)
conversations = st.fixed_dictionaries(
    {
        "locale": st.sampled_from(LOCALES),
        "interfaces": interfaces,
        # What storage holds for this person before the first turn.
        "stored": st.none() | profiles | garbage | st.just("not json {"),
        "turns": st.builds(
            lambda opening, rest: opening + rest,
            openings,
            st.lists(turns(), min_size=MIN_TURNS, max_size=MAX_TURNS),
        ),
    }
)

# --- checks --------------------------------------------------------------------------------


def position_problem(position) -> str | None:
    """Why a session ``position`` does not fit the content, or None when it does."""
    if not isinstance(position, dict):
        return f"position is not a mapping: {position!r}"
    routine = LIBRARY.routine(position.get("routine"))
    if routine is None:
        return f"position names an unknown routine: {position!r}"
    step = position.get("step")
    if (
        not isinstance(step, int)
        or isinstance(step, bool)
        or not 0 <= step < len(steps_of(routine))
    ):
        return f"position step outside {routine.id}'s {len(steps_of(routine))} steps: {position!r}"
    return None


def stored_place_fits(position) -> bool:
    if position is None:
        return True
    routine = LIBRARY.routine(position.get("routine_id"))
    return routine is not None and 0 <= position["step"] < len(steps_of(routine))


def planted_places(value) -> list[tuple]:
    """Every (routine_id, step) pair the test itself put anywhere inside ``value``."""
    found = []
    if isinstance(value, dict):
        if "routine_id" in value and "step" in value:
            found.append((value["routine_id"], value["step"]))
        for item in value.values():
            found += planted_places(item)
    elif isinstance(value, list):
        for item in value:
            found += planted_places(item)
    return found


def can_show(interfaces) -> bool:
    """Whether the device in ``interfaces`` renders Limber's APL 1.8 documents: it declares APL
    and does not state an older runtime (an unreadable version is given the benefit)."""
    apl = (interfaces or {}).get("Alexa.Presentation.APL")
    return apl is not None and (apl.get("runtime") or {}).get("maxVersion") != "1.4"


def check_screen(response: dict, interfaces, where: str) -> None:
    documents = [
        directive
        for directive in response["response"].get("directives") or []
        if directive.get("type") == "Alexa.Presentation.APL.RenderDocument"
    ]
    if documents:
        TALLY.screens += 1
        assert can_show(interfaces), f"{where}: a screen sent to a device without one"
        assert len(documents) == 1, f"{where}: {len(documents)} documents in one response"
        assert isinstance(documents[0].get("document"), dict), f"{where}: no APL document"


class Tally:
    def __init__(self) -> None:
        self.conversations = 0
        self.turns = 0
        self.kinds: Counter = Counter()
        self.in_routine = 0  # turns answered with a place in a routine
        self.screens = 0  # turns answered with an APL document
        self.seconds = 0.0


TALLY = Tally()


class CaughtErrors(logging.Handler):
    """Exceptions the skill's catch-all handler had to swallow: each one is a bug it hid."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        found = [
            "".join(traceback.format_exception(*r.exc_info)) if r.exc_info else r.getMessage()
            for r in self.records
        ]
        self.records.clear()
        return found


CAUGHT = CaughtErrors()
_people = itertools.count(1)


def store() -> MemoryAdapter:
    adapter = lambda_function.skill.persistence_adapter
    assert isinstance(adapter, MemoryAdapter), "conftest sets LIMBER_STORE=memory"
    return adapter


def key_for(user_id: str) -> str:
    """The partition key the skill stores this user under."""
    user = SimpleNamespace(user_id=user_id)
    return partition_key(
        SimpleNamespace(context=SimpleNamespace(system=SimpleNamespace(user=user)))
    )


def run_conversation(conversation: dict) -> None:
    user_id = f"amzn1.ask.account.PROPERTY{next(_people)}"
    key = key_for(user_id)
    planted = []
    if conversation["stored"] is not None:
        text = conversation["stored"]
        text = text if text == "not json {" else json.dumps(text)
        store().store[key] = (1, text)
        planted += planted_places(conversation["stored"])
    attributes, new, session = {}, True, 0
    for number, (request, locale, replaced) in enumerate(conversation["turns"]):
        if replaced is not None:
            attributes = replaced[0]
            planted += planted_places(attributes)
        event = envelope(
            request,
            session_attributes=attributes,
            new=new,
            user_id=user_id,
            session_id=f"amzn1.echo-api.session.property-{session}",
            locale=locale if locale is not None else conversation["locale"],
            interfaces=conversation["interfaces"],
        )
        label = (request.get("intent") or {}).get("name") or request["type"]
        TALLY.kinds[label] += 1
        TALLY.turns += 1
        response = lambda_function.lambda_handler(event, None)
        where = f"turn {number} ({label})"
        caught = CAUGHT.take()
        assert not caught, f"{where}: the skill recovered from an exception:\n{caught[0]}"
        check_response(response)
        check_screen(response, conversation["interfaces"], where)
        returned = response.get("sessionAttributes") or {}
        if response["response"].get("shouldEndSession") is not False:
            # Alexa drops the attributes of a session that ends (a SessionEndedRequest's
            # response even echoes what came in): nothing of them reaches the next turn.
            attributes, new, session = {}, True, session + 1
            continue
        if "position" in returned:
            TALLY.in_routine += 1
            problem = position_problem(returned["position"])
            assert problem is None, f"{where}: {problem}"
        attributes, new = returned, False
    saved = store().load(key).get("position")
    if not stored_place_fits(saved):
        # Storage keeps a planted place until a launch repairs it (15.0 is stored as 15).
        place = (saved["routine_id"], saved["step"])
        assert place in planted, f"the skill stored a place the content does not have: {saved}"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM_SEARCH,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(conversations)
def random_conversations(conversation):
    TALLY.conversations += 1
    run_conversation(conversation)


def test_random_conversations_never_break_the_skill():
    logger = logging.getLogger("limber")
    logger.addHandler(CAUGHT)
    start = time.monotonic()
    try:
        random_conversations()
    finally:
        logger.removeHandler(CAUGHT)
    TALLY.seconds = time.monotonic() - start
    print(
        f"\n{TALLY.conversations} conversations, {TALLY.turns} turns in {TALLY.seconds:.1f} s; "
        f"{len(TALLY.kinds)} kinds of request; {TALLY.in_routine} turns inside a routine, "
        f"{TALLY.screens} with a screen"
    )
    # The search must have covered the model and the states that matter, not one corner.
    assert TALLY.turns >= 4 * EXAMPLES
    missing = set(INTENT_SLOTS) - set(TALLY.kinds)
    assert not missing, f"never sent: {sorted(missing)}"
    assert TALLY.in_routine >= TALLY.turns // 5
    assert TALLY.screens >= TALLY.turns // 20
