"""What Limber says about reminders. Each reply keeps the routine's place: setting a
reminder mid-stretch must not lose where the person is.

Alexa's reminder guidelines ask the skill to say back the time and the recurrence of
every reminder it sets, and to set one only when the person asked for it.
"""

from __future__ import annotations

from limber.core.reminders.schedule import Schedule
from limber.core.reply import Card, Reply
from limber.core.ssml import speech
from limber.core.state import State

EXAMPLE = "For example, say: remind me every day at 8 AM."
COME_BACK = "When it rings, say: Alexa, ask limber coach to start."
IN_ROUTINE = "Say next to carry on with your stretches."
APP_HOW_TO = "You can allow reminders for limber coach in the Alexa app, under Skills, then ask me again."
PERMISSION = "alexa::alerts:reminders:skill:readwrite"


def reminder_text() -> str:
    """What Alexa says when the reminder rings: short, and nothing about anyone's pain."""
    return "Time for your stretches. Say: Alexa, ask limber coach to start."


def _answer(state: State, *sentences: str, card: Card | None = None) -> Reply:
    """In a routine the session stays open on the step; elsewhere the answer ends it."""
    state = state.with_(pending=None, offer=None)
    if state.position:
        return Reply(speech(*sentences, IN_ROUTINE), state, reprompt=IN_ROUTINE, card=card)
    return Reply(speech(*sentences), state, end_session=True, card=card)


def ask_for_time(state: State) -> Reply:
    prompt = f"What time should I remind you to stretch? {EXAMPLE}"
    return Reply(speech(prompt), state.with_(pending=None, offer=None), reprompt=EXAMPLE)


def created(state: State, schedule: Schedule) -> Reply:
    when = schedule.when()
    return _answer(
        state,
        f"Okay, I'll remind you to stretch {when}. {COME_BACK}",
        card=Card("Stretch reminder set", f"Limber will remind you to stretch {when}."),
    )


def permission_needed(state: State) -> Reply:
    """When Alexa's voice prompt can't be used: the shell adds a permissions card."""
    return _answer(
        state, f"To set a reminder I need your permission. I've sent a card to your Alexa app. {APP_HOW_TO}"
    )


def permission_denied(state: State) -> Reply:
    return _answer(state, f"Okay, no reminder. {APP_HOW_TO}")


def too_many(state: State) -> Reply:
    return _answer(state, "You have too many reminders on this account for another one. "
                          "Remove some in the Alexa app, then ask me again.")  # fmt: skip


def not_supported(state: State) -> Reply:
    return _answer(state, "This device can't take reminders. Try asking limber coach on an Echo device.")


def unavailable(state: State, doing: str = "set your reminder") -> Reply:
    return _answer(state, f"I couldn't {doing} just now, and nothing was changed. Please try again later.")


def listing(state: State, schedules: list[Schedule | None]) -> Reply:
    if not schedules:
        return _answer(state, f"You have no stretch reminders. {EXAMPLE}")
    known = [s.when() for s in schedules if s is not None]
    others = len(schedules) - len(known)
    parts = known + ([f"{others} more that I can't describe"] if others else [])
    count = "one stretch reminder" if len(schedules) == 1 else f"{len(schedules)} stretch reminders"
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return _answer(state, f"You have {count}: {listed}. To stop them, say: cancel my stretch reminder.")


def cancelled(state: State, count: int) -> Reply:
    if count == 0:
        return _answer(state, "You have no stretch reminders to cancel.")
    what = "your stretch reminder" if count == 1 else f"your {count} stretch reminders"
    return _answer(state, f"Okay, I've cancelled {what}.")
