"""Every locale's interaction model: generated, committed, and within Alexa's rules.

The rules are the ones the developer console and certification apply to a custom model:
the SMAPI schema, sample and slot-value wording, invocation name, required built-ins.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from ask_sdk_model_runtime import DefaultSerializer

from limber.interaction_model import (
    PLACEHOLDER,
    build_model,
    content_words,
    locales,
    model_json,
    normalise,
    source_dir,
    stale_models,
    write_models,
)

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "skill-package" / "interactionModels" / "custom"
BUILTIN_SAMPLES = ROOT / "lambda" / "limber" / "console" / "builtin_samples.toml"
MODEL_TYPE = "ask_smapi_model.v1.skill.interaction_model.interaction_model_data.InteractionModelData"
LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]

REQUIRED_BUILT_INS = {
    "AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent", "AMAZON.NavigateHomeIntent",
    "AMAZON.FallbackIntent",
}  # fmt: skip
# Amazon's slot types this model may use; a misspelt one would fail only at deploy time.
BUILT_IN_SLOT_TYPES = {"AMAZON.NUMBER", "AMAZON.DURATION", "AMAZON.DATE", "AMAZON.TIME",
                       "AMAZON.Ordinal", "AMAZON.FOUR_DIGIT_NUMBER"}  # fmt: skip
MAX_SAMPLE_CHARS = 200  # Alexa's limit for one sample utterance
MAX_SLOT_VALUE_CHARS = 140  # and for one slot value or synonym
MIN_CUSTOM_SAMPLES = 12
WAKE_WORDS = {"alexa", "amazon", "echo", "computer", "ziggy", "skill", "app"}
LAUNCH_WORDS = {"ask", "tell", "open", "launch", "start", "begin", "play", "run", "load", "resume",
                "use", "enable", "talk", "go"}  # fmt: skip
CONNECTING_WORDS = {"to", "for", "about", "from", "by", "if", "whether", "and", "that", "the", "a",
                    "an", "of", "with", "using"}  # fmt: skip
ROUTINE_SYNONYMS_REQUIRED = ["hips", "hip flexors", "lower back", "back", "for runners", "running",
                             "desk", "sitting"]  # fmt: skip

# Letters and spaces; apostrophes inside a word ("what's", "runners'"); a period only after a
# single letter said on its own ("g. p."). Slot references are checked separately.
WORD = r"(?:[A-Za-z]+(?:'[A-Za-z]+)*'?|[A-Za-z]\.)"
SPOKEN = re.compile(rf"^{WORD}(?: {WORD})*$")
SLOT_REF = re.compile(r"\{(\w+)\}")


def language_model(locale: str) -> dict:
    return build_model(locale)["interactionModel"]["languageModel"]


def custom_types(locale: str) -> dict[str, dict]:
    return {t["name"]: t for t in language_model(locale)["types"]}


def spoken_part(sample: str) -> str:
    """The sample with each {slot} as a plain word, for the character rules."""
    return SLOT_REF.sub("slot", sample)


def sample_key(sample: str) -> str:
    """How two samples compare for duplicates: normalised words, slots by name."""
    return " ".join(
        part if SLOT_REF.fullmatch(part) else normalise(part)
        for part in re.split(r"(\{\w+\})", sample)
        if part.strip()
    ).strip()


# --- generated and committed ------------------------------------------------------------------


def test_the_five_locales_are_built():
    assert locales() == LOCALES


def test_committed_models_match_the_source():
    problems = stale_models(COMMITTED)
    assert not problems, f"{problems}; run: python scripts/generate_models.py"


def test_staleness_is_noticed(tmp_path):
    write_models(tmp_path)
    assert stale_models(tmp_path) == []
    changed = tmp_path / "en-GB.json"
    changed.write_text(changed.read_text().replace("limber coach", "limber trainer"))
    (tmp_path / "en-AU.json").unlink()
    (tmp_path / "fr-FR.json").write_text("{}")
    assert sorted(stale_models(tmp_path)) == [
        "en-AU.json: missing",
        "en-GB.json: differs from the source",
        "fr-FR.json: no such locale",
    ]


def test_generate_script_writes_what_is_committed_and_removes_stale_locales(tmp_path):
    (tmp_path / "xx-XX.json").write_text("{}")
    script = ROOT / "scripts" / "generate_models.py"
    subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True, timeout=120
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{loc}.json" for loc in LOCALES)
    for locale in LOCALES:
        assert (tmp_path / f"{locale}.json").read_bytes() == (COMMITTED / f"{locale}.json").read_bytes()
    check = subprocess.run(
        [sys.executable, str(script), "--check", "--out", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 1 and "en-US.json: missing" in check.stderr


def test_model_file_is_the_model_as_json():
    for locale in LOCALES:
        assert json.loads(model_json(locale)) == build_model(locale)


def test_build_model_returns_a_copy_callers_may_change():
    build_model("en-US")["interactionModel"]["languageModel"]["invocationName"] = "changed"
    assert language_model("en-US")["invocationName"] == "limber coach"


# --- the SMAPI schema -------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_model_deserialises_with_the_smapi_classes_and_survives_the_round_trip(locale):
    model = build_model(locale)
    parsed = DefaultSerializer().deserialize(json.dumps(model), MODEL_TYPE)
    language = parsed.interaction_model.language_model
    assert language.invocation_name == "limber coach"
    assert [i.name for i in language.intents] == [
        i["name"] for i in model["interactionModel"]["languageModel"]["intents"]
    ]
    assert {t.name: [v.id for v in t.values] for t in language.types} == {
        t["name"]: [v["id"] for v in t["values"]] for t in language_model(locale)["types"]
    }
    # Keys the schema does not know are dropped on the way in, so this catches misspellings.
    assert DefaultSerializer().serialize(parsed) == model


def test_a_misspelt_key_fails_the_round_trip():
    model = build_model("en-US")
    model["interactionModel"]["languageModel"]["intents"][0]["sampels"] = ["oops"]
    parsed = DefaultSerializer().deserialize(json.dumps(model), MODEL_TYPE)
    assert DefaultSerializer().serialize(parsed) != model


# --- intents and samples ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_certification_built_ins_are_present(locale):
    names = {i["name"] for i in language_model(locale)["intents"]}
    assert REQUIRED_BUILT_INS <= names


@pytest.mark.parametrize("locale", LOCALES)
def test_intent_names_are_unique_and_well_formed(locale):
    names = [i["name"] for i in language_model(locale)["intents"]]
    assert len(names) == len(set(names))
    for name in names:
        assert re.fullmatch(r"AMAZON\.[A-Za-z]+Intent|[A-Za-z_]+", name), name


@pytest.mark.parametrize("locale", LOCALES)
def test_every_custom_intent_has_enough_samples(locale):
    thin = {
        i["name"]: len(i.get("samples", []))
        for i in language_model(locale)["intents"]
        if not i["name"].startswith("AMAZON.") and len(i.get("samples", [])) < MIN_CUSTOM_SAMPLES
    }
    assert not thin


@pytest.mark.parametrize("locale", LOCALES)
def test_no_sample_belongs_to_two_intents(locale):
    owner: dict[str, str] = {}
    clashes = []
    for intent in language_model(locale)["intents"]:
        for key in {sample_key(s) for s in intent.get("samples", [])}:
            if owner.setdefault(key, intent["name"]) != intent["name"]:
                clashes.append((key, owner[key], intent["name"]))
    assert not clashes


@pytest.mark.parametrize("locale", LOCALES)
def test_a_slot_only_sample_does_not_swallow_another_intents_sample(locale):
    """ "{symptom}" alone is a sample, so no symptom may be said like another intent's sample."""
    intents, types = language_model(locale)["intents"], custom_types(locale)
    literal = {normalise(s): i["name"] for i in intents for s in i.get("samples", []) if "{" not in s}
    clashes = []
    for intent in intents:
        slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            bare = SLOT_REF.fullmatch(sample)
            if not bare or slot_types[bare[1]] not in types:
                continue
            for value in types[slot_types[bare[1]]]["values"]:
                for said in (value["name"]["value"], *value["name"].get("synonyms", [])):
                    if literal.get(normalise(said), intent["name"]) != intent["name"]:
                        clashes.append((said, literal[normalise(said)]))
    assert not clashes


