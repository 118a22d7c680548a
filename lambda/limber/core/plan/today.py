"""What to suggest on launch: a short line, rotating routines for variety.

The choice: leave out what the person skipped or found too hard lately, then prefer the
routine done least recently (never done counts as longest ago), ties in the library's
order. When the week's goal is already met, the suggestion is offered as optional.
"""

from __future__ import annotations

from collections.abc import Sequence

from limber.core.content import Library
from limber.core.timing import number_word


def _pick(library: Library, recent: Sequence[str], avoided: set[str]) -> str | None:
    ids = [r.id for r in library.routines]
    candidates = [i for i in ids if i not in avoided] or ids
    if not candidates:
        return None

    # Position in the recent list (0 = last done); never done sorts as longest ago.
    def age(routine_id: str) -> int:
        return recent.index(routine_id) if routine_id in recent else len(recent) + 1

    return max(candidates, key=lambda i: (age(i), -ids.index(i)))


def suggestion(
    library: Library,
    *,
    goal: int | None,
    days_this_week: int,
    recent: Sequence[str] = (),
    avoided: set[str] | frozenset[str] = frozenset(),
) -> tuple[str | None, str]:
    """(routine id, one short sentence) for today; (None, "") when there is nothing to say."""
    routine_id = _pick(library, list(recent), set(avoided))
    if routine_id is None:
        return None, ""
    name = library.routine(routine_id).name.lower()
    if goal and days_this_week >= goal:
        return routine_id, f"Goal met this week. {name.capitalize()}, if you'd like more?"
    if goal:
        left = goal - days_this_week
        return routine_id, f"{number_word(left).capitalize()} to go this week. How about {name} today?"
    return routine_id, f"How about {name} today?"
