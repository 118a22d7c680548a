"""Typed text to the intent and slots Alexa would send, from the skill's interaction model.

The console and the tests hear through this module, so it must hear like a device does and no
more generously, or local figures lie. The rules, each with the Amazon documentation it rests on
(lambda/limber/console/README.md lists the sources in full):

1. Words are compared normalised: case, punctuation and contractions ("what's" / "what is") do not
   matter; Alexa's speech recognition hands the NLU plain lower-case words.
2. Built-in intents (AMAZON.*) hear Amazon's own phrases (builtin_samples.toml: the published
   common utterances plus a few plain rewordings) and the samples our model adds to them, and only
   as said: "a built-in intent ... must include an exactly matching sample utterance" (Tips for
   Using Built-in Intents). The model's samples are tried before Amazon's list.
3. Custom intents hear their samples as said, and also with the little words "the a an my this that
   it some" left out on both sides ("make holds longer" for "make the holds {direction}") as long as
   the sample keeps more words than slots ("my {person} is {symptom}" must not become "{person} is
   {symptom}" and take "what is the weather"): custom intents "can also be triggered even if there
   is no exactly matching sample utterance" (same page). That is the only generalisation: no
   similarity guessing ("how many stretches left" is not "how many stretches are left"), because a
   wrong intent is worse than the fallback.
4. Custom slots are open: "a custom slot type is not the equivalent of an enumeration" (custom slot
   types reference). A carrier phrase with a {slot} takes any words in the slot's place and sends
   them raw; entity resolution then gives ER_SUCCESS_MATCH with the value's id, or
   ER_SUCCESS_NO_MATCH and no values (Entity Resolution). A match whose slots all resolve beats one
   with raw words; among equals the sample that explains more words wins.
5. A slot-only sample ("{symptom}") of a custom slot type is a catch-all, as on a device: whatever
   no sample fits is sent to that intent with all its words in the slot (ER_SUCCESS_NO_MATCH unless
   they happen to be a value). Amazon advises a separate intent for each slot-only sample (Best
   Practices for Sample Utterances) but does not say what that intent does with other utterances;
   the console takes the worst case, which is what developers meet on devices, so local tests show
   what the handler of that intent must cope with. Without such a sample, what fits nothing is
   AMAZON.FallbackIntent.
6. Fillers: hesitation noises ("um", "uh") are dropped anywhere (speech recognition does not
   transcribe them); politeness and discourse words at the edges ("okay so", "please", "thanks",
   "alexa") are dropped only when the words as said fit nothing, so "okay" and "no thank you" keep
   their meaning. Yes and no are therefore only ever heard as said: they answer safety questions.
7. AMAZON.NUMBER hears digits and number words ("45", "forty-five"); AMAZON.DURATION resolves to
   ISO-8601 as Alexa sends it ("a minute" PT1M, "forty seconds" PT40S, "half a minute" PT30S). A
   slot of those types that hears no number leaves that sample unmatched. AMAZON.TIME resolves as
   Alexa does ("7:30 pm" 19:30, "morning" MO; see ``amazon_time``).
8. "exit" and "quit" are not intents: Alexa closes the session and the skill gets a
   SessionEndedRequest (reason USER_INITIATED). ``understand`` reports them as SESSION_END.

``understand(text, locale) -> Match`` is the public API; patterns are compiled once per locale.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from limber.console.amazon_time import time_value
from limber.console.envelopes import model_locale
from limber.interaction_model import build_model, normalise, resolve_value

DATA = Path(__file__).with_name("builtin_samples.toml")
FALLBACK = "AMAZON.FallbackIntent"
# Not an intent: the words that make Alexa end the session itself (rule 8).
SESSION_END = "SessionEndedRequest"
BUILT_IN_TYPES = ("AMAZON.NUMBER", "AMAZON.DURATION", "AMAZON.TIME")
# Rule 3: words a custom intent's sample may have or lack without changing what it means.
LITTLE_WORDS = frozenset("the a an my this that it some".split())
# Ways of sharing words between a sample's slots tried before giving up on resolving them all.
MAX_SPLITS = 64

UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}  # fmt: skip


# --- the data ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _data() -> dict:
    return tomllib.loads(DATA.read_text(encoding="utf-8"))


def builtin_phrases() -> dict[str, list[str]]:
    """Amazon's phrases per built-in intent: documented first, then the plain rewordings."""
    return {
        name: [*entry.get("documented", []), *entry.get("heard", [])]
        for name, entry in _data()["intents"].items()
    }


def exit_phrases() -> tuple[str, ...]:
    return tuple(normalise(p) for p in _data()["session"]["exit"])


