"""The console's text matcher: typed words to the intent and slots Alexa would send."""

from __future__ import annotations

import re

import pytest

from limber.console.envelopes import intent_request
from limber.console.nlu import BUILT_IN_PHRASES, understand, words_to_number
from limber.interaction_model import build_model, normalise

LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]
SLOT_REF = re.compile(r"\{(\w+)\}")
NUMBER_WORDS, NUMBER = "thirty five", "35"


def intents(locale: str) -> list[dict]:
    return build_model(locale)["interactionModel"]["languageModel"]["intents"]


def type_values(locale: str) -> dict[str, list[dict]]:
    return {t["name"]: t["values"] for t in build_model(locale)["interactionModel"]["languageModel"]["types"]}


def said(text: str, locale: str = "en-US") -> tuple[str, dict]:
    match = understand(text, locale)
    return match.intent, match.resolved


# --- what the brief's examples and everyday phrasings give ------------------------------------


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("start hip stretches", "StartRoutineIntent", {"routine": "hip_flexors"}),
    ("Start hip flexors.", "StartRoutineIntent", {"routine": "hip_flexors"}),
    ("start the lower back routine", "StartRoutineIntent", {"routine": "low_back_and_hips"}),
    ("I'd like to stretch my lower back", "StartRoutineIntent", {"routine": "low_back_and_hips"}),
    ("I would like to stretch my lower back", "StartRoutineIntent", {"routine": "low_back_and_hips"}),
    ("do runners hips", "StartRoutineIntent", {"routine": "runners_hips"}),
    ("let's do running", "StartRoutineIntent", {"routine": "runners_hips"}),
    ("start desk stretches please", "StartRoutineIntent", {"routine": "desk_reset"}),
    ("start the desk", "StartRoutineIntent", {"routine": "desk_reset"}),
    ("start stretching", "StartRoutineIntent", {}),
    ("hold for forty five seconds", "SetHoldTimeIntent", {"seconds": "45"}),
    ("hold for forty-five seconds", "SetHoldTimeIntent", {"seconds": "45"}),
    ("set the hold to thirty seconds", "SetHoldTimeIntent", {"seconds": "30"}),
    ("make the holds longer", "SetHoldTimeIntent", {"direction": "longer"}),
    ("can the holds be a bit shorter", "SetHoldTimeIntent", {"direction": "shorter"}),
    ("what's the weather", "AMAZON.FallbackIntent", {}),
    ("order me a pizza", "AMAZON.FallbackIntent", {}),
    ("tell me a joke", "AMAZON.FallbackIntent", {}),
    ("", "AMAZON.FallbackIntent", {}),
    ("yes", "AMAZON.YesIntent", {}),
    ("yeah", "AMAZON.YesIntent", {}),
    ("yes I do", "AMAZON.YesIntent", {}),
    ("no", "AMAZON.NoIntent", {}),
    ("no thank you", "AMAZON.NoIntent", {}),
    ("no I don't", "AMAZON.NoIntent", {}),
    ("I don't think so", "AMAZON.NoIntent", {}),
    ("I'm not sure", "NotSureIntent", {}),
    ("I am not sure", "NotSureIntent", {}),
    ("I don't know", "NotSureIntent", {}),
    ("is this dangerous", "RedFlagCheckIntent", {}),
    ("Is this dangerous?", "RedFlagCheckIntent", {}),
    ("ouch", "PainDuringStretchIntent", {}),
    ("that hurts", "PainDuringStretchIntent", {}),
    ("I have a sharp pain", "PainDuringStretchIntent", {}),
    ("help", "AMAZON.HelpIntent", {}),
    ("what can I say", "AMAZON.HelpIntent", {}),
    ("stop", "AMAZON.StopIntent", {}),
    ("cancel", "AMAZON.CancelIntent", {}),
    ("never mind", "AMAZON.CancelIntent", {}),
    ("next", "AMAZON.NextIntent", {}),
    ("next please", "AMAZON.NextIntent", {}),
    ("go back", "AMAZON.PreviousIntent", {}),
    ("repeat", "AMAZON.RepeatIntent", {}),
    ("pause", "AMAZON.PauseIntent", {}),
    ("resume", "AMAZON.ResumeIntent", {}),
    ("resume my routine", "AMAZON.ResumeIntent", {}),
    ("start over", "AMAZON.StartOverIntent", {}),
    ("go home", "AMAZON.NavigateHomeIntent", {}),
    ("skip this one", "SkipStretchIntent", {}),
    ("how many are left", "HowManyLeftIntent", {}),
    ("what's my streak", "ProgressIntent", {}),
    ("what is my streak", "ProgressIntent", {}),
    ("forget my progress", "DeleteMyDataIntent", {}),
    ("what routines do you have", "ListRoutinesIntent", {}),
    ("what is this stretch for", "DescribeStretchIntent", {}),
])  # fmt: skip
def test_everyday_phrasings(text, intent, slots):
    assert said(text) == (intent, slots)


