"""What the raw words of an open slot say: the signs named, who it is about, or what else.

Alexa's custom slots are open: a value outside the list still arrives, as the words heard,
with entity resolution ER_SUCCESS_NO_MATCH. ``read`` turns those words into what the safety
screen and the router need:

- ``signs``: triage sign ids the words answer, "y" (or "u" when hedged: "maybe", "not sure");
  a negated mention ("no numbness", "I haven't wet myself") is in ``denied``, never a yes;
- ``facts``: plain numbers that answer a question ("I'm 62" -> age_50_plus "y"; "for two months"
  with pain -> not_improving_6_weeks "y"; "I'm 40" -> "n");
- ``about``: "self", "child" ("my little girl", "my 5 year old") or "other" ("my dad");
- ``kind``: "symptom" (reaches the check; ``pain_only`` when it is pain with no warning sign
  named, "my back aches", which mid-stretch gets the pain question first), or what else was
  meant: "routine" / "goal" (with ``routine``), "number", "request", "unknown".

It is pure and keeps nothing: the words are read and dropped, never stored or logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from limber.core.hearing.lexicon import Cue, Lexicon, default_lexicon
from limber.core.hearing.words import CLAUSE_MARK, content, tokens

NEGATORS = frozenset("no not never without nor neither none nothing".split())
HEDGES = frozenset("maybe might possibly perhaps unsure".split())
# Words that end the reach of a "no" or "maybe" ("no numbness but I can't pee").
CLAUSE_BREAKS = frozenset({CLAUSE_MARK, "but", "though", "although", "however", "except", "and", "so",
                           "because", "then", "now", "plus", "also", "yet"})  # fmt: skip
LOOK_BACK = 4  # words before a cue a negation can reach
NUMBER_WORDS = frozenset(
    "seconds second secs sec minutes minute mins min and a half hold for make it".split()
)
AGE_SIGNS = (("age_50_plus", 50), ("age_65_plus", 65))
DURATION_SIGN = "not_improving_6_weeks"


@dataclass(frozen=True)
class Heard:
    kind: str
    signs: dict[str, str] = field(default_factory=dict)  # sign -> "y" | "u"
    denied: frozenset[str] = frozenset()
    facts: dict[str, str] = field(default_factory=dict)  # from numbers: sign -> "y" | "n"
    about: str = "self"
    routine: str | None = None
    number: int | None = None
    stop_now: bool = False
    entries: tuple[str, ...] = ()  # lexicon entries heard, for tests and --explain
    pain_only: bool = False  # a symptom, but only pain ("my back aches"): no warning sign named

    @property
    def is_symptom(self) -> bool:
        return self.kind == "symptom"

    @property
    def known(self) -> dict[str, str]:
        """What the opening already answered, for the screen: sign -> "y" / "n" / "u"."""
        return {**self.facts, **self.signs}


class _Said:
    """Words joined once, with where each word starts, so cue patterns find word spans."""

    def __init__(self, words: list[str]):
        self.words = words
        self.text = " ".join(words)
        self.word_at: dict[int, int] = {}
        offset = 0
        for index, word in enumerate(words):
            self.word_at[offset] = index
            offset += len(word) + 1

    def spans(self, pattern) -> list[tuple[int, int]]:
        out = []
        for found in pattern.finditer(self.text):
            start = self.word_at[found.start()]
            out.append((start, start + found.group(0).count(" ") + 1))
        return out


def _polarity(words: list[str], start: int, own: set[int]) -> str:
    """ "n" when a negation reaches the words at ``start``, "u" for a hedge, else "y".
    Words of the cue itself are skipped ("not walking" is the cue, not a negation)."""
    for i in range(start - 1, max(-1, start - 1 - LOOK_BACK), -1):
        if i in own:
            continue
        word = words[i]
        if word in CLAUSE_BREAKS:
            break
        if word in ("not",) and i + 1 < len(words) and words[i + 1] in ("sure", "certain"):
            return "u"
        # "I'm not sure if I have numbness": the hedge can stand further back than LOOK_BACK.
        if word in ("sure", "certain", "know") and i > 0 and words[i - 1] in ("not", "unsure"):
            return "u"
        if word in NEGATORS:
            return "n"
        if word in HEDGES:
            return "u"
    return "y"


def cue_polarity(said: _Said, cue: Cue) -> str | None:
    """None when ``cue`` is not in the words; else "y", "u" or "n" (negated)."""
    if cue.cancel_pattern is not None and cue.cancel_pattern.search(said.text):
        return None
    found = []
    for pattern in cue.patterns:
        spans = said.spans(pattern)
        if not spans:
            return None
        found.append(spans)
    own = {i for spans in found for a, b in spans for i in range(a, b)}
    result = "y"
    for spans in found:
        marks = {_polarity(said.words, a, own) for a, _ in spans}
        group_mark = "y" if "y" in marks else "u" if "u" in marks else "n"
        if group_mark == "n":
            return "n"
        if group_mark == "u":
            result = "u"
    return result


def _about(said: list[str], lexicon: Lexicon) -> tuple[str, int | None]:
    """Who the words are about, and their age when said ("my 5 year old", "my dad is 80")."""
    about, age = "self", None
    for i, word in enumerate(said):
        if word not in ("my", "our"):
            continue
        rest = said[i + 1 :]
        if len(rest) >= 3 and rest[0].isdigit() and rest[1] in ("year", "years", "yr") and rest[2] == "old":
            years = int(rest[0])
            return ("child" if years < lexicon.child_under else "other"), years
        for skip, size in ((0, 3), (0, 2), (0, 1), (1, 3), (1, 2), (1, 1)):  # "my (pregnant) wife"
            who = " ".join(rest[skip : skip + size])
            if len(rest) >= skip + size and who in lexicon.people:
                about = lexicon.people[who]
                break
        if about != "self":
            break
    else:
        if said and said[0] in lexicon.other_subjects:
            about = "other"
    age = _age(said)
    if about == "child" and age is not None and age >= lexicon.child_under:
        about = "other"  # "my son is 30"
    return about, age


def _age(said: list[str]) -> int | None:
    """ "I'm 62", "aged 70", "my dad is 80", "62 years old"; not "32 weeks pregnant"."""
    for i, word in enumerate(said):
        if not word.isdigit():
            continue
        after, before = said[i + 1 : i + 3], said[max(0, i - 1) : i]
        if after[:2] in (["year", "old"], ["years", "old"]) or after[:1] == ["yo"]:
            return int(word)
        ends_there = not after or after[0] in (CLAUSE_MARK, "and", "but", "with", "now", "so")
        if before in (["am"], ["aged"], ["age"], ["is"]) and ends_there:
            return int(word)
    return None


def _duration_weeks(said: list[str]) -> float | None:
    for i, word in enumerate(said[:-1]):
        unit = said[i + 1]
        count = int(word) if word.isdigit() else 1 if word in ("a", "an", "one") else None
        if count is None:
            continue
        # "20 weeks pregnant", "a week ago", "six weeks old": not how long the pain has lasted.
        if said[i + 2 : i + 3] and said[i + 2] in ("pregnant", "ago", "old", "postpartum"):
            continue
        if unit in ("week", "weeks"):
            return float(count)
        if unit in ("month", "months"):
            return count * 4.3
        if unit in ("year", "years") and not said[i + 2 : i + 3] == ["old"]:
            return count * 52.0
        if unit in ("day", "days"):
            return count / 7
    return None


def _is_number(said: list[str]) -> int | None:
    digits = [w for w in said if w.isdigit()]
    if len(digits) != 1 or not all(w.isdigit() or w in NUMBER_WORDS for w in said):
        return None
    value = int(digits[0])
    return value * 60 if any(w.startswith("min") for w in said) else value


def _found(said: _Said, cues) -> str | None:
    marks = {m for cue in cues if (m := cue_polarity(said, cue))}
    return "y" if "y" in marks else "u" if "u" in marks else "n" if marks else None


LENGTH_WORDS = {"quick", "quicker", "short", "shorter", "brief", "fast"}


def routine_phrases(library) -> dict[str, str]:
    """Each routine's name and synonyms, in the reader's words, with the routine's id."""
    out: dict[str, str] = {}
    for routine in library.routines:
        for name in (routine.name, *routine.synonyms):
            out.setdefault(" ".join(content(tokens(name))), routine.id)
    return out


