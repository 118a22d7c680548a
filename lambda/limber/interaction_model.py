"""Builds each locale's Alexa interaction model from ``interaction_models/`` and ``content/``.

``interaction_models/`` holds the intents and samples once; routine names come from
content/routines, and how people say each symptom (the Symptom and Person slot types and the
carrier phrases of an intent marked ``lexicon_carriers``) from the symptom lexicon,
content/lexicon/symptoms.toml, so the model, the content, the reader of raw slot words
(limber.core.hearing) and the tests share one vocabulary. Used by the build
(``write_models``), the console's text matcher and the model tests.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import tomllib
from functools import lru_cache
from pathlib import Path

from limber.core.content import content_dir, load_library
from limber.core.hearing import default_lexicon

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# Words too common to tell phrases apart; the matcher's second look and entity resolution's
# last try leave them out ("front of hips" is "front of the hips").
FILLER_WORDS = frozenset("the a an my some this that it please now just so um uh then really".split())

# Typed and spoken forms of the same words, so "what's" and "what is" compare equal.
CONTRACTIONS = {
    "what's": "what is", "whats": "what is", "where's": "where is", "how's": "how is",
    "it's": "it is", "that's": "that is", "thats": "that is", "there's": "there is",
    "i'm": "i am", "im": "i am", "i've": "i have", "ive": "i have", "i'd": "i would",
    "i'll": "i will", "let's": "let us", "lets": "let us", "you're": "you are",
    "don't": "do not", "dont": "do not", "doesn't": "does not", "didn't": "did not",
    "can't": "cannot", "cant": "cannot", "won't": "will not", "isn't": "is not",
    "aren't": "are not", "haven't": "have not", "hasn't": "has not", "wasn't": "was not",
    "wanna": "want to", "gotta": "got to",
}  # fmt: skip


def source_dir() -> Path:
    """``interaction_models/`` beside ``content/``, else the repository's own."""
    here = Path(__file__).resolve().parents[2] / "interaction_models"  # lambda/limber/.. /..
    for candidate in (content_dir().parent / "interaction_models", here):
        if (candidate / "locales.toml").is_file():
            return candidate
    raise FileNotFoundError(f"interaction_models/locales.toml not found beside {content_dir()} or at {here}")


def _load_source(folder: Path) -> tuple[dict, list[dict], list[dict]]:
    settings = tomllib.loads((folder / "locales.toml").read_text(encoding="utf-8"))
    intents, types = [], []
    for path in sorted((folder / "intents").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        intents += data.get("intents", [])
        types += data.get("types", [])
    return settings, intents, types


def _expand(sample: str, wording: dict[str, list[str]], locale: str) -> list[str]:
    """One sample per combination of the locale's words for its {{placeholders}}."""
    keys = PLACEHOLDER.findall(sample)
    if not keys:
        return [sample]
    missing = [k for k in keys if not wording.get(k)]
    if missing:
        raise ValueError(f"locales.toml: [wording.{locale}] has no words for {missing} ({sample!r})")
    out = []
    for combo in itertools.product(*(wording[k] for k in keys)):
        text = sample
        for key, word in zip(keys, combo, strict=True):
            text = text.replace("{{" + key + "}}", word, 1)
        out.append(text)
    return out


def _type_values(entries) -> list[dict]:
    return [
        {"id": value_id, "name": {"value": value, "synonyms": list(synonyms)}}
        for value_id, value, synonyms in entries
    ]


def _value_id(words: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")


def content_types() -> list[dict]:
    """Slot types whose values live in content/: RoutineName (routines and their synonyms),
    Symptom (each lexicon entry and how people say it; the first phrase is the value) and
    Person (who someone may be speaking for: "my dad", "my little girl")."""
    library = load_library(content_dir())
    routines = [
        (r.id, r.name.lower(), [s for s in r.synonyms if s.lower() != r.name.lower()])
        for r in library.routines
    ]
    lexicon = default_lexicon()
    symptoms = [(e.id, e.phrases[0], list(e.phrases[1:])) for e in lexicon.entries]
    people = [(_value_id(word), word, []) for word in lexicon.people_said]
    return [
        {"name": "RoutineName", "values": _type_values(routines)},
        {"name": "Symptom", "values": _type_values(symptoms)},
        {"name": "Person", "values": _type_values(people)},
    ]


def lexicon_carriers() -> list[str]:
    """RedFlagCheckIntent's carrier phrases from the lexicon: "I've got {symptom}",
    "my {person} has {symptom}"."""
    lexicon = default_lexicon()
    return [*lexicon.carriers_self, *lexicon.carriers_proxy]


@lru_cache(maxsize=8)
def _model(locale: str) -> dict:
    settings, intents, types = _load_source(source_dir())
    if locale not in settings["locales"]:
        raise ValueError(f"unknown locale {locale}; the model has {settings['locales']}")
    wording = settings.get("wording", {}).get(locale, {})
    built_intents = []
    for intent in intents:
        built = {"name": intent["name"], "samples": []}
        carriers = lexicon_carriers() if intent.get("lexicon_carriers") else []
        for sample in [*intent.get("samples", []), *carriers]:
            expanded = _expand(sample, wording, locale)
            built["samples"] += [s for s in expanded if s not in built["samples"]]
        if intent.get("slots"):
            built["slots"] = [{"name": s["name"], "type": s["type"]} for s in intent["slots"]]
        built_intents.append(built)
    custom_types = [
        {
            "name": t["name"],
            "values": _type_values((v["id"], v["value"], v.get("synonyms", [])) for v in t["values"]),
        }
        for t in types
    ]
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": settings["invocation_name"],
                "intents": built_intents,
                "types": custom_types + content_types(),
            }
        }
    }


