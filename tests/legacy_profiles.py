"""Profiles as earlier releases stored them, for the tests that they still load and merge."""

SCHEMA_1 = {  # schema 1: as the previous release stored profiles, before completion ids
    "schema": 1,
    "updated_at": "2024-05-06T07:08:09.123Z",
    "position": {"routine_id": "hips", "step": 3, "paused": True, "updated": "2024-05-06T07:08:09.123Z"},
    "position_cleared_at": None,
    "hold_seconds": 25,
    "hold_updated_at": "2024-05-01T07:00:00.000Z",
    "completions": ["2024-05-01", "2024-05-02"],
    "routines_completed": 12,
    "disclaimer_heard": True,
}
