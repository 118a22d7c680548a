"""The rules as objects: what red_flags.toml and triage_phrases.toml hold once loaded and checked
(limber.core.triage.rules does that), and the constants every part of the screen shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from limber.core.triage import conditions, wording
from limber.core.triage.conditions import Condition

LEVELS = ("self_care", "soon", "urgent", "emergency")  # lowest to highest
RANK = {level: rank for rank, level in enumerate(LEVELS)}
ABOUT = ("self", "child", "other")
# Set from ``about`` rather than asked: rules can use them ("any child's pain is worth a check").
ABOUT_SIGNS = {"about_child": "child", "about_other": "other"}
CARD_PREFIXES = {
    "emergency": "Emergency",
    "urgent": "Urgent",
    "soon": "See a doctor",
    "self_care": "Self-care",
}
DISCLAIMER = "not a substitute for professional medical advice"
# Never said in an outcome: a reassurance the evidence can't give, a diagnosis, or a promise.
BANNED_IN_OUTCOMES = ("not dangerous", "nothing to worry", "nothing serious", "you have", "diagnos",
                      "save your life", "saves lives", "save lives", "life-saving")  # fmt: skip


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    organisation: str
    year: str
    url: str


@dataclass(frozen=True)
class Sign:
    """One thing the screen wants to know. ``asked`` is False for a sign that is only ever
    learned from what the person said first (it steers the questions and their wording)."""

    id: str
    meaning: str
    asked: bool
    implies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variant:
    """Other words for a question once a sign is known yes, e.g. "did that start recently?"
    after someone named a bladder problem without saying when."""

    when: str
    text: str | None
    child_text: str | None
    other_text: str | None


@dataclass(frozen=True)
class Question:
    id: str  # the sign id for a single question; its own id for a compound one
    signs: tuple[str, ...]  # the sign, or a compound question's parts
    text: str | None  # to the person about themselves (None: asked only about a child)
    child_text: str | None  # to a parent about a child (None: never asked about a child)
    other_text: str | None  # about another adult (None: ``text`` with they/them/their)
    variants: tuple[Variant, ...]
    level: str | None  # compound only: the level a yes reaches (every part alone reaches it)
    label: str | None  # compound only: spoken as the reason's name
    why: str | None  # compound only: the reason a yes gives
    advice: str | None = None  # compound only: as a flag's `advice`

    @property
    def sign(self) -> str:
        """The id the state and the voice layer use for this question."""
        return self.id

    @property
    def compound(self) -> bool:
        return len(self.signs) > 1


@dataclass(frozen=True)
class Flag:
    id: str
    level: str
    when: Condition
    label: str
    why: str
    guards: str
    sources: tuple[Source, ...]
    synonyms: tuple[str, ...]
    about: str  # "self", or "child": naming it starts the child path
    advice: str | None  # None, or an [advice] table: its own wording of the level
    instead_of: tuple[str, ...]  # flags whose reason this one replaces when both are raised

    @property
    def signs(self) -> frozenset[str]:
        return conditions.signs_of(self.when)

    @property
    def signs_required(self) -> frozenset[str]:
        """Signs that must be yes for the rule to hold: a named flag implies them."""
        return conditions.required(self.when)


@dataclass(frozen=True)
class Locale:
    said: dict[str, str]
    written: dict[str, str]
    numbers: dict[str, str]  # digits as written -> how to say them


@dataclass(frozen=True)
class Rules:
    cap: int
    signs: dict[str, Sign]
    questions: tuple[Question, ...]  # in priority order for ties
    flags: tuple[Flag, ...]
    sources: dict[str, Source]
    screen: dict[str, str]
    levels: dict[str, dict]
    advice: dict[str, dict]
    locales: dict[str, Locale]
    # Next questions already worked out, by screen: replaying a state asks the same questions
    # again on every turn, and a whole-tree walk in the tests asks them thousands of times.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def flag(self, flag_id: str) -> Flag:
        for flag in self.flags:
            if flag.id == flag_id:
                return flag
        raise KeyError(f"no red flag {flag_id!r}")

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(f"no question {question_id!r}")

    def synonyms(self) -> dict[str, list[str]]:
        """flag id -> how people name it, the slot value first (the legacy Symptom slot type)."""
        return {flag.id: list(flag.synonyms) for flag in self.flags}

    def locale(self, locale: str | None) -> Locale:
        """The locale's words; an unknown one gets "your local emergency number"."""
        if locale:
            for key, words in self.locales.items():
                if key.lower() == locale.replace("_", "-").lower():
                    return words
        return self.locales["default"]

    def stopped_text(self, locale: str | None) -> str:
        """What to say when someone stops a screen part-way: the emergency signs to watch for."""
        return wording.fill(self.screen["stopped"], self.locale(locale).said)
