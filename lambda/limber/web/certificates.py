"""The Alexa signing certificate: URL rules, fetching, chain validation and caching.

Chain validation uses ``cryptography``'s own X.509 path builder (``PolicyBuilder`` with a
server-certificate policy for ``echo-api.amazon.com``), so it needs neither oscrypto nor
certvalidator, which is what keeps flask-ask-sdk 1.0.0 from importing on OpenSSL >= 3.0.10.

The URL rules are those of ask-sdk-webservice-support's ``RequestVerifier`` (tests prove the
same decisions on a table of URLs), plus one stricter rule: a path with a percent-encoded dot,
slash or backslash is refused, because servers differ on whether ``%2e%2e`` and ``%2f`` are
path syntax. What is fetched is the canonical URL that was checked (``https://s3.amazonaws.com``
plus the normalised path), never the raw header value, and it is also the cache key, so
spelling variants of one URL share an entry.

Fetching must not let unsigned requests stall signed ones: every request may name a new,
well-formed URL. So there is no lock held across a fetch (one fetch per URL at a time, others
naming that URL wait for it, but only in the first second of it, and only a few once a key is
cached), a fetch has a hard deadline,
failures are remembered for minutes, and both the fetches running at once and the new URLs
fetched per minute are capped; past a cap the request is refused at once instead of queuing.
"""

from __future__ import annotations

import http.client
import logging
import posixpath
import re
import socket
import ssl
import threading
import time
import warnings
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlsplit

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
# S3 answers in well under a second; anything slower is refused rather than waited for.
FETCH_TIMEOUT_SECONDS = 2.0
# Amazon's published chains are 4-7 KiB; the cap bounds memory if a peer keeps streaming.
MAX_CHAIN_BYTES = 64 * 1024
MAX_CACHED_URLS = 16
# A failed URL is not fetched again for this long (S3 objects don't appear from nowhere).
FAILURE_TTL = timedelta(minutes=5)
MAX_FAILED_URLS = 1024
# Amazon rotates its signing certificate about once a year; these caps are far above that.
MAX_CONCURRENT_FETCHES = 2
NEW_URLS_PER_MINUTE = 10
# Requests naming a URL whose fetch is under way wait for it, but only within this long of the
# fetch's start (later ones are refused at once): so a slow fetch can hold threads for at most
# this long, however many requests name its URL. S3 usually answers in well under it.
FOLLOW_SECONDS = 1.0
# How many requests may wait for fetches at once. Waiting holds a server thread, so once a
# signing key is cached (Alexa's traffic is being answered) a new URL is most likely an attack,
# or Amazon's rare certificate change: few may wait. Before any key is cached (just started),
# a burst naming one URL is Alexa's first traffic: all of it may wait.
MAX_WAITERS_COLD = 64
MAX_WAITERS_WARM = 2
RATE_WINDOW = timedelta(minutes=1)
OS_CA_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
_ENCODED_DOT_OR_SLASH = re.compile(r"%(2e|2f|5c)", re.IGNORECASE)

FetchChain = Callable[[str], bytes]


def canonical_certificate_url(url: str) -> str:
    """Apply Alexa's rules for ``SignatureCertChainUrl`` and return the URL to fetch.

    The rules: scheme https, host s3.amazonaws.com, port 443 if given, and the normalised path
    under ``/echo.api/`` (case-sensitive), parsed as ask-sdk-webservice-support does
    (``urlparse``, ``os.path.normpath`` on the raw path). Stricter: no ``%2e``, ``%2f`` or
    ``%5c`` anywhere in the path. The result drops user info, port, parameters, query and
    fragment, which Amazon's URLs never have.
    """
    try:
        parts = urlparse(url)
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
    raw_path = urlsplit(url).path  # with any ;params, so nothing escapes the check below
    if _ENCODED_DOT_OR_SLASH.search(raw_path):
        raise VerificationException(
            "cert_url", f"certificate URL path {raw_path!r} has a percent-encoded dot or slash"
        )
    # normpath also drops a trailing "/", so the bare folder fails too.
    path = posixpath.normpath(parts.path) if parts.path else ""
    if not path.startswith(CERT_URL_PATH_PREFIX):
        raise VerificationException(
            "cert_url",
            f"certificate URL path {parts.path!r} (normalised {path!r}) "
            f"is not under {CERT_URL_PATH_PREFIX!r}",
        )
    return f"{CERT_URL_SCHEME}://{CERT_URL_HOST}{path}"


