"""The console's matcher: typed words to the intent and slots Alexa would send, and no more.

Rules are checked on a small model built here, so they hold whatever the skill's own model
says; the skill's model is checked as a whole (every sample, every slot value, Amazon's
built-in phrases) at the end. The rules and their sources: lambda/limber/console/README.md.
"""

from __future__ import annotations

import copy
import re

import pytest

from limber.console.envelopes import intent_request
from limber.console.nlu import (
    FALLBACK,
    SESSION_END,
    Matcher,
    builtin_phrases,
    matcher,
    understand,
    words_to_duration,
    words_to_number,
)
from limber.interaction_model import build_model, normalise

LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]
SLOT_REF = re.compile(r"\{(\w+)\}")
NUMBER_WORDS, NUMBER = "thirty five", "35"
BUILT_INS = sorted(builtin_phrases())


def value(id_, name, *synonyms):
    return {"id": id_, "name": {"value": name, "synonyms": list(synonyms)}}


MODEL = {
    "interactionModel": {
        "languageModel": {
            "invocationName": "limber coach",
            "intents": [
                *({"name": name, "samples": []} for name in BUILT_INS),
                {"name": FALLBACK, "samples": []},
                {
                    "name": "StartRoutineIntent",
                    "slots": [{"name": "routine", "type": "RoutineName"}],
                    "samples": ["start {routine}", "start the {routine} routine", "{routine} stretches"],
                },
                {
                    "name": "SetHoldTimeIntent",
                    "slots": [
                        {"name": "seconds", "type": "AMAZON.NUMBER"},
                        {"name": "length", "type": "AMAZON.DURATION"},
                        {"name": "direction", "type": "HoldChange"},
                    ],
                    "samples": [
                        "hold for {seconds} seconds",
                        "make it {seconds}",
                        "hold for {length}",
                        "make the holds {direction}",
                    ],  # fmt: skip
                },
                {
                    "name": "HowManyLeftIntent",
                    "samples": ["how many are left", "how many stretches are left"],
                },
            ],
            "types": [
                {
                    "name": "RoutineName",
                    "values": [
                        value("hip_flexors", "hip flexors", "hip stretches", "hips"),
                        value("desk_reset", "desk reset", "desk"),
                    ],
                },  # fmt: skip
                {"name": "HoldChange", "values": [value("longer", "longer"), value("shorter", "shorter")]},
            ],
        }
    }
}


def with_catch_all(model: dict) -> dict:
    """The model plus an intent whose only sample is a slot of a custom type."""
    model = copy.deepcopy(model)
    language = model["interactionModel"]["languageModel"]
    language["intents"].append(
        {
            "name": "StatementIntent",
            "slots": [{"name": "symptom", "type": "Symptom"}],
            "samples": ["{symptom}"],
        }
    )
    language["types"].append(
        {"name": "Symptom", "values": [value("leg_numbness", "numb leg", "my leg is numb")]}
    )
    return model


BARE, CATCH_ALL = Matcher(MODEL), Matcher(with_catch_all(MODEL))


def heard(text: str, hearing: Matcher = BARE) -> tuple[str, dict]:
    match = hearing.hear(text)
    return match.intent, match.resolved


# --- Amazon's built-in intents ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "phrase"), [(name, phrase) for name in BUILT_INS for phrase in builtin_phrases()[name]]
)
def test_amazons_phrases_reach_their_built_in_intent(intent, phrase):
    assert heard(phrase) == (intent, {})


def test_no_phrase_is_listed_under_two_built_in_intents():
    owner = {}
    for intent, phrases in builtin_phrases().items():
        for phrase in phrases:
            assert owner.setdefault(normalise(phrase), intent) == intent, phrase


@pytest.mark.parametrize(
    "text",
    ["I'm done", "I'm finished", "what was that", "pardon", "done", "finished", "go on", "carry on",
     "that's enough", "what do I do", "main menu"],
)  # fmt: skip
def test_built_ins_do_not_hear_what_amazon_does_not_document(text):
    """Amazon's Stop hears "stop", "off", "shut up"; "I'm done" is the skill's to define."""
    assert heard(text)[0] == FALLBACK


@pytest.mark.parametrize("text", ["skip the stretch", "repeat that one", "next stretch please",
                                  "help me out here", "stop the music", "resume the routine"])  # fmt: skip
def test_a_built_in_hears_only_exact_phrases(text):
    """ "a built-in intent ... must include an exactly matching sample utterance" """
    assert heard(text)[0] == FALLBACK


