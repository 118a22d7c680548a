"""Builds each locale's Alexa interaction model from ``interaction_models/`` and ``content/``.

``interaction_models/`` holds the intents and samples once; routine names and red-flag
synonyms come from the content files, so the model, the content and the tests share
one vocabulary. Used by the build, the console's text matcher and the model tests.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from functools import lru_cache
from pathlib import Path

from limber.core.content import content_dir, load_library

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def source_dir() -> Path:
    return content_dir().parent / "interaction_models"


def _load_source(folder: Path) -> tuple[dict, list[dict], list[dict]]:
    settings = tomllib.loads((folder / "locales.toml").read_text(encoding="utf-8"))
    intents, types = [], []
    for path in sorted((folder / "intents").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        intents += data.get("intents", [])
        types += data.get("types", [])
    return settings, intents, types


def _expand(sample: str, wording: dict[str, list[str]]) -> list[str]:
    """One sample per combination of the locale's words for its {{placeholders}}."""
    keys = PLACEHOLDER.findall(sample)
    if not keys:
        return [sample]
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


def content_types() -> list[dict]:
    """Slot types whose values live in content/: RoutineName and Symptom."""
    try:  # TEMPORARY-DEV: remove once triage lands
        from limber.core import triage
    except ImportError:
        triage = None

    library = load_library(content_dir())
    routines = [(r.id, r.name.lower(), [s for s in r.synonyms if s != r.name.lower()])
                for r in library.routines]
    symptoms = [] if triage is None else [(flag_id, phrases[0], phrases[1:])
                for flag_id, phrases in triage.load_rules().synonyms().items()]
    return [
        {"name": "RoutineName", "values": _type_values(routines)},
        {"name": "Symptom", "values": _type_values(symptoms)},
    ]


@lru_cache(maxsize=8)
def build_model(locale: str) -> dict:
    settings, intents, types = _load_source(source_dir())
    if locale not in settings["locales"]:
        raise ValueError(f"unknown locale {locale}; the model has {settings['locales']}")
    wording = settings.get("wording", {}).get(locale, {})
    built_intents = []
    for intent in intents:
        built = {"name": intent["name"], "samples": []}
        for sample in intent.get("samples", []):
            built["samples"] += [s for s in _expand(sample, wording) if s not in built["samples"]]
        if intent.get("slots"):
            built["slots"] = [{"name": s["name"], "type": s["type"]} for s in intent["slots"]]
        built_intents.append(built)
    custom_types = [
        {"name": t["name"], "values": _type_values((v["id"], v["value"], v.get("synonyms", [])) for v in t["values"])}
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


def locales() -> list[str]:
    return _load_source(source_dir())[0]["locales"]


def slot_type_values(locale: str, type_name: str) -> list[dict]:
    for slot_type in build_model(locale)["interactionModel"]["languageModel"]["types"]:
        if slot_type["name"] == type_name:
            return slot_type["values"]
    return []


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


def resolve_value(locale: str, type_name: str, heard: str) -> tuple[str, str] | None:
    """(id, canonical name) of the value whose name or synonym is ``heard``, as Alexa's
    entity resolution does for an exact match; None for ER_SUCCESS_NO_MATCH."""
    wanted = normalise(heard)
    for value in slot_type_values(locale, type_name):
        names = [value["name"]["value"], *value["name"].get("synonyms", [])]
        if any(normalise(n) == wanted for n in names):
            return value["id"], value["name"]["value"]
    return None
