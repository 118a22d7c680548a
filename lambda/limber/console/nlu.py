"""Typed text to an intent and slots, from the interaction model, roughly as Alexa does it.

Sample utterances become patterns; slot values resolve to ids through the model's slot
types (ER_SUCCESS_MATCH or ER_SUCCESS_NO_MATCH); numbers may be spoken as words; Amazon's
built-in intents get their usual phrasings; anything else is AMAZON.FallbackIntent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from limber.interaction_model import build_model, normalise, resolve_value

# Amazon's built-in intents understand these without samples in our model.
BUILT_IN_PHRASES = {
    "AMAZON.HelpIntent": ["help", "help me", "what can i say", "what can you do", "how does this work"],
    "AMAZON.StopIntent": ["stop", "quit", "exit", "that's enough", "i'm done", "goodbye", "bye"],
    "AMAZON.CancelIntent": ["cancel", "never mind", "forget it"],
    "AMAZON.NextIntent": ["next", "skip ahead one", "go on"],
    "AMAZON.PreviousIntent": ["previous", "go back one"],
    "AMAZON.RepeatIntent": ["repeat", "say that again", "repeat that"],
    "AMAZON.PauseIntent": ["pause"],
    "AMAZON.ResumeIntent": ["resume", "continue", "unpause"],
    "AMAZON.StartOverIntent": ["start over", "restart", "begin again"],
    "AMAZON.YesIntent": ["yes", "yeah", "yep", "sure", "okay", "ok", "yes please", "please do"],
    "AMAZON.NoIntent": ["no", "nope", "no thanks", "no thank you", "not now"],
    "AMAZON.NavigateHomeIntent": ["go home", "home"],
}

UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}


def words_to_number(text: str) -> int | None:
    """ "45", "forty five", "forty-five", "a hundred" -> int; None if not a number."""
    text = text.replace("-", " ").strip()
    if text.isdigit():
        return int(text)
    total, seen = 0, False
    for word in text.split():
        if word in ("and", "a"):
            continue
        if word in UNITS:
            total += UNITS.index(word)
        elif word in TENS:
            total += TENS[word]
        elif word == "hundred":
            total = max(total, 1) * 100
        else:
            return None
        seen = True
    return total if seen else None


@dataclass
class Match:
    intent: str
    slots: dict[str, dict] = field(default_factory=dict)  # name -> {"value", "id" or None}


@dataclass(frozen=True)
class Pattern:
    intent: str
    regex: re.Pattern
    slot_types: dict[str, str]
    literal_words: int


def _compile(sample: str, intent: str, types: dict[str, str]) -> Pattern:
    parts, literal = [], 0
    for token in re.split(r"(\{\w+\})", sample):
        if re.fullmatch(r"\{\w+\}", token):
            parts.append(f"(?P<{token[1:-1]}>.+?)")
        elif token.strip():
            words = normalise(token).split()
            literal += len(words)
            parts.append(r"\s*".join(re.escape(w) for w in words))
    return Pattern(intent, re.compile(r"^\s*" + r"\s+".join(p for p in parts) + r"\s*$"), types, literal)


@lru_cache(maxsize=8)
def patterns(locale: str) -> tuple[Pattern, ...]:
    out = []
    for intent in build_model(locale)["interactionModel"]["languageModel"]["intents"]:
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        samples = intent.get("samples", []) + BUILT_IN_PHRASES.get(intent["name"], [])
        out += [_compile(s, intent["name"], types) for s in samples]
    # More literal words first: "start hip flexors" beats "{symptom}".
    return tuple(sorted(out, key=lambda p: -p.literal_words))


def _slot_value(locale: str, slot_type: str, heard: str) -> dict | None:
    if slot_type == "AMAZON.NUMBER":
        number = words_to_number(heard)
        return None if number is None else {"value": str(number), "id": None}
    resolved = resolve_value(locale, slot_type, heard)
    return {"value": heard, "id": resolved[0] if resolved else None}


def _slots(locale: str, pattern: Pattern, found: re.Match) -> dict[str, dict] | None:
    slots = {}
    for name, heard in found.groupdict().items():
        value = _slot_value(locale, pattern.slot_types[name], heard)
        if value is None:  # not a number where a number is needed
            return None
        slots[name] = value
    return slots


def understand(text: str, locale: str = "en-US") -> Match:
    said = normalise(text)
    unresolved: Match | None = None
    for pattern in patterns(locale):
        found = pattern.regex.match(said)
        slots = _slots(locale, pattern, found) if found else None
        if slots is None:
            continue
        if all(v["id"] or pattern.slot_types[n] == "AMAZON.NUMBER" for n, v in slots.items()):
            return Match(pattern.intent, slots)
        # A value outside the slot type (ER_SUCCESS_NO_MATCH): Alexa still sends the intent,
        # but only when the sample has words of its own; a bare "{slot}" would match anything.
        if unresolved is None and pattern.literal_words:
            unresolved = Match(pattern.intent, slots)
    return unresolved or Match("AMAZON.FallbackIntent")