def test_the_models_own_samples_come_before_amazons_list():
    model = copy.deepcopy(MODEL)
    intents = model["interactionModel"]["languageModel"]["intents"]
    intents.append({"name": "GoOnIntent", "samples": ["sure", "keep going"]})
    hearing = Matcher(model)
    assert heard("sure", hearing)[0] == "GoOnIntent"  # Amazon's Yes would hear it otherwise
    assert heard("keep going", hearing)[0] == "GoOnIntent"  # ... and Amazon's Resume this
    assert heard("yes", hearing)[0] == "AMAZON.YesIntent"


@pytest.mark.parametrize("text", ["exit", "quit", "Alexa, quit", "um exit"])
def test_exit_and_quit_end_the_session_rather_than_reach_an_intent(text):
    assert BARE.hear(text).intent == SESSION_END


# --- fillers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("um next", "AMAZON.NextIntent", {}),
    ("next please", "AMAZON.NextIntent", {}),
    ("uh, next, um, please", "AMAZON.NextIntent", {}),
    ("okay so start hip stretches please", "StartRoutineIntent", {"routine": "hip_flexors"}),
    ("Alexa, repeat", "AMAZON.RepeatIntent", {}),
    ("well, help me", "AMAZON.HelpIntent", {}),
    ("how many are left thanks", "HowManyLeftIntent", {}),
    ("okay", FALLBACK, {}),  # as said: a filler only around other words, and not Amazon's yes
    ("cheers, next one", "AMAZON.NextIntent", {}),
    ("next one eh", "AMAZON.NextIntent", {}),
    ("okay next", "AMAZON.NextIntent", {}),
    ("no thank you", "AMAZON.NoIntent", {}),
    ("no thanks", "AMAZON.NoIntent", {}),
    ("yes please", "AMAZON.YesIntent", {}),
    ("please", FALLBACK, {}),
    ("thanks", FALLBACK, {}),
    ("um", FALLBACK, {}),
])  # fmt: skip
def test_fillers_around_a_request_are_tolerated(text, intent, slots):
    assert heard(text) == (intent, slots)


@pytest.mark.parametrize("text", ["I don't recall", "yes I do have that maybe", "not sure yes", "no idea",
                                  "yes and no", "nope not really sure", "yeah maybe"])  # fmt: skip
def test_yes_and_no_are_heard_only_as_said(text):
    """They answer the safety screen's questions: nothing near them counts."""
    assert heard(text)[0] not in {"AMAZON.YesIntent", "AMAZON.NoIntent"}
    assert heard(text, CATCH_ALL)[0] not in {"AMAZON.YesIntent", "AMAZON.NoIntent"}


# --- custom intents and open slots --------------------------------------------------------------


def test_little_words_aside_a_sample_must_still_carry_its_slots():
    model = copy.deepcopy(MODEL)
    model["interactionModel"]["languageModel"]["intents"].append(
        {
            "name": "WorryIntent",
            "slots": [{"name": "who", "type": "RoutineName"}, {"name": "what", "type": "HoldChange"}],
            "samples": ["my {who} is {what}"],
        }  # fmt: skip
    )
    hearing = Matcher(model)
    assert heard("my desk is longer", hearing) == ("WorryIntent", {"who": "desk_reset", "what": "longer"})
    assert heard("what's the weather", hearing)[0] == FALLBACK  # not "{who} is {what}"
    assert heard("what is the weather", hearing)[0] == FALLBACK


def test_a_custom_sample_may_have_or_lack_little_words():
    assert heard("make holds longer") == ("SetHoldTimeIntent", {"direction": "longer"})
    assert heard("start the hips") == ("StartRoutineIntent", {"routine": "hip_flexors"})
    assert heard("start desk routine") == ("StartRoutineIntent", {"routine": "desk_reset"})
    # the slot still gets the words as said, little words and all
    match = BARE.hear("make holds a bit longer")
    assert match.intent == "SetHoldTimeIntent" and match.slots["direction"]["value"] == "a bit longer"


@pytest.mark.parametrize("text", ["how many stretches left", "how many left", "how many is left",
                                  "start hip stretch", "make the hold longer"])  # fmt: skip
def test_no_near_miss_guessing(text):
    """Nothing similar to a sample counts as it: the fallback is better than a wrong intent."""
    got = heard(text)
    assert got[0] == FALLBACK or None in got[1].values(), got


