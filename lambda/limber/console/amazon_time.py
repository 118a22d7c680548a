"""AMAZON.TIME for typed text, as Alexa resolves it: "8 am" -> "08:00", "7:30 pm" ->
"19:30", "half past seven" -> "07:30", "noon" -> "12:00", and the parts of the day
Amazon documents as codes: morning "MO", afternoon "AF", evening "EV", night "NI".

A time said without am or pm stays as said ("at 7" -> "07:00"), the way Alexa's slot
value arrives when nothing in the phrase says which. Anything else is not a time, so the
sample it would fill doesn't match (as a device would hear some other intent or none).
"""

from __future__ import annotations

import re

PARTS_OF_DAY = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "tonight": "NI"}
NAMED = {"noon": "12:00", "midday": "12:00", "midnight": "00:00"}
HOUR_WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()
HOURS = {word: n for n, word in enumerate(HOUR_WORDS)}
MINUTES = {"fifteen": 15, "thirty": 30, "forty five": 45, "forty-five": 45, "ten": 10, "twenty": 20,
           "five": 5, "fifty": 50, "forty": 40, "o five": 5}  # fmt: skip
CLOCK = re.compile(
    r"^(?P<hour>\d{1,2}|" + "|".join(HOURS) + r")"
    r"(?:(?::|\s)(?P<minute>\d{2}|" + "|".join(sorted(MINUTES, key=len, reverse=True)) + r"))?"
    r"(?:\s*o'?\s*clock)?(?:\s*(?P<half>a\.?\s*m\.?|p\.?\s*m\.?))?$"
)
PAST = re.compile(r"^(?P<minute>half|quarter|ten|twenty|five) past (?P<hour>\w+)(?:\s*(?P<half>am|pm))?$")


def _hour(word: str) -> int | None:
    return int(word) if word.isdigit() else HOURS.get(word)


def _clock(hour: int, minute: int, half: str | None) -> str | None:
    half = (half or "").replace(".", "").replace(" ", "")
    if half and not 1 <= hour <= 12:
        return None
    if half == "pm" and hour != 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None


def time_value(heard: str) -> str | None:
    """What Alexa would put in an AMAZON.TIME slot for ``heard``; None if not a time."""
    text = " ".join(heard.lower().replace("the ", "").split())
    if text in PARTS_OF_DAY:
        return PARTS_OF_DAY[text]
    if text in NAMED:
        return NAMED[text]
    if found := CLOCK.match(text):
        hour = _hour(found["hour"])
        minute_word = found["minute"]
        minute = 0 if not minute_word else int(minute_word) if minute_word.isdigit() else MINUTES[minute_word]
        return None if hour is None else _clock(hour, minute, found["half"])
    if found := PAST.match(text):
        hour = _hour(found["hour"])
        minute = {"half": 30, "quarter": 15, "ten": 10, "twenty": 20, "five": 5}[found["minute"]]
        return None if hour is None else _clock(hour, minute, found["half"])
    return None