def validate_certificate_url(url: str) -> None:
    """Raise :class:`VerificationException` unless ``url`` passes the rules above."""
    canonical_certificate_url(url)


class CertificateFetchError(Exception):
    pass


def fetch_certificate_chain(
    url: str, timeout: float = FETCH_TIMEOUT_SECONDS, max_bytes: int = MAX_CHAIN_BYTES
) -> bytes:
    """GET the PEM chain: no redirects, a size cap, and ``timeout`` seconds for the whole
    exchange (a socket timeout alone would let a trickling answer run on for ever)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    elif parts.scheme == "http":  # loopback stand-ins in tests; the URL rules demand https
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    else:
        raise CertificateFetchError(f"cannot fetch a {parts.scheme!r} URL")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a recv() blocked in another thread
            except OSError:
                pass

    watchdog = threading.Timer(timeout, cut_off)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("GET", target, headers={"Accept": "*/*", "User-Agent": "limber-web"})
        response = connection.getresponse()
        if response.status != 200:
            raise CertificateFetchError(f"HTTP Error {response.status}: {response.reason}")
        data = response.read(max_bytes + 1)
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set():
            raise CertificateFetchError(f"no complete answer within {timeout:g} s") from None
        raise CertificateFetchError(f"{type(error).__name__}: {error}") from None
    finally:
        watchdog.cancel()
        connection.close()
    if expired.is_set():
        raise CertificateFetchError(f"no complete answer within {timeout:g} s")
    if len(data) > max_bytes:
        raise CertificateFetchError(f"certificate chain is larger than {max_bytes} bytes")
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


@dataclass(frozen=True)
class _Failure:
    check: str
    message: str
    until: datetime


@dataclass
class _Flight:
    """One fetch in progress; requests naming the same URL wait on ``done``."""

    done: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    key: RSAPublicKey | None = None
    error: VerificationException | None = None


@dataclass(frozen=True)
class FetchLimits:
    """Caps on certificate fetching; see the module docstring for why each exists."""

    max_concurrent: int = MAX_CONCURRENT_FETCHES
    max_waiters: int = MAX_WAITERS_COLD
    max_waiters_warm: int = MAX_WAITERS_WARM
    new_urls_per_minute: int = NEW_URLS_PER_MINUTE
    failure_ttl: timedelta = FAILURE_TTL
    follow_seconds: float = FOLLOW_SECONDS


class CertificateCache:
    """Signing keys by canonical certificate URL, each validated once and kept until its chain
    expires; failures are kept for ``limits.failure_ttl``.

    ``trust_roots`` defaults to the certifi/OS bundle (loaded on first use); ``fetch`` defaults to
    :func:`fetch_certificate_chain` and gets the canonical URL. Tests inject both; the URL rules
    and the limits always apply.
    """

    def __init__(
        self,
        trust_roots: Sequence[x509.Certificate] | None = None,
        fetch: FetchChain | None = None,
        clock: Clock = utc_now,
        max_entries: int = MAX_CACHED_URLS,
        limits: FetchLimits | None = None,
    ) -> None:
        self._store = Store(list(trust_roots)) if trust_roots is not None else None
        self._fetch = fetch or fetch_certificate_chain
        self._clock = clock
        self._max_entries = max_entries
        self.limits = limits or FetchLimits()
        # Guards the dictionaries below and nothing else: never held across a fetch or a
        # chain validation, so one slow URL cannot hold up requests naming another.
        self._lock = threading.Lock()
        self._entries: dict[str, _CachedKey] = {}
        self._failures: OrderedDict[str, _Failure] = OrderedDict()
        self._flights: dict[str, _Flight] = {}
        self._fetch_starts: deque[datetime] = deque()
        self._waiting = 0
        self._rate_warned_until: datetime | None = None

    @property
    def lock(self) -> threading.Lock:
        """The bookkeeping lock (exposed so tests can prove it is free during a fetch)."""
        return self._lock

    def signing_key(self, url: str) -> RSAPublicKey:
        canonical = canonical_certificate_url(url)
        with self._lock:
            now = self._clock()
            entry = self._entries.get(canonical)
            if entry is not None and now < entry.expires_at:
                return entry.key
            failure = self._failures.get(canonical)
            if failure is not None and now < failure.until:
                raise VerificationException(failure.check, f"{failure.message} (failed earlier)")
            flight = self._flights.get(canonical)
            leading = flight is None
            if leading:
                flight = self._start_flight(canonical, now)
            else:
                patience = flight.started + self.limits.follow_seconds - time.monotonic()
                if patience <= 0:
                    raise self._slow_fetch(canonical)
                warm = any(now < cached.expires_at for cached in self._entries.values())
                cap = self.limits.max_waiters_warm if warm else self.limits.max_waiters
                if self._waiting >= cap:
                    raise VerificationException(
                        "cert_busy", f"{self._waiting} requests are already waiting for certificate fetches"
                    )
                self._waiting += 1
        if leading:
            return self._lead(canonical, flight)
        try:
            return self._follow(canonical, flight, patience)
        finally:
            with self._lock:
                self._waiting -= 1

    def _start_flight(self, canonical: str, now: datetime) -> _Flight:
        """Called with the lock held: claim the fetch of ``canonical`` if the caps allow."""
        if len(self._flights) >= self.limits.max_concurrent:
            raise VerificationException(
                "cert_busy",
                f"{len(self._flights)} certificate fetches already running (limit "
                f"{self.limits.max_concurrent})",
            )
        while self._fetch_starts and self._fetch_starts[0] <= now - RATE_WINDOW:
            self._fetch_starts.popleft()
        if len(self._fetch_starts) >= self.limits.new_urls_per_minute:
            if self._rate_warned_until is None or now >= self._rate_warned_until:
                self._rate_warned_until = now + RATE_WINDOW
                logger.warning(
                    "certificate fetch budget spent: %d new certificate URLs in the last minute; "
                    "requests naming other new URLs are refused until it frees up",
                    len(self._fetch_starts),
                )
            raise VerificationException(
                "cert_rate",
                f"more than {self.limits.new_urls_per_minute} new certificate URLs in a minute",
            )
        self._fetch_starts.append(now)
        flight = _Flight()
        self._flights[canonical] = flight
        return flight

    def _lead(self, canonical: str, flight: _Flight) -> RSAPublicKey:
        try:
            chain = self._download(canonical)
            now = self._clock()
            entry = self._validate(chain, now)
        except VerificationException as error:
            flight.error = error
            with self._lock:
                self._remember_failure(canonical, error, self._clock())
            raise
        except Exception as error:  # a bug must not leave waiters hanging; not cached
            flight.error = VerificationException("cert_error", f"{type(error).__name__}: {error}")
            raise
        else:
            flight.key = entry.key
            with self._lock:
                self._remember(canonical, entry, now)
            logger.info(
                "validated Alexa signing certificate from %s until %s",
                canonical,
                entry.expires_at.isoformat(),
            )
            return entry.key
        finally:
            with self._lock:
                self._flights.pop(canonical, None)
            flight.done.set()

    def _follow(self, canonical: str, flight: _Flight, patience: float) -> RSAPublicKey:
        if not flight.done.wait(patience):
            raise self._slow_fetch(canonical)
        if flight.error is not None:
            raise VerificationException(flight.error.check, flight.error.message)
        if flight.key is None:  # cannot happen: a finished flight has a key or an error
            raise VerificationException("cert_error", f"the fetch of {canonical} left no key")
        return flight.key

    def _slow_fetch(self, canonical: str) -> VerificationException:
        return VerificationException(
            "cert_busy", f"the fetch of {canonical} has taken over {self.limits.follow_seconds:g} s"
        )

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
        self._failures.pop(url, None)

    def _remember_failure(self, url: str, error: VerificationException, now: datetime) -> None:
        self._failures.pop(url, None)
        self._failures[url] = _Failure(error.check, error.message, now + self.limits.failure_ttl)
        while self._failures and (
            len(self._failures) > MAX_FAILED_URLS or next(iter(self._failures.values())).until <= now
        ):
            self._failures.popitem(last=False)


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
