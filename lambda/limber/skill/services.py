"""Alexa's service APIs (settings, reminders) at the request's ``apiEndpoint``.

The SDK's service client is built here on demand rather than in the skill builder: its
HTTP client pulls in ``requests``, which would cost every cold start ~100 ms for calls
only a few kinds of turn make. The SDK's client sets no timeout, so ours does: a hung
API must not hang the turn past Alexa's 8 s.
"""

from __future__ import annotations

import functools

SERVICE_TIMEOUT_SECONDS = 1.5


def api_client():
    """The SDK's HTTP client with a timeout on every call."""
    from ask_sdk_core.api_client import DefaultApiClient

    class TimedApiClient(DefaultApiClient):
        def _resolve_method(self, request):
            return functools.partial(super()._resolve_method(request), timeout=SERVICE_TIMEOUT_SECONDS)

    return TimedApiClient()


def service_factory(handler_input):
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model.services import ApiConfiguration, ServiceClientFactory

    system = handler_input.request_envelope.context.system
    configuration = ApiConfiguration(
        serializer=DefaultSerializer(),
        api_client=api_client(),
        authorization_value=system.api_access_token,
        api_endpoint=system.api_endpoint,
    )
    return ServiceClientFactory(api_configuration=configuration)
