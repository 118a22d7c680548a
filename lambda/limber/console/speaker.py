"""Local speech through pyttsx3 (espeak-ng on Linux): live speaking and measurable WAV rendering.

Every call into pyttsx3 runs on one daemon thread that owns the engine, and the caller waits
with a timeout: pyttsx3's runAndWait is known to hang on some setups, and a hung call must turn
into `SpeechUnavailable` (the console then falls back to text) rather than a frozen console.
A daemon thread, not an executor, so that a hung call cannot block interpreter exit.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from queue import SimpleQueue
from typing import Any

from limber.console.ssml_segments import Segment, Speech

__all__ = [
    "RENDER_CHANNELS",
    "RENDER_RATE_HZ",
    "RENDER_SAMPLE_WIDTH",
    "RenderedSpan",
    "Speaker",
    "SpeechUnavailable",
    "check_audio_output",
    "conform_wav",
    "open_live_speaker",
    "render_wav",
]

# espeak-ng's native output, which pyttsx3 2.99 writes: 22050 Hz, mono, 16-bit.
RENDER_RATE_HZ = 22050
RENDER_CHANNELS = 1
RENDER_SAMPLE_WIDTH = 2

INIT_TIMEOUT_S = 10.0
MIN_TIMEOUT_S = 10.0
# Generous upper bound for live playback (espeak speaks ~16 characters a second).
TIMEOUT_S_PER_CHAR = 0.2

EngineFactory = Callable[[], Any]


class SpeechUnavailable(RuntimeError):
    """Local speech cannot be used; str() is a one-line reason the console can print."""


@dataclass(frozen=True)
class RenderedSpan:
    """Where one segment landed in a rendered WAV."""

    segment: Segment
    start_s: float
    end_s: float


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _preview(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


class _SavedNoticeFilter(io.TextIOBase):
    """Stand-in stdout that drops pyttsx3's "Audio saved to …" line and passes all else.

    The espeak driver prints it from espeak's own callback thread, so filter by content.
    """

    NOTICE = "Audio saved to "

    def __init__(self, original: Any) -> None:
        self.original = original
        self._newline_owed_by: int | None = None

    def write(self, text: str) -> int:
        thread_id = threading.get_ident()
        if text.startswith(self.NOTICE):
            self._newline_owed_by = thread_id  # print() writes the "\n" separately
            return len(text)
        if text == "\n" and self._newline_owed_by == thread_id:
            self._newline_owed_by = None
            return len(text)
        return self.original.write(text)

    def flush(self) -> None:
        self.original.flush()


@contextmanager
def _without_saved_notice():
    sink = _SavedNoticeFilter(sys.stdout)
    sys.stdout = sink
    try:
        yield
    finally:
        _restore_stdout(sink)


def _restore_stdout(sink: _SavedNoticeFilter | None = None) -> None:
    current = sys.stdout
    if isinstance(current, _SavedNoticeFilter) and (sink is None or current is sink):
        sys.stdout = current.original


def _forget_pending_utterance(engine: Any) -> None:
    # pyttsx3 2.99's espeak driver keeps the last text and file name after runAndWait, so the
    # next loop would replay it (a later say() would even be written into the old file).
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    for attr in ("_text_to_say", "_save_file"):
        if hasattr(driver, attr):
            setattr(driver, attr, None)


def _run_until_finished(engine: Any, queue_utterance: Callable[[], Any], timeout_s: float) -> None:
    """Queue one utterance, run the loop, and wait until the engine says it is finished.

    pyttsx3 2.99's espeak driver returns from runAndWait about 10 ms after starting synthesis;
    espeak-ng then synthesises (and, for say(), plays) on its own thread. Only the
    "finished-utterance" notification marks the WAV as written or the speech as heard.
    """
    deadline = time.monotonic() + timeout_s
    _wait_until_espeak_idle(engine, deadline)
    finished = threading.Event()
    token = engine.connect("finished-utterance", lambda **_: finished.set())
    try:
        queue_utterance()
        engine.runAndWait()
        if not finished.wait(max(deadline - time.monotonic(), 0)):
            raise TimeoutError(f"no finished-utterance within {timeout_s:g} s")
    finally:
        engine.disconnect(token)
        _forget_pending_utterance(engine)


def _wait_until_espeak_idle(engine: Any, deadline: float) -> None:
    # espeak-ng keeps "playing" for a moment after finished-utterance; the driver's runAndWait
    # cancels anything still playing, and that cancel can land on the new utterance (we saw
    # empty WAVs under load). So start only once espeak is idle. Other drivers: no-op.
    driver = getattr(getattr(engine, "proxy", None), "_driver", None)
    espeak = getattr(sys.modules.get(type(driver).__module__), "_espeak", None)
    is_playing = getattr(espeak, "IsPlaying", None)
    if is_playing is None:
        return
    while is_playing():
        if time.monotonic() > deadline:
            raise TimeoutError("espeak-ng stayed busy with the previous utterance")
        time.sleep(0.002)


def _default_engine_factory() -> Any:
    import pyttsx3

    return pyttsx3.init()


def _espeak_hint() -> str:
    if sys.platform.startswith("linux") and not (shutil.which("espeak-ng") or shutil.which("espeak")):
        return " (espeak-ng is not installed: apt install espeak-ng)"
    return ""


class _EngineThread:
    """One daemon thread that owns one pyttsx3 engine; all engine calls run there."""

    def __init__(self) -> None:
        self._jobs: SimpleQueue = SimpleQueue()
        self._engine: Any = None
        # The engine's own rate, restored for Speakers that set none (the engine is shared).
        self.initial_rate: Any = None
        self.broken: str | None = None
        self.hung = False
        self._thread = threading.Thread(target=self._serve, name="limber-speech", daemon=True)
        self._thread.start()

    def start_engine(self, engine_factory: EngineFactory, init_timeout_s: float) -> None:
        try:
            self._submit(lambda _: self._create(engine_factory), init_timeout_s, "starting the speech engine")
        except SpeechUnavailable as exc:
            self.broken = str(exc)
            self.close()
            raise

    def _create(self, engine_factory: EngineFactory) -> None:
        try:
            self._engine = engine_factory()
            self.initial_rate = self._engine.getProperty("rate")
        except Exception as exc:
            raise SpeechUnavailable(f"pyttsx3 could not start: {_one_line(exc)}{_espeak_hint()}") from exc

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            work, future = job
            try:
                future.set_result(work(self._engine))
            except BaseException as exc:  # handed to the waiting caller
                future.set_exception(exc)

    def call(self, work: Callable[[Any], Any], timeout_s: float, what: str) -> Any:
        if self.broken:
            raise SpeechUnavailable(self.broken)
        return self._submit(work, timeout_s, what)

    def _submit(self, work: Callable[[Any], Any], timeout_s: float, what: str) -> Any:
        future: Future = Future()
        self._jobs.put((work, future))
        try:
            return future.result(timeout=timeout_s)
        except TimeoutError:
            # The thread is stuck inside pyttsx3 and cannot be interrupted: retire it for good.
            self.hung = True
            self.broken = f"speech engine hung: {what} took longer than {timeout_s:g} s"
            _restore_stdout()
            raise SpeechUnavailable(self.broken) from None
        except SpeechUnavailable:
            raise
        except Exception as exc:
            raise SpeechUnavailable(f"{what} failed: {_one_line(exc)}") from exc

    def close(self) -> None:
        self._jobs.put(None)


_shared_lock = threading.Lock()
_shared_thread: _EngineThread | None = None


def _shared_engine_thread(init_timeout_s: float) -> _EngineThread:
    # pyttsx3.init() hands out one cached engine per driver and espeak initialises once per
    # process, so every Speaker on the real engine must share one thread.
    global _shared_thread
    with _shared_lock:
        if _shared_thread is not None and _shared_thread.broken:
            if _shared_thread.hung:
                raise SpeechUnavailable(_shared_thread.broken)
            _shared_thread = None  # a plain start failure may be fixed by now: try again
        if _shared_thread is None:
            _shared_thread = _EngineThread()
            _shared_thread.start_engine(_default_engine_factory, init_timeout_s)
        return _shared_thread


class Speaker:
    """Speaks segments live or renders them to one WAV file.

    `engine_factory` defaults to pyttsx3.init (shared per process); pass another factory only
    to test the guard. Raises SpeechUnavailable when the engine cannot start.
    """

    def __init__(
        self,
        engine_factory: EngineFactory | None = None,
        *,
        rate_wpm: int | None = None,
        init_timeout_s: float = INIT_TIMEOUT_S,
        min_timeout_s: float = MIN_TIMEOUT_S,
        timeout_s_per_char: float = TIMEOUT_S_PER_CHAR,
    ) -> None:
        self._owns_thread = engine_factory is not None
        if engine_factory is None:
            self._thread = _shared_engine_thread(init_timeout_s)
        else:
            self._thread = _EngineThread()
            self._thread.start_engine(engine_factory, init_timeout_s)
        self.rate_wpm = rate_wpm
        self._min_timeout_s = min_timeout_s
        self._timeout_s_per_char = timeout_s_per_char

    def close(self) -> None:
        if self._owns_thread:
            self._thread.close()

    def _timeout_for(self, text: str) -> float:
        return self._min_timeout_s + len(text) * self._timeout_s_per_char

    def _apply_rate(self, engine: Any) -> None:
        rate = self.rate_wpm if self.rate_wpm is not None else self._thread.initial_rate
        if rate is not None:
            engine.setProperty("rate", rate)

    def speak(
        self,
        segments: Iterable[Segment],
        *,
        on_segment: Callable[[Segment], None] | None = None,
    ) -> None:
        """Say each speech segment (blocking) and sleep through each silence."""
        for segment in segments:
            if on_segment is not None:
                on_segment(segment)
            if isinstance(segment, Speech):
                self._say(segment.text)
            elif segment.seconds > 0:
                time.sleep(segment.seconds)

    def _say(self, text: str) -> None:
        timeout_s = self._timeout_for(text)

        def work(engine: Any) -> None:
            self._apply_rate(engine)
            _run_until_finished(engine, lambda: engine.say(text), timeout_s)

        self._thread.call(work, timeout_s, f"speaking {_preview(text)}")

    def speech_to_wav(self, text: str, path: str | Path) -> None:
        """Synthesise one piece of text into a WAV with pyttsx3's save_to_file."""
        target = Path(path)
        target.unlink(missing_ok=True)
        timeout_s = self._timeout_for(text)

        def work(engine: Any) -> None:
            self._apply_rate(engine)
            with _without_saved_notice():
                _run_until_finished(engine, lambda: engine.save_to_file(text, str(target)), timeout_s)

        self._thread.call(work, timeout_s, f"rendering {_preview(text)}")
        if not target.exists():
            raise SpeechUnavailable(f"the speech engine wrote no audio for {_preview(text)}")

    def render_wav_spans(self, segments: Iterable[Segment], path: str | Path) -> list[RenderedSpan]:
        """Render segments into one WAV (22050 Hz mono 16-bit); return where each landed."""
        target = Path(path)
        spans: list[RenderedSpan] = []
        frame_bytes = RENDER_CHANNELS * RENDER_SAMPLE_WIDTH
        position = 0
        try:
            with (
                tempfile.TemporaryDirectory(prefix="limber-speech-") as workdir,
                wave.open(str(target), "wb") as out,
            ):
                out.setnchannels(RENDER_CHANNELS)
                out.setsampwidth(RENDER_SAMPLE_WIDTH)
                out.setframerate(RENDER_RATE_HZ)
                for index, segment in enumerate(segments):
                    if isinstance(segment, Speech):
                        part = Path(workdir) / f"speech-{index}.wav"
                        self.speech_to_wav(segment.text, part)
                        frames = _read_in_render_format(part, Path(workdir))
                        out.writeframes(frames)
                        count = len(frames) // frame_bytes
                    else:
                        count = round(segment.seconds * RENDER_RATE_HZ)
                        out.writeframes(b"\x00" * (count * frame_bytes))
                    spans.append(
                        RenderedSpan(
                            segment,
                            position / RENDER_RATE_HZ,
                            (position + count) / RENDER_RATE_HZ,
                        )
                    )
                    position += count
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return spans

    def render_wav(self, segments: Iterable[Segment], path: str | Path) -> float:
        """Render segments into one WAV; return its duration in seconds."""
        spans = self.render_wav_spans(segments, path)
        return spans[-1].end_s if spans else 0.0


