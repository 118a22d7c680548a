"""Hold and rep timers as speech: cues placed in time, silence filling the gaps.

A hold of H seconds is a timeline of spoken cues (halfway, ten seconds left, a five-to-one
count) whose spoken and silent parts add up to H at Alexa's normal speaking rate. The halfway
and ten-seconds cues come in a few wordings; a step picks one by its index (``variant``), so
two holds in a row never say the same sentence.
"""

from __future__ import annotations

from limber.core.ssml import Speech, spoken_seconds

NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()


def number_word(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


HALFWAY = ("Halfway.", "Halfway there.", "That's half.")
TEN_SECONDS_LEFT = ("Ten seconds left.", "Ten seconds to go.", "Ten more seconds.")


def pick(wordings: tuple[str, ...], variant: int) -> str:
    return wordings[variant % len(wordings)]


def hold_cues(seconds: int, variant: int = 0) -> list[tuple[float, str]]:
    """(time, cue) pairs inside a hold; the caller says "Release" at ``seconds``."""
    cues: list[tuple[float, str]] = []
    if seconds >= 30:
        cues.append((seconds / 2, pick(HALFWAY, variant)))
    if seconds >= 20:
        cues.append((seconds - 10, pick(TEN_SECONDS_LEFT, variant)))
    count_from = min(5, seconds - 1)
    cues.extend((seconds - n, f"{number_word(n).capitalize()}.") for n in range(count_from, 0, -1))
    return cues


def timed_speech(duration: float, cues: list[tuple[float, str]], rate: float = 1.0) -> Speech:
    """Speak each cue at its time and fill the rest with silence, ending at ``duration``."""
    speech = Speech(rate)
    clock = 0.0
    for at, cue in cues:
        speech.pause(at - clock)
        speech.say(cue)
        clock = max(clock, at) + spoken_seconds(cue, rate)
    speech.pause(duration - clock)
    return speech


def hold_speech(
    seconds: int, variant: int = 0, rate: float = 1.0, opening: tuple[float, str] | None = None
) -> Speech:
    """``opening``: (time, line) said early in the hold, only where it ends before the first cue."""
    cues = hold_cues(seconds, variant)
    if opening is not None:
        at, line = opening
        if cues and at + spoken_seconds(line, rate) + 1.0 <= cues[0][0]:
            cues = [opening, *cues]
    return timed_speech(seconds, cues, rate)


def reps_speech(reps: int, rep_seconds: int, rate: float = 1.0) -> Speech:
    """Count each rep aloud at the start of its slot, at a calm, even pace."""
    cues = [(i * rep_seconds, f"{number_word(i + 1).capitalize()}.") for i in range(reps)]
    return timed_speech(reps * rep_seconds, cues, rate)


def rest_speech(seconds: int, variant: int = 0, rate: float = 1.0) -> Speech:
    """A rest between sets: the same countdown as a hold, without "Halfway"."""
    return timed_speech(seconds, [cue for cue in hold_cues(seconds, variant) if cue[1] not in HALFWAY], rate)