# --- beyond the samples: what Alexa generalises to, and what it must not --------------------


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("skip that", "SkipStretchIntent", {}),  # near miss of "skip"
        ("how many stretches left", "HowManyLeftIntent", {}),  # near miss, a word missing
        ("make holds longer", "SetHoldTimeIntent", {"direction": "longer"}),  # "the" left out
        ("start front of hips", "StartRoutineIntent", {"routine": "hip_flexors"}),  # "the" left out
        ("I have no idea", "NotSureIntent", {}),  # not a symptom called "no idea"
        ("resume the routine", "AMAZON.ResumeIntent", {}),  # not a routine called "resume the"
    ],
)
def test_close_paraphrases_reach_their_intent(text, intent, slots):
    assert said(text) == (intent, slots)


@pytest.mark.parametrize(
    "text",
    [
        "what's the weather like today", "tell me a story", "set an alarm for seven", "how old are you",
        "turn the volume up", "what time is it", "read my email", "what's two plus two", "good morning",
        "who won the game", "add milk to my shopping list", "open the garage door",
    ],
)  # fmt: skip
def test_other_requests_fall_back(text):
    assert said(text)[0] == "AMAZON.FallbackIntent"


@pytest.mark.parametrize("text", ["I don't recall", "I don't remember it", "yes I do have that maybe",
                                  "I'd say no idea", "not sure yes"])  # fmt: skip
def test_an_unclear_answer_is_never_taken_for_yes_or_no(text):
    """The safety screen's questions are answered yes or no; a near miss must not decide."""
    assert said(text)[0] not in {"AMAZON.YesIntent", "AMAZON.NoIntent"}


def test_a_value_outside_the_slot_type_is_sent_without_an_id():
    """ER_SUCCESS_NO_MATCH: the intent and the words heard, no id."""
    match = understand("start underwater basket weaving")
    assert match.intent == "StartRoutineIntent"
    assert match.slots == {"routine": {"value": "underwater basket weaving", "id": None}}


def test_a_bare_slot_sample_needs_a_known_value():
    """ "{symptom}" alone is a sample; it must not turn every unknown phrase into a red flag."""
    assert said("purple monkey dishwasher")[0] == "AMAZON.FallbackIntent"


def test_not_a_number_where_a_number_is_needed_is_not_that_sample():
    intent, slots = said("hold for some seconds")
    assert "seconds" not in slots


def test_politeness_does_not_turn_no_thank_you_into_no():
    assert said("no thank you") == ("AMAZON.NoIntent", {})
    assert said("okay") == ("AMAZON.YesIntent", {})
    assert said("okay next") == ("AMAZON.NextIntent", {})


@pytest.mark.parametrize(("locale", "text"), [
    ("en-GB", "should I see a GP"), ("en-GB", "should I see a G.P."), ("en-GB", "should I go to A&E"),
    ("en-GB", "should I go to A and E"), ("en-GB", "should I call nine nine nine"),
    ("en-AU", "should I call triple zero"), ("en-AU", "should I see a physio"),
    ("en-US", "should I see a physical therapist"), ("en-US", "should I go to the ER"),
    ("en-IN", "should I call one one two"), ("en-CA", "do I need to go to emergency"),
])  # fmt: skip
def test_locale_wording_is_understood(locale, text):
    assert said(text, locale)[0] == "RedFlagCheckIntent"


def test_red_flag_symptom_resolves_to_its_flag():
    assert said("is numbness in my groin dangerous") == ("RedFlagCheckIntent", {"symptom": "saddle_numbness"})


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("words", "number"), [
    ("45", 45), ("forty five", 45), ("forty-five", 45), ("ten", 10), ("nineteen", 19), ("twenty", 20),
    ("sixty", 60), ("a hundred", 100), ("one hundred and twenty", 120), ("ninety nine", 99),
    ("zero", 0), ("two hundred", 200),
])  # fmt: skip
def test_numbers_as_words(words, number):
    assert words_to_number(words) == number


@pytest.mark.parametrize(
    "words",
    [
        "",
        "seconds",
        "five four",
        "thirty thirty",
        "a",
        "and",
        "forty seconds",
        "one twenty five hundred thousand",
    ],
)
def test_not_numbers(words):
    assert words_to_number(words) is None


# --- every sample of the model ----------------------------------------------------------------