def test_words_outside_a_custom_slots_values_are_sent_raw_with_no_match():
    match = BARE.hear("start underwater basket weaving")
    assert match.intent == "StartRoutineIntent"
    assert match.slots["routine"]["value"] == "underwater basket weaving"
    assert match.slots["routine"]["id"] is None and match.status("routine") == "ER_SUCCESS_NO_MATCH"
    assert not match.complete


def test_a_resolved_match_beats_raw_words_and_more_carrier_words_win():
    # "start {routine}" would take "the desk routine" raw; the longer sample resolves it.
    assert heard("start the desk routine") == ("StartRoutineIntent", {"routine": "desk_reset"})
    match = BARE.hear("start the yoga routine")
    assert (match.sample, match.slots["routine"]["value"]) == ("start the {routine} routine", "yoga")
    # Raw words with fillers as said lose to a resolved value once the fillers are off.
    assert heard("start hip stretches please") == ("StartRoutineIntent", {"routine": "hip_flexors"})


def test_words_are_shared_between_two_slots_so_both_resolve():
    model = copy.deepcopy(MODEL)
    model["interactionModel"]["languageModel"]["intents"].append(
        {
            "name": "BothIntent",
            "slots": [
                {"name": "routine", "type": "RoutineName"},
                {"name": "direction", "type": "HoldChange"},
            ],
            "samples": ["do {routine} {direction}"],
        }  # fmt: skip
    )
    hearing = Matcher(model)
    assert heard("do hip stretches longer", hearing) == ("BothIntent", {"routine": "hip_flexors",
                                                                         "direction": "longer"})  # fmt: skip
    match = hearing.hear("do yoga a lot longer")  # nothing resolves both: the shortest first slot
    assert match.slots["routine"]["value"] == "yoga" and match.slots["direction"]["value"] == "a lot longer"


def test_the_match_says_why():
    match = BARE.hear("okay so start hip stretches")
    assert match.sample == "start {routine}" and "filler" in match.how
    assert match.status("routine") == "ER_SUCCESS_MATCH" and match.slots["routine"]["id"] == "hip_flexors"


# --- the slot-only sample -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["my hips are tight", "lower back", "remind me to stretch",
                                  "what's the weather", "I'm done", "purple monkey dishwasher"])  # fmt: skip
def test_a_slot_only_sample_catches_what_nothing_else_fits(text):
    """On a device "{symptom}" of an open type grabs any utterance no sample fits, with all its
    words in the slot: the handler behind it must cope."""
    match = CATCH_ALL.hear(text)
    assert match.intent == "StatementIntent"
    assert match.slots["symptom"] == {"value": normalise(text), "id": None, "type": "Symptom"}
    assert match.status("symptom") == "ER_SUCCESS_NO_MATCH"
    assert heard(text)[0] == FALLBACK  # without that sample, the fallback


def test_the_catch_all_does_not_take_what_a_sample_fits():
    assert heard("next", CATCH_ALL)[0] == "AMAZON.NextIntent"
    assert heard("start yoga", CATCH_ALL) == ("StartRoutineIntent", {"routine": None})
    assert heard("my leg is numb", CATCH_ALL) == ("StatementIntent", {"symptom": "leg_numbness"})
    assert (
        CATCH_ALL.hear("um okay so my hips are tight please").slots["symptom"]["value"] == "my hips are tight"
    )


def test_the_skills_model_has_the_catch_all_its_slot_only_sample_makes():
    """Whatever intent of the skill's model has a slot-only sample, it is what an unknown phrase
    reaches on a device; without one it is the fallback."""
    language = build_model("en-US")["interactionModel"]["languageModel"]
    builtin = {"AMAZON.NUMBER", "AMAZON.DURATION", "AMAZON.TIME"}
    slot_only = [
        intent["name"]
        for intent in language["intents"]
        for sample in intent.get("samples", [])
        if SLOT_REF.fullmatch(sample)
        and {s["name"]: s["type"] for s in intent["slots"]}[sample[1:-1]] not in builtin
    ]
    expected = slot_only[0] if slot_only else FALLBACK
    for text in ("order me a pizza", "tell me a joke", "set an alarm for seven"):
        assert understand(text).intent == expected


# --- numbers and durations ----------------------------------------------------------------------


