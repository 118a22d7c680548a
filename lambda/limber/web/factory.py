"""Builds the Flask app that hosts Limber as an Alexa web service.

Serve it with ``python -m limber.web`` (waitress with Limber's limits, see limber.web.serve).
``POST /`` answers Alexa, ``GET /health`` answers load balancers. Environment:
``LIMBER_SKILL_ID`` (required while verification is on: without it a request Amazon signed for
any other skill would be answered), ``LIMBER_VERIFY=0`` (signature and timestamp checks off;
development only, warned about at every start).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

from ask_sdk_core.skill import CustomSkill
from flask import Flask, Response, jsonify
from flask import request as flask_request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from limber.web.adapter import SkillAdapter
from limber.web.certificates import CertificateCache
from limber.web.verification import (
    AbstractVerifier,
    ApplicationIdVerifier,
    RequestVerifier,
    TimestampVerifier,
)

logger = logging.getLogger(__name__)

SKILL_ID_ENV = "LIMBER_SKILL_ID"
VERIFY_ENV = "LIMBER_VERIFY"
# Alexa request envelopes are a few KiB; 128 KiB leaves room and caps parsing work.
MAX_BODY_BYTES = 128 * 1024
VERIFY_OFF_WARNING = (
    "LIMBER_VERIFY=0: Alexa request verification is OFF (no signature or timestamp checks). "
    "Anyone who can reach this host can drive the skill. Use it only for local development."
)
MISSING_SKILL_ID_MESSAGE = (
    "refusing to start: Alexa request verification is on but LIMBER_SKILL_ID is not set, so "
    "requests Amazon signed for any other skill would be answered. Set LIMBER_SKILL_ID to this "
    "skill's id (amzn1.ask.skill.…), or LIMBER_VERIFY=0 for local development only."
)
NO_SKILL_ID_WARNING = (
    "LIMBER_SKILL_ID is not set: requests for any skill id are answered (verification is off)."
)
_FROM_ENV = object()


class ConfigurationError(RuntimeError):
    """The web host's settings are unsafe or incomplete; the message says what to set."""


def verification_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """True unless ``LIMBER_VERIFY`` is 0/false/no/off; anything else keeps checks on."""
    return environ.get(VERIFY_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def default_verifiers(
    *, skill_id: str | None, verify: bool, certificates: CertificateCache | None = None
) -> list[AbstractVerifier]:
    """Signature + timestamp when ``verify``; the application id whenever ``skill_id`` is set."""
    verifiers: list[AbstractVerifier] = []
    if verify:
        verifiers.append(RequestVerifier(certificates or CertificateCache()))
        verifiers.append(TimestampVerifier())
    if skill_id:
        verifiers.append(ApplicationIdVerifier(skill_id))
    return verifiers


def create_app(
    skill: CustomSkill | None = None,
    verifiers: Sequence[AbstractVerifier] | None = None,
    *,
    skill_id: str | None | object = _FROM_ENV,
    verify: bool | None = None,
    certificates: CertificateCache | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Flask:
    """The web app. Defaults come from the environment; tests pass a skill and certificates.

    ``verifiers`` replaces the default list entirely (the caller then owns the checks);
    ``certificates`` only swaps where the signing certificate comes from and which roots it
    must chain to. Raises :class:`ConfigurationError` when verification is on, the default
    verifiers are used and there is no skill id.
    """
    if skill_id is _FROM_ENV:
        skill_id = os.environ.get(SKILL_ID_ENV) or None
    if verify is None:
        verify = verification_enabled()
    if verify and not skill_id and verifiers is None:
        raise ConfigurationError(MISSING_SKILL_ID_MESSAGE)
    if not verify:
        logger.warning(VERIFY_OFF_WARNING)
        if not skill_id:
            logger.warning(NO_SKILL_ID_WARNING)
    if skill is None:
        from limber.app import create_skill  # the skill composed with its LIMBER_STORE store

        skill = create_skill(skill_id=skill_id)
    if verifiers is None:
        verifiers = default_verifiers(skill_id=skill_id, verify=verify, certificates=certificates)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    adapter = SkillAdapter(skill=skill, skill_id=skill_id, verifiers=verifiers, app=app)
    adapter.register(app, "/")
    app.add_url_rule("/health", endpoint="health", view_func=_health, methods=["GET"])
    app.register_error_handler(HTTPException, _http_error)
    logger.info(
        "Limber web host ready: verification %s, skill id check %s",
        "on" if verify else "OFF",
        "on" if skill_id else "off",
    )
    return app


def _health() -> Response:
    return jsonify(status="ok")


def _http_error(error: HTTPException) -> Response:
    """JSON for HTTP errors (no HTML, no traceback), with the reason in the log."""
    if isinstance(error, RequestEntityTooLarge):
        reason = f"request body exceeds {flask_request.max_content_length} bytes"
    else:
        reason = error.description or error.name
    level = logging.INFO if error.code == 404 else logging.WARNING
    logger.log(
        level,
        "HTTP %s for %s %s: %s",
        error.code,
        flask_request.method,
        flask_request.path,
        reason,
    )
    response = error.get_response()
    response.set_data(jsonify(error=error.name).get_data())
    response.mimetype = "application/json"
    return response
