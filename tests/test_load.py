"""A small, bounded load on the real web host, with storage killed and restarted mid-load.

20 simulated users x 15 turns each, all at once, every request signed like Alexa's, the skill
storing progress in dynalite over HTTP (see tests/load_users.py for the rig and the checks).
The bigger run with figures is bench/load.py.
"""

from __future__ import annotations

import pytest

from dynamo_server import DYNALITE
from load_users import ALEXA_TURN_LIMIT, COULD_NOT_SAVE, LoadRig

USERS, TURNS = 20, 15
TIME_LIMIT = 60.0  # seconds for one whole run; a stuck run fails instead of hanging

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not DYNALITE.exists(), reason="dynalite missing: run npm ci (make test does)"
    ),
]


@pytest.fixture
def rig(tmp_path):
    with LoadRig(tmp_path, waitress_threads=8).running() as running:
        yield running


def assert_every_turn_answered_in_time(result) -> None:
    assert result.problems == [], "\n".join(result.problems[:10])
    assert all(turn.status == 200 for turn in result.turns)
    assert max(result.latencies) < ALEXA_TURN_LIMIT


def test_many_users_each_keep_their_own_place(rig):
    result = rig.run_users(USERS, TURNS, seed=7, time_limit=TIME_LIMIT)
    print("\n" + result.summary())
    assert len(result.users) == USERS
    assert all(len(user.turns) >= TURNS for user in result.users)
    assert_every_turn_answered_in_time(result)
    # Everyone is somewhere inside their own routine, and storage agrees with each of them.
    assert all(user.place and user.place[0] == user.routine_id for user in result.users)
    assert result.mismatches == [], "\n".join(result.mismatches)
    assert len({user.place for user in result.users}) > 1  # places differ, so a mix-up would show
    # Some people stopped, came back and resumed: their place came back from storage mid-load.
    assert any(turn.label == "resume from storage" for turn in result.turns)


def test_storage_killed_and_restarted_during_the_load(rig):
    result = rig.run_users(USERS, TURNS, seed=11, kill_storage=True, time_limit=TIME_LIMIT)
    print("\n" + result.summary())
    outage = result.outage
    assert outage.killed_at is not None and outage.back_at is not None
    during = result.during_outage()
    assert len(during) >= USERS, "the outage must really hit the load"
    assert_every_turn_answered_in_time(result)
    # Turns during the outage told the person once that their place wasn't saved...
    assert any(COULD_NOT_SAVE in turn.said for turn in during)
    for user in result.users:
        assert sum(COULD_NOT_SAVE in turn.said for turn in user.turns) <= 1
        # ...and every user talked again once storage was back,
        assert result.after_restart(user), f"{user.user_id} had no turn after the restart"
    # ...which saved where each of them had got to.
    assert result.mismatches == [], "\n".join(result.mismatches)
