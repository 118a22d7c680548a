"""A recurring stretch reminder: which days, and what time of day.

Alexa sends the time as AMAZON.TIME ("08:00", "19:30", or a part of the day: "MO",
"AF", "EV", "NI") and the days as our ReminderDays slot (ids "daily", "weekdays",
"weekends" or day codes joined by "_", e.g. "mo_we_fr"). A schedule becomes an iCalendar
RRULE, which is what the Reminders API's ``recurrenceRules`` take, and can be read back
from one, so "what reminders do I have" describes what is really set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = dict(zip(DAYS, "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(), strict=True))
GROUPS = {"daily": DAYS, "weekdays": DAYS[:5], "weekends": DAYS[5:]}
# AMAZON.TIME's parts of the day, as a clock time a reminder can ring at. Amazon documents
# MO/AF/EV/NI for "morning", "afternoon", "evening", "night"; the hours are our choice.
PARTS_OF_DAY = {"MO": (8, 0), "AF": (14, 0), "EV": (18, 0), "NI": (20, 0)}
TOKEN_PREFIX = "limber-reminder"
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Schedule:
    days: tuple[str, ...]  # day codes in week order; all seven means every day
    hour: int
    minute: int

    def rrule(self) -> str:
        freq = "FREQ=DAILY" if self.days == DAYS else f"FREQ=WEEKLY;BYDAY={','.join(self.days)}"
        return f"{freq};BYHOUR={self.hour};BYMINUTE={self.minute};BYSECOND=0"

    def token(self) -> str:
        """Rides through Alexa's permission prompt and back, so nothing need be stored."""
        return f"{TOKEN_PREFIX}:{'_'.join(self.days)}:{self.hour:02d}:{self.minute:02d}"

    def when(self) -> str:
        """ "every day at 8 AM", "every weekday at 7:30 PM", "every Monday and Friday at 6 PM"."""
        return f"{self.days_spoken()} at {clock_spoken(self.hour, self.minute)}"

    def days_spoken(self) -> str:
        if self.days == DAYS:
            return "every day"
        if self.days == GROUPS["weekdays"]:
            return "every weekday"
        names = [DAY_NAMES[d] for d in self.days]
        return "every " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


def clock_spoken(hour: int, minute: int) -> str:
    half = "AM" if hour < 12 else "PM"
    shown = hour % 12 or 12
    if hour == 12 and minute == 0:
        return "noon"
    return f"{shown} {half}" if minute == 0 else f"{shown}:{minute:02d} {half}"


def _days(days_id: str | None) -> tuple[str, ...] | None:
    if not days_id:
        return DAYS  # "remind me to stretch at 8": every day, the usual meaning
    if days_id in GROUPS:
        return GROUPS[days_id]
    codes = days_id.upper().split("_")
    if all(code in DAYS for code in codes):
        return tuple(d for d in DAYS if d in codes)
    return None


def _time(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    if value in PARTS_OF_DAY:
        return PARTS_OF_DAY[value]
    found = CLOCK.match(value)
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2))
    return (hour, minute) if hour < 24 and minute < 60 else None


def from_slots(time_value: str | None, days_id: str | None) -> Schedule | None:
    """The schedule asked for, or None while the time is missing or not a time of day."""
    days, clock = _days(days_id), _time(time_value)
    if days is None or clock is None:
        return None
    return Schedule(days, *clock)


def from_token(token: str | None) -> Schedule | None:
    """The schedule a permission prompt was asked for; None for anyone else's token."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX + ":"):
        return None
    parts = token.split(":")
    if len(parts) != 4:
        return None
    return from_slots(f"{parts[2]}:{parts[3]}", parts[1])


def from_rrule(rule: str) -> Schedule | None:
    """A reminder rule read back; None if it isn't one of ours (a skill only sees its own,
    but an older version of Limber may have set it differently)."""
    fields = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
    try:
        hour, minute = int(fields.get("BYHOUR", "")), int(fields.get("BYMINUTE", "0"))
    except ValueError:
        return None
    if fields.get("FREQ") == "DAILY":
        days = DAYS
    elif fields.get("FREQ") == "WEEKLY":
        days = _days("_".join(fields.get("BYDAY", "").split(",")))
    else:
        return None
    if days is None or not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    return Schedule(days, hour, minute)
