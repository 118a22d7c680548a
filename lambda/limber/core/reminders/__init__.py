"""Stretch reminders: what was asked for (a schedule) and what to say about it.

Pure: the skill shell (``limber.skill.reminders``) talks to Alexa's Reminders API and
hands the outcome back here to be worded. Nothing about a person's pain is ever part
of a reminder; it says only that it is time to stretch.
"""

from limber.core.reminders.replies import (
    PERMISSION,
    ask_for_time,
    cancelled,
    created,
    listing,
    not_supported,
    permission_denied,
    permission_needed,
    reminder_text,
    too_many,
    unavailable,
)
from limber.core.reminders.schedule import Schedule, from_rrule, from_slots, from_token

__all__ = [
    "PERMISSION",
    "not_supported",
    "too_many",
    "Schedule",
    "ask_for_time",
    "cancelled",
    "created",
    "from_rrule",
    "from_slots",
    "from_token",
    "listing",
    "permission_denied",
    "permission_needed",
    "reminder_text",
    "unavailable",
]