def build_model(locale: str) -> dict:
    """The interaction model for ``locale``, as the ASK CLI reads it (a fresh copy)."""
    return copy.deepcopy(_model(locale))


def model_json(locale: str) -> str:
    """The model file's exact text: the build and the staleness test compare these bytes."""
    return json.dumps(_model(locale), indent=2, ensure_ascii=False) + "\n"


def locales() -> list[str]:
    return list(_load_source(source_dir())[0]["locales"])


def write_models(folder: Path) -> list[Path]:
    """Write ``<locale>.json`` for every locale into ``folder`` (the skill package's
    ``interactionModels/custom``) and remove models of locales no longer listed."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"{locale}.json": locale for locale in locales()}
    for stale in folder.glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for name, locale in wanted.items():
        path = folder / name
        path.write_text(model_json(locale), encoding="utf-8")
        written.append(path)
    return written


def stale_models(folder: Path) -> list[str]:
    """What in ``folder`` differs from the source: missing, changed or extra model files."""
    wanted = {f"{locale}.json": locale for locale in locales()}
    problems = [f"{p.name}: no such locale" for p in sorted(folder.glob("*.json")) if p.name not in wanted]
    for name, locale in wanted.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif path.read_text(encoding="utf-8") != model_json(locale):
            problems.append(f"{name}: differs from the source")
    return problems


# --- comparing what was said with what the model holds ----------------------------------------


def normalise(text: str) -> str:
    """Lower case, "g. p." and "GP" alike, "&" as "and", contractions spelt out, no
    punctuation but apostrophes: the form samples and typed text are compared in."""
    text = text.lower().replace("’", "'").replace("&", " and ")
    text = re.sub(r"\b([a-z])\.(?=\s*[a-z]\.)\s*", r"\1", text)  # "g. p." -> "gp."
    words = re.sub(r"[^a-z0-9' ]", " ", text).split()
    return re.sub(r"\bcan not\b", "cannot", " ".join(CONTRACTIONS.get(w, w) for w in words))


def _loose(text: str) -> str:
    """Slot values also match without apostrophes: "runners hips" is "runner's hips"."""
    return normalise(text).replace("'", "")


def content_words(text: str) -> str:
    """The words of ``text`` that carry meaning: normalised, without FILLER_WORDS."""
    return " ".join(w for w in normalise(text).split() if w not in FILLER_WORDS)


def slot_type_values(locale: str, type_name: str) -> list[dict]:
    return copy.deepcopy(_type_values_of(locale, type_name))


def _type_values_of(locale: str, type_name: str) -> list[dict]:
    for slot_type in _model(locale)["interactionModel"]["languageModel"]["types"]:
        if slot_type["name"] == type_name:
            return slot_type["values"]
    return []


@lru_cache(maxsize=64)
def _value_index(locale: str, type_name: str, key=_loose) -> dict[str, tuple[str, str]]:
    index = {}
    for value in _type_values_of(locale, type_name):
        for name in (value["name"]["value"], *value["name"].get("synonyms", [])):
            index.setdefault(key(name), (value["id"], value["name"]["value"]))
    return index


def _content_key(text: str) -> str:
    return content_words(text).replace("'", "")


def resolve_value(locale: str, type_name: str, heard: str) -> tuple[str, str] | None:
    """(id, canonical name) of the value whose name or synonym is ``heard``, as Alexa's
    entity resolution gives for ER_SUCCESS_MATCH; None for ER_SUCCESS_NO_MATCH.

    Like Alexa, it forgives case, punctuation, apostrophes and little words such as "the"
    or "my"; it does not guess at words that are not in the type."""
    exact = _value_index(locale, type_name).get(_loose(heard))
    if exact or not _content_key(heard):
        return exact
    return _value_index(locale, type_name, _content_key).get(_content_key(heard))
