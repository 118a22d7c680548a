"""Running a screen: start it, apply each yes / no / not sure, and say the current question again.

A screen's whole memory is a small JSON-safe ``state`` that the voice layer keeps in the
session and hands back with each reply::

    {"v": 2, "named": None, "about": "self", "known": [["recent_injury", "y"]],
     "answers": [["ces_signs", "n"], ...], "ask": "vascular_signs"}

It holds rule ids and answers only, never free text, and nothing is stored anywhere else. On
the way back in, the answers are replayed through the rules, so an answer can only ever be
applied to the question these rules asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from limber.core.triage import choice, outcomes, wording
from limber.core.triage.errors import TriageStateError
from limber.core.triage.model import ABOUT, ABOUT_SIGNS, Rules
from limber.core.triage.outcomes import Outcome

REPLIES = {"yes": "y", "no": "n", "unsure": "u"}
STATE_VERSION = 2


@dataclass(frozen=True)
class QuestionStep:
    """Ask this, keep ``state`` in the session, and pass the reply to ``answer``."""

    number: int  # 1 for the first question
    sign: str  # the question's id: a sign id, or a compound question's id
    text: str  # everything to say now, ending with the question
    question: str  # the question alone, e.g. for a reprompt
    reprompt: str
    state: dict
    numbers: dict[str, str]  # phone numbers in ``text`` -> how to say them (<sub alias>)
    kind: str = "question"


Step = QuestionStep | Outcome


def _state(screen: choice.Screen, ask: str) -> dict:
    return {
        "v": STATE_VERSION,
        "named": screen.named.id if screen.named else None,
        "about": screen.about,
        "known": [[sign, reply] for sign, reply in sorted(screen.known.items())],
        "answers": [[qid, reply] for qid, reply in screen.answers],
        "ask": ask,
    }


def _asked(rules: Rules, screen: choice.Screen, question) -> str:
    yes = {s for s, r in choice.facts(rules, screen).items() if r != "n"}
    return wording.question_text(question, screen.about, yes)


def _question(rules: Rules, screen: choice.Screen, question, locale, preface, template="question"):
    words = rules.locale(locale)
    number = len(screen.answers) + 1
    asked = wording.fill(_asked(rules, screen, question), words.said)  # "labor", "pee" by locale
    text = " ".join([*preface, wording.fill(rules.screen[template], words.said, number=number, text=asked)])
    return QuestionStep(
        number=number,
        sign=question.id,
        text=text,
        question=asked,
        reprompt=wording.fill(rules.screen["reprompt"], words.said, text=asked),
        state=_state(screen, question.id),
        numbers=outcomes.numbers_in(words, text),
    )


def _step(rules: Rules, screen: choice.Screen, locale: str | None, preface: list[str]) -> Step:
    found = choice.facts(rules, screen)
    if choice.level_of(choice.raised(rules, screen, found)) == "emergency":
        return outcomes.outcome(rules, screen, locale)
    question, could_reach = choice.next_question(rules, screen)
    if question is None:
        return outcomes.outcome(rules, screen, locale)
    if len(screen.answers) >= rules.cap:
        # Out of questions: an emergency sign still open is treated like "not sure".
        return outcomes.outcome(rules, screen, locale, cap_hit=could_reach == "emergency")
    return _question(rules, screen, question, locale, preface)


def _known(rules: Rules, known) -> dict[str, str]:
    if known is None:
        return {}
    if not hasattr(known, "items"):
        raise ValueError("known must map sign ids to 'y', 'n' or 'u'")
    checked = {}
    for sign, reply in known.items():
        if sign not in rules.signs or sign in ABOUT_SIGNS:
            raise ValueError(f"known: {sign!r} is not a sign of these rules")
        if reply not in ("y", "n", "u"):
            raise ValueError(f"known: {sign!r} must be 'y', 'n' or 'u', not {reply!r}")
        checked[sign] = reply
    return checked


def start_screen(rules: Rules, named: str | None = None, locale: str | None = "en-US", *,
                 known=None, about: str = "self") -> Step:  # fmt: skip
    """Begin a screen.

    ``named``: a red flag id the person named (the Symptom slot's value), or None.
    ``known``: sign id -> "y" | "n" | "u" from what the person already said; never asked again.
    ``about``: "self", "child" (a parent about a child) or "other" (about another adult).

    An emergency already clear from what was said is answered at once. A lower level gets its
    advice first, then only the questions that could make it more urgent."""
    if about not in ABOUT:
        raise ValueError(f"about must be one of {ABOUT}, not {about!r}")
    flag = rules.flag(named) if named else None
    if flag is not None and flag.about == "child":
        about = "child"
    screen = choice.Screen(flag, about, _known(rules, known))
    said = rules.locale(locale).said
    found = choice.facts(rules, screen)
    if choice.level_of(choice.raised(rules, screen, found)) == "emergency":
        return outcomes.outcome(rules, screen, locale)
    advice = outcomes.advice_so_far(rules, screen, locale)
    if advice:
        return _step(rules, screen, locale, [*advice, wording.fill(rules.screen["named_then"], said)])
    return _step(rules, screen, locale, [wording.fill(rules.screen["intro"], said, cap=rules.cap)])


def _restore(rules: Rules, state) -> choice.Screen:
    """The screen a state describes, after checking these rules would have asked ``ask`` next."""
    if not isinstance(state, dict) or state.get("v") != STATE_VERSION:
        raise TriageStateError("not a screen state of this version")
    named_id, answers, ask = state.get("named"), state.get("answers"), state.get("ask")
    about, known = state.get("about"), state.get("known")
    try:
        named = rules.flag(named_id) if named_id is not None else None
    except (KeyError, TypeError):
        raise TriageStateError(f"unknown named flag {named_id!r}") from None
    if about not in ABOUT:
        raise TriageStateError("about must be self, child or other")
    if not isinstance(known, list) or not all(isinstance(k, list) and len(k) == 2 for k in known):
        raise TriageStateError("known must be [sign, 'y' | 'n' | 'u'] pairs")
    try:
        known = _known(rules, {sign: reply for sign, reply in known})
    except (ValueError, TypeError):
        raise TriageStateError("known holds a sign or reply these rules don't have") from None
    if not isinstance(answers, list) or not all(
        isinstance(a, list) and len(a) == 2 and a[1] in REPLIES.values() for a in answers
    ):
        raise TriageStateError("answers must be [question, 'y' | 'n' | 'u'] pairs")
    if len(answers) >= rules.cap:
        raise TriageStateError("a state never holds a full set of answers")
    screen = choice.Screen(named, about, known)
    for qid, reply in [*answers, [ask, None]]:
        expected, _ = choice.next_question(rules, screen)
        if expected is None or expected.id != qid:
            raise TriageStateError("the state does not match these rules (was the content changed?)")
        if reply is not None:
            screen.answers.append((qid, reply))
    return screen


def answer(rules: Rules, state: dict, reply: str, locale: str | None = "en-US") -> Step:
    """Apply "yes", "no" or "unsure" to the question in ``state``; the next step."""
    if reply not in REPLIES:
        raise ValueError(f"reply must be one of {sorted(REPLIES)}, not {reply!r}")
    screen = _restore(rules, state)
    question = rules.question(state["ask"])
    screen.answers.append((question.id, REPLIES[reply]))
    preface = []
    if reply == "unsure":
        key = "unsure_split" if question.compound else "unsure_ack"
        preface = [wording.fill(rules.screen[key], rules.locale(locale).said)]
    return _step(rules, screen, locale, preface)


def repeat_question(rules: Rules, state: dict, locale: str | None = "en-US") -> QuestionStep:
    """The current question again, with the same state."""
    screen = _restore(rules, state)
    return _question(rules, screen, rules.question(state["ask"]), locale, [], template="repeat")
