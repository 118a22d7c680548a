"""The symptom lexicon (content/lexicon/symptoms.toml), loaded and compiled for the reader.

The file's header explains the format. Loading checks it, so a typo in a cue fails with the
entry's id and the cue rather than silently hearing less.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from limber.core.content import content_dir
from limber.core.hearing.words import content, tokens

ABOUTS = ("self", "child", "other")

Word = str  # a word, or a prefix ending in "*"
Alternative = tuple[Word, ...]


class LexiconError(ValueError):
    """symptoms.toml breaks its format; the message says where."""


def alternatives_pattern(alternatives: tuple[Alternative, ...]) -> re.Pattern:
    """One regular expression for a group, over words joined by single spaces: the reader
    runs a few thousand alternatives per turn, and a compiled alternation does that in C.
    Longer alternatives first, so "cannot feel" is found before "cannot"."""
    def word(w: str) -> str:
        return re.escape(w[:-1]) + "[a-z0-9]*" if w.endswith("*") else re.escape(w)

    ordered = sorted(set(alternatives), key=lambda alt: (-len(alt), alt))
    body = "|".join(" ".join(word(w) for w in alt) for alt in ordered)
    return re.compile(f"(?<![^ ])(?:{body})(?![^ ])")


@dataclass(frozen=True)
class Cue:
    text: str
    groups: tuple[tuple[Alternative, ...], ...]  # every group must be present
    cancel: tuple[Alternative, ...] = ()  # any of these present: the cue does not count
    patterns: tuple[re.Pattern, ...] = field(default=(), compare=False, repr=False)
    cancel_pattern: re.Pattern | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "patterns", tuple(alternatives_pattern(g) for g in self.groups))
        if self.cancel:
            object.__setattr__(self, "cancel_pattern", alternatives_pattern(self.cancel))


@dataclass(frozen=True)
class Entry:
    id: str
    signs: tuple[str, ...]
    phrases: tuple[str, ...]
    cues: tuple[Cue, ...]
    phrase_cue: Cue | None  # the phrases of 3 words or more, found inside longer speech
    short_phrases: frozenset[tuple[str, ...]]  # shorter ones count only as all that was said
    stop_now: bool
    about: str | None  # "child": counts only when the person speaks about a child
    needs: str | None = None  # a sign the words must also give as "y" (an age, for one)


@dataclass(frozen=True)
class Goal:
    routine: str
    cues: tuple[Cue, ...]


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[Entry, ...]
    people: dict[str, str]  # "little girl" -> "child", "dad" -> "other" (in the reader's words)
    people_said: tuple[str, ...]  # the same, as written: the Person slot type's values
    other_subjects: frozenset[str]
    child_under: int
    carriers_self: tuple[str, ...]
    carriers_proxy: tuple[str, ...]
    pain: tuple[Cue, ...]
    goals: tuple[Goal, ...]
    requests: tuple[Cue, ...]

    @property
    def signs(self) -> frozenset[str]:
        return frozenset(s for e in self.entries for s in e.signs)

    def entry(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)


def _alternative(text: str, where: str) -> Alternative:
    """ "down my leg" -> ("down", "leg"); "numb*" keeps its star (any ending)."""
    words = tuple(
        w
        for part in text.split()
        for w in (content(tokens(part[:-1])) + ["*"] if part.endswith("*") else content(tokens(part)))
    )
    words = tuple(_stars(words))
    if not words or any(w == "," for w in words):
        raise LexiconError(f"{where}: empty or punctuated alternative {text!r}")
    return words


def _stars(words):
    """ "numb", "*" -> "numb*" (a star belongs to the word before it)."""
    out: list[str] = []
    for word in words:
        if word == "*" and out:
            out[-1] += "*"
        elif word != "*":
            out.append(word)
    return out


def compile_cue(text: str, where: str) -> Cue:
    if not isinstance(text, str) or not text.strip():
        raise LexiconError(f"{where}: a cue must be non-empty text")
    body, _, cancel = text.partition(" ! ")
    groups = tuple(tuple(_alternative(alt, where) for alt in group.split("|")) for group in body.split(" + "))
    cancels = tuple(_alternative(alt, where) for alt in cancel.split("|")) if cancel else ()
    return Cue(text, groups, cancels)


def _cues(raw, where: str) -> tuple[Cue, ...]:
    if not isinstance(raw, list):
        raise LexiconError(f"{where}: 'cues' must be a list")
    return tuple(compile_cue(c, where) for c in raw)


def _entry(raw: dict, i: int) -> Entry:
    where = f"symptoms.toml: entry {raw.get('id', i + 1)!r}"
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not entry_id.isidentifier() or entry_id != entry_id.lower():
        raise LexiconError(f"{where}: 'id' must be a snake_case id")
    signs = raw.get("signs")
    if not isinstance(signs, list) or not all(isinstance(s, str) for s in signs):
        raise LexiconError(f"{where}: 'signs' must be a list of sign ids")
    phrases = raw.get("phrases")
    if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p for p in phrases):
        raise LexiconError(f"{where}: 'phrases' must be a non-empty list of text")
    about = raw.get("about")
    if about not in (None, "child"):
        raise LexiconError(f"{where}: 'about' must be \"child\" when given")
    said = [_alternative(p, where) for p in phrases]
    long = tuple(alt for alt in said if len(alt) >= 3)
    phrase_cue = Cue("phrases", (long,)) if long else None
    return Entry(
        entry_id,
        tuple(signs),
        tuple(phrases),
        _cues(raw.get("cues", []), where),
        phrase_cue,
        frozenset(alt for alt in said if len(alt) < 3),
        raw.get("stop_now") is True,
        about,
        raw.get("needs"),
    )


def parse(data: dict) -> Lexicon:
    entries = tuple(_entry(raw, i) for i, raw in enumerate(data.get("entries") or []))
    ids = [e.id for e in entries]
    if not entries or len(set(ids)) != len(ids):
        raise LexiconError("symptoms.toml: [[entries]] missing, or an id used twice")
    people_raw = data.get("people") or {}
    people: dict[str, str] = {}
    for about in ("child", "other"):
        for word in people_raw.get(about, []):
            key = " ".join(tokens(word))
            if key in people:
                raise LexiconError(f"symptoms.toml: [people] {word!r} is listed twice")
            people[key] = about
    carriers = data.get("carriers") or {}
    goals = tuple(
        Goal(g["routine"], _cues(g.get("cues", []), f"symptoms.toml: goal {g.get('routine')!r}"))
        for g in data.get("goals") or []
    )
    return Lexicon(
        entries=entries,
        people=people,
        people_said=tuple(w for about in ("child", "other") for w in people_raw.get(about, [])),
        other_subjects=frozenset(people_raw.get("other_subjects", [])),
        child_under=int(people_raw.get("child_under", 16)),
        carriers_self=tuple(carriers.get("self", [])),
        carriers_proxy=tuple(carriers.get("proxy", [])),
        pain=_cues((data.get("pain") or {}).get("cues", []), "symptoms.toml: [pain]"),
        goals=goals,
        requests=_cues((data.get("requests") or {}).get("cues", []), "symptoms.toml: [requests]"),
    )


def load_lexicon(path: Path) -> Lexicon:
    import tomllib  # here, not at the top: a bundle with precompiled content never needs it

    try:
        return parse(tomllib.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise LexiconError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise LexiconError(f"{path.name}: not valid TOML: {err}") from None


@lru_cache(maxsize=4)
def _cached(path: str) -> Lexicon:
    return load_lexicon(Path(path))


def default_lexicon() -> Lexicon:
    folder = content_dir()
    return _precompiled(str(folder)) or _cached(str(folder / "lexicon" / "symptoms.toml"))


@lru_cache(maxsize=4)
def _precompiled(folder: str) -> Lexicon | None:
    from limber.core import compiled  # the bundle's precompiled content, if it is current

    return compiled.load("lexicon", Path(folder), lambda: None)