def filled(sample: str, slot_types: dict[str, str], values: dict[str, list[dict]], turn: int):
    """The sample with each slot replaced by a value of its type (a different one each
    ``turn``, said by its name or a synonym), and the ids expected."""
    expected = {}
    for name in SLOT_REF.findall(sample):
        slot_type = slot_types[name]
        if slot_type == "AMAZON.NUMBER":
            word, expected[name] = NUMBER_WORDS, NUMBER
        else:
            value = values[slot_type][turn % len(values[slot_type])]
            names = [value["name"]["value"], *value["name"]["synonyms"]]
            word, expected[name] = names[turn % len(names)], value["id"]
        sample = sample.replace("{" + name + "}", word)
    return sample, expected


@pytest.mark.parametrize("locale", LOCALES)
def test_every_sample_is_understood_as_its_own_intent(locale):
    values, wrong, tried = type_values(locale), [], 0
    for intent in intents(locale):
        slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for turn, sample in enumerate(intent.get("samples", [])):
            text, expected = filled(sample, slot_types, values, turn)
            tried += 1
            got = said(text, locale)
            if got != (intent["name"], expected):
                wrong.append((text, intent["name"], expected, got))
    assert tried > 300 and not wrong


@pytest.mark.parametrize("type_name", ["RoutineName", "HoldChange", "Symptom"])
def test_every_value_and_synonym_resolves_to_its_id(type_name):
    values = type_values("en-US")[type_name]
    assert values
    intent, sample = {
        "RoutineName": ("StartRoutineIntent", "start {}"),
        "HoldChange": ("SetHoldTimeIntent", "make the holds {}"),
        "Symptom": ("RedFlagCheckIntent", "is {} dangerous"),
    }[type_name]
    slot = {"RoutineName": "routine", "HoldChange": "direction", "Symptom": "symptom"}[type_name]
    wrong = []
    for value in values:
        for name in (value["name"]["value"], *value["name"]["synonyms"]):
            got = said(sample.format(name))
            if got != (intent, {slot: value["id"]}):
                wrong.append((name, value["id"], got))
    assert not wrong


def test_built_in_phrasings_belong_to_one_intent_only():
    owner = {}
    for intent in intents("en-US"):
        for sample in intent.get("samples", []) + BUILT_IN_PHRASES.get(intent["name"], []):
            if "{" not in sample:
                key = normalise(sample)
                assert owner.setdefault(key, intent["name"]) == intent["name"], (sample, owner[key])


@pytest.mark.parametrize("name", sorted(BUILT_IN_PHRASES))
def test_built_in_phrasings_reach_their_intent(name):
    for phrase in BUILT_IN_PHRASES[name]:
        assert said(phrase)[0] == name, phrase


# --- what the console sends -------------------------------------------------------------------


def resolution(request: dict, slot: str) -> dict:
    return request["intent"]["slots"][slot]["resolutions"]["resolutionsPerAuthority"][0]


def test_matched_value_is_sent_with_er_success_match_and_its_id():
    match = understand("start hip stretches")
    request = intent_request(match.intent, "en-US", routine=match.slots["routine"]["value"])
    authority = resolution(request, "routine")
    assert authority["status"]["code"] == "ER_SUCCESS_MATCH"
    assert authority["values"][0]["value"] == {"id": "hip_flexors", "name": "hip flexors"}


def test_unknown_value_is_sent_with_er_success_no_match():
    match = understand("start underwater basket weaving")
    request = intent_request(match.intent, "en-US", routine=match.slots["routine"]["value"])
    assert request["intent"]["slots"]["routine"]["value"] == "underwater basket weaving"
    authority = resolution(request, "routine")
    assert authority["status"]["code"] == "ER_SUCCESS_NO_MATCH" and "values" not in authority


def test_the_envelope_resolves_a_value_as_the_matcher_did():
    match = understand("start front of hips")
    request = intent_request(match.intent, "en-US", routine=match.slots["routine"]["value"])
    authority = resolution(request, "routine")
    assert authority["status"]["code"] == "ER_SUCCESS_MATCH"
    assert authority["values"][0]["value"]["id"] == match.slots["routine"]["id"] == "hip_flexors"


def test_console_request_for_a_typed_line():
    from limber.console.main import request_for

    class Session:
        locale = "en-GB"

    request = request_for("Alexa, ask limber coach to hold for forty five seconds", Session())
    assert request["intent"]["name"] == "SetHoldTimeIntent"
    assert request["intent"]["slots"]["seconds"]["value"] == "45"
    assert request_for("open limber coach", Session()) == {"type": "LaunchRequest"}
    assert request_for("   ", Session()) is None
