"""Alexa SSML -> ordered speech and silence segments, for local speech and the --text view.

pyttsx3 cannot read SSML, so the console speaks each response as a list of `Speech(text)` and
`Silence(seconds)` segments. Breaks become real silence; every other tag degrades to its text,
as Alexa would say it without the styling. Pause lengths for `strength=`, `<s>` and `<p>` are
typical values (Alexa does not publish exact figures).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "MAX_BREAK_SECONDS",
    "Segment",
    "Silence",
    "Speech",
    "SsmlError",
    "display_text",
    "fast",
    "segments_from_ssml",
    "to_display_text",
    "total_silence",
]

# Alexa rejects nothing shorter but plays at most 10 s per <break>; longer holds chain breaks.
MAX_BREAK_SECONDS = 10.0

COMMA_PAUSE_S = 0.35
SENTENCE_PAUSE_S = 0.7
PARAGRAPH_PAUSE_S = 1.0

# Alexa's documented equivalences: x-weak = none, weak = medium = a comma,
# strong = a sentence (<s>), x-strong = a paragraph (<p>). A bare <break/> is medium.
BREAK_STRENGTH_SECONDS = {
    "none": 0.0,
    "x-weak": 0.0,
    "weak": COMMA_PAUSE_S,
    "medium": COMMA_PAUSE_S,
    "strong": SENTENCE_PAUSE_S,
    "x-strong": PARAGRAPH_PAUSE_S,
}

AUDIO_NOTE = "(sound)"

_TIME_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)\s*$", re.IGNORECASE)
_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
# Alexa SSML uses the amazon: prefix without declaring it; declare it so XML parsing accepts it.
_ROOT_OPEN = '<limber-root xmlns:amazon="urn:limber:amazon">'
_ROOT_CLOSE = "</limber-root>"


class SsmlError(ValueError):
    """The SSML is not well-formed or has an attribute value Alexa would reject."""


@dataclass(frozen=True)
class Speech:
    text: str


@dataclass(frozen=True)
class Silence:
    seconds: float
    # False for the pause Alexa adds around <s>/<p>: heard, but not shown in --text.
    explicit: bool = True


Segment = Speech | Silence


# Raw items produced while walking the tree, before merging.
@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Pause:
    seconds: float
    explicit: bool


def segments_from_ssml(ssml: str) -> list[Segment]:
    """Parse one response's SSML into merged, whitespace-normalised segments."""
    root = _parse(ssml)
    raw: list[_Text | _Pause] = []
    _walk_children(root, raw)
    return _merge(raw)


def fast(segments: Iterable[Segment], n: float) -> list[Segment]:
    """Divide every silence by n (the console's --fast N); speech is unchanged."""
    if not n > 0 or n == float("inf"):
        raise ValueError(f"fast factor must be a positive number, got {n!r}")
    return [Silence(seg.seconds / n, seg.explicit) if isinstance(seg, Silence) else seg for seg in segments]


def total_silence(segments: Iterable[Segment]) -> float:
    return sum(seg.seconds for seg in segments if isinstance(seg, Silence))


def display_text(segments: Sequence[Segment]) -> str:
    """Speech text with explicit breaks shown as e.g. [10 s] or [0.5 s]."""
    parts = []
    for seg in segments:
        if isinstance(seg, Speech):
            parts.append(seg.text)
        elif seg.explicit:
            parts.append(f"[{_format_seconds(seg.seconds)} s]")
    return " ".join(parts)


def to_display_text(ssml: str) -> str:
    return display_text(segments_from_ssml(ssml))


def _format_seconds(seconds: float) -> str:
    return f"{round(seconds, 2):g}"


def _parse(ssml: str) -> ElementTree.Element:
    if not isinstance(ssml, str):
        raise SsmlError(f"SSML must be a string, got {type(ssml).__name__}")
    body = _XML_DECLARATION_RE.sub("", ssml, count=1)
    try:
        return ElementTree.fromstring(_ROOT_OPEN + body + _ROOT_CLOSE)
    except ElementTree.ParseError as exc:
        raise SsmlError(_describe_parse_error(exc, body)) from None