@lru_cache(maxsize=1)
def _fillers() -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
    fillers = _data()["fillers"]
    by_length = lambda words: tuple(sorted((normalise(w) for w in words), key=len, reverse=True))  # noqa: E731
    return frozenset(fillers["disfluencies"]), by_length(fillers["leading"]), by_length(fillers["trailing"])


# --- numbers and durations --------------------------------------------------------------------


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


DURATION_UNITS = {
    "second": 1, "seconds": 1, "sec": 1, "secs": 1,
    "minute": 60, "minutes": 60, "min": 60, "mins": 60,
    "hour": 3600, "hours": 3600,
}  # fmt: skip


def words_to_duration(text: str) -> str | None:
    """What Alexa sends for an AMAZON.DURATION slot, each unit as said: "a minute" -> "PT1M",
    "forty seconds" -> "PT40S", "ninety seconds" -> "PT90S", "two minutes thirty seconds" ->
    "PT2M30S"; a half goes to the next unit down: "half a minute" -> "PT30S", "a minute and a
    half" -> "PT1M30S". None when the words are not a duration."""
    words = text.replace("-", " ").split()
    totals = dict.fromkeys((3600, 60, 1), 0)
    amount, parts = [], 0
    for index, word in enumerate(words):
        if word not in DURATION_UNITS:
            amount.append(word)
            continue
        if amount[:1] == ["and"] and parts:
            amount = amount[1:]  # "two minutes and thirty seconds"
        how_many = _amount(amount)
        if how_many is None:
            return None
        if words[index + 1 : index + 4] == ["and", "a", "half"]:
            how_many += 0.5
            del words[index + 1 : index + 4]
        unit = DURATION_UNITS[word]
        totals[unit] += int(how_many)
        if how_many % 1:
            totals[unit // 60 or 1] += 30 if unit > 1 else 0
        amount, parts = [], parts + 1
    if not parts or amount or not any(totals.values()):
        return None
    return "PT" + "".join(f"{n}{u}" for n, u in zip(totals.values(), "HMS", strict=True) if n)


def _amount(words: list[str]) -> float | None:
    """ "a", "one", "forty five", "half a", "one and a half" as how many of a unit."""
    if words in (["a"], ["an"]):
        return 1
    if words in (["half", "a"], ["half", "an"]):
        return 0.5
    if words[-3:] == ["and", "a", "half"]:
        whole = _amount(words[:-3])
        return None if whole is None else whole + 0.5
    number = words_to_number(" ".join(words)) if words else None
    return None if number is None else number


# --- what was heard ---------------------------------------------------------------------------


@dataclass
class Match:
    """An intent and its slots as Alexa would send them; ``how`` and ``sample`` say why."""

    intent: str
    # name -> {"value": words or digits, "id": resolved id or None, "type": slot type}; a number
    # or duration also keeps the words it was "said" as.
    slots: dict[str, dict] = field(default_factory=dict)
    sample: str | None = None
    how: str = "no sample fits"

    @property
    def resolved(self) -> dict[str, str | None]:
        """Each slot's resolved id (a number's digits, a duration's ISO text), or None for
        ER_SUCCESS_NO_MATCH."""
        return {name: slot["id"] for name, slot in self.slots.items()}

    @property
    def complete(self) -> bool:
        return all(slot["id"] for slot in self.slots.values())

    def status(self, name: str) -> str | None:
        """The entity-resolution status Alexa sends for a slot; None for built-in types."""
        slot = self.slots[name]
        if slot.get("type", "").startswith("AMAZON."):
            return None
        return "ER_SUCCESS_MATCH" if slot["id"] else "ER_SUCCESS_NO_MATCH"


@dataclass(frozen=True)
class Pattern:
    intent: str
    sample: str
    regex: re.Pattern
    slot_types: dict[str, str]
    literal_words: int
    order: int  # the model's samples before Amazon's built-in list
    # the sample word by word: a literal word, or None for a slot (its name in ``slots_in_order``)
    parts: tuple[str | None, ...] = ()
    slots_in_order: tuple[str, ...] = ()

    @property
    def slot_only(self) -> bool:
        return self.literal_words == 0 and len(self.slot_types) > 0


def _tokens(text: str, *, drop: frozenset[str] = frozenset()) -> list[str]:
    return [w for w in normalise(text).split() if w not in drop]


def compile_sample(sample: str, intent: str, types: dict[str, str], *, drop=frozenset(), order=0) -> Pattern:
    """A sample as a regular expression over normalised words; each slot captures words."""
    parts, words, literal, used = [], [], 0, {}
    for token in re.split(r"(\{\w+\})", sample):
        if re.fullmatch(r"\{\w+\}", token):
            parts.append(f"(?P<{token[1:-1]}>.+?)")
            used[token[1:-1]] = types[token[1:-1]]
            words.append(None)
        elif said := _tokens(token, drop=drop):
            literal += len(said)
            parts.append(r"\s+".join(re.escape(w) for w in said))
            words += said
    regex = re.compile("^" + r"\s+".join(parts) + "$")
    return Pattern(intent, sample, regex, used, literal, order, tuple(words), tuple(used))


def _splits(
    parts: tuple[str | None, ...], tokens: list[str], start: int = 0
) -> Iterable[list[tuple[int, int]]]:
    """Every way ``tokens`` fill the sample's ``parts``: for each slot in order, its (first,
    after-last) token span; shortest first, as a lazy regular expression tries them."""
    if not parts:
        if start == len(tokens):
            yield []
        return
    head, rest = parts[0], parts[1:]
    if head is not None:
        if start < len(tokens) and tokens[start] == head:
            yield from _splits(rest, tokens, start + 1)
        return
    for end in range(start + 1, len(tokens) - len(rest) + 1):
        for after in _splits(rest, tokens, end):
            yield [(start, end), *after]


def _samples(model: dict) -> Iterable[tuple[str, str, dict[str, str], int]]:
    library = builtin_phrases()
    for intent in model["interactionModel"]["languageModel"]["intents"]:
        types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            yield intent["name"], sample, types, 0
        for sample in library.get(intent["name"], []):
            yield intent["name"], sample, types, 1


class Matcher:
    """One locale's model, compiled: ``hear(text)`` is rule 1 to 8 of the module docstring."""

    def __init__(self, model: dict, locale: str = "en-US", resolve=None):
        self.locale = locale
        self.types = {t["name"]: t for t in model["interactionModel"]["languageModel"].get("types", [])}
        # Entity resolution: the same function the envelopes use, so the console and the request
        # it builds always agree; a model built in a test resolves by its own values.
        self.resolve = resolve or self._resolve_in_model
        self._first_word: dict[tuple[int, str], list[Pattern]] = {}
        samples = list(_samples(model))
        rank = lambda p: (-p.literal_words, p.order)  # noqa: E731
        self.exact = sorted((compile_sample(s, i, t, order=o) for i, s, t, o in samples), key=rank)
        self.loose = sorted(
            (
                p
                for i, s, t, o in samples
                if not i.startswith("AMAZON.")
                and (p := compile_sample(s, i, t, drop=LITTLE_WORDS, order=o)).regex.pattern != "^$"
                and p.literal_words > len(p.slot_types)  # still a carrier phrase, not mostly slots
            ),
            key=rank,
        )
        self.catch_all = next(
            (
                p
                for p in self.exact
                if p.slot_only
                and len(p.slot_types) == 1
                and not next(iter(p.slot_types.values())).startswith("AMAZON.")
            ),
            None,
        )

    # slot values (rules 4 and 7)
    def slot_value(self, slot_type: str, heard: str) -> dict | None:
        if slot_type in BUILT_IN_TYPES:
            if slot_type == "AMAZON.NUMBER":
                sent = words_to_number(heard)
            elif slot_type == "AMAZON.DURATION":
                sent = words_to_duration(heard)
            else:
                sent = time_value(heard)
            if sent is None:
                return None
            return {"value": str(sent), "id": str(sent), "type": slot_type, "said": heard}
        resolved = self.resolve(self.locale, slot_type, heard) if slot_type in self.types else None
        return {"value": heard, "id": resolved[0] if resolved else None, "type": slot_type}

    def _fit(self, pattern: Pattern, said: str, words: list[str] | None = None) -> Match | None:
        """``said`` against one sample. With two slots or more, every way of sharing the words
        between them is tried, and one where every slot resolves wins ("my baby girl I collapsed"
        is person "baby girl", symptom "I collapsed"). ``words``, when ``said`` lacks the little
        words, are the words as said: slots get those."""
        found = pattern.regex.match(said)
        if not found:
            return None
        tokens = said.split()
        if len(pattern.slots_in_order) < 2:
            spans = [[_token_span(said, found.span(name)) for name in pattern.slots_in_order]]
        else:
            spans = itertools.islice(_splits(pattern.parts, tokens), MAX_SPLITS)
        first = None
        for split in spans:
            match = self._filled(pattern, tokens, split, words)
            if match is not None and match.complete:
                return match
            first = first or match
        return first

    def _filled(self, pattern: Pattern, tokens: list[str], split, words) -> Match | None:
        slots = {}
        for name, (start, end) in zip(pattern.slots_in_order, split, strict=True):
            heard = " ".join(tokens[start:end]) if words is None else _as_said((start, end), words)
            value = self.slot_value(pattern.slot_types[name], heard)
            if value is None:  # not a number where a number is needed
                return None
            slots[name] = value
        return Match(pattern.intent, slots, pattern.sample)

    def _starting_with(self, candidates: list[Pattern], word: str) -> list[Pattern]:
        """The candidates that can fit words beginning with ``word`` (those that begin with it or
        with a slot), in their order; kept, since a corpus says the same first words often."""
        key = (id(candidates), word)
        if key not in self._first_word:
            self._first_word[key] = [p for p in candidates if not p.parts or p.parts[0] in (None, word)]
        return self._first_word[key]

    def _best(
        self, said: str, candidates: list[Pattern], how: str, words=None
    ) -> tuple[Match | None, Match | None]:
        """The first sample that fits with every slot resolved, and the first that fits with raw
        words in a slot (candidates are ordered by how many words they explain)."""
        open_slot = None
        for pattern in self._starting_with(candidates, said.split(" ", 1)[0]):
            match = self._fit(pattern, said, words)
            if match is None or pattern.slot_only and not match.complete:
                continue  # raw words in a slot-only sample: rule 5, when nothing else fits
            match.how = how
            if match.complete:
                return match, open_slot
            open_slot = open_slot or match
        return None, open_slot

    def hear(self, text: str) -> Match:
        said = self.without_disfluencies(normalise(text))
        if not said:
            return Match(FALLBACK, how="nothing said")
        if said in exit_phrases():
            return Match(SESSION_END, how="Alexa ends the session on this word")
        plain = strip_fillers(said)
        attempts = [(said, self.exact, "sample as said", None)]
        if plain != said:
            attempts.append((plain, self.exact, "sample, with fillers around it", None))
        without_little = " ".join(w for w in plain.split() if w not in LITTLE_WORDS)
        attempts.append((without_little, self.loose, "custom sample, little words aside", plain.split()))
        first_open = None
        for words, candidates, how, as_said in attempts:
            if not words:
                continue
            complete, open_slot = self._best(words, candidates, how, as_said)
            if complete:
                return complete
            first_open = first_open or open_slot
        if first_open:
            return first_open
        if self.catch_all:
            return self._catch_all(plain or said)
        return Match(FALLBACK)

    def _catch_all(self, said: str) -> Match:
        name, slot_type = next(iter(self.catch_all.slot_types.items()))
        return Match(
            self.catch_all.intent,
            {name: self.slot_value(slot_type, said)},
            self.catch_all.sample,
            "slot-only sample: a catch-all on a device",
        )

    def _resolve_in_model(self, locale: str, slot_type: str, heard: str) -> tuple[str, str] | None:
        """Entity resolution by the model's own values, as ``resolve_value`` does it: names and
        synonyms compared without apostrophes, then without little words."""
        keys = (lambda t: normalise(t).replace("'", ""), lambda t: " ".join(_tokens(t, drop=LITTLE_WORDS)))
        for key in keys:
            for value in self.types[slot_type]["values"]:
                names = (value["name"]["value"], *value["name"].get("synonyms", []))
                if key(heard) in {key(n) for n in names}:
                    return value["id"], value["name"]["value"]
        return None

    @staticmethod
    def without_disfluencies(said: str) -> str:
        noises = _fillers()[0]
        return " ".join(w for w in said.split() if w not in noises)


def _token_span(said: str, span: tuple[int, int]) -> tuple[int, int]:
    """A regular expression's character span over ``said`` as (first, after-last) word."""
    return said[: span[0]].count(" "), said[: span[1]].count(" ") + 1


def _as_said(span: tuple[int, int], words: list[str]) -> str:
    """The words as said behind a word span of the text without LITTLE_WORDS: "back of legs" in
    "stretch back of legs" is "the back of my legs" in "stretch the back of my legs"."""
    kept = [i for i, w in enumerate(words) if w not in LITTLE_WORDS]
    first, last = span[0], span[1] - 1
    start = kept[first - 1] + 1 if first else 0  # little words just before belong to the slot
    return " ".join(words[start : kept[last] + 1])


def strip_fillers(said: str) -> str:
    """Politeness and discourse words off both edges ("okay so next please" -> "next")."""
    _, leading, trailing = _fillers()
    changed = True
    while changed:
        changed = False
        for filler in leading:
            if said.startswith(filler + " "):
                said, changed = said[len(filler) + 1 :], True
        for filler in trailing:
            if said.endswith(" " + filler):
                said, changed = said[: -len(filler) - 1], True
    return said


@lru_cache(maxsize=8)
def _matcher(locale: str) -> Matcher:
    return Matcher(build_model(locale), locale, resolve=resolve_value)


@lru_cache(maxsize=32)
def matcher(locale: str) -> Matcher:
    """The compiled model a request in ``locale`` is heard with (en-US for a locale the skill
    has no model for, as the envelopes resolve it)."""
    return _matcher(model_locale(locale))


def understand(text: str, locale: str = "en-US") -> Match:
    """What Alexa would send for ``text`` said inside an open session of the skill."""
    return matcher(locale).hear(text)
