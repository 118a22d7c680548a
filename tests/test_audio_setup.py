"""Set-up speech rendered for real (pyttsx3 + espeak-ng, measured with sox): after the line that
moves the body (down to the floor, turning over, back up), the audio is quiet for as long as
content/movement.toml says that move takes, so "Starting now" never arrives mid-move."""

from __future__ import annotations

import array
import re
import shutil
import subprocess
import wave

import pytest

from limber.console.speaker import render_wav
from limber.console.ssml_segments import Silence, segments_from_ssml
from limber.core.content import default_library
from limber.core.routine import steps_of
from limber.core.step_speech import GET_READY_SECONDS, setup_moves, step_speech

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (make test installs it)"
)
LIBRARY = default_library()
QUIET = 60  # of 32767: below this a 10 ms window counts as silent
WINDOW_S = 0.01
LONG_S = 1.0  # quiet runs at least this long are Limber's pauses, not espeak's own


def one_step_per_move(moves: tuple[str, ...]) -> list[tuple]:
    """The first step in content whose first set-up line is followed by each move."""
    found = {}
    for routine in LIBRARY.routines:
        for index in range(len(steps_of(routine))):
            planned = setup_moves(routine, index)
            if planned:
                found.setdefault(planned[0][0], (routine, index))
    missing = set(moves) - set(found)
    assert not missing, f"no step in content moves by {missing}"
    return [(move, *found[move]) for move in moves]


def quiet_runs(path) -> list[tuple[float, float]]:
    """(start, end) seconds of every quiet stretch of the audio at least LONG_S long."""
    with wave.open(str(path), "rb") as reader:
        rate = reader.getframerate()
        samples = array.array("h", reader.readframes(reader.getnframes()))
    size = int(rate * WINDOW_S)
    runs, start = [], None
    for i in range(0, len(samples), size):
        silent = max((abs(s) for s in samples[i : i + size]), default=0) < QUIET
        if silent and start is None:
            start = i / rate
        elif not silent and start is not None:
            runs.append((start, i / rate))
            start = None
    if start is not None:
        runs.append((start, len(samples) / rate))
    return [(a, b) for a, b in runs if b - a >= LONG_S]


def sox_rms(path, start: float, length: float) -> float:
    out = subprocess.run(
        ["sox", str(path), "-n", "trim", f"{start:.3f}", f"{length:.3f}", "stat"],
        capture_output=True, text=True, check=True,
    ).stderr
    return float(re.search(r"RMS\s+amplitude:\s+([0-9.]+)", out).group(1))


@pytest.mark.parametrize(
    ("move", "routine", "index"),
    one_step_per_move(("down_to_floor", "turn_over", "up_from_floor", "sit_down")),
    ids=lambda v: getattr(v, "id", str(v)),
)
def test_the_move_into_place_gets_its_quiet_before_starting_now(tmp_path, move, routine, index):
    ssml = step_speech(routine, index, None).ssml()
    setup = ssml[: ssml.index("Starting now.")] + "Starting now.</speak>"
    path = tmp_path / "setup.wav"
    segments = segments_from_ssml(setup)
    render_wav(segments, path)
    runs = quiet_runs(path)
    # Pauses in a row (the last line's, then get-ready) are one stretch of quiet.
    planned = [seg.seconds for seg in segments if isinstance(seg, Silence) and seg.seconds >= LONG_S]
    assert planned[-1] >= GET_READY_SECONDS
    assert len(runs) == len(planned), f"quiet runs {runs} for planned pauses {planned}"
    for (a, b), wanted in zip(runs, planned, strict=True):
        assert b - a >= wanted * 0.98
    seconds = LIBRARY.movement.seconds(move)
    start, end = runs[0]  # the first pause follows the first set-up line, the one that moves
    assert end - start >= seconds * 0.98, f"{move}: {end - start:.2f} s of quiet, needs {seconds}"
    assert end <= runs[-1][0], "the move's quiet comes before the get-ready pause"
    if shutil.which("sox"):  # an independent measurement of the same stretch of audio
        assert sox_rms(path, start + 0.05, seconds - 0.1) < 0.002
        duration = float(subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True,
                                        text=True, check=True).stdout)
        assert duration > runs[-1][1] - 0.05 > runs[0][1]  # "Starting now." is said after both


def test_getting_down_to_the_floor_takes_longer_than_an_adjustment():
    seconds = LIBRARY.movement.seconds
    assert seconds("down_to_floor") > seconds("turn_over") > seconds("between_lines")
    assert seconds("up_from_floor") >= seconds("sit_down")


def test_every_step_pauses_after_each_set_up_line_for_the_move_it_asks_for():
    for routine in LIBRARY.routines:
        for index, step in enumerate(steps_of(routine)):
            planned = setup_moves(routine, index)
            ssml = step_speech(routine, index, None).ssml()
            before = ssml[: ssml.index("Starting now.")]
            breaks = [int(ms) / 1000 for ms in re.findall(r'<break time="(\d+)ms"/>', before)]
            assert breaks[: len(planned)] == [seconds for _, seconds in planned], f"{routine.id} {index}"
            if step.side == "right" and step.set_number == 1:
                assert planned[0][0] == LIBRARY.movement.places[step.stretch.position].switch
