"""Stretch reminders through Alexa's Reminders API, with the SDK's reminder client.

Each call answers with an outcome word the core turns into speech, never an exception:
a reminder that couldn't be set is said plainly, and the routine's place is untouched.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from limber.core.reminders import PERMISSION, Schedule, from_rrule, reminder_text
from limber.skill.services import api_client, service_factory
from limber.skill.timezone import time_zone

log = logging.getLogger("limber")
# Outcomes: "ok", "no_permission", "too_many", "not_supported", "unavailable".


def has_permission(handler_input) -> bool:
    """Alexa puts a consent token in the request once the person has allowed reminders."""
    user = handler_input.request_envelope.context.system.user
    permissions = getattr(user, "permissions", None)
    return bool(getattr(permissions, "consent_token", None))


def _outcome_of(err: Exception) -> str:
    from ask_sdk_model.services import ServiceException

    if isinstance(err, ServiceException):
        code = getattr(err.body, "code", None) if err.body is not None else None
    elif isinstance(err, ApiError):
        code = err.code
    else:  # timeouts, refused connections, bad JSON
        return "unavailable"
    if err.status_code == 401:
        return "no_permission"
    if err.status_code == 403 and code == "MAX_REMINDERS_EXCEEDED":
        return "too_many"
    if err.status_code == 403 and code == "DEVICE_NOT_SUPPORTED":
        return "not_supported"
    if err.status_code == 403:  # Forbidden for a reason of its own: permission was withdrawn
        return "no_permission"
    return "unavailable"


def _client(handler_input):
    return service_factory(handler_input).get_reminder_management_service()


def _request(handler_input, schedule: Schedule):
    from ask_sdk_model.services.reminder_management import (
        AlertInfo,
        PushNotification,
        PushNotificationStatus,
        Recurrence,
        ReminderRequest,
        SpokenInfo,
        SpokenText,
        Trigger,
        TriggerType,
    )

    locale = getattr(handler_input.request_envelope.request, "locale", None) or "en-US"
    zone = time_zone(handler_input)  # None: Alexa uses the device's own time zone
    now = datetime.now().replace(microsecond=0)
    return ReminderRequest(
        request_time=now,
        trigger=Trigger(
            object_type=TriggerType.SCHEDULED_ABSOLUTE,
            time_zone_id=zone,
            recurrence=Recurrence(start_date_time=now, recurrence_rules=[schedule.rrule()]),
        ),
        alert_info=AlertInfo(SpokenInfo([SpokenText(locale=locale, text=reminder_text())])),
        push_notification=PushNotification(PushNotificationStatus.ENABLED),
    )


def create(handler_input, schedule: Schedule) -> str:
    try:
        _client(handler_input).create_reminder(_request(handler_input, schedule))
        return "ok"
    except Exception as err:
        outcome = _outcome_of(err)
        log.warning("reminder not created: %s (%s)", outcome, type(err).__name__)
        return outcome


class ApiError(Exception):
    """A Reminders API answer other than 200, shaped like the SDK's ServiceException."""

    def __init__(self, status_code: int, code: str | None):
        super().__init__(f"{status_code} {code}")
        self.status_code, self.code = status_code, code


def _ours(handler_input) -> list[dict]:
    """The reminders this skill has set for this person that are still on, as JSON.

    Read with a plain GET rather than the SDK's ``get_reminders``: ask-sdk-model's
    AlertInfo names a module that doesn't exist (``alert_info_spoken_info``), so every
    answer that carries a reminder fails to deserialise (alexa/alexa-apis-for-python#30).
    Create and delete don't read that model, so they keep the SDK's client.
    """
    from ask_sdk_model.services import ApiClientRequest

    system = handler_input.request_envelope.context.system
    request = ApiClientRequest(
        method="GET",
        url=system.api_endpoint.rstrip("/") + "/v1/alerts/reminders",
        headers=[("Authorization", f"Bearer {system.api_access_token}"), ("Accept", "application/json")],
    )
    response = api_client().invoke(request)
    body = json.loads(response.body or "{}")
    if response.status_code != 200:
        raise ApiError(response.status_code, body.get("code") if isinstance(body, dict) else None)
    alerts = body.get("alerts") if isinstance(body, dict) else None
    return [a for a in alerts or [] if isinstance(a, dict) and a.get("status") != "COMPLETED"]


def schedules(handler_input) -> tuple[str, list[Schedule | None]]:
    try:
        alerts = _ours(handler_input)
    except Exception as err:
        outcome = _outcome_of(err)
        log.warning("reminders not listed: %s (%s)", outcome, type(err).__name__)
        return outcome, []
    out = []
    for alert in alerts:
        recurrence = (alert.get("trigger") or {}).get("recurrence") or {}
        rules = recurrence.get("recurrenceRules") or []
        out.append(from_rrule(rules[0]) if rules and isinstance(rules[0], str) else None)
    return "ok", out


def cancel_all(handler_input) -> tuple[str, int]:
    """Deletes every stretch reminder; a failure part way says how many went."""
    try:
        alerts = _ours(handler_input)
        client, done = _client(handler_input), 0
        for alert in alerts:
            client.delete_reminder(alert["alertToken"])
            done += 1
        return "ok", done
    except Exception as err:
        outcome = _outcome_of(err)
        log.warning("reminders not cancelled: %s (%s)", outcome, type(err).__name__)
        return outcome, 0


def consent_directive(schedule: Schedule):
    """Alexa's own voice prompt for the reminders permission; its answer comes back as a
    Connections.Response carrying the schedule's token, so nothing is stored meanwhile."""
    from ask_sdk_model.interfaces.connections import SendRequestDirective

    return SendRequestDirective(
        name="AskFor",
        payload={
            "@type": "AskForPermissionsConsentRequest",
            "@version": "2",
            "permissionScopes": [{"permissionScope": PERMISSION, "consentLevel": "ACCOUNT"}],
        },
        token=schedule.token(),
    )


def consent_card():
    from ask_sdk_model.ui import AskForPermissionsConsentCard

    return AskForPermissionsConsentCard(permissions=[PERMISSION])
