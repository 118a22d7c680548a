"""Holds: the spoken cues and the silences between them add up to the promised time."""

from __future__ import annotations

import re

import pytest

from limber.core.content import default_library
from limber.core.routine import MAX_HOLD, MIN_HOLD, steps_of
from limber.core.ssml import WORDS_PER_SECOND
from limber.core.step_speech import step_speech, variant_speech
from limber.core.timing import HALFWAY, TEN_SECONDS_LEFT

LIBRARY = default_library()
EVERY_VERSION = [*LIBRARY.routines, *LIBRARY.variants.values()]  # no-floor and quick versions too
ALL_STEPS = [(routine, index) for routine in EVERY_VERSION for index in range(len(steps_of(routine)))]


def timed_part(ssml: str) -> str:
    """What lies between "Starting now." and "Release." in a step's SSML."""
    match = re.search(r"Starting now\.(.*?)Release\.", ssml, re.S)
    assert match, "a step must say 'Starting now.' and then 'Release.'"
    return match.group(1)


def spoken_duration(fragment: str) -> float:
    """Independent of the builder: break tags summed, words at Alexa's normal rate."""
    silence = sum(int(ms) / 1000 for ms in re.findall(r'<break time="(\d+)ms"/>', fragment))
    words = re.sub(r"<[^>]+>", " ", fragment).split()
    return silence + len(words) / WORDS_PER_SECOND


@pytest.mark.parametrize(("routine", "index"), ALL_STEPS, ids=lambda v: getattr(v, "id", str(v)))
def test_every_step_times_what_the_content_says(routine, index):
    step = steps_of(routine)[index]
    ssml = step_speech(routine, index, None).ssml()
    stretch = step.stretch
    expected = stretch.hold_seconds or stretch.reps * stretch.rep_seconds
    assert spoken_duration(timed_part(ssml)) == pytest.approx(expected, rel=0.10)
    assert all(int(ms) <= 10_000 for ms in re.findall(r'time="(\d+)ms"', ssml))


@pytest.mark.parametrize("hold", [MIN_HOLD, 15, 20, 25, 30, 45, MAX_HOLD])
def test_a_preferred_hold_is_timed_and_cued(hold):
    routine = next(r for r in LIBRARY.routines if any(s.is_timed for s in r.stretches))
    index = next(i for i, s in enumerate(steps_of(routine)) if s.stretch.is_timed)
    part = timed_part(step_speech(routine, index, hold).ssml())
    assert spoken_duration(part) == pytest.approx(hold, rel=0.10)
    words = re.sub(r"<[^>]+>", " ", part).split()
    assert words[-5:] == ["Five.", "Four.", "Three.", "Two.", "One."]
    assert any(cue in part for cue in HALFWAY) == (hold >= 30)
    assert any(cue in part for cue in TEN_SECONDS_LEFT) == (hold >= 20)


def test_consecutive_holds_word_their_cues_differently():
    for routine in EVERY_VERSION:
        steps = steps_of(routine)
        for index in range(len(steps) - 1):
            parts = [timed_part(step_speech(routine, i, 30).ssml()) for i in (index, index + 1)]
            cues = [{cue for cue in (*HALFWAY, *TEN_SECONDS_LEFT) if cue in part} for part in parts]
            assert not cues[0] & cues[1], f"{routine.id} steps {index}, {index + 1}: {cues[0] & cues[1]}"


def test_rests_between_sets_are_timed_too():
    for routine in LIBRARY.routines:
        for index, step in enumerate(steps_of(routine)):
            stretch = step.stretch
            if stretch.rest_seconds and step.set_number < stretch.sets:
                ssml = step_speech(routine, index, None).ssml()
                rest = re.search(r"Rest for \d+ seconds\.(.*?)Rest over\.", ssml, re.S)
                assert rest, "a set with rest after it must time the rest"
                assert spoken_duration(rest.group(1)) == pytest.approx(stretch.rest_seconds, rel=0.10)
                return
    pytest.skip("no stretch in content has sets with rest")


@pytest.mark.parametrize(("routine", "index"), ALL_STEPS, ids=lambda v: getattr(v, "id", str(v)))
def test_easier_and_alternative_versions_time_what_they_promise(routine, index):
    stretch = steps_of(routine)[index].stretch
    easier = variant_speech(routine, index, None, "easier")
    expected = (
        min(stretch.easier.hold_seconds or stretch.hold_seconds, stretch.hold_seconds)
        if stretch.is_timed
        else (stretch.easier.reps or stretch.reps) * stretch.rep_seconds
    )
    assert spoken_duration(timed_part(easier.ssml())) == pytest.approx(expected, rel=0.10)
    alternative = variant_speech(routine, index, None, "alternative")
    if alternative is None:
        return
    other = stretch.alternative_stretch
    per_side = other.hold_seconds or other.reps * other.rep_seconds
    holds = re.findall(r"Starting now\.(.*?)Release\.", alternative.ssml(), re.S)
    assert holds and all(spoken_duration(h) == pytest.approx(per_side, rel=0.10) for h in holds)
