"""Alexa request envelopes as the service sends them, and a session that carries state.

Used by the local console and by the tests, so both drive ``lambda_handler`` exactly
the way Alexa does: session attributes from one response go into the next request.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

from limber.interaction_model import build_model, locales, resolve_value

LOCAL_SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-000000limber"
# Where local envelopes say Alexa's APIs are: loopback, where nothing answers, so the
# skill's settings lookup fails at once and falls back to UTC instead of reaching out.
LOCAL_API_ENDPOINT = "https://127.0.0.1:9"
_users = itertools.count(1)


def model_locale(locale: str) -> str:
    """The model a request in ``locale`` is understood with; en-US for locales we don't build
    (a request can still carry one, and the skill must answer it)."""
    return locale if locale in locales() else "en-US"


@lru_cache(maxsize=256)
def slot_types(locale: str, intent_name: str) -> dict[str, str]:
    """{slot name: type} of an intent (cached: building the model takes milliseconds)."""
    for intent in build_model(model_locale(locale))["interactionModel"]["languageModel"]["intents"]:
        if intent["name"] == intent_name:
            return {s["name"]: s["type"] for s in intent.get("slots", [])}
    return {}


def slot(locale: str, name: str, value, slot_type: str | None, skill_id: str = LOCAL_SKILL_ID) -> dict:
    """A slot as Alexa sends it, with entity resolution for custom types."""
    out = {"name": name, "confirmationStatus": "NONE"}
    if value is None:
        return out
    out["value"] = str(value)
    if slot_type and not slot_type.startswith("AMAZON."):
        match = resolve_value(model_locale(locale), slot_type, str(value))
        authority = {
            "authority": f"amzn1.er-authority.echo-sdk.{skill_id}.{slot_type}",
            "status": {"code": "ER_SUCCESS_MATCH" if match else "ER_SUCCESS_NO_MATCH"},
        }
        if match:
            authority["values"] = [{"value": {"id": match[0], "name": match[1]}}]
        out["resolutions"] = {"resolutionsPerAuthority": [authority]}
    return out


def intent_request(name: str, locale: str = "en-US", **slots) -> dict:
    types = slot_types(locale, name)
    built = {n: slot(locale, n, slots.get(n), types.get(n)) for n in {**types, **slots}}
    intent = {"name": name, "confirmationStatus": "NONE"}
    if built:
        intent["slots"] = built
    return {"type": "IntentRequest", "dialogState": "COMPLETED", "intent": intent}


def envelope(
    request: dict,
    *,
    session_attributes=None,
    new=True,
    user_id="amzn1.ask.account.LOCAL",
    session_id="amzn1.echo-api.session.local",
    locale="en-US",
    skill_id=LOCAL_SKILL_ID,
    interfaces=None,
    api_endpoint=LOCAL_API_ENDPOINT,
    timestamp=None,
) -> dict:
    request = {
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": (timestamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "locale": locale,
        **request,
    }
    application, user = {"applicationId": skill_id}, {"userId": user_id}
    device = {"deviceId": "amzn1.ask.device.LOCAL", "supportedInterfaces": interfaces or {}}
    return {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": session_id,
            "application": application,
            "attributes": session_attributes or {},
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": device,
                "apiEndpoint": api_endpoint,
                "apiAccessToken": "local-token",
            }
        },
        "request": request,
    }


def speech_text(response: dict) -> str:
    """The words of a response's output speech, markup removed."""
    ssml = ((response.get("response") or {}).get("outputSpeech") or {}).get("ssml", "")
    return " ".join(re.sub(r"<[^>]+>", " ", ssml).split())


class AlexaSession:
    """One person talking to the skill, one Alexa session after another."""

    def __init__(
        self,
        handler: Callable[[dict, object], dict],
        *,
        locale="en-US",
        user_id=None,
        interfaces=None,
        skill_id=LOCAL_SKILL_ID,
        check: Callable[[dict], dict] | None = None,
        api_endpoint: str = LOCAL_API_ENDPOINT,
    ):
        self.handler, self.locale, self.interfaces, self.skill_id = handler, locale, interfaces, skill_id
        self.api_endpoint = api_endpoint
        self.user_id = user_id or f"amzn1.ask.account.LOCAL{next(_users)}{uuid.uuid4().hex[:8]}"
        self.check = check or (lambda response: response)
        self.attributes: dict = {}
        self.last: dict | None = None
        self.clock: Callable[[], datetime] | None = None  # request timestamps; None: now
        self.new_session()

    def new_session(self) -> None:
        self.attributes, self.new = {}, True
        self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"

    @property
    def open(self) -> bool:
        return not self.new

    def send(self, request: dict) -> dict:
        event = envelope(
            request,
            session_attributes=self.attributes,
            new=self.new,
            user_id=self.user_id,
            session_id=self.session_id,
            locale=self.locale,
            skill_id=self.skill_id,
            interfaces=self.interfaces,
            api_endpoint=self.api_endpoint,
            timestamp=self.clock() if self.clock else None,
        )
        response = self.check(self.handler(event, None))
        self.last = response
        self.new = False
        self.attributes = response.get("sessionAttributes") or {}
        if (response.get("response") or {}).get("shouldEndSession") is not False:
            self.new_session()
        return response

    def launch(self) -> dict:
        self.new_session()
        return self.send({"type": "LaunchRequest"})

    def intent(self, name: str, **slots) -> dict:
        return self.send(intent_request(name, self.locale, **slots))

    def end(self, reason: str = "USER_INITIATED") -> dict:
        return self.send({"type": "SessionEndedRequest", "reason": reason})