@pytest.mark.parametrize(("words", "number"), [
    ("45", 45), ("forty five", 45), ("forty-five", 45), ("ten", 10), ("nineteen", 19), ("twenty", 20),
    ("sixty", 60), ("a hundred", 100), ("one hundred and twenty", 120), ("ninety nine", 99),
    ("zero", 0), ("two hundred", 200),
])  # fmt: skip
def test_numbers_as_words(words, number):
    assert words_to_number(words) == number


@pytest.mark.parametrize("words", ["", "seconds", "five four", "thirty thirty", "a", "and", "forty seconds",
                                   "one twenty five hundred thousand"])  # fmt: skip
def test_not_numbers(words):
    assert words_to_number(words) is None


@pytest.mark.parametrize(("words", "iso"), [
    ("a minute", "PT1M"), ("one minute", "PT1M"), ("forty seconds", "PT40S"), ("40 seconds", "PT40S"),
    ("half a minute", "PT30S"), ("a minute and a half", "PT1M30S"), ("one and a half minutes", "PT1M30S"),
    ("two minutes thirty seconds", "PT2M30S"), ("two minutes and thirty seconds", "PT2M30S"),
    ("ninety seconds", "PT90S"), ("twenty-five secs", "PT25S"), ("an hour", "PT1H"),
    ("half an hour", "PT30M"),
])  # fmt: skip
def test_durations_resolve_to_iso_8601_as_alexa_sends_them(words, iso):
    assert words_to_duration(words) == iso


@pytest.mark.parametrize("words", ["", "minute", "seconds", "forty", "a lot of seconds", "and a minute",
                                   "a minute more"])  # fmt: skip
def test_not_durations(words):
    assert words_to_duration(words) is None


@pytest.mark.parametrize(("text", "slots"), [
    ("hold for 45 seconds", {"seconds": "45"}),
    ("hold for forty-five seconds", {"seconds": "45"}),
    ("make it 40", {"seconds": "40"}),
    ("make it forty", {"seconds": "40"}),
    ("hold for a minute", {"length": "PT1M"}),
    ("hold for half a minute", {"length": "PT30S"}),
    ("hold for forty seconds", {"seconds": "40"}),  # the sample that says "seconds" explains more
])  # fmt: skip
def test_number_and_duration_slots(text, slots):
    assert heard(text) == ("SetHoldTimeIntent", slots)


def test_a_number_or_duration_keeps_the_words_said():
    length = BARE.hear("hold for a minute and a half").slots["length"]
    assert length == {
        "value": "PT1M30S",
        "id": "PT1M30S",
        "type": "AMAZON.DURATION",
        "said": "a minute and a half",
    }
    assert BARE.hear("make it forty").slots["seconds"]["said"] == "forty"


def test_a_number_slot_that_hears_no_number_is_not_that_sample():
    assert heard("hold for some seconds")[0] == FALLBACK
    assert heard("make it longer")[0] == FALLBACK  # "make it {seconds}": not a number


def test_the_compiled_model_is_kept():
    assert matcher("en-US") is matcher("en-US")


# --- the skill's own model ----------------------------------------------------------------------


def intents(locale: str) -> list[dict]:
    return build_model(locale)["interactionModel"]["languageModel"]["intents"]


def type_values(locale: str) -> dict[str, list[dict]]:
    return {t["name"]: t["values"] for t in build_model(locale)["interactionModel"]["languageModel"]["types"]}


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("start hip stretches", "StartRoutineIntent", {"routine": "hip_flexors"}),
    ("Start hip flexors.", "StartRoutineIntent", {"routine": "hip_flexors"}),
    ("start the lower back routine", "StartRoutineIntent", {"routine": "low_back_and_hips"}),
    ("um, start desk stretches please", "StartRoutineIntent", {"routine": "desk_reset"}),
    ("hold for forty five seconds", "SetHoldTimeIntent", {"duration": "PT45S"}),
    ("make the holds longer", "SetHoldTimeIntent", {"direction": "longer"}),
    ("yes", "AMAZON.YesIntent", {}),
    ("no I don't", "AMAZON.NoIntent", {}),
    ("I'm not sure", "NotSureIntent", {}),
    ("is this dangerous", "RedFlagCheckIntent", {}),
    ("help", "AMAZON.HelpIntent", {}),
    ("next please", "AMAZON.NextIntent", {}),
    ("stop", "AMAZON.StopIntent", {}),
])  # fmt: skip
def test_everyday_phrasings_of_the_skills_model(text, intent, slots):
    match = understand(text)
    assert (match.intent, match.resolved) == (intent, slots)