def read(
    text: str | None, lexicon: Lexicon | None = None, routines: Mapping[str, str] | None = None
) -> Heard:
    """What ``text`` (the words Alexa heard) says; see the module docstring."""
    lexicon = lexicon or default_lexicon()
    said = tokens(text or "")
    words = _Said(content(said))
    if not [w for w in words.words if w != CLAUSE_MARK]:
        return Heard("unknown")
    about, age = _about(said, lexicon)
    whole = tuple(w for w in words.words if w != CLAUSE_MARK)
    facts: dict[str, str] = {}
    if age is not None and about != "child":
        facts.update({sign: "y" if age >= years else "n" for sign, years in AGE_SIGNS})
    signs: dict[str, str] = {}
    denied: set[str] = set()
    heard_entries, stop_now = [], False
    for entry in lexicon.entries:
        if entry.about == "child" and about != "child":
            continue
        # A short phrase counts only as the whole of what was said; cues read longer speech.
        mark = "y" if whole in entry.short_phrases else None
        mark = mark or _found(words, (*entry.cues, *([entry.phrase_cue] if entry.phrase_cue else [])))
        if mark is None or entry.needs and "y" not in (facts.get(entry.needs), signs.get(entry.needs)):
            continue
        if mark == "n":
            denied.update(entry.signs)
            continue
        heard_entries.append(entry.id)
        stop_now = stop_now or entry.stop_now
        for sign in entry.signs:
            if signs.get(sign) != "y":
                signs[sign] = mark
    denied -= set(signs)
    pain = _found(words, lexicon.pain) in ("y", "u")
    weeks = _duration_weeks(said)
    if weeks is not None and (pain or heard_entries) and DURATION_SIGN not in signs:
        facts[DURATION_SIGN] = "y" if weeks >= 6 else "n"
    facts = {k: v for k, v in facts.items() if k not in signs}
    if facts.get(DURATION_SIGN) == "y" and not heard_entries:
        signs[DURATION_SIGN] = facts.pop(DURATION_SIGN)
        heard_entries.append("duration")
    base = dict(signs=signs, denied=frozenset(denied), facts=facts, about=about, entries=tuple(heard_entries))
    if heard_entries:
        return Heard("symptom", stop_now=stop_now, **base)
    if pain:  # pain with no warning sign named: still a symptom, asked about as pain
        return Heard("symptom", pain_only=True, **{**base, "entries": ("pain",)})
    goal = next((g.routine for g in lexicon.goals if _found(words, g.cues) == "y"), None)
    if goal and about != "self":  # "my friend's back is stiff": about someone else, so the check
        return Heard("symptom", pain_only=True, **{**base, "entries": ("pain",)})
    phrase = " ".join(whole)
    named = [
        (name, routine_id)
        for name, routine_id in sorted((routines or {}).items(), key=lambda item: -len(item[0]))
        if name and (phrase == name or f" {name} " in f" {phrase} ")
    ]
    # "a quick back routine": "quick" names the short routine only when nothing else is named;
    # beside another routine it asks for that one's quick version (limber.core.coaching).
    named = [n for n in named if not set(n[0].split()) <= LENGTH_WORDS] or named
    if named:
        return Heard("routine", routine=named[0][1], **base)
    if goal:
        return Heard("goal", routine=goal, **base)
    number = _is_number(said)
    if number is not None:
        return Heard("number", number=number, **base)
    if _found(words, lexicon.requests) == "y":
        return Heard("request", **base)
    return Heard("unknown", **base)
