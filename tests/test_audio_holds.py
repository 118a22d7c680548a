"""Holds rendered for real with pyttsx3 + espeak-ng last as long as the content says."""

from __future__ import annotations

import re
import shutil
import subprocess
import wave

import pytest

from limber.console.speaker import render_wav
from limber.console.ssml_segments import segments_from_ssml
from limber.core.content import default_library
from limber.core.routine import steps_of
from limber.core.step_speech import step_speech

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (make test installs it)"
)


def three_holds():
    """One step each for three different hold lengths in content/."""
    found = {}
    for routine in default_library().routines:
        for index, step in enumerate(steps_of(routine)):
            found.setdefault(step.stretch.hold_seconds, (routine, index))
    found.pop(None, None)
    assert len(found) >= 3, "content should have at least three hold lengths"
    return [found[hold] for hold in sorted(found)[-3:]]


@pytest.mark.parametrize(("routine", "index"), three_holds(), ids=lambda v: getattr(v, "id", str(v)))
def test_a_rendered_hold_lasts_what_the_content_says(tmp_path, routine, index):
    hold = steps_of(routine)[index].stretch.hold_seconds
    ssml = step_speech(routine, index, None).ssml()
    timed = re.search(r"Starting now\.(.*?)Release\.", ssml, re.S).group(1)
    path = tmp_path / "hold.wav"
    seconds = render_wav(segments_from_ssml(f"<speak>{timed}</speak>"), path)
    with wave.open(str(path), "rb") as reader:
        measured = reader.getnframes() / reader.getframerate()
    assert measured == pytest.approx(seconds, abs=0.05)
    assert measured == pytest.approx(hold, rel=0.10)
    if shutil.which("sox"):
        sox = float(
            subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True, check=True).stdout
        )
        assert sox == pytest.approx(hold, rel=0.10)
