"""A person's stored progress: the profile shape, its repair, merging and statistics.

The profile is a plain dict because it travels through the ASK SDK's persistent and session
attributes (JSON) and is stored as-is by every adapter. It holds only what the coach needs:
where the person is in a routine, their hold preference, which days they stretched, a counter
and whether they heard the safety disclaimer. Never screening answers or free text.

Shape (schema 2)::

    {
        "schema": 2,
        "updated_at": "2024-05-06T07:08:09.123Z" | None,     # last change of any field
        "position": {                                        # or None: nothing to resume
            "routine_id": "hips-basic",
            "step": 3,                                       # flat step index, 0-based
            "paused": False,
            "updated": "2024-05-06T07:08:09.123Z",
            "skipped": 2,                                    # optional: skipped so far this run
        },
        "position_cleared_at": ISO timestamp | None,         # when position last became None
        "hold_seconds": 10..60 | None,                       # None: the routine's own holds
        "hold_updated_at": ISO timestamp | None,
        "completions": ["2024-05-01", ...],                  # local dates, sorted, <= 60 days
        "completion_ids": ["18f4b2c3d5e-a1b2c3", ...],       # the latest 20 finishes, oldest first
        "routines_completed": 12,
        "disclaimer_heard": True,
    }

Timestamps exist because two devices can save the same person concurrently; ``merge`` uses
them to keep the later change of each part. Dates are the person's local dates: the caller
works them out from the device time zone and passes ``today``.

Counting finishes without losing any: every finished routine gets an id (its time in ms, in
hex, plus 24 random bits), and the profile keeps the latest ``RECENT_IDS`` of them beside the
total. When two sessions saved from the same stored record, each one's finishes are the ids
the other lacks, so ``merge`` adds them to the other's total instead of taking the larger of
two totals (which counted two devices finishing together once). Replaying a save that had
in fact landed adds nothing: its ids are already there. The window only has to outlast one
session's unsaved changes, so 20 ids (about 400 bytes) are plenty.

Schema 1 (before completion ids) upgrades silently: same fields, no ids yet, total kept.

Optional fields, present only once used (so a profile that never set them is unchanged):
``goal`` (days a week, 1-7) with ``goal_updated_at``; ``finished_at`` and ``avoided_at``
(routine id -> when it was last finished, and last skipped mostly or found too hard; the
latest ``RECENT_ROUTINES`` of each); ``reminder_offered`` (True once the one-time offer of a
reminder was made); ``met`` (stretch id -> how many runs have met it, capped at ``MET_CAP``, so
a familiar stretch gets a short cue); ``preferences`` ({"slower": True, "off_floor": True}, only
the ones chosen) with ``preferences_updated_at``: how the person likes to be coached, never why.
Routine ids and times only: never why, never pain. And, at the top of an
account's record only, ``people``: a person's own profile (the same shape) under the SHA-256
of the personId Alexa sends when it recognises the speaker (see limber.core.household); at
most ``MAX_PEOPLE``, merged person by person with this same merge.

Pure: standard library only.
"""

from __future__ import annotations

import copy
import os  # os.urandom, not secrets: the same bytes, without importing hmac and random at cold start
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

SCHEMA_VERSION = 2
HOLD_RANGE = (10, 60)
COMPLETION_WINDOW_DAYS = 60
STALE_AFTER_DAYS = 7
MAX_ROUTINE_ID_LENGTH = 64
RECENT_IDS = 20

_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Milliseconds since 1970 in 11 hex digits (until the year 2527), so ids sort by time as text.
_COMPLETION_ID_PATTERN = re.compile(r"^[0-9a-f]{11}-[0-9a-f]{6}$")
_FIELDS = (
    "schema",
    "updated_at",
    "position",
    "position_cleared_at",
    "hold_seconds",
    "hold_updated_at",
    "completions",
    "completion_ids",
    "routines_completed",
    "disclaimer_heard",
)
# Present only once used; a record without them is complete (see the module doc).
_OPTIONAL_FIELDS = (
    "goal", "goal_updated_at", "finished_at", "avoided_at", "reminder_offered", "people",
    "met", "preferences", "preferences_updated_at",
)
MET_CAP = 9  # more than "familiar" needs; keeps the record small and the count bounded
FAMILIAR_AFTER = 2  # runs that met a stretch before it gets the short cue
MAX_MET = 64  # stretches remembered (the content has 28)
PREFERENCES = ("slower", "off_floor")
GOAL_RANGE = (1, 7)
RECENT_ROUTINES = 12
MAX_PEOPLE = 10
_PERSON_KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")
# Fields a record of an older schema may lack without anything being wrong with it.
_ADDED_IN = {"completion_ids": 2}
_TIMESTAMP_FIELDS = ("updated_at", "position_cleared_at", "hold_updated_at")
_POSITION_FIELDS = ("routine_id", "step", "paused", "updated", "skipped")
# A position whose timestamp was lost sorts before every real one and counts as stale.
_EPOCH = "1970-01-01T00:00:00.000Z"


