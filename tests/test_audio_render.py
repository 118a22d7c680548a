"""Local speech: real WAV rendering with pyttsx3 + espeak-ng, measured; and the hang guard.

The rendering tests need espeak-ng and skip (with the reason) only where it is missing.
The guard tests inject engines that hang or fail on purpose: they test our timeout and error
handling, which no real engine can be made to exercise on demand.
"""

from __future__ import annotations

import array
import math
import shutil
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import pytest

from limber.console.speaker import (
    RENDER_CHANNELS,
    RENDER_RATE_HZ,
    RENDER_SAMPLE_WIDTH,
    Speaker,
    SpeechUnavailable,
    check_audio_output,
    conform_wav,
    render_wav,
)
from limber.console.ssml_segments import Silence, Speech, fast, segments_from_ssml

HOLD_SSML = (
    "<speak>Stretch one of three: figure four, left side. Hold it gently."
    '<break time="10s"/>Keep breathing slowly.<break time="10s"/>'
    '<s>Five more seconds.</s><break time="5s"/>And relax.</speak>'
)
HOLD_BREAKS_S = 25.0
SPEECH_RMS_FLOOR = 300  # of 32767; espeak speech measures in the thousands
SOX = shutil.which("sox")
needs_sox = pytest.mark.skipif(SOX is None, reason="sox is not installed")


@pytest.fixture(scope="module")
def speaker():
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt install espeak-ng)")
    try:
        return Speaker()
    except SpeechUnavailable as exc:
        pytest.skip(f"pyttsx3 cannot start espeak-ng here: {exc}")


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as reader:
        return reader.getnframes() / reader.getframerate()


def wav_samples(path: Path) -> array.array:
    with wave.open(str(path), "rb") as reader:
        assert reader.getsampwidth() == 2
        return array.array("h", reader.readframes(reader.getnframes()))


def rms(samples) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


def sox_info(path: Path, flag: str) -> str:
    result = subprocess.run(
        [SOX, "--i", flag, str(path)], capture_output=True, text=True, timeout=30, check=True
    )
    return result.stdout.strip()


def speech_alone_seconds(speaker: Speaker, segments, workdir: Path) -> float:
    """Render each speech segment on its own: the expected total is breaks + this."""
    total = 0.0
    for index, segment in enumerate(s for s in segments if isinstance(s, Speech)):
        total += speaker.render_wav([segment], workdir / f"alone-{index}.wav")
    return total


# --- real rendering ---------------------------------------------------------------------------


def test_hold_renders_to_breaks_plus_measured_speech(speaker, tmp_path):
    segments = segments_from_ssml(HOLD_SSML)
    out = tmp_path / "hold.wav"

    duration = speaker.render_wav(segments, out)

    speech_s = speech_alone_seconds(speaker, segments, tmp_path)
    assert speech_s > 2.0, "espeak should take seconds to say four sentences"
    expected = HOLD_BREAKS_S + speech_s
    assert duration == pytest.approx(wav_seconds(out), abs=1e-3)
    assert wav_seconds(out) == pytest.approx(expected, rel=0.10)


@needs_sox
def test_sox_measures_the_same_duration(speaker, tmp_path):
    segments = segments_from_ssml(HOLD_SSML)
    out = tmp_path / "hold.wav"
    duration = speaker.render_wav(segments, out)

    sox_seconds = float(sox_info(out, "-D"))

    expected = HOLD_BREAKS_S + speech_alone_seconds(speaker, segments, tmp_path)
    assert sox_seconds == pytest.approx(expected, rel=0.10)
    assert sox_seconds == pytest.approx(duration, abs=0.01)


def test_rendered_wav_has_one_uniform_format(speaker, tmp_path):
    out = tmp_path / "hold.wav"
    spans = speaker.render_wav_spans(segments_from_ssml(HOLD_SSML), out)

    with wave.open(str(out), "rb") as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (
            RENDER_RATE_HZ,
            RENDER_CHANNELS,
            RENDER_SAMPLE_WIDTH,
        )
        frames = reader.getnframes()
    # Spans tile the file exactly: no gap, no overlap, nothing left over.
    assert spans[0].start_s == 0
    for before, after in zip(spans, spans[1:], strict=False):
        assert after.start_s == pytest.approx(before.end_s, abs=1e-9)
    assert spans[-1].end_s == pytest.approx(frames / RENDER_RATE_HZ, abs=1e-9)
    if SOX is not None:
        assert sox_info(out, "-r") == str(RENDER_RATE_HZ)
        assert sox_info(out, "-c") == str(RENDER_CHANNELS)


