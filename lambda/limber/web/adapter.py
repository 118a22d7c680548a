"""Flask adapter that verifies a request and hands it to an ASK SDK skill.

Same shape as flask-ask-sdk's ``SkillAdapter`` (``SkillAdapter(skill, skill_id, verifiers,
app)``, ``init_app``, ``register(app, route)``, ``dispatch_request()``) so swapping that package
back in is a one-line change once it imports on current OpenSSL again. Differences on purpose:
the verifier list is used exactly as given, every verification failure (even an unexpected
exception) is a 400 whose log line names the failed check, and a body that is not a JSON
request envelope is a 400, not a 500.

Order matters for cost: verifiers that need only the headers and the raw bytes (the signature,
``needs_envelope = False``) run before the body is decoded or parsed, so an unsigned or forged
request costs a header check, not a JSON parse and an SDK deserialisation. Then the body is
parsed with a depth bound (Alexa envelopes nest about ten levels) and the remaining verifiers
(timestamp, application id, anything from ask-sdk-webservice-support) see the envelope.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope
from flask import Flask, Response, jsonify
from flask import request as flask_request
from werkzeug import exceptions

from limber.web.verification import CHARACTER_ENCODING, AbstractVerifier, VerificationException

logger = logging.getLogger(__name__)

EXTENSION_NAME = "ASK_SDK_SKILL_ADAPTER"
# Alexa envelopes nest about ten levels; APL component trees in context can add a few dozen.
MAX_JSON_DEPTH = 64


class SkillAdapter:
    def __init__(
        self,
        skill: CustomSkill,
        skill_id: str | None,
        verifiers: Sequence[AbstractVerifier] | None = None,
        app: Flask | None = None,
    ) -> None:
        if not isinstance(skill, CustomSkill):
            raise TypeError("Invalid skill instance provided. Expected a custom skill instance.")
        self._skill = skill
        self._skill_id = skill_id
        self._verifiers = list(verifiers or [])
        # Verifiers from elsewhere (no attribute) are assumed to need the parsed envelope.
        self._raw_verifiers = [v for v in self._verifiers if not getattr(v, "needs_envelope", True)]
        self._envelope_verifiers = [v for v in self._verifiers if v not in self._raw_verifiers]
        self._flood_log = _FloodLog()
        if app is not None:
            self.init_app(app)

    @property
    def verifiers(self) -> list[AbstractVerifier]:
        return list(self._verifiers)

    def init_app(self, app: Flask) -> None:
        # Keyed by skill id like flask-ask-sdk, so one app can host several skills.
        app.extensions.setdefault(EXTENSION_NAME, {})[self._skill_id] = self

    def register(self, app: Flask, route: str, endpoint: str | None = None) -> None:
        if not isinstance(app, Flask):
            raise TypeError("Expected a valid Flask instance")
        if not isinstance(route, str):
            raise TypeError("Expected a valid URL rule string")
        app.add_url_rule(route, endpoint=endpoint, view_func=self.dispatch_request, methods=["POST"])

    def dispatch_request(self) -> Response:
        if flask_request.method != "POST":
            raise exceptions.MethodNotAllowed(valid_methods=["POST"])
        # Raises RequestEntityTooLarge (413) past MAX_CONTENT_LENGTH before reading the body.
        raw_body = flask_request.get_data(cache=False)
        headers = flask_request.headers
        try:
            for verifier in self._raw_verifiers:
                verifier.verify(
                    headers=headers, serialized_request_env=raw_body, deserialized_request_env=None
                )
            body_text, envelope = self._parse(raw_body)
            for verifier in self._envelope_verifiers:
                verifier.verify(
                    headers=headers,
                    serialized_request_env=body_text,
                    deserialized_request_env=envelope,
                )
        except VerificationException as error:
            return _reject(error.check, error.message, self._flood_log)
        except Exception as error:  # a broken verifier must still fail closed, with a reason
            logger.exception("verifier raised unexpectedly")
            return _reject("verifier_error", f"{type(error).__name__}: {error}", self._flood_log)
        try:
            response_envelope = self._skill.invoke(request_envelope=envelope, context=None)
            payload = self._skill.serializer.serialize(response_envelope)
        except Exception:
            # As on Lambda (limber.skill.entry): the device hears a recovery line, never a 500.
            logger.exception("skill raised while handling %s", _request_type(envelope))
            return jsonify(recovery_envelope())
        return jsonify(payload)

    def _parse(self, raw_body: bytes) -> tuple[str, RequestEnvelope]:
        try:
            body_text = raw_body.decode(CHARACTER_ENCODING)
        except UnicodeDecodeError:
            raise VerificationException("body", "request body is not UTF-8") from None
        document = load_json_bounded(body_text)
        request_part = document.get("request") if isinstance(document, dict) else None
        if not isinstance(request_part, dict) or not isinstance(request_part.get("type"), str):
            raise VerificationException("body", "request body is not an Alexa request envelope")
        try:
            envelope = self._skill.serializer.deserialize(payload=body_text, obj_type=RequestEnvelope)
        except Exception as error:
            raise VerificationException("body", f"request envelope does not deserialize: {error}") from None
        return body_text, envelope


def load_json_bounded(text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses documents nested deeper than ``max_depth``, with a
    :class:`VerificationException` (one log line) instead of a RecursionError traceback."""
    too_deep = VerificationException("body", f"request body nests deeper than {max_depth} levels")
    try:
        document = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except ValueError:
        raise VerificationException("body", "request body is not JSON") from None
    # Depth cannot exceed the number of opening brackets: the common case skips the walk.
    if text.count("{") + text.count("[") > max_depth and _depth_exceeds(document, max_depth):
        raise too_deep
    return document


def _depth_exceeds(document: Any, max_depth: int) -> bool:
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def recovery_envelope() -> dict:
    from limber.skill.entry import recovery_envelope as spoken_recovery

    return spoken_recovery()


_REJECTION_BODY = b'{"error":"request verification failed"}\n'
# Refusals that come in floods (every request of a certificate-URL flood past the fetch caps):
# one line, then a count, so a flood neither fills the log nor spends the host's time on it.
FLOOD_CHECKS = frozenset({"cert_busy", "cert_rate"})
FLOOD_LOG_SECONDS = 10.0


class _FloodLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._quiet_until: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def should_log(self, check: str) -> tuple[bool, int]:
        """(log this one?, how many like it were left out since the last line)."""
        now = time.monotonic()
        with self._lock:
            if now < self._quiet_until.get(check, 0.0):
                self._suppressed[check] = self._suppressed.get(check, 0) + 1
                return False, 0
            self._quiet_until[check] = now + FLOOD_LOG_SECONDS
            return True, self._suppressed.pop(check, 0)


def _reject(check: str, message: str, flood_log: _FloodLog) -> Response:
    if check not in FLOOD_CHECKS:
        logger.warning("Alexa request rejected [check=%s]: %s", check, message)
    else:
        log_it, left_out = flood_log.should_log(check)
        if log_it:
            more = f" ({left_out} more since the last such line)" if left_out else ""
            logger.warning(
                "Alexa request rejected [check=%s]: %s; further ones are counted for %g s%s",
                check,
                message,
                FLOOD_LOG_SECONDS,
                more,
            )
    return Response(_REJECTION_BODY, status=400, mimetype="application/json")


def _request_type(envelope: RequestEnvelope) -> str:
    return getattr(getattr(envelope, "request", None), "object_type", None) or "request"
