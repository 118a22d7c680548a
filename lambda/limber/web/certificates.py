"""The Alexa signing certificate: URL rules, fetching, chain validation and caching.

Chain validation uses ``cryptography``'s own X.509 path builder (``PolicyBuilder`` with a
server-certificate policy for ``echo-api.amazon.com``), so it needs neither oscrypto nor
certvalidator, which is what keeps flask-ask-sdk 1.0.0 from importing on OpenSSL >= 3.0.10.
"""

from __future__ import annotations

import logging
import posixpath
import re
import threading
import urllib.request
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.x509.verification import DNSName, PolicyBuilder, Store, VerificationError

from limber.web.verification import Clock, VerificationException, utc_now

logger = logging.getLogger(__name__)

CERT_URL_SCHEME = "https"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
CERT_URL_PORT = 443
SIGNING_DOMAIN = "echo-api.amazon.com"
FETCH_TIMEOUT_SECONDS = 5.0
# Amazon's published chains are 4-7 KiB; the cap bounds memory if a peer keeps streaming.
MAX_CHAIN_BYTES = 64 * 1024
MAX_CACHED_URLS = 16
OS_CA_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)

FetchChain = Callable[[str], bytes]


def validate_certificate_url(url: str) -> None:
    """Apply Alexa's rules for ``SignatureCertChainUrl``; raise on the first one broken."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise VerificationException("cert_url", f"certificate URL is malformed: {error}") from None
    if parts.scheme.lower() != CERT_URL_SCHEME:
        raise VerificationException(
            "cert_url", f"certificate URL scheme {parts.scheme!r} is not {CERT_URL_SCHEME!r}"
        )
    if (parts.hostname or "").lower() != CERT_URL_HOST:
        raise VerificationException(
            "cert_url", f"certificate URL host {parts.hostname!r} is not {CERT_URL_HOST!r}"
        )
    if port is not None and port != CERT_URL_PORT:
        raise VerificationException("cert_url", f"certificate URL port {port} is not {CERT_URL_PORT}")
    # Decode %2e%2e before normalising so an encoded "../" cannot step out of /echo.api/;
    # normpath also drops a trailing "/", so the bare folder fails too.
    path = posixpath.normpath(unquote(parts.path)) if parts.path else ""
    if not path.startswith(CERT_URL_PATH_PREFIX):
        raise VerificationException(
            "cert_url",
            f"certificate URL path {parts.path!r} (normalised {path!r}) "
            f"is not under {CERT_URL_PATH_PREFIX!r}",
        )


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError for the 3xx


_opener = urllib.request.build_opener(_RefuseRedirects)


def fetch_certificate_chain(
    url: str, timeout: float = FETCH_TIMEOUT_SECONDS, max_bytes: int = MAX_CHAIN_BYTES
) -> bytes:
    """GET the PEM chain with a short timeout and a size cap; no redirects."""
    with _opener.open(url, timeout=timeout) as response:
        data = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"certificate chain is larger than {max_bytes} bytes")
    return data


def load_trust_roots(bundle: str | Path | None = None) -> list[x509.Certificate]:
    """Root certificates from ``bundle``, else certifi's bundle, else the OS bundle."""
    path = Path(bundle) if bundle else _default_bundle_path()
    roots = []
    with warnings.catch_warnings():
        # Some long-lived roots have quirks (e.g. negative serials) that only earn a warning.
        warnings.simplefilter("ignore")
        for block in _PEM_BLOCK.findall(path.read_bytes()):
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                logger.debug("skipping an unparsable certificate in %s", path)
    if not roots:
        raise RuntimeError(f"no trusted root certificates found in {path}")
    return roots


def _default_bundle_path() -> Path:
    try:
        import certifi
    except ImportError:
        certifi = None
    if certifi is not None:
        return Path(certifi.where())
    for candidate in OS_CA_BUNDLES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise RuntimeError("no CA bundle found: install certifi or the OS ca-certificates package")


@dataclass(frozen=True)
class _CachedKey:
    key: RSAPublicKey
    expires_at: datetime


