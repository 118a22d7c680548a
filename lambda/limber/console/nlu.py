"""Typed text to an intent and slots, from the interaction model, roughly as Alexa does it.

Sample utterances become patterns; slot values resolve to ids through the model's slot
types (ER_SUCCESS_MATCH or ER_SUCCESS_NO_MATCH); numbers may be spoken as words; Amazon's
built-in intents get their usual phrasings; anything else is AMAZON.FallbackIntent.

Alexa is statistical and this is not, so it forgives only what Alexa plainly forgives:
case, punctuation, contractions ("what's" / "what is"), politeness around a request
("next please"), little words ("make holds longer" for "make the holds {direction}"), and
a near miss of a slot-free sample ("skip that" for "skip"). It errs towards Fallback rather
than a wrong intent, and takes yes and no only as said, since they answer safety questions.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from limber.interaction_model import build_model, content_words, normalise, resolve_value

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

# How alike (0 to 1, by content words) a phrase must be to a slot-free sample to count as it;
# between the floor and NEAR_MISS only in place of a sample whose slot value is unknown.
NEAR_MISS, NEAR_MISS_FLOOR = 0.8, 0.6
# Yes and no answer the safety screen's questions: "I don't remember" must not pass for
# "I don't", so these are only ever matched as said (or with politeness around them).
EXACT_ONLY = frozenset({"AMAZON.YesIntent", "AMAZON.NoIntent"})

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

    @property
    def complete(self) -> bool:
        return all(slot["id"] for slot in self.slots.values())


@dataclass(frozen=True)
class Pattern:
    intent: str
    sample: str
    regex: re.Pattern
    slot_types: dict[str, str]
    literal_words: int


def compile_sample(sample: str, intent: str, types: dict[str, str], *, words=normalise) -> Pattern:
    """A sample as a regular expression over ``words(text)``; each slot captures words."""
    parts, literal = [], 0
    for token in re.split(r"(\{\w+\})", sample):
        if re.fullmatch(r"\{\w+\}", token):
            parts.append(f"(?P<{token[1:-1]}>.+?)")
        elif said := words(token).split():
            literal += len(said)
            parts.append(r"\s+".join(re.escape(w) for w in said))
    return Pattern(intent, sample, re.compile("^" + r"\s+".join(parts) + "$"), types, literal)


def _samples(locale: str):
    for intent in build_model(locale)["interactionModel"]["languageModel"]["intents"]:
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent.get("samples", []) + BUILT_IN_PHRASES.get(intent["name"], []):
            yield intent["name"], sample, types


@lru_cache(maxsize=8)
def patterns(locale: str) -> tuple[Pattern, ...]:
    """Every sample as said; more literal words first, so "start hip flexors" beats "{symptom}"."""
    out = [compile_sample(sample, intent, types) for intent, sample, types in _samples(locale)]
    return tuple(sorted(out, key=lambda p: -p.literal_words))


@lru_cache(maxsize=8)
def content_patterns(locale: str) -> tuple[Pattern, ...]:
    """Every sample without its filler words, for "make holds longer" against "make the holds
    {direction}". Yes and no are left out: a safety answer is taken only as said."""
    out = [compile_sample(sample, intent, types, words=content_words)
           for intent, sample, types in _samples(locale) if intent not in EXACT_ONLY]  # fmt: skip
    return tuple(sorted((p for p in out if p.regex.pattern != "^$"), key=lambda p: -p.literal_words))


@lru_cache(maxsize=8)
def _plain_samples(locale: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Samples without slots, as content words, with their intent."""
    return tuple(
        (tuple(words.split()), intent)
        for intent, sample, _ in _samples(locale)
        if "{" not in sample and intent not in EXACT_ONLY and (words := content_words(sample))
    )


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


def _match(said: str, locale: str, candidates: tuple[Pattern, ...]) -> tuple[Match, float] | None:
    """The first sample that fits with every slot resolved (score 1); else the first that fits
    with a value outside its type (ER_SUCCESS_NO_MATCH), scored by the share of the words its
    sample explains. A bare "{slot}" explains nothing, so it needs a known value."""
    unresolved = None
    for pattern in candidates:
        found = pattern.regex.match(said)
        slots = _slots(locale, pattern, found) if found else None
        if slots is None:
            continue
        match = Match(pattern.intent, slots)
        if match.complete:
            return match, 1.0
        if unresolved is None and pattern.literal_words:
            unknown = sum(len(v["value"].split()) for v in slots.values() if not v["id"])
            unresolved = match, pattern.literal_words / (pattern.literal_words + unknown)
    return unresolved


def _near_miss(said: str, locale: str) -> tuple[Match, float] | None:
    """The intent of the slot-free sample most like ``said`` and how alike (0 to 1): Alexa's
    model generalises beyond its samples, so "skip that" is heard as the sample "skip"."""
    words = tuple(content_words(said).split())
    best, intent = 0.0, None
    for sample, sample_intent in _plain_samples(locale) if words else ():
        score = difflib.SequenceMatcher(None, words, sample, autojunk=False).ratio()
        if score > best:
            best, intent = score, sample_intent
    return (Match(intent), best) if intent and best >= NEAR_MISS_FLOOR else None


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
    """What Alexa would send for ``text``: tried as said, then without politeness around it,
    then by its content words, then as a near miss of a sample; a match whose slot value is
    outside its type counts only when nothing better fits; else AMAZON.FallbackIntent."""
    said = normalise(text)
    if not said:
        return Match("AMAZON.FallbackIntent")
    plain = _without_fillers(said)
    attempts = (
        lambda: _match(said, locale, patterns(locale)),
        lambda: _match(plain, locale, patterns(locale)) if plain != said else None,
        lambda: _match(content_words(said), locale, content_patterns(locale)),
    )
    unresolved = None
    for attempt in attempts:
        found = attempt()
        if found and found[0].complete:
            return found[0]
        unresolved = unresolved or found
    near = _near_miss(said, locale)
    # A near miss wins when close, or when it explains more than a match whose slot value
    # is unknown ("I have no idea" is NotSure, not a symptom called "no idea").
    if near and (near[1] >= NEAR_MISS or unresolved and near[1] > unresolved[1]):
        return near[0]
    return unresolved[0] if unresolved else Match("AMAZON.FallbackIntent")
