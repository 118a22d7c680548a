"""Handlers for stretch reminders: set, list, cancel, and Alexa's answer to the
permission prompt (a Connections.Response)."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import is_intent_name, is_request_type

from limber.core import reminders as words
from limber.skill import reminders as api
from limber.skill.handlers.base import intent_turn
from limber.skill.render import render
from limber.skill.turn import STATE_KEY, slot, state_of

FAILED = {
    "too_many": words.too_many,
    "not_supported": words.not_supported,
    "unavailable": words.unavailable,
}


def _ask_permission(hi, schedule):
    """Alexa's own voice prompt: the skill says nothing itself, and its session state rides
    through to the Connections.Response that brings the answer."""
    hi.attributes_manager.request_attributes[STATE_KEY] = state_of(hi)
    return hi.response_builder.add_directive(api.consent_directive(schedule)).response


def _with_card(hi, reply):
    response = render(hi, reply)
    hi.response_builder.set_card(api.consent_card())
    return response


def _create(hi, schedule):
    state = state_of(hi)
    outcome = api.create(hi, schedule)
    if outcome == "ok":
        return render(hi, words.created(state, schedule))
    if outcome == "no_permission":
        return _with_card(hi, words.permission_needed(state))
    return render(hi, FAILED[outcome](state))


class SetReminder(AbstractRequestHandler):
    name = "set_reminder"

    def can_handle(self, handler_input):
        return is_intent_name("SetReminderIntent")(handler_input)

    def handle(self, handler_input):
        days = slot(handler_input, "days")
        schedule = words.from_slots(slot(handler_input, "time").heard, days.id)
        if schedule is None:
            return render(handler_input, words.ask_for_time(state_of(handler_input)))
        if not api.has_permission(handler_input):
            return _ask_permission(handler_input, schedule)
        return _create(handler_input, schedule)


class PermissionAnswer(AbstractRequestHandler):
    """Alexa's answer to our AskFor: ACCEPTED sets the reminder the token describes."""

    name = "permission_answer"

    def can_handle(self, handler_input):
        request = handler_input.request_envelope.request
        return (
            is_request_type("Connections.Response")(handler_input)
            and getattr(request, "name", None) == "AskFor"
        )

    def handle(self, handler_input):
        request = handler_input.request_envelope.request
        state = state_of(handler_input)
        payload = request.payload if isinstance(request.payload, dict) else {}
        schedule = words.from_token(request.token)
        if payload.get("status") == "ACCEPTED" and schedule is not None:
            return _create(handler_input, schedule)
        if payload.get("status") == "DENIED":
            return _with_card(handler_input, words.permission_denied(state))
        # Not answered, or the voice prompt isn't available here: the Alexa app's card.
        return _with_card(handler_input, words.permission_needed(state))


@intent_turn("ListRemindersIntent")
def list_reminders(hi):
    outcome, found = api.schedules(hi)
    state = state_of(hi)
    if outcome == "ok":
        return words.listing(state, found)
    if outcome == "no_permission":
        return words.listing(state, [])  # no permission means none of ours can exist
    return words.unavailable(state, "check your reminders")


@intent_turn("CancelReminderIntent")
def cancel_reminders(hi):
    outcome, count = api.cancel_all(hi)
    state = state_of(hi)
    if outcome in ("ok", "no_permission"):
        return words.cancelled(state, count)
    return words.unavailable(state, "cancel your reminders")


HANDLERS = [SetReminder(), PermissionAnswer(), list_reminders, cancel_reminders]