class Stats(NamedTuple):
    days_this_week: int
    streak_days: int
    routines_completed: int


def new_profile() -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "updated_at": None,
        "position": None,
        "position_cleared_at": None,
        "hold_seconds": None,
        "hold_updated_at": None,
        "completions": [],
        "completion_ids": [],
        "routines_completed": 0,
        "disclaimer_heard": False,
    }


# --- timestamps ---------------------------------------------------------------------------


def timestamp(now: datetime | None = None) -> str:
    """UTC ISO timestamp with milliseconds, so two saves in one second still order."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
        # A stamp without a zone was written by something else; read it as UTC, not fail.
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _later(first: str | None, second: str | None) -> bool:
    """True when ``first`` is strictly later than ``second`` (None is the earliest)."""
    a, b = parse_timestamp(first), parse_timestamp(second)
    if a is None:
        return False
    return b is None or a > b


def _parse_date(text: Any) -> date | None:
    if not isinstance(text, str) or not _DATE_PATTERN.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# --- migrate and repair -------------------------------------------------------------------


def migrate(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """Bring any stored value to the current shape; never raises.

    Returns the profile and a list of repairs (one short English line each) so the skill can
    tell the person, in one sentence, that part of their progress was reset. An empty record
    (what the ASK SDK hands over for a new person) is simply a new profile, not a repair.
    """
    if raw is None or (isinstance(raw, dict) and not raw):
        return new_profile(), []
    if not isinstance(raw, dict):
        return new_profile(), [f"record was a {type(raw).__name__}, not a mapping; started fresh"]
    repairs: list[str] = []
    version = _as_int(raw.get("schema"))
    if version is None:
        # Schema 0: records written before versioning. Same field names; every field is
        # checked below, so upgrading is the repair pass itself.
        repairs.append("record had no schema version; checked every field")
    elif version > SCHEMA_VERSION:
        repairs.append(f"record is schema {version}, newer than {SCHEMA_VERSION}; kept known fields")
    profile = new_profile()
    for name in sorted(set(raw) - set(_FIELDS) - set(_OPTIONAL_FIELDS)):
        repairs.append(f"dropped unknown field {str(name)[:40]!r}")
    for name in _FIELDS[1:]:
        if name not in raw and not (version is not None and version < _ADDED_IN.get(name, 0)):
            repairs.append(f"{name}: missing; set to default")
    for name in _TIMESTAMP_FIELDS:
        value = raw.get(name)
        if value is not None and parse_timestamp(value) is None:
            repairs.append(f"{name}: not a timestamp; cleared")
        elif value is not None:
            profile[name] = value
    profile["position"] = _repair_position(raw.get("position"), repairs)
    profile["hold_seconds"] = _repair_hold(raw.get("hold_seconds"), repairs)
    profile["completions"] = _repair_completions(raw.get("completions"), repairs)
    profile["completion_ids"] = _repair_completion_ids(raw.get("completion_ids"), repairs)
    profile["routines_completed"] = _repair_counter(raw.get("routines_completed"), repairs)
    if profile["routines_completed"] < len(profile["completion_ids"]):
        repairs.append("routines_completed: fewer than the finishes on record; raised to match")
        profile["routines_completed"] = len(profile["completion_ids"])
    heard = raw.get("disclaimer_heard", False)
    if isinstance(heard, bool):
        profile["disclaimer_heard"] = heard
    else:
        # Unsure means the person hears the disclaimer again: the safe side.
        repairs.append("disclaimer_heard: not true/false; set to false")
    _repair_optional(raw, profile, repairs)
    return profile, repairs


def _as_int(value: Any) -> int | None:
    """An exact whole number (int, integral float or Decimal), else None. Booleans are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        try:
            if value == int(value):
                return int(value)
        except (ValueError, OverflowError, ArithmeticError):
            return None
    return None


