"""Where the console's answers go: the screen, the speakers, and optionally WAV files."""

from __future__ import annotations

from pathlib import Path

from limber.console.ssml_segments import display_text, fast, segments_from_ssml


class Output:
    def __init__(self, *, text_only: bool, fast: float = 1.0, wav_dir: Path | None = None):
        self.speed = fast if fast and fast > 0 else 1.0
        self.wav_dir = wav_dir
        self.count = 0
        self.speaker = None
        if not text_only:
            self.speaker = self._open_speaker()
        if wav_dir:
            wav_dir.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _open_speaker():
        from limber.console.speaker import SpeechUnavailable, open_live_speaker

        try:
            return open_live_speaker()
        except SpeechUnavailable as reason:
            print(f"(speech is off: {reason}; showing text only)")
            return None

    def show(self, response: dict, *, who: str = "Limber") -> None:
        body = response.get("response") or {}
        ssml = (body.get("outputSpeech") or {}).get("ssml")
        self.count += 1
        said = segments_from_ssml(ssml) if ssml else []
        # --fast plays silences faster but the labels stay true: "[10 s]" is ten seconds of hold.
        segments = fast(said, self.speed)
        if ssml:
            print(f"{who}: {display_text(said)}", flush=True)
        card = body.get("card")
        if card and card.get("type") == "AskForPermissionsConsent":
            print(f"  [card] the Alexa app asks to allow: {', '.join(card.get('permissions') or [])}")
        elif card:
            print(f"  [card] {card.get('title')}: {card.get('content') or card.get('text')}")
        for directive in body.get("directives") or []:
            if directive.get("type") == "Connections.SendRequest" and directive.get("name") == "AskFor":
                # On a device Alexa itself now asks for the permission; a console has no Alexa.
                print("  (Alexa would now ask you to allow limber coach to set reminders;"
                      " the console can't grant that, so nothing is set)")
        if body.get("shouldEndSession") is not False and ssml:
            print("  (session ended)")
        if not ssml:
            return
        if self.wav_dir:
            self._render(segments)
        if self.speaker:
            self._speak(segments)

    def _render(self, segments) -> None:
        from limber.console.speaker import SpeechUnavailable, render_wav

        path = self.wav_dir / f"{self.count:03d}.wav"
        try:
            seconds = render_wav(segments, path)
            print(f"  (wrote {path}, {seconds:.1f} s)")
        except SpeechUnavailable as reason:
            print(f"  (no WAV: {reason})")
            self.wav_dir = None

    def _speak(self, segments) -> None:
        from limber.console.speaker import SpeechUnavailable

        try:
            self.speaker.speak(segments)
        except SpeechUnavailable as reason:
            print(f"(speech stopped: {reason}; showing text only)")
            self.speaker = None

    def close(self) -> None:
        if self.speaker:
            self.speaker.close()


def open_output(*, text_only: bool, fast: float = 1.0, wav_dir: Path | None = None) -> Output:
    return Output(text_only=text_only, fast=fast, wav_dir=wav_dir)