@pytest.mark.parametrize("locale", LOCALES)
def test_samples_are_speakable_and_short_enough(locale):
    invocation = language_model(locale)["invocationName"]
    bad = []
    for intent in language_model(locale)["intents"]:
        for sample in intent.get("samples", []):
            spoken = spoken_part(sample)
            if not SPOKEN.fullmatch(spoken) or len(sample) > MAX_SAMPLE_CHARS:
                bad.append(sample)
            if "alexa" in normalise(spoken).split() or invocation in normalise(spoken):
                bad.append(sample)  # Alexa hears the wake word and invocation name itself
            if "{{" in sample or "}}" in sample:
                bad.append(sample)  # a locale placeholder left unexpanded
    assert not bad


def test_the_speakable_rule_rejects_what_alexa_rejects():
    for wrong in [
        "see a GP.",
        "A&E",
        "hold for 30 seconds",
        "is this ok?",
        "pre-stretch",
        "it's-ok",
        "'quoted'",
        "hello,  there",
        "e.r.",
    ]:
        assert not SPOKEN.fullmatch(wrong), wrong
    for right in ["see a g. p.", "what's my streak", "runners' hips", "I'd like to stretch", "a. and e."]:
        assert SPOKEN.fullmatch(right), right


@pytest.mark.parametrize("locale", LOCALES)
def test_slot_references_match_the_intents_slots(locale):
    types = custom_types(locale)
    for intent in language_model(locale)["intents"]:
        declared = [s["name"] for s in intent.get("slots", [])]
        assert len(declared) == len(set(declared)), intent["name"]
        used = set()
        for sample in intent.get("samples", []):
            refs = SLOT_REF.findall(sample)
            assert set(refs) <= set(declared), (intent["name"], sample)
            assert len(refs) == len(set(refs)), (intent["name"], sample)  # a slot once per sample
            assert not re.search(r"\w\{|\}\w", sample), sample  # slots stand apart from words
            used |= set(refs)
        assert used == set(declared), f"{intent['name']}: slots never in a sample"
        for slot in intent.get("slots", []):
            assert slot["type"] in types or slot["type"] in BUILT_IN_SLOT_TYPES, slot


