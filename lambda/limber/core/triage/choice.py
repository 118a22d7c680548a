"""What the screen knows so far, which red flags that raises, and which question to ask next.

The next question is the one whose answer can still change the outcome the most: it could
raise the level highest (emergency, then urgent, then soon). Among equals, a question that
follows up what the person already said comes first (they mentioned a fall: was it a serious
one?), then one that would complete a flag with fewer signs still missing, then the order of
red_flags.toml. A sign is worth asking only while some flag above the
level already reached could still be raised by it; a no rules out every alternative that
needed it. A compound question (two or more signs that share a level and an action) is asked
only while none of its parts is known and at least two are still worth asking; after "not
sure" to it, or a yes to one without a level of its own, its parts come next, one at a time
(a yes with all parts but one ruled out is a yes to that one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from limber.core.triage import conditions, wording
from limber.core.triage.model import ABOUT_SIGNS, LEVELS, RANK, Flag, Question, Rules


@dataclass
class Screen:
    named: Flag | None
    about: str  # "self" | "child" | "other"
    known: dict[str, str]  # sign -> "y" | "n" | "u", from what the person said first
    answers: list[tuple[str, str]] = field(default_factory=list)  # (question id, "y"|"n"|"u")

    @property
    def answered(self) -> set[str]:
        return {qid for qid, _ in self.answers}


def facts(rules: Rules, screen: Screen) -> dict[str, str]:
    """sign -> "y" | "n" | "u": from who it's about, the named flag, the opening, the answers,
    then what those imply (65 or over implies 50 or over; under 50 rules out 65 or over)."""
    found = {sign: ("y" if screen.about == about else "n") for sign, about in ABOUT_SIGNS.items()}
    if screen.named:
        found.update(dict.fromkeys(screen.named.signs_required - set(ABOUT_SIGNS), "y"))
    found.update(screen.known)
    for qid, reply in screen.answers:
        question = rules.question(qid)
        if not question.compound:
            found[question.signs[0]] = reply
        elif reply == "n":
            for part in question.signs:
                found.setdefault(part, "n")
    for qid, reply in screen.answers:  # a yes to "A, B or C" with A and B ruled out means C
        question = rules.question(qid)
        if question.compound and reply == "y":
            open_parts = [p for p in question.signs if found.get(p) != "n"]
            if len(open_parts) == 1:
                found.setdefault(open_parts[0], "y")
    changed = True
    while changed:
        changed = False
        for sign in rules.signs.values():
            for implied in sign.implies:
                if found.get(sign.id) in ("y", "u") and implied not in found:
                    found[implied], changed = found[sign.id], True
                if found.get(implied) == "n" and sign.id not in found:
                    found[sign.id], changed = "n", True
    return found


def truth(found: dict[str, str]) -> dict[str, bool]:
    return {sign: reply != "n" for sign, reply in found.items()}  # not sure counts as yes


def compound_reason(question: Question) -> Flag:
    """A compound question's yes, as a reason: its level, label and why."""
    return Flag(question.id, question.level, ("any", tuple(("sign", s) for s in question.signs)),
                question.label, question.why, "", (), (), "self", question.advice, ())  # fmt: skip


def raised(rules: Rules, screen: Screen, found: dict[str, str]) -> list[Flag]:
    """The flags that hold, the named one first, then compound questions answered yes."""
    known = truth(found)
    held = [f for f in rules.flags if f is not screen.named and conditions.evaluate(f.when, known) is True]
    held += [compound_reason(rules.question(qid)) for qid, reply in screen.answers
             if reply == "y" and rules.question(qid).compound and rules.question(qid).level]  # fmt: skip
    return [screen.named, *held] if screen.named else held


def level_of(reasons: list[Flag]) -> str:
    return max((r.level for r in reasons), key=RANK.__getitem__, default="self_care")


def _worth_asking(
    rules: Rules, found: dict[str, str], level: str, held: set[str]
) -> dict[str, tuple[int, bool, int]]:
    """sign -> (highest level rank it could still raise, whether that follows up a yes, and
    minus how many more signs that flag would still need)."""
    known = truth(found)
    worth: dict[str, tuple[int, bool, int]] = {}
    for flag in rules.flags:
        if RANK[flag.level] <= RANK[level] or flag.id in held:
            continue
        for term in conditions.open_terms(flag.when, known):
            if any(s not in found and not rules.signs[s].asked for s in term):
                continue  # needs something only the opening can tell (a pregnancy, a hip replacement)
            follow_up = any(known.get(s) for s in term)
            for sign in term:
                if sign in found or not rules.signs[sign].asked:
                    continue
                best = worth.get(sign, (-1, False, 0))
                candidate = (RANK[flag.level], follow_up, -sum(1 for s in term if s not in found))
                if candidate > best:
                    worth[sign] = candidate
    return worth


MEMO_SIZE = 50_000


def next_question(rules: Rules, screen: Screen) -> tuple[Question | None, str | None]:
    """The question to ask now and the highest level it could raise; (None, None) when nothing
    left could change the outcome."""
    key = (screen.named.id if screen.named else None, screen.about,
           tuple(sorted(screen.known.items())), tuple(screen.answers))  # fmt: skip
    if key not in rules.memo:
        if len(rules.memo) >= MEMO_SIZE:
            rules.memo.clear()
        rules.memo[key] = _next_question(rules, screen)
    return rules.memo[key]


def _next_question(rules: Rules, screen: Screen) -> tuple[Question | None, str | None]:
    found = facts(rules, screen)
    reasons = raised(rules, screen, found)
    level = level_of(reasons)
    worth = _worth_asking(rules, found, level, {r.id for r in reasons})
    if not worth:
        return None, None
    yes = {s for s, r in found.items() if r != "n"}
    forced: list[str] = []
    for qid, reply in screen.answers:
        question = rules.question(qid)
        explained = any(found.get(p) in ("y", "u") for p in question.signs)
        if question.compound and not explained and (reply == "u" or reply == "y" and not question.level):
            forced += [part for part in question.signs if part in worth]
    best, best_key = None, None
    for index, question in enumerate(rules.questions):
        if question.id in screen.answered or not wording.asked_about(question, screen.about):
            continue
        open_parts = [p for p in question.signs if p in worth]
        if not open_parts or question.compound and (len(open_parts) < 2 or set(question.signs) & set(found)):
            continue  # a compound question never asks again about something already known
        reach, follow_up, nearness = max(worth[p] for p in open_parts)
        variant = any(v.when in yes for v in question.variants)
        is_forced = not question.compound and question.signs[0] in forced
        key = (reach, is_forced, variant, follow_up, nearness if follow_up else 0, -index)
        if best_key is None or key > best_key:
            best, best_key = question, key
    if best is None:
        return None, None
    return best, LEVELS[best_key[0]]