def _describe_parse_error(exc: ElementTree.ParseError, body: str) -> str:
    line, column = exc.position
    # Line 1 carries the wrapper we added; report columns in the caller's string.
    if line == 1:
        column -= len(_ROOT_OPEN)
    lines = body.split("\n")
    if line > len(lines) or (line == len(lines) and column >= len(lines[-1])):
        return "malformed SSML: it ends before every element is closed"
    reason = str(exc).split(":")[0]
    near = lines[line - 1][max(column - 15, 0) : column + 15]
    return f"malformed SSML: {reason} (line {line}, column {column + 1}, near {near!r})"


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _walk_children(element: ElementTree.Element, out: list[_Text | _Pause]) -> None:
    if element.text:
        out.append(_Text(element.text))
    for child in element:
        _walk(child, out)
        if child.tail:
            out.append(_Text(child.tail))


def _walk(element: ElementTree.Element, out: list[_Text | _Pause]) -> None:
    name = _local_name(element.tag)
    if name == "break":
        out.append(_Pause(_break_seconds(element), explicit=True))
    elif name == "audio":
        out.append(_Text(f" {AUDIO_NOTE} "))
    elif name == "mark":
        pass
    elif name == "sub" and element.get("alias") is not None:
        out.append(_Text(element.get("alias", "")))
    elif name in ("p", "s"):
        pause = PARAGRAPH_PAUSE_S if name == "p" else SENTENCE_PAUSE_S
        out.append(_Pause(pause, explicit=False))
        _walk_children(element, out)
        out.append(_Pause(pause, explicit=False))
    else:
        # speak, say-as, prosody, emphasis, lang, voice, phoneme, w, amazon:*, unknown tags.
        _walk_children(element, out)


def _break_seconds(element: ElementTree.Element) -> float:
    time_value = element.get("time")
    if time_value is not None:
        match = _TIME_RE.match(time_value)
        if not match:
            raise SsmlError(f'<break time="{time_value}">: expected a duration like 2s or 500ms')
        amount = float(match.group(1))
        seconds = amount / 1000 if match.group(2).lower() == "ms" else amount
        return min(seconds, MAX_BREAK_SECONDS)
    strength = element.get("strength", "medium")
    try:
        return BREAK_STRENGTH_SECONDS[strength.strip().lower()]
    except KeyError:
        allowed = ", ".join(BREAK_STRENGTH_SECONDS)
        raise SsmlError(f'<break strength="{strength}">: expected one of {allowed}') from None


def _merge(raw: list[_Text | _Pause]) -> list[Segment]:
    """Join adjacent text, fold each run of pauses into one silence, trim implicit edge pauses."""
    segments: list[Segment] = []
    text_run: list[str] = []
    pause_run: list[_Pause] = []

    def flush_text() -> None:
        text = " ".join("".join(text_run).split())
        text_run.clear()
        if text:
            flush_pauses()
            segments.append(Speech(text))

    def flush_pauses() -> None:
        if not pause_run:
            return
        explicit_total = sum(p.seconds for p in pause_run if p.explicit)
        implicit_longest = max((p.seconds for p in pause_run if not p.explicit), default=0.0)
        explicit = explicit_total > 0
        # Alexa's own sentence/paragraph pause is absorbed by a longer explicit break.
        seconds = max(explicit_total, implicit_longest)
        pause_run.clear()
        if seconds > 0 and (explicit or segments):
            segments.append(Silence(seconds, explicit))

    for item in raw:
        if isinstance(item, _Text):
            text_run.append(item.text)
            continue
        # Whitespace-only text between two pauses must not split the pause run.
        if "".join(text_run).strip():
            flush_text()
        else:
            text_run.clear()
        pause_run.append(item)
    flush_text()
    if any(p.explicit and p.seconds > 0 for p in pause_run):
        flush_pauses()  # a trailing explicit break is played; Alexa's own end pause is not
    return _join_adjacent_speech(segments)


def _join_adjacent_speech(segments: list[Segment]) -> list[Segment]:
    # A zero-length break (strength none/x-weak) leaves two speech runs side by side.
    joined: list[Segment] = []
    for segment in segments:
        if isinstance(segment, Speech) and joined and isinstance(joined[-1], Speech):
            joined[-1] = Speech(f"{joined[-1].text} {segment.text}")
        else:
            joined.append(segment)
    return joined
