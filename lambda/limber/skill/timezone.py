"""The person's local date, from Alexa's settings API, falling back to UTC.

The SDK's service client is built here on demand rather than in the skill builder: its
HTTP client pulls in ``requests``, which would cost every cold start ~100 ms for a call
only two kinds of turn make.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, date, datetime

log = logging.getLogger("limber")
SETTINGS_TIMEOUT_SECONDS = 1.5  # well inside Alexa's 8 s for the whole turn


def _service_factory(handler_input):
    from ask_sdk_core.api_client import DefaultApiClient
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model.services import ApiConfiguration, ServiceClientFactory

    class TimedApiClient(DefaultApiClient):
        """The SDK's client sets no timeout; a hung settings API must not hang the turn."""

        def _resolve_method(self, request):
            return functools.partial(super()._resolve_method(request), timeout=SETTINGS_TIMEOUT_SECONDS)

    system = handler_input.request_envelope.context.system
    configuration = ApiConfiguration(
        serializer=DefaultSerializer(),
        api_client=TimedApiClient(),
        authorization_value=system.api_access_token,
        api_endpoint=system.api_endpoint,
    )
    return ServiceClientFactory(api_configuration=configuration)


def time_zone(handler_input) -> str | None:
    from zoneinfo import ZoneInfo  # imported here, like the service client: two turn kinds need it

    try:
        device_id = handler_input.request_envelope.context.system.device.device_id
        zone = _service_factory(handler_input).get_ups_service().get_system_time_zone(device_id)
        ZoneInfo(zone)
        return zone
    except Exception as err:  # any failure means: count days in UTC
        log.info("time zone unavailable, using UTC: %s", type(err).__name__)
        return None


def local_today(handler_input) -> date:
    from zoneinfo import ZoneInfo

    zone = time_zone(handler_input)
    return datetime.now(ZoneInfo(zone) if zone else UTC).date()
