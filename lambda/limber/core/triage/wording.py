"""Words: filling templates with a locale's words, and saying a question or a reason about
someone else ("they" for "you"), so a proxy is asked about "them" without a second copy of
every question.

English "they" takes the same verb forms as "you" ("you take" / "they take", "have you" /
"have they"), so swapping the pronouns is exact except where "you" is an object ("wakes you"),
which would come out "wakes they"; ``about_them_problem`` finds those at load so the question
gets an other_text of its own.
"""

from __future__ import annotations

import re

from limber.core.triage.errors import TriageContentError

THEM = {"you're": "they're", "you've": "they've", "you'd": "they'd", "you'll": "they'll",
        "yourself": "themselves", "yours": "theirs", "your": "their", "you": "they"}  # fmt: skip
_PRONOUN = re.compile(r"\b(" + "|".join(sorted(THEM, key=len, reverse=True)) + r")\b", re.IGNORECASE)
# "you" after these is an object, which "they" can't replace.
_OBJECT = re.compile(
    r"\b(to|for|with|at|on|from|about|wake|wakes|woke|keep|keeps|make|makes|let|lets|stop|stops|help|"
    r"helps|give|gives|gave|told|tell|tells|ask|asks|asked|hurt|hurts|bother|bothers|send|sends|sent|"
    r"leave|leaves|left|take|takes|see|sees|seen|saw|check|checks|checked|treat|treats) you\b(?!'|r)",
    re.IGNORECASE,
)


def fill(template: str, words: dict[str, str], **extra) -> str:
    try:
        return template.format_map({**words, **extra})
    except (KeyError, IndexError, ValueError) as err:
        raise TriageContentError(f"bad placeholder in {template[:60]!r}: {err}") from None


def about_them(text: str) -> str:
    """The same sentence about someone else: you -> they, your -> their, keeping capitals."""

    def swap(match: re.Match) -> str:
        word = match.group(0)
        them = THEM[word.lower()]
        return them.capitalize() if word[0].isupper() else them

    return _PRONOUN.sub(swap, text)


def about_them_problem(text: str) -> str | None:
    found = _OBJECT.search(text)
    return f"'{found.group(0)}' can't become 'they'" if found else None


def question_text(question, about: str, yes: set[str]) -> str:
    """The question's words for who it is about, using a variant once its sign is known yes."""
    for variant in question.variants:
        if variant.when in yes:
            chosen = _for(variant.text, variant.child_text, variant.other_text, about)
            if chosen:
                return chosen
    return _for(question.text, question.child_text, question.other_text, about)


def _for(text, child_text, other_text, about) -> str | None:
    if about == "child":
        return child_text
    if about == "other":
        return other_text or (about_them(text) if text else None)
    return text


def asked_about(question, about: str) -> bool:
    """Whether this question is ever put to this audience (a child gets child wording only)."""
    return (question.child_text if about == "child" else question.text) is not None