def _render_params_of(reader: wave.Wave_read) -> tuple[int, int, int]:
    return reader.getnchannels(), reader.getsampwidth(), reader.getframerate()


def _read_in_render_format(path: Path, workdir: Path) -> bytes:
    with wave.open(str(path), "rb") as reader:
        if _render_params_of(reader) == (RENDER_CHANNELS, RENDER_SAMPLE_WIDTH, RENDER_RATE_HZ):
            return reader.readframes(reader.getnframes())
    converted = workdir / f"{path.stem}-conformed.wav"
    conform_wav(path, converted)
    with wave.open(str(converted), "rb") as reader:
        return reader.readframes(reader.getnframes())


def conform_wav(source: str | Path, target: str | Path) -> None:
    """Convert any WAV to the render format with sox (only needed if espeak's rate differs)."""
    sox = shutil.which("sox")
    if sox is None:
        with wave.open(str(source), "rb") as reader:
            channels, width, rate = _render_params_of(reader)
        raise SpeechUnavailable(
            f"speech came out as {rate} Hz, {channels} channel(s), {8 * width}-bit and sox is "
            f"not installed to convert it to {RENDER_RATE_HZ} Hz mono 16-bit"
        )
    result = subprocess.run(
        [
            sox,
            str(source),
            "-r",
            str(RENDER_RATE_HZ),
            "-c",
            str(RENDER_CHANNELS),
            "-b",
            str(8 * RENDER_SAMPLE_WIDTH),
            "-e",
            "signed-integer",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        detail = " ".join(result.stderr.split()) or f"exit status {result.returncode}"
        raise SpeechUnavailable(f"sox could not convert {Path(source).name}: {detail}")


def check_audio_output() -> None:
    """Raise SpeechUnavailable unless pyttsx3 can actually play sound here.

    On Linux pyttsx3's espeak driver plays each utterance with `aplay` and ignores failures,
    so probe aplay with 50 ms of silence. Other platforms use their native players.
    """
    if not sys.platform.startswith("linux"):
        return
    aplay = shutil.which("aplay")
    if aplay is None:
        raise SpeechUnavailable(
            "no audio player: pyttsx3's espeak driver plays through aplay (apt install alsa-utils)"
        )
    with tempfile.TemporaryDirectory(prefix="limber-probe-") as workdir:
        probe = Path(workdir) / "silence.wav"
        with wave.open(str(probe), "wb") as out:
            out.setnchannels(RENDER_CHANNELS)
            out.setsampwidth(RENDER_SAMPLE_WIDTH)
            out.setframerate(RENDER_RATE_HZ)
            out.writeframes(b"\x00" * (RENDER_RATE_HZ // 20 * RENDER_SAMPLE_WIDTH))
        try:
            result = subprocess.run(
                [aplay, "-q", str(probe)], capture_output=True, text=True, timeout=10, check=False
            )
        except subprocess.TimeoutExpired:
            raise SpeechUnavailable("no audio output: aplay hung on 50 ms of silence") from None
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()
        reason = " ".join(detail[-1].split()) if detail else f"exit status {result.returncode}"
        raise SpeechUnavailable(f"no audio output device: aplay failed ({reason})")


def open_live_speaker(*, rate_wpm: int | None = None) -> Speaker:
    """A Speaker for live speech, after checking that sound can be played at all."""
    check_audio_output()
    return Speaker(rate_wpm=rate_wpm)


_default_speaker: Speaker | None = None


def render_wav(segments: Iterable[Segment], path: str | Path) -> float:
    """Render segments to a WAV with the process-wide engine; return the duration in seconds."""
    global _default_speaker
    if _default_speaker is None:
        _default_speaker = Speaker()
    return _default_speaker.render_wav(segments, path)
