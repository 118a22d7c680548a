"""When a red flag holds: a sign id, or all/any of further conditions, over three-valued facts.

A condition is ("sign", id), ("all", (condition, ...)) or ("any", (condition, ...)). Facts map a
sign to True (yes, or "not sure", which counts as yes), False (no), or are missing (not known
yet), so a condition is True, False, or None while it still depends on what isn't known.
"""

from __future__ import annotations

import re

from limber.core.triage.errors import TriageContentError

Condition = tuple
ID = re.compile(r"[a-z][a-z0-9_]*")


def parse(raw, where: str) -> Condition:
    if isinstance(raw, str) and ID.fullmatch(raw):
        return ("sign", raw)
    if isinstance(raw, dict) and len(raw) == 1:
        ((kind, items),) = raw.items()
        if kind in ("all", "any") and isinstance(items, list) and items:
            return (kind, tuple(parse(item, where) for item in items))
    raise TriageContentError(f"{where}: field 'when' must be a sign id or {{all|any = [...]}}, not {raw!r}")


def signs_of(condition: Condition) -> frozenset[str]:
    kind, body = condition
    return frozenset({body}) if kind == "sign" else frozenset().union(*(signs_of(c) for c in body))


def required(condition: Condition) -> frozenset[str]:
    """Signs that must be yes for the condition to hold (so naming its flag implies them)."""
    kind, body = condition
    if kind == "sign":
        return frozenset({body})
    parts = [required(c) for c in body]
    return frozenset().union(*parts) if kind == "all" else frozenset.intersection(*parts)


def evaluate(condition: Condition, facts: dict[str, bool]) -> bool | None:
    """True, False, or None while the signs it needs are still unknown."""
    kind, body = condition
    if kind == "sign":
        return facts.get(body)
    results = [evaluate(c, facts) for c in body]
    if kind == "all":
        return False if False in results else (True if all(results) else None)
    return True if True in results else (False if all(r is False for r in results) else None)


def terms(condition: Condition) -> tuple[frozenset[str], ...]:
    """The condition as alternatives, each a set of signs that together make it hold.
    Conditions never negate, so a flag can only be raised by one of these sets."""
    kind, body = condition
    if kind == "sign":
        return (frozenset({body}),)
    parts = [terms(c) for c in body]
    if kind == "any":
        return tuple(t for part in parts for t in part)
    combined = [frozenset()]
    for part in parts:
        combined = [a | b for a in combined for b in part]
    return tuple(combined)


def open_terms(condition: Condition, facts: dict[str, bool]) -> list[frozenset[str]]:
    """Alternatives not yet ruled out by a no (empty if the condition already holds)."""
    if evaluate(condition, facts) is True:
        return []
    return [t for t in terms(condition) if not any(facts.get(s) is False for s in t)]
