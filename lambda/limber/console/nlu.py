"""Typed text to an intent and slots, from the interaction model, roughly as Alexa does it.

Sample utterances become patterns; slot values resolve to ids through the model's slot
types (ER_SUCCESS_MATCH or ER_SUCCESS_NO_MATCH); numbers may be spoken as words; Amazon's
built-in intents get their usual phrasings; anything else is AMAZON.FallbackIntent.

It is deliberately literal where Alexa is statistical: a phrasing close to a sample but not
in the model is Fallback here, which is how the tests notice a sample worth adding.
Forgiven, as Alexa forgives them: case, punctuation, contractions ("what's" / "what is"),
"please" and similar politeness around a request, and a leading "the" or "my" in a slot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from limber.interaction_model import build_model, normalise, resolve_value

# Amazon's built-in intents understand these without samples in our model.
BUILT_IN_PHRASES = {
    "AMAZON.HelpIntent": ["help", "help me", "what can I say", "what can you do", "how does this work",
                          "I need help", "what do I do"],
    "AMAZON.StopIntent": ["stop", "quit", "exit", "that's enough", "I'm done", "goodbye", "bye",
                          "shut up", "enough", "I'm finished"],
    "AMAZON.CancelIntent": ["cancel", "never mind", "forget it", "cancel that"],
    "AMAZON.NextIntent": ["next", "go on", "go to the next one", "skip to the next one"],
    "AMAZON.PreviousIntent": ["previous", "go back one", "previous one"],
    "AMAZON.RepeatIntent": ["repeat", "say that again", "repeat that", "what did you say", "pardon"],
    "AMAZON.PauseIntent": ["pause", "pause it", "pause the routine"],
    "AMAZON.ResumeIntent": ["resume", "continue", "unpause", "keep going from where I stopped"],
    "AMAZON.StartOverIntent": ["start over", "restart", "begin again", "start again"],
    "AMAZON.YesIntent": ["yes", "yeah", "yep", "yup", "sure", "okay", "ok", "yes please", "please do",
                         "of course", "absolutely", "alright"],
    "AMAZON.NoIntent": ["no", "nope", "no thanks", "no thank you", "not now", "nah", "no way"],
    "AMAZON.NavigateHomeIntent": ["go home", "home", "main menu"],
}  # fmt: skip

# Politeness and hesitation Alexa ignores around a request: tried only when the plain words
# match nothing, so "no thank you" stays a No and "okay" stays a Yes.
LEADING_FILLERS = ("please ", "can you ", "could you ", "would you ", "um ", "uh ", "so ", "okay ",
                   "ok ", "alexa ", "now ", "and ", "right ", "well ")  # fmt: skip
TRAILING_FILLERS = (" please", " thanks", " thank you", " now", " alexa", " then")

UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}  # fmt: skip


def words_to_number(text: str) -> int | None:
    """ "45", "forty five", "forty-five", "a hundred and twenty" -> int; None if not a number."""
    text = text.replace("-", " ").strip()
    if text.isdigit():
        return int(text)
    total, seen, last = 0, False, None
    for word in text.split():
        if word == "and" and seen or word == "a" and not seen:
            continue
        if word in UNITS and last not in UNITS:
            total += UNITS.index(word)
        elif word in TENS and last in (None, "hundred", "a"):
            total += TENS[word]
        elif word == "hundred" and total < 100:
            total = max(total, 1) * 100
        else:  # "five four" or "seconds": not one number
            return None
        seen, last = True, word
    return total if seen else None


@dataclass
class Match:
    intent: str
    slots: dict[str, dict] = field(default_factory=dict)  # name -> {"value", "id" or None}

    @property
    def resolved(self) -> dict[str, str | None]:
        """Each slot's resolved id (a number's digits), or None for ER_SUCCESS_NO_MATCH."""
        return {name: slot["id"] for name, slot in self.slots.items()}


@dataclass(frozen=True)
class Pattern:
    intent: str
    sample: str
    regex: re.Pattern
    slot_types: dict[str, str]
    literal_words: int


def compile_sample(sample: str, intent: str, types: dict[str, str]) -> Pattern:
    parts, literal = [], 0
    for token in re.split(r"(\{\w+\})", sample):
        if re.fullmatch(r"\{\w+\}", token):
            parts.append(f"(?P<{token[1:-1]}>.+?)")
        elif token.strip():
            words = normalise(token).split()
            literal += len(words)
            parts.append(r"\s+".join(re.escape(w) for w in words))
    return Pattern(intent, sample, re.compile("^" + r"\s+".join(parts) + "$"), types, literal)


@lru_cache(maxsize=8)
def patterns(locale: str) -> tuple[Pattern, ...]:
    out = []
    for intent in build_model(locale)["interactionModel"]["languageModel"]["intents"]:
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        samples = intent.get("samples", []) + BUILT_IN_PHRASES.get(intent["name"], [])
        out += [compile_sample(s, intent["name"], types) for s in samples]
    # More literal words first: "start hip flexors" beats "{symptom}".
    return tuple(sorted(out, key=lambda p: -p.literal_words))


def _slot_value(locale: str, slot_type: str, heard: str) -> dict | None:
    if slot_type == "AMAZON.NUMBER":
        number = words_to_number(heard)
        return None if number is None else {"value": str(number), "id": str(number)}
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


def _match(said: str, locale: str) -> Match | None:
    unresolved: Match | None = None
    for pattern in patterns(locale):
        found = pattern.regex.match(said)
        slots = _slots(locale, pattern, found) if found else None
        if slots is None:
            continue
        if all(v["id"] for v in slots.values()):
            return Match(pattern.intent, slots)
        # A value outside the slot type (ER_SUCCESS_NO_MATCH): Alexa still sends the intent,
        # but only when the sample has words of its own; a bare "{slot}" would match anything.
        if unresolved is None and pattern.literal_words:
            unresolved = Match(pattern.intent, slots)
    return unresolved


def _without_fillers(said: str) -> str:
    changed = True
    while changed:
        changed = False
        for filler in LEADING_FILLERS:
            if said.startswith(filler) and len(said) > len(filler):
                said, changed = said[len(filler) :], True
        for filler in TRAILING_FILLERS:
            if said.endswith(filler) and len(said) > len(filler):
                said, changed = said[: -len(filler)], True
    return said


def understand(text: str, locale: str = "en-US") -> Match:
    said = normalise(text)
    if not said:
        return Match("AMAZON.FallbackIntent")
    match = _match(said, locale)
    if match is None or not _resolved(match):
        plain = _without_fillers(said)
        better = _match(plain, locale) if plain != said else None
        if better and (match is None or _resolved(better)):
            match = better
    return match or Match("AMAZON.FallbackIntent")


def _resolved(match: Match) -> bool:
    return all(v["id"] for v in match.slots.values())
