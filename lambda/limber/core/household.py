"""Everyone in the house their own: one stored record per account, a profile per person.

When Alexa recognises the speaker it sends ``context.System.person.personId``; that person's
place, hold, preferences, goal, streak and completions live in the account's record under
``people`` (keyed by a SHA-256 of the personId, so the raw id is never stored). Anyone Alexa
does not recognise uses the account's own fields, as before. Keeping everyone in one record
means the table's key does not change, and deleting the record forgets the whole household.

A session only ever carries one person's view (small, like a single profile). Saving a view
puts it back into the record by ``progress.merge``, the same lossless merge two devices'
saves already go through, so two people saving at once lose nothing.

Pure: standard library only.
"""

from __future__ import annotations

import hashlib
from typing import Any

from limber.core import progress

PEOPLE = "people"


def person_key(person_id: Any) -> str | None:
    """The key a recognised person's profile is stored under; None for no (usable) id."""
    if not isinstance(person_id, str) or not person_id.strip() or len(person_id) > 1000:
        return None
    return hashlib.sha256(person_id.encode("utf-8")).hexdigest()


def has_people(record: dict[str, Any]) -> bool:
    return bool(record.get(PEOPLE))


def view(record: dict[str, Any], person: str | None) -> dict[str, Any]:
    """What one speaker sees: their own profile, or (``person`` None) the account's fields."""
    if person is None:
        return {k: v for k, v in record.items() if k != PEOPLE}
    mine = (record.get(PEOPLE) or {}).get(person)
    return progress.migrate(mine)[0] if mine else progress.new_profile()


def put(record: dict[str, Any], person: str | None, seen: dict[str, Any]) -> dict[str, Any]:
    """The record with one speaker's view merged in; everyone else's data as it was."""
    seen = {k: v for k, v in seen.items() if k != PEOPLE}
    if person is None:
        return progress.merge(seen, record)  # keeps the record's people, merges the account's part
    people = dict(record.get(PEOPLE) or {})
    people[person] = progress.merge(seen, people[person]) if person in people else progress.migrate(seen)[0]
    updated = {**{k: v for k, v in record.items() if k != PEOPLE}, PEOPLE: people}
    return progress.migrate(updated)[0]  # caps the number of people