def filled(sample: str, slot_types: dict[str, str], values: dict[str, list[dict]], turn: int):
    """The sample with each slot replaced by a value of its type (a different one each
    ``turn``, said by its name or a synonym), and the ids expected."""
    expected = {}
    for name in SLOT_REF.findall(sample):
        slot_type = slot_types[name]
        if slot_type == "AMAZON.NUMBER":
            word, expected[name] = NUMBER_WORDS, NUMBER
        elif slot_type == "AMAZON.DURATION":  # not "forty seconds": "{seconds} seconds" fits that too
            word, expected[name] = "a minute and a half", "PT1M30S"
        elif slot_type == "AMAZON.TIME":
            word, expected[name] = ("seven thirty pm", "19:30") if turn % 2 else ("8 am", "08:00")
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
            match = understand(text, locale)
            if (match.intent, match.resolved) != (intent["name"], expected):
                wrong.append((text, intent["name"], expected, match.intent, match.resolved))
    assert tried > 300 and not wrong


def carrier_samples(locale: str) -> dict[str, tuple[str, str, str]]:
    """For each custom slot type, one sample of the model with words around a single slot of it."""
    out = {}
    for intent in intents(locale):
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            slots = SLOT_REF.findall(sample)
            if (
                len(slots) == 1
                and SLOT_REF.sub("", sample).strip()
                and not types[slots[0]].startswith("AMAZON.")
            ):
                out.setdefault(types[slots[0]], (intent["name"], sample, slots[0]))
    return out


@pytest.mark.parametrize("locale", ["en-US", "en-GB"])
def test_every_value_and_synonym_resolves_to_its_id(locale):
    values, carriers, wrong = type_values(locale), carrier_samples(locale), []
    assert carriers
    for type_name, (intent, sample, slot) in carriers.items():
        for value in values[type_name]:
            for name in (value["name"]["value"], *value["name"]["synonyms"]):
                match = understand(sample.replace("{" + slot + "}", name), locale)
                if (match.intent, match.resolved.get(slot)) != (intent, value["id"]):
                    wrong.append((type_name, name, value["id"], match.intent, match.resolved))
    assert not wrong


def test_amazons_phrases_reach_their_intent_unless_the_model_gives_them_to_another():
    """Where the model gives one of Amazon's phrases to another intent ("skip" to a custom
    intent while AMAZON.NextIntent hears it), the model's sample wins; that shadowing is the
    voice model's to avoid (tests/test_interaction_models.py), not the matcher's to hide."""
    claimed = {
        normalise(sample): intent["name"]
        for intent in intents("en-US")
        for sample in intent.get("samples", [])
        if "{" not in sample
    }
    in_model = {intent["name"] for intent in intents("en-US")}
    for intent, phrases in builtin_phrases().items():
        for phrase in phrases if intent in in_model else ():
            expected = claimed.get(normalise(phrase), intent)
            assert understand(phrase).intent == expected, phrase


# --- what the console sends ---------------------------------------------------------------------


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
    assert match.slots["routine"]["value"] == "underwater basket weaving"
    request = intent_request(match.intent, "en-US", routine=match.slots["routine"]["value"])
    assert request["intent"]["slots"]["routine"]["value"] == "underwater basket weaving"
    authority = resolution(request, "routine")
    assert authority["status"]["code"] == "ER_SUCCESS_NO_MATCH" and "values" not in authority


def test_the_envelope_resolves_a_value_as_the_matcher_did():
    match = understand("start the front of hips")
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
    assert request["intent"]["slots"]["duration"]["value"] == "PT45S"
    assert request_for("open limber coach", Session()) == {"type": "LaunchRequest"}
    assert request_for("quit", Session()) == {"type": "SessionEndedRequest", "reason": "USER_INITIATED"}
    assert request_for("   ", Session()) is None


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("remind me to stretch every day at 8 am", {"time": "08:00", "days": "daily"}),
        ("remind me on weekdays at 7 pm", {"time": "19:00", "days": "weekdays"}),
        ("remind me to stretch every morning", {"time": "MO"}),
        ("remind me to stretch at half past seven", {"time": "07:30"}),
    ],
)
def test_reminder_times_are_heard_as_alexa_resolves_them(text, slots):
    match = understand(text)
    assert match.intent == "SetReminderIntent"
    assert {k: v for k, v in match.resolved.items() if v} == slots
