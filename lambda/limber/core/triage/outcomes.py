"""An outcome's words: the level's opening, the reasons that raised it (never a reason that
wasn't said or answered), a note on what was counted from "not sure", what to do, and on the
card the reminder that this is not a substitute for professional medical advice."""

from __future__ import annotations

from dataclasses import dataclass

from limber.core.triage import choice, wording
from limber.core.triage.model import ABOUT_SIGNS, Flag, Locale, Rules

REASONS_SPOKEN = 2  # more than two reasons is more than anyone takes in on one hearing


@dataclass(frozen=True)
class Outcome:
    """The end of a screen: clear the state and say ``text``."""

    level: str  # "emergency" | "urgent" | "soon" | "self_care"
    flags: tuple[str, ...]  # the reasons that set the level (flag or compound question ids)
    text: str  # plain text; the level is named in the first sentence
    card_title: str  # starts with Emergency, Urgent, See a doctor or Self-care
    card_text: str  # ends with "... not a substitute for professional medical advice."
    may_continue: bool  # whether the stretching routine may go on afterwards
    unsure: tuple[str, ...]  # signs answered "not sure" that were counted as yes
    numbers: dict[str, str]  # phone numbers in ``text`` -> how to say them (<sub alias>)
    kind: str = "outcome"


def numbers_in(words: Locale, text: str) -> dict[str, str]:
    return {digits: said for digits, said in words.numbers.items() if digits in text}


def for_audience(text: str, about: str) -> str:
    return text if about == "self" else wording.about_them(text)


def setting_reasons(reasons: list[Flag], level: str) -> list[Flag]:
    """The reasons at the outcome's level, without those another one speaks for (a pregnancy
    fever replaces the general fever reason)."""
    at_level = [r for r in reasons if r.level == level]
    replaced = {fid for r in at_level for fid in r.instead_of}
    return [r for r in at_level if r.id not in replaced]


def said_to(about: str, key: str) -> str:
    """The key of a level's words for this audience: "opening", or "other_opening" about them."""
    return key if about == "self" else f"{about}_{key}"


def told_anything(found: dict[str, str]) -> bool:
    return any(reply != "n" for sign, reply in found.items() if sign not in ABOUT_SIGNS)


def outcome(rules: Rules, screen: choice.Screen, locale: str | None, *, cap_hit: bool = False) -> Outcome:
    words = rules.locale(locale)
    found = choice.facts(rules, screen)
    reasons = choice.raised(rules, screen, found)
    level = "emergency" if cap_hit else choice.level_of(reasons)
    setting = setting_reasons(reasons, level)
    advice = next((rules.advice[r.advice] for r in setting if r.advice), None)
    table = advice or rules.levels[level]
    unsure = sorted({s for s, reply in found.items() if reply == "u" and any(s in r.signs for r in setting)})
    doubtful = [r for r in setting if r.signs & set(unsure)]
    about = screen.about
    opening = table[said_to(about, "opening")]
    if level == "self_care" and told_anything(found):
        opening = rules.screen["self_care_told"]  # never "no warning signs" after they named one

    yes = {sign for sign, reply in found.items() if reply != "n"}
    acting = next((v for v in table.get("variants", ()) if v["if"] in yes), table)  # e.g. pregnancy

    def render(form: dict[str, str]) -> str:
        parts = [wording.fill(opening, form)]
        parts += [wording.fill(for_audience(r.why, about), form) for r in setting[:REASONS_SPOKEN]]
        if cap_hit:
            parts.append(wording.fill(rules.screen["cap_why"], form))
        if doubtful:
            named = [wording.fill(for_audience(r.label, about), form) for r in doubtful[:REASONS_SPOKEN]]
            labels = " and ".join(named)
            parts.append(wording.fill(rules.screen["unsure_note"], form, labels=labels))
        action = acting[said_to(about, "action")]
        parts.append(wording.fill(action, form))
        return " ".join(parts)

    text = render(words.said)
    card = f"{render(words.written)} {wording.fill(rules.screen['disclaimer'], words.written)}"
    return Outcome(
        level=level,
        flags=tuple(r.id for r in setting),
        text=text,
        card_title=wording.fill(table[said_to(about, "title")], words.written),
        card_text=card,
        may_continue=rules.levels[level]["may_continue"],
        unsure=tuple(unsure),
        numbers=numbers_in(words, text),
    )


def advice_so_far(rules: Rules, screen: choice.Screen, locale: str | None) -> list[str]:
    """Said before the first question when the opening already made it urgent: what to do
    now, in case the person stops before the end. (A "soon" reason waits for the outcome: a
    named bladder problem is "not new" only once the person has said so.)"""
    found = choice.facts(rules, screen)
    reasons = choice.raised(rules, screen, found)
    level = choice.level_of(reasons)
    if level != "urgent":
        return []
    setting = setting_reasons(reasons, level)
    advice = next((rules.advice[r.advice] for r in setting if r.advice), None)
    said = rules.locale(locale).said
    first = (advice or rules.levels[level])[said_to(screen.about, "opening")]
    return [wording.fill(first, said), *(wording.fill(for_audience(r.why, screen.about), said)
                                         for r in setting[:REASONS_SPOKEN])]  # fmt: skip