# --- slot types -------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_every_custom_type_is_used_and_has_values(locale):
    used = {s["type"] for i in language_model(locale)["intents"] for s in i.get("slots", [])}
    for name, slot_type in custom_types(locale).items():
        assert name in used, f"{name} is defined but no slot uses it"
        assert slot_type["values"], f"{name} has no values (Alexa rejects an empty type)"


@pytest.mark.parametrize("locale", LOCALES)
def test_slot_values_are_unique_speakable_and_short(locale):
    for name, slot_type in custom_types(locale).items():
        ids = [v["id"] for v in slot_type["values"]]
        assert len(ids) == len(set(ids)), name
        seen: dict[str, str] = {}
        for value in slot_type["values"]:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", value["id"]), value["id"]
            for said in (value["name"]["value"], *value["name"].get("synonyms", [])):
                assert SPOKEN.fullmatch(said) and len(said) <= MAX_SLOT_VALUE_CHARS, (name, said)
                key = normalise(said).replace("'", "")
                assert seen.setdefault(key, value["id"]) == value["id"] and key, (
                    f"{name}: {said!r} is said for both {seen[key]} and {value['id']}"
                )
            names = [normalise(n) for n in (value["name"]["value"], *value["name"].get("synonyms", []))]
            assert len(names) == len(set(names)), (name, value["id"], "repeats a synonym")


@pytest.mark.parametrize("locale", LOCALES)
def test_slot_values_stay_apart_without_their_little_words(locale):
    """Entity resolution's last try drops "the", "my"...; no two ids may then sound alike."""
    for name, slot_type in custom_types(locale).items():
        owner: dict[str, str] = {}
        for value in slot_type["values"]:
            for said in (value["name"]["value"], *value["name"].get("synonyms", [])):
                key = content_words(said).replace("'", "")
                assert key, (name, said)
                assert owner.setdefault(key, value["id"]) == value["id"], (name, said, owner[key])


@pytest.mark.parametrize("locale", LOCALES)
def test_routine_names_cover_what_people_call_them(locale):
    said = {
        normalise(s)
        for v in custom_types(locale)["RoutineName"]["values"]
        for s in (v["name"]["value"], *v["name"]["synonyms"])
    }
    assert not [s for s in ROUTINE_SYNONYMS_REQUIRED if s not in said]


def test_routine_names_come_from_content():
    from limber.core.content import default_library

    values = custom_types("en-US")["RoutineName"]["values"]
    assert [v["id"] for v in values] == [r.id for r in default_library().routines]


def test_symptoms_come_from_the_symptom_lexicon():
    from limber.core.hearing import default_lexicon

    values = {v["id"]: v["name"] for v in custom_types("en-US")["Symptom"]["values"]}
    entries = {e.id: e.phrases for e in default_lexicon().entries}
    assert set(values) == set(entries)
    for entry_id, phrases in entries.items():
        assert [values[entry_id]["value"], *values[entry_id]["synonyms"]] == list(phrases)


