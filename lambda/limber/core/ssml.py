"""A small SSML builder that only ever produces what Alexa accepts.

Text is escaped, pauses longer than Alexa's 10-second ``<break>`` limit are split into a
chain of breaks, and the builder keeps an estimate of how long the result takes to say,
so hold timers can be checked against the time the content promises.
"""

from __future__ import annotations

import re

MAX_BREAK_SECONDS = 10.0
# Alexa's default voice speaks roughly 150 words a minute; hold timers are planned on it.
WORDS_PER_SECOND = 2.5
_BREAK = re.compile(r'<break time="(\d+)ms"/>')
_TAG = re.compile(r"<[^>]+>")


def spoken_words(ssml: str) -> list[str]:
    """The words of an SSML document, its markup left out."""
    return _TAG.sub(" ", ssml).split()


def speaking_and_quiet(ssml: str) -> tuple[float, float]:
    """(seconds of words at Alexa's rate, seconds of breaks) in an SSML document: how long
    an Echo takes to say a response, read back from the response itself."""
    quiet = sum(int(ms) for ms in _BREAK.findall(ssml)) / 1000
    return len(spoken_words(ssml)) / WORDS_PER_SECOND, quiet


def escape(text: str) -> str:
    """XML-escape text (xml.sax.saxutils would pull in urllib and cost cold start)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def spoken_seconds(text: str, rate: float = 1.0) -> float:
    """Estimated time to say ``text`` at Alexa's normal rate (``rate`` 0.85: prosody at 85 %)."""
    return len(text.split()) / (WORDS_PER_SECOND * rate)


def break_tags(seconds: float) -> str:
    """Silence of ``seconds`` as one or more ``<break>`` tags, none over 10 s."""
    remaining = round(seconds * 1000)
    tags = []
    while remaining > 0:
        chunk = min(remaining, int(MAX_BREAK_SECONDS * 1000))
        tags.append(f'<break time="{chunk}ms"/>')
        remaining -= chunk
    return "".join(tags)


class Speech:
    """Accumulates sentences and pauses; ``ssml()`` gives the ``<speak>`` document.

    ``rate`` below 1 says every sentence slower, in ``<prosody rate="N%">``, and estimates its
    length at that rate, so hold timers built on the estimate stay true."""

    def __init__(self, rate: float = 1.0) -> None:
        self._parts: list[str] = []
        self.estimated_seconds = 0.0
        self.marks: dict[str, float] = {}  # name -> estimated seconds from the start
        self.rate = rate

    def say(self, *sentences: str) -> Speech:
        for sentence in sentences:
            sentence = sentence.strip()
            if sentence:
                text = escape(sentence)
                if self.rate != 1.0:
                    text = f'<prosody rate="{round(self.rate * 100)}%">{text}</prosody>'
                self._parts.append(text)
                self.estimated_seconds += spoken_seconds(sentence, self.rate)
        return self

    def say_with_numbers(self, text: str, numbers: dict[str, str]) -> Speech:
        """Say ``text``, reading each phone number in ``numbers`` as written there
        (``<sub>``), since Alexa would read 999 as "nine hundred and ninety-nine"."""
        parts, rest = [], text.strip()
        pattern = "|".join(re.escape(n) for n in sorted(numbers, key=len, reverse=True))
        for piece in re.split(f"({pattern})", rest) if pattern else [rest]:
            if piece in numbers:
                parts.append(f'<sub alias="{escape(numbers[piece])}">{escape(piece)}</sub>')
            else:
                parts.append(escape(piece))
        if rest:
            self._parts.append("".join(parts))
            self.estimated_seconds += spoken_seconds(
                re.sub("|".join(map(re.escape, numbers)) or "$^", lambda m: numbers[m.group(0)], rest)
            )
        return self

    def pause(self, seconds: float) -> Speech:
        if seconds > 0:
            self._parts.append(break_tags(seconds))
            self.estimated_seconds += round(seconds * 1000) / 1000
        return self

    def mark(self, name: str) -> Speech:
        """Remember when this point is reached, e.g. for a screen's countdown."""
        self.marks[name] = self.estimated_seconds
        return self

    def extend(self, other: Speech) -> Speech:
        self._parts.extend(other._parts)
        self.marks.update({k: self.estimated_seconds + v for k, v in other.marks.items()})
        self.estimated_seconds += other.estimated_seconds
        return self

    def copy(self) -> Speech:
        twin = Speech(self.rate)
        twin._parts, twin.estimated_seconds, twin.marks = (
            list(self._parts),
            self.estimated_seconds,
            dict(self.marks),
        )
        return twin

    def is_empty(self) -> bool:
        return not self._parts

    def body(self) -> str:
        return " ".join(self._parts)

    def ssml(self) -> str:
        return f"<speak>{self.body()}</speak>"


def speech(*sentences: str) -> Speech:
    return Speech().say(*sentences)