def _repair_position(value: Any, repairs: list[str]) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        repairs.append("position: not a mapping; cleared")
        return None
    routine_id = value.get("routine_id")
    if not isinstance(routine_id, str) or not 0 < len(routine_id) <= MAX_ROUTINE_ID_LENGTH:
        repairs.append("position: routine id missing or invalid; cleared")
        return None
    step = _as_int(value.get("step"))
    if step is None or step < 0:
        repairs.append("position: step is not a whole number >= 0; cleared")
        return None
    position = {"routine_id": routine_id, "step": step, "paused": False, "updated": _EPOCH}
    paused = value.get("paused")
    if isinstance(paused, bool):
        position["paused"] = paused
    else:
        repairs.append("position: paused is not true/false; set to false")
    if parse_timestamp(value.get("updated")) is not None:
        position["updated"] = value["updated"]
    else:
        repairs.append("position: updated is not a timestamp; set to 1970")
    skipped = value.get("skipped")
    if skipped is not None:  # optional: stretches skipped so far in that run
        if _as_int(skipped) is not None and 0 < skipped <= 100:
            position["skipped"] = int(skipped)
        else:
            repairs.append("position: skipped is not a small whole number; dropped")
    extra = sorted(str(key)[:40] for key in set(value) - set(_POSITION_FIELDS))
    if extra:
        repairs.append(f"position: dropped unknown fields {extra}")
    return position


def _repair_hold(value: Any, repairs: list[str]) -> int | None:
    if value is None:
        return None
    seconds = _as_int(value)
    low, high = HOLD_RANGE
    if seconds is None or not low <= seconds <= high:
        repairs.append(f"hold_seconds: not a whole number from {low} to {high}; cleared")
        return None
    return seconds


def _repair_completions(value: Any, repairs: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple | set | frozenset):
        repairs.append("completions: not a list; cleared")
        return []
    dates = {_parse_date(item) for item in value}
    invalid = sum(1 for item in value if _parse_date(item) is None)
    if invalid:
        repairs.append(f"completions: dropped {invalid} entries that were not dates")
    dates.discard(None)
    kept = sorted(dates)[-COMPLETION_WINDOW_DAYS:]  # migrate has no "today"; cap the count
    if len(kept) < len(dates):
        repairs.append(f"completions: kept the latest {COMPLETION_WINDOW_DAYS} dates")
    return [day.isoformat() for day in kept]


def _repair_completion_ids(value: Any, repairs: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple | set | frozenset):
        repairs.append("completion_ids: not a list; cleared")
        return []
    ids = {item for item in value if isinstance(item, str) and _COMPLETION_ID_PATTERN.match(item)}
    invalid = sum(1 for item in value if not (isinstance(item, str) and item in ids))
    if invalid:
        repairs.append(f"completion_ids: dropped {invalid} entries that were not ids")
    kept = sorted(ids)[-RECENT_IDS:]
    if len(kept) < len(ids):
        repairs.append(f"completion_ids: kept the latest {RECENT_IDS}")
    if list(value) != kept and not invalid and len(kept) == len(ids):
        repairs.append("completion_ids: put in order without repeats")
    return kept


def _repair_counter(value: Any, repairs: list[str]) -> int:
    count = _as_int(value)
    if count is None or count < 0:
        if value is not None:
            repairs.append("routines_completed: not a whole number >= 0; set to 0")
        return 0
    return count


# --- changes the skill makes --------------------------------------------------------------


def _copy(profile: dict[str, Any]) -> dict[str, Any]:
    """A copy deep enough for a profile, whose values are scalars, a flat dict or a flat
    list (deepcopy was the largest cost of a turn that saves)."""
    return {
        k: dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
        for k, v in profile.items()
    }


def _changed(profile: dict[str, Any], now: datetime | None) -> tuple[dict[str, Any], str]:
    updated = _copy(profile)
    stamp = timestamp(now)
    updated["updated_at"] = stamp
    return updated, stamp