# --- invocation name --------------------------------------------------------------------------


def invocation_problems(name: str) -> list[str]:
    words = name.split(" ")
    problems = []
    if not re.fullmatch(r"[a-z]+( [a-z]+)+", name):
        problems.append("two or more lower-case words of letters, single spaces")
    if not 2 <= len(name) <= 50:
        problems.append("2 to 50 characters")
    if WAKE_WORDS & set(words):
        problems.append("a wake word or 'skill'/'app'")
    if LAUNCH_WORDS & set(words):
        problems.append("a launch word")
    if words and (words[0] in CONNECTING_WORDS or words[-1] in CONNECTING_WORDS):
        problems.append("starts or ends with a connecting word")
    if len(words) == 2 and CONNECTING_WORDS & set(words):
        problems.append("a two-word name with an article or preposition")
    return problems


@pytest.mark.parametrize("locale", LOCALES)
def test_invocation_name_follows_alexas_rules(locale):
    assert invocation_problems(language_model(locale)["invocationName"]) == []


@pytest.mark.parametrize(
    "name",
    [
        "limber",
        "Limber Coach",
        "limber  coach",
        "limber coach 2",
        "limber skill",
        "alexa stretches",
        "echo stretch coach",
        "open limber",
        "the limber",
        "limber app",
        "limber-coach",
    ],
)
def test_invocation_rules_reject_bad_names(name):
    assert invocation_problems(name)


# --- locale wording ---------------------------------------------------------------------------


def samples_of(locale: str, intent: str) -> set[str]:
    return {
        normalise(s) for i in language_model(locale)["intents"] if i["name"] == intent for s in i["samples"]
    }


def test_every_locale_defines_every_placeholder_the_samples_use():
    import tomllib

    settings = tomllib.loads((source_dir() / "locales.toml").read_text())
    sources = "\n".join(p.read_text() for p in (source_dir() / "intents").glob("*.toml"))
    used = set(PLACEHOLDER.findall(sources))
    assert used
    for locale in settings["locales"]:
        assert used <= set(settings["wording"][locale]), locale


@pytest.mark.parametrize(("locale", "expected", "absent"), [
    ("en-US", {"should i see a physical therapist", "should i call nine one one",
               "should i go to the emergency room"}, {"should i see a gp", "should i go to a and e"}),
    ("en-CA", {"should i see a physio", "should i call nine one one"}, {"should i call nine nine nine"}),
    ("en-GB", {"should i see a gp", "should i see a physio", "should i call nine nine nine",
               "should i go to a and e", "should i call one one one"},
     {"should i call nine one one", "should i see a physical therapist"}),
    ("en-AU", {"should i see a gp", "should i call triple zero", "should i go to emergency"},
     {"should i call nine one one", "should i call nine nine nine"}),
    ("en-IN", {"should i see a physiotherapist", "should i call one one two", "should i go to casualty"},
     {"should i call nine one one"}),
])  # fmt: skip
def test_locales_use_their_own_words(locale, expected, absent):
    samples = samples_of(locale, "RedFlagCheckIntent")
    assert expected <= samples
    assert not absent & samples


# --- model quality: samples that would fight each other on a device -----------------------------


def _values(slot_type: dict) -> list[str]:
    return [s for v in slot_type["values"] for s in (v["name"]["value"], *v["name"].get("synonyms", []))]


def expansions(model: dict, intent: dict, sample: str) -> list[str]:
    """A sample with one slot filled by each of its custom type's values (normalised), as a device
    would hear a person say it. Built-in types (numbers, durations) are left unexpanded."""
    types = {t["name"]: t for t in model["types"]}
    slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
    out = []
    for found in SLOT_REF.finditer(sample):
        slot_type = types.get(slot_types.get(found[1], ""))
        if slot_type is None:
            continue
        for value in _values(slot_type):
            filled = sample[: found.start()] + value + sample[found.end() :]
            if "{" not in filled:
                out.append(normalise(filled))
    return out


def every_sample_as_said(model: dict):
    """(intent, sample, what a person says) for every sample, slots filled with each value."""
    for intent in model["intents"]:
        for sample in intent.get("samples", []):
            for said in [normalise(sample)] if "{" not in sample else expansions(model, intent, sample):
                yield intent["name"], sample, said