class CertificateCache:
    """Signing keys by certificate URL, each validated once and kept until its chain expires.

    ``trust_roots`` defaults to the certifi/OS bundle (loaded on first use); ``fetch`` defaults to
    :func:`fetch_certificate_chain`. Tests inject both; the URL rules always apply.
    """

    def __init__(
        self,
        trust_roots: Sequence[x509.Certificate] | None = None,
        fetch: FetchChain | None = None,
        clock: Clock = utc_now,
        max_entries: int = MAX_CACHED_URLS,
    ) -> None:
        self._store = Store(list(trust_roots)) if trust_roots is not None else None
        self._fetch = fetch or fetch_certificate_chain
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, _CachedKey] = {}
        # One lock for fetch + validate: a burst of first requests fetches the chain once.
        self._lock = threading.Lock()

    def signing_key(self, url: str) -> RSAPublicKey:
        validate_certificate_url(url)
        cached = self._fresh_entry(url)
        if cached is not None:
            return cached.key
        with self._lock:
            cached = self._fresh_entry(url)
            if cached is not None:
                return cached.key
            now = self._clock()
            chain = self._download(url)
            entry = self._validate(chain, now)
            self._remember(url, entry, now)
            logger.info(
                "validated Alexa signing certificate from %s until %s", url, entry.expires_at.isoformat()
            )
            return entry.key

    def _fresh_entry(self, url: str) -> _CachedKey | None:
        entry = self._entries.get(url)
        if entry is not None and self._clock() < entry.expires_at:
            return entry
        return None

    def _download(self, url: str) -> list[x509.Certificate]:
        try:
            pem = self._fetch(url)
        except Exception as error:  # any fetch failure is a rejection, never a crash
            raise VerificationException("cert_fetch", f"could not fetch certificate chain: {error}") from None
        try:
            chain = x509.load_pem_x509_certificates(pem)
        except ValueError as error:
            raise VerificationException(
                "cert_parse", f"certificate chain is not PEM certificates: {error}"
            ) from None
        return chain

    def _validate(self, chain: list[x509.Certificate], now: datetime) -> _CachedKey:
        leaf, intermediates = chain[0], chain[1:]
        if now < leaf.not_valid_before_utc:
            raise VerificationException(
                "cert_not_yet_valid",
                f"signing certificate is not valid before {leaf.not_valid_before_utc.isoformat()}",
            )
        if now > leaf.not_valid_after_utc:
            raise VerificationException(
                "cert_expired",
                f"signing certificate expired at {leaf.not_valid_after_utc.isoformat()}",
            )
        if SIGNING_DOMAIN not in _san_dns_names(leaf):
            raise VerificationException(
                "cert_san", f"signing certificate SAN does not include {SIGNING_DOMAIN}"
            )
        key_usage = _key_usage(leaf)
        if key_usage is not None and not key_usage.digital_signature:
            raise VerificationException("cert_key", "signing certificate key usage excludes digitalSignature")
        public_key = leaf.public_key()
        if not isinstance(public_key, RSAPublicKey):
            raise VerificationException("cert_key", "signing certificate key is not RSA")
        verifier = (
            PolicyBuilder()
            .store(self._trust_store())
            .time(now)
            .build_server_verifier(DNSName(SIGNING_DOMAIN))
        )
        try:
            verified_chain = verifier.verify(leaf, intermediates)
        except VerificationError as error:
            raise VerificationException("cert_chain", f"certificate chain is not trusted: {error}") from None
        expires_at = min(cert.not_valid_after_utc for cert in verified_chain)
        return _CachedKey(key=public_key, expires_at=expires_at)

    def _trust_store(self) -> Store:
        if self._store is None:
            self._store = Store(load_trust_roots())
        return self._store

    def _remember(self, url: str, entry: _CachedKey, now: datetime) -> None:
        self._entries = {u: e for u, e in self._entries.items() if e.expires_at > now}
        while len(self._entries) >= self._max_entries:
            soonest = min(self._entries, key=lambda u: self._entries[u].expires_at)
            del self._entries[soonest]
        self._entries[url] = entry


def _san_dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in san.get_values_for_type(x509.DNSName)]


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