def set_position(
    profile: dict[str, Any],
    routine_id: str,
    step: int,
    *,
    paused: bool = False,
    skipped: int = 0,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The place; ``skipped`` (stretches skipped so far in this run) is kept only when some were,
    so the finish can be honest after a resume on another day."""
    if not isinstance(routine_id, str) or not 0 < len(routine_id) <= MAX_ROUTINE_ID_LENGTH:
        raise ValueError(f"routine id must be 1..{MAX_ROUTINE_ID_LENGTH} characters")
    if _as_int(step) is None or step < 0:
        raise ValueError("step must be a whole number >= 0")
    updated, stamp = _changed(profile, now)
    updated["position"] = {
        "routine_id": routine_id,
        "step": int(step),
        "paused": bool(paused),
        "updated": stamp,
    }
    if skipped and _as_int(skipped) is not None and 0 < skipped <= 100:
        updated["position"]["skipped"] = int(skipped)
    return updated


def clear_position(profile: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    updated, stamp = _changed(profile, now)
    updated["position"] = None
    updated["position_cleared_at"] = stamp
    return updated


def set_hold_seconds(
    profile: dict[str, Any], seconds: int | None, now: datetime | None = None
) -> dict[str, Any]:
    """Set (or with None, forget) the hold preference; outside 10-60 s raises ValueError."""
    low, high = HOLD_RANGE
    if seconds is not None and (_as_int(seconds) is None or not low <= seconds <= high):
        raise ValueError(f"hold must be a whole number of seconds from {low} to {high}")
    updated, stamp = _changed(profile, now)
    updated["hold_seconds"] = None if seconds is None else int(seconds)
    updated["hold_updated_at"] = stamp
    return updated


def mark_disclaimer_heard(profile: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    if profile.get("disclaimer_heard") is True:
        return _copy(profile)  # no change, so no new timestamp and no write
    updated, _ = _changed(profile, now)
    updated["disclaimer_heard"] = True
    return updated


def new_completion_id(now: datetime | None = None) -> str:
    """A finished routine's id: its time in ms (hex, sorts as text) and 24 random bits, so
    two devices finishing in the same millisecond still differ."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    milliseconds = int(moment.timestamp() * 1000)
    return f"{milliseconds:011x}-{os.urandom(3).hex()}"


def record_completion(
    profile: dict[str, Any],
    routine_id: str,
    today: date,
    now: datetime | None = None,
    completion_id: str | None = None,
) -> dict[str, Any]:
    """Count a finished routine on the person's local ``today``.

    Clears the position if it points into the routine just finished. Keeps completion dates
    from the last 60 days; a date up to one day ahead survives, since a person who travels
    west can see "today" step back by a day. The finish gets an id (see the module doc) so a
    concurrent save elsewhere cannot swallow it.
    """
    updated, stamp = _changed(profile, now)
    earliest = today - timedelta(days=COMPLETION_WINDOW_DAYS - 1)
    latest = today + timedelta(days=1)
    dates = {_parse_date(item) for item in updated.get("completions") or []} | {today}
    dates.discard(None)
    updated["completions"] = [d.isoformat() for d in sorted(dates) if earliest <= d <= latest]
    ids = set(updated.get("completion_ids") or []) | {completion_id or new_completion_id(now)}
    updated["completion_ids"] = sorted(ids)[-RECENT_IDS:]
    updated["routines_completed"] = int(updated.get("routines_completed") or 0) + 1
    position = updated.get("position")
    if isinstance(position, dict) and position.get("routine_id") == routine_id:
        updated["position"] = None
        updated["position_cleared_at"] = stamp
    return updated


# --- merging concurrent saves -------------------------------------------------------------


def merge(mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Combine two versions of one person's profile saved from different sessions.

    Completion dates are a union; the position (or its clearing) with the later timestamp
    wins, as does the later hold preference; once the disclaimer was heard it stays heard.
    Ties keep ``mine``. The count is ``theirs`` plus the finishes only ``mine`` has (see
    ``_merged_count``), never less than either side's own count.
    """
    mine, _ = migrate(mine)
    theirs, _ = migrate(theirs)
    merged = copy.deepcopy(mine)

    def position_time(profile: dict[str, Any]) -> str | None:
        position = profile["position"]
        return position["updated"] if position else profile["position_cleared_at"]

    if _later(position_time(theirs), position_time(mine)):
        merged["position"] = copy.deepcopy(theirs["position"])
        merged["position_cleared_at"] = theirs["position_cleared_at"]
    if _later(theirs["hold_updated_at"], mine["hold_updated_at"]):
        merged["hold_seconds"] = theirs["hold_seconds"]
        merged["hold_updated_at"] = theirs["hold_updated_at"]
    if _later(theirs["updated_at"], mine["updated_at"]):
        merged["updated_at"] = theirs["updated_at"]
    dates = sorted(set(mine["completions"]) | set(theirs["completions"]))
    merged["completions"] = dates[-COMPLETION_WINDOW_DAYS:]
    merged["routines_completed"] = _merged_count(mine, theirs)
    merged["completion_ids"] = sorted(set(mine["completion_ids"]) | set(theirs["completion_ids"]))[
        -RECENT_IDS:
    ]
    merged["disclaimer_heard"] = mine["disclaimer_heard"] or theirs["disclaimer_heard"]
    _merge_optional(merged, mine, theirs)
    return merged


def _merged_count(mine: dict[str, Any], theirs: dict[str, Any]) -> int:
    """``theirs``' total plus the finishes only ``mine`` knows of.

    An id of mine that ``theirs`` lacks is a finish theirs never saw, unless theirs holds a
    full window and the id is older than all of it: then theirs let it go as old, and its
    total already counts it. Neither side's own total is ever undercut (each counts only
    real finishes), which also makes merging again with the same record change nothing.
    """
    kept = theirs["completion_ids"]
    full = len(kept) >= RECENT_IDS
    only_mine = [i for i in mine["completion_ids"] if i not in set(kept) and not (full and i < kept[0])]
    return max(mine["routines_completed"], theirs["routines_completed"] + len(only_mine))


# --- questions the skill asks -------------------------------------------------------------


def stats(profile: dict[str, Any], today: date) -> Stats:
    """Days stretched this week (Monday first), the current streak, and the total count.

    The streak counts consecutive days ending today, or yesterday if today has no session
    yet (the day is not over). Only 60 days are kept, so a streak tops out at 60.
    """
    days = {_parse_date(item) for item in profile.get("completions") or []}
    days.discard(None)
    monday = today - timedelta(days=today.weekday())
    this_week = sum(1 for day in days if monday <= day <= today)
    cursor = today if today in days else today - timedelta(days=1)
    streak = 0
    while cursor in days:
        streak += 1
        cursor -= timedelta(days=1)
    count = _as_int(profile.get("routines_completed"))
    return Stats(this_week, streak, count if count and count > 0 else 0)


def is_stale(position: dict[str, Any] | None, now: datetime, days: int = STALE_AFTER_DAYS) -> bool:
    """True when a saved position is too old to offer resuming (or its time is unreadable)."""
    if not position:
        return False
    updated = parse_timestamp(position.get("updated"))
    if updated is None:
        return True
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now - updated > timedelta(days=days)


# --- the optional fields: a weekly goal, recent routines, a reminder offered, people -----


def _repair_optional(raw: dict[str, Any], profile: dict[str, Any], repairs: list[str]) -> None:
    """Copy the optional fields that are sound into ``profile``; report the others."""
    goal, stamp = raw.get("goal"), raw.get("goal_updated_at")
    if goal is not None:
        low, high = GOAL_RANGE
        if _as_int(goal) is None or not low <= goal <= high:
            repairs.append(f"goal: not a whole number from {low} to {high}; cleared")
        else:
            profile["goal"] = int(goal)
            profile["goal_updated_at"] = stamp if parse_timestamp(stamp) is not None else _EPOCH
    for name in ("finished_at", "avoided_at"):
        times = _repair_routine_times(raw.get(name), name, repairs)
        if times:
            profile[name] = times
    offered = raw.get("reminder_offered")
    if offered is True:
        profile["reminder_offered"] = True
    elif offered not in (None, False):
        repairs.append("reminder_offered: not true/false; cleared")
    met = _repair_met(raw.get("met"), repairs)
    if met:
        profile["met"] = met
    chosen = _repair_preferences(raw.get("preferences"), repairs)
    if chosen is not None:
        stamp = raw.get("preferences_updated_at")
        profile["preferences"] = chosen
        profile["preferences_updated_at"] = stamp if parse_timestamp(stamp) is not None else _EPOCH
    people = raw.get("people")
    if people is not None:
        kept = _repair_people(people, repairs)
        if kept:
            profile["people"] = kept


def _repair_met(value: Any, repairs: list[str]) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        repairs.append("met: not a mapping; cleared")
        return {}
    kept = {
        key: min(int(count), MET_CAP)
        for key, count in value.items()
        if isinstance(key, str) and 0 < len(key) <= MAX_ROUTINE_ID_LENGTH
        and _as_int(count) is not None and count > 0
    }
    if len(kept) < len(value):
        repairs.append(f"met: dropped {len(value) - len(kept)} entries that were not counts")
    return dict(sorted(kept.items())[:MAX_MET])


def _repair_preferences(value: Any, repairs: list[str]) -> dict[str, bool] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        repairs.append("preferences: not a mapping; cleared")
        return None
    kept = {key: True for key in PREFERENCES if value.get(key) is True}
    if any(key not in PREFERENCES or flag not in (True, False) for key, flag in value.items()):
        repairs.append("preferences: dropped entries that were not known choices")
    return kept


def _repair_routine_times(value: Any, name: str, repairs: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        repairs.append(f"{name}: not a mapping; cleared")
        return {}
    kept = {
        key: stamp
        for key, stamp in value.items()
        if isinstance(key, str) and 0 < len(key) <= MAX_ROUTINE_ID_LENGTH and parse_timestamp(stamp)
    }
    if len(kept) < len(value):
        repairs.append(f"{name}: dropped {len(value) - len(kept)} entries that were not routine times")
    return _latest(kept, RECENT_ROUTINES)


def _latest(times: dict[str, str], count: int) -> dict[str, str]:
    """The ``count`` entries with the latest times (ties by key, so every side agrees)."""
    if len(times) <= count:
        return dict(times)
    order = sorted(times, key=lambda key: (parse_timestamp(times[key]), key), reverse=True)
    return {key: times[key] for key in order[:count]}


def _repair_people(value: Any, repairs: list[str]) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        repairs.append("people: not a mapping; cleared")
        return {}
    kept: dict[str, dict[str, Any]] = {}
    for key, raw in value.items():
        if not (isinstance(key, str) and _PERSON_KEY_PATTERN.match(key)) or not isinstance(raw, dict):
            repairs.append("people: dropped an entry that was not a person's profile")
            continue
        person, theirs = migrate({k: v for k, v in raw.items() if k != "people"})
        repairs.extend(f"people: {line}" for line in theirs)
        if "people" in raw:
            repairs.append("people: a person's profile held people of its own; dropped")
        kept[key] = person
    return _fewest_people(kept)


def _fewest_people(people: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """At most MAX_PEOPLE: those who saved most recently stay (an item must stay small)."""
    if len(people) <= MAX_PEOPLE:
        return people
    order = sorted(people, key=lambda key: (people[key].get("updated_at") or _EPOCH, key), reverse=True)
    return {key: people[key] for key in order[:MAX_PEOPLE]}


def _merge_optional(merged: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    """The optional fields of ``merge``: the later goal, the later time of each routine,
    an offer once made stays made, and each person merged with themselves."""
    later_goal = "goal" not in mine or _later(theirs.get("goal_updated_at"), mine["goal_updated_at"])
    if "goal" in theirs and later_goal:
        merged["goal"], merged["goal_updated_at"] = theirs["goal"], theirs["goal_updated_at"]
    for name in ("finished_at", "avoided_at"):
        times = dict(mine.get(name) or {})
        for key, stamp in (theirs.get(name) or {}).items():
            if key not in times or _later(stamp, times[key]):
                times[key] = stamp
        if times:
            merged[name] = _latest(times, RECENT_ROUTINES)
    if theirs.get("reminder_offered") is True:
        merged["reminder_offered"] = True
    met = dict(mine.get("met") or {})
    for key, count in (theirs.get("met") or {}).items():
        met[key] = max(count, met.get(key, 0))
    if met:
        merged["met"] = dict(sorted(met.items())[:MAX_MET])
    later = "preferences" not in mine or _later(
        theirs.get("preferences_updated_at"), mine.get("preferences_updated_at")
    )
    if "preferences" in theirs and later:
        merged["preferences"] = dict(theirs["preferences"])
        merged["preferences_updated_at"] = theirs["preferences_updated_at"]
    people = {**(theirs.get("people") or {}), **copy.deepcopy(mine.get("people") or {})}
    for key in set(mine.get("people") or {}) & set(theirs.get("people") or {}):
        people[key] = merge(mine["people"][key], theirs["people"][key])
    if people:
        merged["people"] = _fewest_people(people)


def set_goal(profile: dict[str, Any], days: int, now: datetime | None = None) -> dict[str, Any]:
    """The weekly goal, in days; outside 1-7 raises ValueError (clamp it first)."""
    low, high = GOAL_RANGE
    if _as_int(days) is None or not low <= days <= high:
        raise ValueError(f"a goal is a whole number of days from {low} to {high}")
    updated, stamp = _changed(profile, now)
    updated["goal"], updated["goal_updated_at"] = int(days), stamp
    return updated


def _note_routine(
    profile: dict[str, Any], name: str, routine_id: str, now: datetime | None
) -> dict[str, Any]:
    if not isinstance(routine_id, str) or not 0 < len(routine_id) <= MAX_ROUTINE_ID_LENGTH:
        raise ValueError(f"routine id must be 1..{MAX_ROUTINE_ID_LENGTH} characters")
    updated, stamp = _changed(profile, now)
    updated[name] = _latest({**(profile.get(name) or {}), routine_id: stamp}, RECENT_ROUTINES)
    return updated


def note_finished(profile: dict[str, Any], routine_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Remember when this routine was last finished (for rotating what launch suggests)."""
    return _note_routine(profile, "finished_at", routine_id, now)


def note_avoided(profile: dict[str, Any], routine_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Remember that this routine was mostly skipped or found too hard: only its id and when."""
    return _note_routine(profile, "avoided_at", routine_id, now)


def mark_reminder_offered(profile: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    if profile.get("reminder_offered") is True:
        return _copy(profile)
    updated, _ = _changed(profile, now)
    updated["reminder_offered"] = True
    return updated


def note_met(profile: dict[str, Any], stretch_ids: list[str], now: datetime | None = None) -> dict[str, Any]:
    """One more run has met each of these stretches (its set-up was heard in full or short)."""
    met = dict(profile.get("met") or {})
    for sid in stretch_ids:
        if not isinstance(sid, str) or not 0 < len(sid) <= MAX_ROUTINE_ID_LENGTH:
            raise ValueError(f"stretch id must be 1..{MAX_ROUTINE_ID_LENGTH} characters")
        met[sid] = min(met.get(sid, 0) + 1, MET_CAP)
    updated, _ = _changed(profile, now)
    updated["met"] = dict(sorted(met.items())[:MAX_MET])
    return updated


def mark_known(
    profile: dict[str, Any], stretch_ids: list[str], now: datetime | None = None
) -> dict[str, Any]:
    """ "I know these": the stretches count as familiar from now on."""
    met = dict(profile.get("met") or {})
    short = [sid for sid in stretch_ids if met.get(sid, 0) < FAMILIAR_AFTER]
    if not short:
        return _copy(profile)
    for sid in short:
        if not isinstance(sid, str) or not 0 < len(sid) <= MAX_ROUTINE_ID_LENGTH:
            raise ValueError(f"stretch id must be 1..{MAX_ROUTINE_ID_LENGTH} characters")
        met[sid] = FAMILIAR_AFTER
    updated, _ = _changed(profile, now)
    updated["met"] = dict(sorted(met.items())[:MAX_MET])
    return updated


def set_preference(
    profile: dict[str, Any], name: str, chosen: bool, now: datetime | None = None
) -> dict[str, Any]:
    """Turn one coaching preference ("slower", "off_floor") on or off."""
    if name not in PREFERENCES:
        raise ValueError(f"a preference is one of {PREFERENCES}")
    current = dict(profile.get("preferences") or {})
    if current.get(name, False) == chosen and "preferences" in profile:
        return _copy(profile)
    if chosen:
        current[name] = True
    else:
        current.pop(name, None)
    updated, stamp = _changed(profile, now)
    updated["preferences"], updated["preferences_updated_at"] = current, stamp
    return updated


def recent_routines(profile: dict[str, Any]) -> list[str]:
    """Routine ids finished lately, the latest first."""
    times = profile.get("finished_at") or {}
    return sorted(times, key=lambda key: (parse_timestamp(times[key]), key), reverse=True)


AVOID_FOR_DAYS = 28


def avoided_routines(profile: dict[str, Any], now: datetime) -> set[str]:
    """Routines skipped mostly or found too hard in the last four weeks and not finished since."""
    finished = profile.get("finished_at") or {}
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    out = set()
    for key, stamp in (profile.get("avoided_at") or {}).items():
        when = parse_timestamp(stamp)
        if when and now - when <= timedelta(days=AVOID_FOR_DAYS) and not _later(finished.get(key), stamp):
            out.add(key)
    return out
