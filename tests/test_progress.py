"""The progress profile: repair of stored data, merging, completions and statistics."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legacy_profiles import SCHEMA_1
from limber.core import progress
from limber.core.progress import (
    is_stale,
    merge,
    migrate,
    new_profile,
    record_completion,
    set_position,
    stats,
)

T0 = datetime(2024, 5, 8, 7, 0, tzinfo=UTC)
WEDNESDAY = date(2024, 5, 8)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def with_dates(*days: date) -> dict:
    profile = new_profile()
    profile["completions"] = sorted(day.isoformat() for day in days)
    return profile


def assert_valid(profile: dict) -> None:
    """Valid means: repairing it changes nothing, and it is plain JSON."""
    assert migrate(profile) == (profile, [])
    assert json.loads(json.dumps(profile)) == profile


# --- migrate ------------------------------------------------------------------------------


def test_new_profile_is_valid_and_empty_records_are_new_people():
    assert_valid(new_profile())
    assert migrate({}) == (new_profile(), [])
    assert migrate(None) == (new_profile(), [])


@pytest.mark.parametrize("raw", ["{broken", [1, 2], 7, b"\x00", True])
def test_a_record_that_is_not_a_mapping_starts_fresh_and_says_so(raw):
    profile, repairs = migrate(raw)
    assert profile == new_profile()
    assert len(repairs) == 1 and "not a mapping" in repairs[0]


@pytest.mark.parametrize(
    ("field", "bad", "repaired"),
    [
        ("hold_seconds", "thirty", None),
        ("hold_seconds", 300, None),
        ("hold_seconds", 9, None),
        ("hold_seconds", True, None),
        ("completions", "2024-05-01", []),
        ("completions", ["2024-05-01", "yesterday", 5, "2024-02-30", "20240502"], ["2024-05-01"]),
        ("routines_completed", -3, 0),
        ("routines_completed", "12", 0),
        ("routines_completed", 2.5, 0),
        ("disclaimer_heard", "yes", False),
        ("position", "hips-basic", None),
        ("position", {"routine_id": "", "step": 1}, None),
        ("position", {"routine_id": "hips", "step": -1}, None),
        ("position", {"routine_id": "hips", "step": "2"}, None),
        ("position", {"routine_id": "x" * 65, "step": 1}, None),
        ("updated_at", "last tuesday", None),
        ("hold_updated_at", 1715151515, None),
    ],
)
def test_wrong_types_are_repaired_with_defaults_and_reported(field, bad, repaired):
    raw = {**new_profile(), field: bad}
    profile, repairs = migrate(raw)
    assert profile[field] == repaired
    assert repairs and all(field in line for line in repairs)
    assert_valid(profile)


def test_missing_fields_get_defaults_and_are_reported():
    profile, repairs = migrate({"schema": progress.SCHEMA_VERSION, "hold_seconds": 20})
    assert profile == {**new_profile(), "hold_seconds": 20}
    missing = {line.split(":")[0] for line in repairs}
    assert missing == set(new_profile()) - {"schema", "hold_seconds"}


def test_position_parts_are_repaired_one_by_one():
    raw = {**new_profile(), "position": {"routine_id": "hips", "step": 2, "extra": "x"}}
    profile, repairs = migrate(raw)
    assert profile["position"] == {
        "routine_id": "hips",
        "step": 2,
        "paused": False,
        "updated": "1970-01-01T00:00:00.000Z",
    }
    assert len(repairs) == 3  # paused, updated, unknown field
    assert is_stale(profile["position"], T0)  # a position of unknown age is not offered


def test_unknown_fields_and_free_text_are_dropped():
    raw = {**new_profile(), "screening_answers": ["numbness"], "note": "my back hurts"}
    profile, repairs = migrate(raw)
    assert profile == new_profile()
    assert sorted(repairs) == [
        "dropped unknown field 'note'",
        "dropped unknown field 'screening_answers'",
    ]


def test_unversioned_records_are_upgraded_by_checking_every_field():
    legacy = {k: v for k, v in new_profile().items() if k != "schema"}
    legacy["hold_seconds"] = 45
    profile, repairs = migrate(legacy)
    assert profile == {**new_profile(), "hold_seconds": 45}
    assert repairs == ["record had no schema version; checked every field"]


def test_a_schema_1_record_upgrades_silently_keeping_everything():
    profile, repairs = migrate(SCHEMA_1)
    assert repairs == []  # nothing was wrong with it: the person hears no repair sentence
    assert profile == {**SCHEMA_1, "schema": progress.SCHEMA_VERSION, "completion_ids": []}
    assert_valid(profile)
    assert stats(profile, date(2024, 5, 2)) == (2, 2, 12)


def test_an_upgraded_record_merges_without_losing_the_old_total():
    upgraded, _ = migrate(SCHEMA_1)
    kitchen = record_completion(upgraded, "hips", date(2024, 5, 8), now=at(1))
    bedroom = record_completion(upgraded, "back", date(2024, 5, 8), now=at(2))
    assert merge(kitchen, bedroom)["routines_completed"] == 14
    # An old writer's record (still schema 1, no ids) merged with a new one keeps the total.
    assert merge(SCHEMA_1, kitchen)["routines_completed"] == 13


def test_completion_ids_are_checked_like_every_other_field():
    ids = [progress.new_completion_id(at(n)) for n in range(3)]
    raw = {**new_profile(), "completion_ids": [ids[2], "junk", 7, ids[0], ids[0]], "routines_completed": 1}
    profile, repairs = migrate(raw)
    assert profile["completion_ids"] == [ids[0], ids[2]]
    assert profile["routines_completed"] == 2  # at least one per finish on record
    assert any("2 entries that were not ids" in line for line in repairs)
    assert any("raised to match" in line for line in repairs)
    many = [progress.new_completion_id(at(n)) for n in range(30)]
    profile, repairs = migrate({**new_profile(), "completion_ids": many, "routines_completed": 30})
    assert profile["completion_ids"] == many[-progress.RECENT_IDS :] and profile["routines_completed"] == 30
    assert repairs == [f"completion_ids: kept the latest {progress.RECENT_IDS}"]


def test_newer_schema_keeps_what_this_version_understands():
    raw = {**new_profile(), "schema": 7, "hold_seconds": 15, "new_thing": 1}
    profile, repairs = migrate(raw)
    assert profile["schema"] == progress.SCHEMA_VERSION and profile["hold_seconds"] == 15
    assert any("newer" in line for line in repairs)


def test_whole_numbers_from_dynamodb_or_json_floats_are_not_repairs():
    raw = {**new_profile(), "hold_seconds": Decimal("30"), "routines_completed": 4.0}
    profile, repairs = migrate(raw)
    assert repairs == []
    assert profile["hold_seconds"] == 30 and type(profile["hold_seconds"]) is int
    assert type(profile["routines_completed"]) is int


def test_completions_are_capped_at_sixty_dates():
    days = [WEDNESDAY - timedelta(days=n) for n in range(90)]
    profile, repairs = migrate({**new_profile(), "completions": [d.isoformat() for d in days]})
    assert len(profile["completions"]) == 60
    assert profile["completions"][-1] == WEDNESDAY.isoformat()
    assert repairs == ["completions: kept the latest 60 dates"]


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["2024-05-01", "2024-05-08T07:00:00Z", "0001-01-01T00:00:00+01:00"])
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.sampled_from(["routine_id", "step", "paused", "updated", "x"]), inner),
    max_leaves=15,
)
profile_like = st.dictionaries(
    st.sampled_from([*new_profile(), "junk"]), json_values, max_size=len(new_profile()) + 1
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(json_values, profile_like))
def test_migrate_never_fails_and_its_result_is_valid(raw):
    profile, repairs = migrate(raw)
    assert set(profile) == set(new_profile())
    assert all(isinstance(line, str) for line in repairs)
    assert_valid(profile)


# --- changes ------------------------------------------------------------------------------


def test_record_completion_counts_and_clears_only_that_routines_position():
    profile = set_position(new_profile(), "hips-basic", 4, now=at(0))
    done = record_completion(profile, "hips-basic", WEDNESDAY, now=at(10))
    assert done["completions"] == ["2024-05-08"]
    assert done["routines_completed"] == 1
    assert done["position"] is None and done["position_cleared_at"] == progress.timestamp(at(10))
    other = record_completion(profile, "back-basic", WEDNESDAY, now=at(10))
    assert other["position"] == profile["position"]
    assert profile["routines_completed"] == 0  # the input is not changed


def test_record_completion_keeps_only_the_last_sixty_days():
    profile = new_profile()
    start = date(2024, 1, 1)
    for n in range(365):
        profile = record_completion(profile, "hips", start + timedelta(days=n))
    last = start + timedelta(days=364)
    assert len(profile["completions"]) == 60
    assert profile["completions"][0] == (last - timedelta(days=59)).isoformat()
    assert profile["routines_completed"] == 365
    assert len(json.dumps(profile)) < 2000  # 60 dates and 20 completion ids


def test_record_completion_drops_impossible_future_dates_but_keeps_tomorrow():
    profile = with_dates(WEDNESDAY + timedelta(days=1), date(2999, 1, 1))
    done = record_completion(profile, "hips", WEDNESDAY)
    assert done["completions"] == ["2024-05-08", "2024-05-09"]


def test_changes_validate_their_input():
    with pytest.raises(ValueError):
        progress.set_hold_seconds(new_profile(), 61)
    with pytest.raises(ValueError):
        progress.set_hold_seconds(new_profile(), 9)
    with pytest.raises(ValueError):
        set_position(new_profile(), "", 0)
    with pytest.raises(ValueError):
        set_position(new_profile(), "hips", -1)
    held = progress.set_hold_seconds(new_profile(), 20, now=at(0))
    assert (held["hold_seconds"], held["hold_updated_at"]) == (20, progress.timestamp(at(0)))
    assert_valid(held)


def test_hearing_the_disclaimer_twice_changes_nothing():
    heard = progress.mark_disclaimer_heard(new_profile(), now=at(0))
    assert heard["disclaimer_heard"] is True
    assert progress.mark_disclaimer_heard(heard, now=at(5)) == heard


# --- merge --------------------------------------------------------------------------------


def test_merge_unions_dates_and_takes_the_later_position_either_way_round():
    base = new_profile()
    a = record_completion(base, "hips", date(2024, 5, 6), now=at(1))
    a = set_position(a, "hips", 2, now=at(2))
    b = record_completion(base, "back", date(2024, 5, 7), now=at(3))
    b = set_position(b, "back", 5, paused=True, now=at(4))
    for merged in (merge(a, b), merge(b, a)):
        assert merged["completions"] == ["2024-05-06", "2024-05-07"]
        assert merged["position"] == b["position"]
        assert merged["routines_completed"] == 2  # both devices finished one: both count
        assert merged["updated_at"] == progress.timestamp(at(4))
        assert_valid(merged)


def test_a_later_finish_clears_an_earlier_position_but_not_a_later_one():
    started = set_position(new_profile(), "hips", 3, now=at(0))
    finished = record_completion(started, "hips", WEDNESDAY, now=at(5))
    assert merge(started, finished)["position"] is None
    restarted = set_position(new_profile(), "hips", 1, now=at(9))
    assert merge(finished, restarted)["position"] == restarted["position"]


def test_concurrent_finishes_all_count_and_replaying_a_landed_save_adds_nothing():
    stored = new_profile()
    devices = [record_completion(stored, "hips", WEDNESDAY, now=at(n)) for n in range(5)]
    merged = stored
    for device in devices:  # each device's save conflicts and merges with what is stored
        merged = merge(device, merged)
    assert merged["routines_completed"] == 5 and len(merged["completion_ids"]) == 5
    for device in devices:  # a save that had landed after all, retried: no double count
        assert merge(device, merged)["routines_completed"] == 5


def test_ids_the_other_side_let_go_as_old_are_not_counted_again():
    loaded = new_profile()
    for n in range(progress.RECENT_IDS):
        loaded = record_completion(loaded, "hips", WEDNESDAY, now=at(n))
    mine = set_position(loaded, "back", 2, now=at(100))  # this session finished nothing
    theirs = record_completion(loaded, "hips", WEDNESDAY, now=at(101))  # the oldest id went
    assert loaded["completion_ids"][0] not in theirs["completion_ids"]
    merged = merge(mine, theirs)
    assert merged["routines_completed"] == progress.RECENT_IDS + 1
    both = merge(record_completion(mine, "back", WEDNESDAY, now=at(102)), theirs)
    assert both["routines_completed"] == progress.RECENT_IDS + 2


def test_merge_takes_the_later_hold_the_larger_count_and_remembers_the_disclaimer():
    a = progress.set_hold_seconds(new_profile(), 20, now=at(1))
    a["routines_completed"] = 9
    b = progress.set_hold_seconds(new_profile(), None, now=at(2))
    b = progress.mark_disclaimer_heard(b, now=at(2))
    for merged in (merge(a, b), merge(b, a)):
        assert merged["hold_seconds"] is None
        assert merged["routines_completed"] == 9
        assert merged["disclaimer_heard"] is True


@settings(max_examples=75, deadline=None)
@given(profile_like, profile_like)
def test_merge_of_anything_is_valid_keeps_every_date_and_is_idempotent(raw_a, raw_b):
    a, _ = migrate(raw_a)
    b, _ = migrate(raw_b)
    merged = merge(a, b)
    assert_valid(merged)
    union = sorted(set(a["completions"]) | set(b["completions"]))
    assert merged["completions"] == union[-60:]
    assert merge(merged, b) == merged
    assert merge(a, a) == a


# --- statistics ---------------------------------------------------------------------------


def test_week_starts_on_monday_in_the_persons_local_dates():
    sunday, monday, tuesday = date(2024, 5, 5), date(2024, 5, 6), date(2024, 5, 7)
    profile = with_dates(sunday, monday, tuesday)
    profile["routines_completed"] = 3
    assert stats(profile, WEDNESDAY) == (2, 3, 3)
    assert stats(profile, monday).days_this_week == 1
    assert stats(profile, sunday).days_this_week == 1  # Sunday closes the week before


def test_streak_ends_today_or_yesterday_and_breaks_on_a_gap():
    days = [WEDNESDAY - timedelta(days=n) for n in (1, 2, 3, 5)]
    assert stats(with_dates(*days), WEDNESDAY).streak_days == 3  # not yet today
    assert stats(with_dates(WEDNESDAY, *days), WEDNESDAY).streak_days == 4
    assert stats(with_dates(*days), WEDNESDAY + timedelta(days=1)).streak_days == 0
    assert stats(new_profile(), WEDNESDAY) == (0, 0, 0)


def test_is_stale_after_seven_days_and_when_unreadable():
    position = set_position(new_profile(), "hips", 1, now=at(0))["position"]
    assert not is_stale(position, T0 + timedelta(days=6, hours=23))
    assert is_stale(position, T0 + timedelta(days=7, minutes=1))
    assert is_stale(position, T0 + timedelta(days=3), days=2)
    assert not is_stale(position, (T0 + timedelta(days=1)).replace(tzinfo=None))
    assert is_stale({**position, "updated": "soon"}, T0)
    assert not is_stale(None, T0)


def test_the_core_imports_no_sdk_or_aws_code():
    code = (
        "import sys, limber.core.progress\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'ask_sdk_core', 'ask_sdk_model', 'limber.storage')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


# --- how a person likes to be coached: stretches met, and their choices ----------------------

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_met_counts_grow_once_per_call_and_stop_at_the_cap():
    profile = progress.new_profile()
    for _ in range(progress.MET_CAP + 3):
        profile = progress.note_met(profile, ["pelvic_tilt"])
    assert profile["met"] == {"pelvic_tilt": progress.MET_CAP}
    known = progress.mark_known(progress.new_profile(), ["knee_rolls", "cat_cow"])
    assert known["met"] == {"knee_rolls": progress.FAMILIAR_AFTER, "cat_cow": progress.FAMILIAR_AFTER}
    assert progress.mark_known(profile, ["pelvic_tilt"])["met"] == {"pelvic_tilt": progress.MET_CAP}


def test_stored_met_counts_and_choices_are_repaired_one_by_one():
    raw = {
        **progress.new_profile(),
        "met": {"pelvic_tilt": Decimal("3"), "cat_cow": "lots", "": 2, "x" * 99: 1, "knee_rolls": 999},
        "preferences": {"slower": True, "off_floor": "yes", "why": "my knee"},
        "preferences_updated_at": "not a time",
    }
    profile, repairs = migrate(raw)
    assert profile["met"] == {"pelvic_tilt": 3, "knee_rolls": progress.MET_CAP}
    assert type(profile["met"]["pelvic_tilt"]) is int  # DynamoDB hands numbers back as Decimal
    assert profile["preferences"] == {"slower": True}  # only known choices, never free text
    assert any(line.startswith("met:") for line in repairs)
    assert any(line.startswith("preferences:") for line in repairs)


def test_merging_keeps_the_most_met_and_the_later_choice():
    mine = progress.set_preference(progress.note_met(progress.new_profile(), ["a"]), "slower", True, T0)
    theirs = progress.note_met(progress.note_met(progress.new_profile(), ["a"]), ["a", "b"])
    theirs = progress.set_preference(theirs, "off_floor", True, T0 + timedelta(minutes=1))
    merged = progress.merge(mine, theirs)
    assert merged["met"] == {"a": 2, "b": 1}
    assert merged["preferences"] == {"off_floor": True}  # the later choice of the two records
    assert progress.merge(theirs, mine)["preferences"] == {"off_floor": True}


def test_a_choice_can_be_undone_and_unknown_ones_are_refused():
    on = progress.set_preference(progress.new_profile(), "slower", True, T0)
    off = progress.set_preference(on, "slower", False, T0 + timedelta(minutes=1))
    assert off["preferences"] == {} and off["preferences_updated_at"] > on["preferences_updated_at"]
    with pytest.raises(ValueError):
        progress.set_preference(on, "reason", True)