def literal_samples(locale: str) -> dict[str, str]:
    """Every sample without a slot, normalised -> its intent."""
    return {normalise(s): i["name"] for i in language_model(locale)["intents"] for s in i.get("samples", [])
            if "{" not in s}  # fmt: skip


@pytest.mark.parametrize("locale", LOCALES)
def test_no_two_samples_differ_only_by_a_slot_value(locale):
    """ "stretch my back" beside "stretch my {routine}" (back is a routine value) is the same
    sample twice: in two intents a device must guess; in one it is dead weight."""
    literal = literal_samples(locale)
    clashes = [
        (intent, sample, said, literal[said])
        for intent, sample, said in every_sample_as_said(language_model(locale))
        if "{" in sample and said in literal
    ]
    assert not clashes


@pytest.mark.parametrize("locale", LOCALES)
def test_no_two_intents_share_a_sample_shape(locale):
    """ "make it {seconds}" in one intent and "make it {routine}" in another: the same words
    around a slot, and the slot's words decide nothing a device can rely on."""
    owner: dict[str, str] = {}
    clashes = []
    for intent in language_model(locale)["intents"]:
        for sample in intent.get("samples", []):
            if "{" not in sample:
                continue
            shape = SLOT_REF.sub("{}", sample_key(sample))
            if owner.setdefault(shape, intent["name"]) != intent["name"]:
                clashes.append((shape, owner[shape], intent["name"]))
    assert not clashes


def amazons_own_samples() -> dict[str, str]:
    """Amazon's built-in phrases (the console's data of them): phrase -> built-in intent."""
    data = tomllib.loads(BUILTIN_SAMPLES.read_text(encoding="utf-8"))["intents"]
    return {
        normalise(phrase): name
        for name, lists in data.items()
        for key in ("documented", "heard")
        for phrase in lists[key]
    }


def test_amazons_built_in_samples_are_known():
    own = amazons_own_samples()
    assert own["skip"] == "AMAZON.NextIntent" and own["start over"] == "AMAZON.StartOverIntent"
    assert set(own.values()) >= {n for n in REQUIRED_BUILT_INS if n != "AMAZON.FallbackIntent"}


@pytest.mark.parametrize("locale", LOCALES)
def test_no_sample_repeats_or_shadows_an_amazon_built_in_phrase(locale):
    """AMAZON.NextIntent already hears "skip": a custom "skip" would take it from Next (or repeat
    it, in Next's own samples). No sample, and no sample with a slot value in it, says what a
    built-in intent hears by itself."""
    own = amazons_own_samples()
    clashes = [
        (intent, sample, said, own[said])
        for intent, sample, said in every_sample_as_said(language_model(locale))
        if said in own and OVERRIDES.get(said) != intent
    ]
    assert not clashes


# Phrases Amazon does not document for a built-in but the console assumes it hears ("heard"),
# which the model deliberately gives to its own intent. "Okay" after a warning-sign question
# must never count as a yes, so it is GoOnIntent's: asked again during a question, go on in a
# routine, a yes only to "would you like to do X next?".
OVERRIDES = {"okay": "GoOnIntent", "ok": "GoOnIntent"}


def test_overrides_only_take_undocumented_phrases():
    data = tomllib.loads(BUILTIN_SAMPLES.read_text(encoding="utf-8"))["intents"]
    documented = {normalise(p) for lists in data.values() for p in lists["documented"]}
    assert not documented & set(OVERRIDES)


def test_the_quality_checks_catch_what_they_look_for(monkeypatch):
    """Each check above fails on a model with the fault it looks for."""
    real = language_model("en-US")
    broken = json.loads(json.dumps(real))
    intents = {i["name"]: i for i in broken["intents"]}
    intents["SkipStretchIntent"]["samples"].append("skip")
    intents["SkipStretchIntent"]["samples"].append("stretch my back")
    intents["ProgressIntent"]["samples"].append("make it {routine}")
    intents["ProgressIntent"].setdefault("slots", []).append({"name": "routine", "type": "RoutineName"})
    monkeypatch.setattr(sys.modules[__name__], "language_model", lambda locale: broken)
    for check in (
        test_no_two_samples_differ_only_by_a_slot_value,
        test_no_two_intents_share_a_sample_shape,
        test_no_sample_repeats_or_shadows_an_amazon_built_in_phrase,
    ):
        with pytest.raises(AssertionError):
            check("en-US")
