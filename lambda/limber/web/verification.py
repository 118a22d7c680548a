"""Verifiers for requests that claim to come from Alexa.

The interface mirrors ``ask_sdk_webservice_support.verifier.AbstractVerifier``
(``verify(headers, serialized_request_env, deserialized_request_env)``) so verifiers from that
package and these are interchangeable. The checks follow Alexa's "host a custom skill as a web
service" requirements: signed body, trusted signing certificate, fresh timestamp, and (ours) the
application id.
"""

from __future__ import annotations

import base64
import binascii
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ask_sdk_runtime.exceptions import AskSdkException
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

logger = logging.getLogger(__name__)

SIGNATURE_CERT_CHAIN_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
CHARACTER_ENCODING = "utf-8"
MAX_REQUEST_AGE = timedelta(seconds=150)
# Alexa delivers skill events (enable, disable, permission changes) up to an hour late.
MAX_SKILL_EVENT_AGE = timedelta(hours=1)
SKILL_EVENT_TYPES = frozenset(
    {
        "AlexaSkillEvent.SkillEnabled",
        "AlexaSkillEvent.SkillDisabled",
        "AlexaSkillEvent.SkillPermissionChanged",
        "AlexaSkillEvent.SkillPermissionAccepted",
        "AlexaSkillEvent.SkillAccountLinked",
    }
)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class VerificationException(AskSdkException):
    """A request failed a verification check; ``check`` names which one (for logs and tests)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message

    def __str__(self) -> str:
        return f"[{self.check}] {self.message}"


class AbstractVerifier(ABC):
    """One check applied to an incoming request before the skill runs.

    ``needs_envelope = False`` marks a check that reads only the headers and the raw body
    bytes; the adapter runs those before it parses anything (``deserialized_request_env`` is
    then ``None``).
    """

    needs_envelope: bool = True

    @abstractmethod
    def verify(
        self,
        headers: Mapping[str, str],
        serialized_request_env: str | bytes,
        deserialized_request_env: Any,
    ) -> None:
        """Return quietly if the request passes; raise :class:`VerificationException` if not."""


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works for dicts and Werkzeug's ``Headers``."""
    value = headers.get(name)  # Werkzeug's Headers already ignore case: the fast path
    if value is not None:
        return value
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


class RequestVerifier(AbstractVerifier):
    """Checks ``Signature-256``: RSA PKCS#1 v1.5 / SHA-256 over the raw body.

    The public key comes from ``certificates`` (a :class:`limber.web.certificates.CertificateCache`
    or anything with ``signing_key(url)``), which checks the URL rules, the chain, the dates and
    the SAN, and caches the result until the certificate expires. Needs no parsed envelope, so
    it runs before the body is parsed.
    """

    needs_envelope = False

    def __init__(self, certificates: Any) -> None:
        self._certificates = certificates

    def verify(
        self,
        headers: Mapping[str, str],
        serialized_request_env: str | bytes,
        deserialized_request_env: Any,
    ) -> None:
        cert_url = header_value(headers, SIGNATURE_CERT_CHAIN_URL_HEADER)
        signature_b64 = header_value(headers, SIGNATURE_HEADER)
        if not cert_url:
            raise VerificationException("headers", f"missing {SIGNATURE_CERT_CHAIN_URL_HEADER} header")
        if not signature_b64:
            raise VerificationException("headers", f"missing {SIGNATURE_HEADER} header")
        signature = decode_signature(signature_b64)
        public_key = self._certificates.signing_key(cert_url)
        body = (
            serialized_request_env.encode(CHARACTER_ENCODING)
            if isinstance(serialized_request_env, str)
            else serialized_request_env
        )
        try:
            public_key.verify(signature, body, PKCS1v15(), SHA256())
        except InvalidSignature:
            raise VerificationException(
                "signature", f"{SIGNATURE_HEADER} does not match the request body"
            ) from None


def decode_signature(signature_b64: str) -> bytes:
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise VerificationException(
            "signature_encoding", f"{SIGNATURE_HEADER} header is not valid base64"
        ) from None
    if not signature:
        raise VerificationException("signature_encoding", f"{SIGNATURE_HEADER} header is empty")
    return signature


class TimestampVerifier(AbstractVerifier):
    """Rejects requests whose ``request.timestamp`` is more than 150 s from now (either way)."""

    def __init__(self, tolerance: timedelta = MAX_REQUEST_AGE, clock: Clock = utc_now) -> None:
        if tolerance < timedelta(0):
            raise ValueError("tolerance must not be negative")
        # Alexa's rules cap the tolerance; a larger value would weaken replay protection.
        self._tolerance = min(tolerance, MAX_REQUEST_AGE)
        self._clock = clock

    def verify(
        self,
        headers: Mapping[str, str],
        serialized_request_env: str | bytes,
        deserialized_request_env: Any,
    ) -> None:
        request = getattr(deserialized_request_env, "request", None)
        timestamp = getattr(request, "timestamp", None)
        if not isinstance(timestamp, datetime):
            raise VerificationException("timestamp", "request has no timestamp")
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)
        drift = self._clock() - timestamp
        tolerance = self._tolerance
        if getattr(request, "object_type", None) in SKILL_EVENT_TYPES:
            tolerance = MAX_SKILL_EVENT_AGE
        if abs(drift) <= tolerance:
            return
        seconds = int(abs(drift.total_seconds()))
        when = "old" if drift > timedelta(0) else "in the future"
        raise VerificationException(
            "timestamp",
            f"request timestamp is {seconds} s {when} (limit {int(tolerance.total_seconds())} s)",
        )


class ApplicationIdVerifier(AbstractVerifier):
    """Rejects requests addressed to another skill (``LIMBER_SKILL_ID``)."""

    def __init__(self, skill_id: str) -> None:
        if not skill_id:
            raise ValueError("skill_id is required")
        self._skill_id = skill_id

    def verify(
        self,
        headers: Mapping[str, str],
        serialized_request_env: str | bytes,
        deserialized_request_env: Any,
    ) -> None:
        found = application_ids(deserialized_request_env)
        if not found:
            raise VerificationException("application_id", "request carries no application id")
        for application_id in found:
            if application_id != self._skill_id:
                raise VerificationException(
                    "application_id",
                    f"application id {application_id!r} is not this skill's id",
                )


def application_ids(envelope: Any) -> list[str]:
    """The application ids in ``context.System`` and ``session`` (whichever are present)."""
    system = getattr(getattr(envelope, "context", None), "system", None)
    session = getattr(envelope, "session", None)
    ids = []
    for holder in (system, session):
        application = getattr(holder, "application", None)
        application_id = getattr(application, "application_id", None)
        if application_id:
            ids.append(application_id)
    return ids
