"""The weekly goal and today's suggestion (pure core)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from limber.core.content import default_library
from limber.core.plan import clamp_goal, goal_progress, suggestion

LIBRARY = default_library()
IDS = [r.id for r in LIBRARY.routines]


def test_goals_are_kept_within_a_week():
    assert [clamp_goal(n) for n in (None, 0, 1, 3, 7, 12)] == [None, 1, 1, 3, 7, 7]


def test_progress_against_the_goal_is_said_in_words():
    assert goal_progress(3, 2) == "That's two of three days this week."
    assert goal_progress(3, 3) == "You've reached your goal of three this week."
    assert goal_progress(None, 2) == ""


def test_the_suggestion_rotates_to_what_was_done_least_recently():
    done = []
    for _ in range(len(IDS)):
        routine_id, _line = suggestion(LIBRARY, goal=None, days_this_week=0, recent=done)
        assert routine_id not in done
        done.insert(0, routine_id)
    assert sorted(done) == sorted(IDS)  # every routine once before any comes round again


def test_what_was_skipped_or_too_hard_is_not_suggested():
    avoided = set(IDS[:-1])
    assert suggestion(LIBRARY, goal=None, days_this_week=0, avoided=avoided)[0] == IDS[-1]
    # everything avoided: still a suggestion rather than none
    assert suggestion(LIBRARY, goal=None, days_this_week=0, avoided=set(IDS))[0] in IDS


def test_the_line_follows_the_goal():
    _, line = suggestion(LIBRARY, goal=3, days_this_week=1)
    assert line.startswith("Two to go this week.")
    _, line = suggestion(LIBRARY, goal=3, days_this_week=3)
    assert line.startswith("Goal met this week.")


@given(st.lists(st.sampled_from(IDS), unique=True), st.sets(st.sampled_from(IDS)), st.integers(0, 7))
def test_a_suggestion_is_always_short_enough_for_a_30_word_welcome(recent, avoided, days):
    routine_id, line = suggestion(LIBRARY, goal=3, days_this_week=days, recent=recent, avoided=avoided)
    assert routine_id in IDS and len(line.split()) <= 12
    if len(avoided) < len(IDS):
        assert routine_id not in avoided