def test_speech_is_audible_and_breaks_are_silent(speaker, tmp_path):
    out = tmp_path / "hold.wav"
    spans = speaker.render_wav_spans(segments_from_ssml(HOLD_SSML), out)
    samples = wav_samples(out)

    speech_spans = [s for s in spans if isinstance(s.segment, Speech)]
    silence_spans = [s for s in spans if isinstance(s.segment, Silence)]
    assert len(speech_spans) == 4 and len(silence_spans) == 3
    for span in speech_spans:
        part = samples[round(span.start_s * RENDER_RATE_HZ) : round(span.end_s * RENDER_RATE_HZ)]
        assert rms(part) > SPEECH_RMS_FLOOR, f"speech {span.segment} is too quiet"
    for span in silence_spans:
        assert span.end_s - span.start_s == pytest.approx(span.segment.seconds, abs=1e-4)
        part = samples[round(span.start_s * RENDER_RATE_HZ) : round(span.end_s * RENDER_RATE_HZ)]
        assert rms(part) < 1.0, f"silence {span.segment} is not silent"


def test_fast_shortens_only_the_breaks(speaker, tmp_path):
    segments = segments_from_ssml(HOLD_SSML)
    speech_s = speech_alone_seconds(speaker, segments, tmp_path)

    duration = speaker.render_wav(fast(segments, 5), tmp_path / "fast.wav")

    assert duration == pytest.approx(speech_s + HOLD_BREAKS_S / 5, rel=0.10)


def test_module_helper_renders_with_the_shared_engine(speaker, tmp_path):
    out = tmp_path / "helper.wav"
    duration = render_wav(segments_from_ssml('<speak>Ready.<break time="2s"/></speak>'), out)
    assert duration == pytest.approx(wav_seconds(out), abs=1e-3)
    assert 2.2 < duration < 4.0


def test_rendering_prints_nothing_and_leaves_stdout_alone(speaker, tmp_path, capsys):
    stdout_before = sys.stdout
    speaker.render_wav([Speech("Quiet, please.")], tmp_path / "quiet.wav")
    print("console line")
    captured = capsys.readouterr()
    assert captured.out == "console line\n"
    assert sys.stdout is stdout_before


def test_no_speech_or_empty_input_renders_a_valid_wav(speaker, tmp_path):
    assert speaker.render_wav([], tmp_path / "empty.wav") == 0.0
    assert wav_seconds(tmp_path / "empty.wav") == 0.0
    assert speaker.render_wav([Silence(1.5)], tmp_path / "pause.wav") == pytest.approx(1.5)


def test_live_say_after_rendering_does_not_write_into_the_old_file(speaker, tmp_path):
    # pyttsx3 2.99 remembers the last save_to_file target; our speaker must clear it.
    old = tmp_path / "old.wav"
    speaker.render_wav([Speech("First.")], old)
    old.unlink()
    speaker.speak([Speech("Second.")])  # plays through aplay if present; may be silent here
    assert not old.exists()


