"""Issue #13's targets for how much of a routine is Limber talking, measured by bench/talk.py
through the real lambda_handler (word counts at Alexa's rate and the SSML's breaks: no clock)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "talk.py"


@pytest.fixture(scope="module")
def rows():
    spec = importlib.util.spec_from_file_location("talk_bench", BENCH)
    talk = importlib.util.module_from_spec(spec)
    sys.modules["talk_bench"] = talk  # its dataclasses look themselves up there
    spec.loader.exec_module(talk)
    return talk, talk.measure(before=3)


def test_a_first_run_is_at_most_half_talk(rows):
    talk, measured = rows
    shares = {r["routine"]: r["first"].share for r in measured}
    over = {name: share for name, share in shares.items() if share > talk.TARGET_FIRST}
    assert over == {}


def test_a_returning_person_hears_at_most_a_third_talk(rows):
    talk, measured = rows
    shares = {r["routine"]: r["returning"].share for r in measured}
    assert all(share <= talk.TARGET_RETURNING for share in shares.values()), shares
    # Shorter than the first run, every routine, and the welcome back in one breath.
    assert all(r["returning"].speech < r["first"].speech * 0.7 for r in measured)
    assert all(r["returning"].welcome_words <= talk.TARGET_WELCOME for r in measured)
