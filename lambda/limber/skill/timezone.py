"""The person's local date, from Alexa's settings API, falling back to UTC."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from limber.skill.services import service_factory

log = logging.getLogger("limber")


def time_zone(handler_input) -> str | None:
    from zoneinfo import ZoneInfo  # imported here, like the service client: two turn kinds need it

    try:
        device_id = handler_input.request_envelope.context.system.device.device_id
        zone = service_factory(handler_input).get_ups_service().get_system_time_zone(device_id)
        ZoneInfo(zone)
        return zone
    except Exception as err:  # any failure means: count days in UTC
        log.info("time zone unavailable, using UTC: %s", type(err).__name__)
        return None


def local_today(handler_input) -> date:
    from zoneinfo import ZoneInfo

    zone = time_zone(handler_input)
    return datetime.now(ZoneInfo(zone) if zone else UTC).date()