@needs_sox
def test_conform_converts_other_rates_and_channels(tmp_path):
    foreign = tmp_path / "foreign.wav"
    subprocess.run(
        [SOX, "-n", "-r", "16000", "-c", "2", str(foreign), "synth", "1", "sine", "440"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    conformed = tmp_path / "conformed.wav"

    conform_wav(foreign, conformed)

    with wave.open(str(conformed), "rb") as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (
            RENDER_RATE_HZ,
            1,
            2,
        )
    assert wav_seconds(conformed) == pytest.approx(1.0, abs=0.01)
    assert rms(wav_samples(conformed)) > SPEECH_RMS_FLOOR


# --- the guard: engines that hang or fail -----------------------------------------------------


class HangingEngine:
    """Follows pyttsx3's engine API but blocks in runAndWait until released."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self.listeners: dict[str, list] = {}

    def connect(self, topic, callback):
        self.listeners.setdefault(topic, []).append(callback)
        return {"topic": topic, "cb": callback}

    def disconnect(self, token):
        self.listeners[token["topic"]].remove(token["cb"])

    def finish_utterance(self):
        for callback in list(self.listeners.get("finished-utterance", [])):
            callback(name=None, completed=True)

    def getProperty(self, name):  # noqa: N802 (pyttsx3's API)
        return 200

    def setProperty(self, name, value):  # noqa: N802
        pass

    def say(self, text):
        pass

    def save_to_file(self, text, path):
        pass

    def runAndWait(self):  # noqa: N802
        print("Audio saved to /nowhere.wav")  # as pyttsx3 does, while our filter is installed
        self.release.wait(timeout=30)


class SilentFinishEngine(HangingEngine):
    """runAndWait returns at once, as pyttsx3's espeak driver does, but never finishes."""

    def runAndWait(self):  # noqa: N802
        pass


@pytest.fixture
def release():
    event = threading.Event()
    yield event
    event.set()  # let the stuck worker thread finish


def test_hang_in_run_and_wait_becomes_speech_unavailable(release):
    speaker = Speaker(lambda: HangingEngine(release), min_timeout_s=0.3, timeout_s_per_char=0)

    started = time.monotonic()
    with pytest.raises(SpeechUnavailable, match="hung") as caught:
        speaker.speak([Speech("Hold the stretch.")])
    assert time.monotonic() - started < 2.0
    assert "\n" not in str(caught.value)

    # The engine thread is stuck for good: later calls fail at once with the same reason.
    started = time.monotonic()
    with pytest.raises(SpeechUnavailable, match="hung"):
        speaker.speak([Speech("Again.")])
    assert time.monotonic() - started < 0.1


def test_hang_while_rendering_cleans_up_and_restores_stdout(release, tmp_path):
    stdout_before = sys.stdout
    speaker = Speaker(lambda: HangingEngine(release), min_timeout_s=0.3, timeout_s_per_char=0)
    out = tmp_path / "never.wav"

    with pytest.raises(SpeechUnavailable, match="rendering 'Hold.'"):
        speaker.render_wav([Speech("Hold."), Silence(1.0)], out)

    assert sys.stdout is stdout_before
    assert not out.exists()


def test_missing_finished_notification_counts_as_a_hang():
    speaker = Speaker(
        lambda: SilentFinishEngine(threading.Event()), min_timeout_s=0.3, timeout_s_per_char=0
    )
    started = time.monotonic()
    with pytest.raises(SpeechUnavailable, match="hung"):
        speaker.speak([Speech("Hold.")])
    assert time.monotonic() - started < 2.0
    speaker.close()


def test_hang_while_starting_the_engine(release):
    def stuck_factory():
        release.wait(timeout=30)
        return HangingEngine(release)

    started = time.monotonic()
    with pytest.raises(SpeechUnavailable, match="starting the speech engine"):
        Speaker(stuck_factory, init_timeout_s=0.3)
    assert time.monotonic() - started < 2.0


def test_engine_start_failure_is_a_one_line_reason():
    def failing_factory():
        raise RuntimeError("could not initialize espeak\nsecond line")

    with pytest.raises(SpeechUnavailable) as caught:
        Speaker(failing_factory)
    message = str(caught.value)
    assert "pyttsx3 could not start" in message
    assert "could not initialize espeak" in message
    assert "\n" not in message


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="espeak hint is Linux-only")
def test_start_failure_without_espeak_says_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))

    def failing_factory():
        raise RuntimeError("This means you probably do not have eSpeak or eSpeak-ng installed!")

    with pytest.raises(SpeechUnavailable, match="apt install espeak-ng"):
        Speaker(failing_factory)


def test_engine_errors_become_speech_unavailable():
    class BrokenLoopEngine(HangingEngine):
        def runAndWait(self):  # noqa: N802
            raise RuntimeError("run loop already started")

    speaker = Speaker(lambda: BrokenLoopEngine(threading.Event()))
    with pytest.raises(SpeechUnavailable, match="run loop already started"):
        speaker.speak([Speech("Hello.")])
    speaker.close()


def test_speak_says_each_text_and_sleeps_through_each_silence():
    calls: list[tuple[str, object]] = []

    class RecordingEngine(HangingEngine):
        def setProperty(self, name, value):  # noqa: N802
            calls.append(("set", (name, value)))

        def say(self, text):
            calls.append(("say", text))

        def runAndWait(self):  # noqa: N802
            calls.append(("run", time.monotonic()))
            self.finish_utterance()

    speaker = Speaker(lambda: RecordingEngine(threading.Event()), rate_wpm=160)
    seen = []
    speaker.speak([Speech("Hold."), Silence(0.3), Speech("Release.")], on_segment=seen.append)
    speaker.close()

    kinds = [(kind, value) for kind, value in calls if kind != "run"]
    assert kinds == [
        ("set", ("rate", 160)),
        ("say", "Hold."),
        ("set", ("rate", 160)),
        ("say", "Release."),
    ]
    run_times = [value for kind, value in calls if kind == "run"]
    assert len(run_times) == 2
    assert run_times[1] - run_times[0] >= 0.3
    assert seen == [Speech("Hold."), Silence(0.3), Speech("Release.")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="aplay probe is Linux-only")
def test_live_output_check_names_the_missing_player(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SpeechUnavailable, match="aplay") as caught:
        check_audio_output()
    assert "\n" not in str(caught.value)
