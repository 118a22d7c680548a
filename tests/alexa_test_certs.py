"""Test support for the Alexa web host: a private PKI, a loopback certificate server, a waitress
runner, Alexa request bodies and a hello-world skill.

The PKI mimics Amazon's (root -> intermediate -> leaf for echo-api.amazon.com, RSA 2048,
SHA-256) plus broken variants. Its root is trusted only where a test passes it in.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.server
import json
import posixpath
import select
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from waitress import wasyncore
from waitress.server import create_server

from limber.web.certificates import fetch_certificate_chain
from limber.web.serve import ServeSettings, build_server

SIGNING_DOMAIN = "echo-api.amazon.com"
TEST_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-limbertest01"
S3_PREFIX = "https://s3.amazonaws.com/echo.api/"
HELLO_SPEECH = "Hello from the test skill."


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ca_cert(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    now: dt.datetime,
    path_length: int | None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _leaf_cert(
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    dns_name: str = SIGNING_DOMAIN,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(dns_name))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False)
        .sign(issuer_key, hashes.SHA256())
    )


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


@dataclass(frozen=True)
class AlexaSigningPKI:
    """Chains by name (leaf first, as Amazon serves them) and the keys that sign bodies."""

    root: x509.Certificate
    leaf: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    rogue_key: rsa.RSAPrivateKey
    chains: dict[str, bytes]

    def sign(self, body: bytes, key: rsa.RSAPrivateKey | None = None) -> str:
        signature = (key or self.leaf_key).sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")


def make_signing_pki(now: dt.datetime | None = None) -> AlexaSigningPKI:
    """Valid chain plus: expired, not_yet_valid, wrong_san, untrusted (another root)."""
    now = now or dt.datetime.now(dt.UTC)
    root_key, intermediate_key, leaf_key, rogue_key = (_new_key() for _ in range(4))
    root = _ca_cert("Limber Test Root CA", root_key, None, root_key, now, None)
    intermediate = _ca_cert("Limber Test Intermediate CA", intermediate_key, root, root_key, now, 0)
    day = dt.timedelta(days=1)
    leaf = _leaf_cert(leaf_key, intermediate, intermediate_key, now - day, now + 90 * day)
    expired = _leaf_cert(leaf_key, intermediate, intermediate_key, now - 30 * day, now - day)
    not_yet = _leaf_cert(leaf_key, intermediate, intermediate_key, now + day, now + 30 * day)
    wrong_san = _leaf_cert(
        leaf_key,
        intermediate,
        intermediate_key,
        now - day,
        now + 90 * day,
        dns_name="echo-api.example.com",
    )
    rogue_root = _ca_cert("Rogue Root CA", rogue_key, None, rogue_key, now, None)
    rogue_leaf = _leaf_cert(leaf_key, rogue_root, rogue_key, now - day, now + 90 * day)
    chains = {
        "valid": _pem(leaf, intermediate),
        "expired": _pem(expired, intermediate),
        "not_yet_valid": _pem(not_yet, intermediate),
        "wrong_san": _pem(wrong_san, intermediate),
        "untrusted": _pem(rogue_leaf, rogue_root),
    }
    return AlexaSigningPKI(root=root, leaf=leaf, leaf_key=leaf_key, rogue_key=rogue_key, chains=chains)


def s3_url(chain_name: str) -> str:
    """The Amazon-shaped URL a request names; :class:`CertificateServer` answers for it."""
    return f"{S3_PREFIX}{chain_name}.pem"


@dataclass
class CertificateServer:
    """Stands in for S3 over loopback HTTP: serves PEM chains at /echo.api/<name>.pem and
    counts the hits.

    Chains are sent after ``chain_delay`` seconds. Names it has no chain for get
    ``unknown_status`` after ``unknown_delay`` seconds (S3
    answers 403 for a missing key; the default 404 answers at once). Names starting with
    ``held-`` wait until :meth:`release` (at most ``HOLD_LIMIT`` seconds), then get the same.
    ``in_flight`` and ``peak`` count the GETs being answered at once (an answer the client
    gave up on still counts until it is sent); ``fetching`` and ``fetch_peak`` count the calls
    of :meth:`fetch` under way, as the certificate cache sees them.
    """

    chains: dict[str, bytes]
    unknown_status: int = 404
    unknown_delay: float = 0.0
    chain_delay: float = 0.0
    hits: Counter = field(default_factory=Counter)
    in_flight: int = 0
    peak: int = 0
    paths: list[str] = field(default_factory=list)
    fetching: int = 0
    fetch_peak: int = 0

    HOLD_LIMIT = 15.0

    def __post_init__(self) -> None:
        server = self
        self._count_lock = threading.Lock()
        self._released = threading.Event()
        self._closing = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server._enter(self.path)
                try:
                    self._answer()
                finally:
                    server._leave()

            def _answer(self) -> None:
                path = posixpath.normpath(urlsplit(self.path).path)
                name = posixpath.basename(path).removesuffix(".pem")
                body = server.chains.get(name)
                if body is None or not path.startswith("/echo.api/"):
                    if name.startswith("held-"):
                        server._released.wait(server.HOLD_LIMIT)
                    elif server.unknown_delay:
                        server._closing.wait(server.unknown_delay)
                    self.send_error(server.unknown_status)
                    return
                if server.chain_delay:
                    server._closing.wait(server.chain_delay)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-pem-file")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.handle_error = lambda request, address: None  # clients that gave up
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def _enter(self, path: str) -> None:
        name = posixpath.basename(urlsplit(path).path).removesuffix(".pem")
        with self._count_lock:
            self.hits[name] += 1
            self.paths.append(path)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def _leave(self) -> None:
        with self._count_lock:
            self.in_flight -= 1

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def fetch(self, url: str) -> bytes:
        """A fetcher for CertificateCache: same path, but from this loopback server."""
        with self._count_lock:
            self.fetching += 1
            self.fetch_peak = max(self.fetch_peak, self.fetching)
        try:
            return fetch_certificate_chain(self.base_url + urlsplit(url).path)
        finally:
            with self._count_lock:
                self.fetching -= 1

    def release(self) -> None:
        self._released.set()

    def wait_for_in_flight(self, count: int, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.in_flight >= count:
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        self._released.set()
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


@contextlib.contextmanager
def running_waitress(app, threads: int = 4, **options) -> Iterator[str]:
    """Serve ``app`` with plain waitress on a free loopback port; yield its base URL.
    ``options`` go to waitress (e.g. ``connection_limit``)."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads, **options)
    with _serving(server) as base_url:
        yield base_url


@contextlib.contextmanager
def running_limber(app, **settings) -> Iterator[str]:
    """Serve ``app`` the way ``python -m limber.web`` does (limber.web.serve), on a free
    loopback port; ``settings`` override :class:`ServeSettings` fields. Yields the base URL."""
    server = build_server(app, ServeSettings(listen="127.0.0.1:0", **settings))
    with _serving(server) as base_url:
        yield base_url


@contextlib.contextmanager
def _serving(server) -> Iterator[str]:
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        # Close sockets from the loop's own thread; closing them from here races its select().
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(5)


def iso_timestamp(moment: dt.datetime | None = None) -> str:
    moment = moment or dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def alexa_request(
    request_type: str = "LaunchRequest",
    application_id: str = TEST_SKILL_ID,
    timestamp: str | None = None,
    locale: str = "en-US",
    intent: str | None = None,
    new_session: bool = True,
) -> dict:
    """A minimal request envelope shaped like the ones Alexa sends."""
    request: dict = {
        "type": request_type,
        "requestId": "amzn1.echo-api.request.limber-test",
        "timestamp": timestamp or iso_timestamp(),
        "locale": locale,
    }
    if intent:
        request["intent"] = {"name": intent, "confirmationStatus": "NONE", "slots": {}}
    user = {"userId": "amzn1.ask.account.LIMBERTEST"}
    application = {"applicationId": application_id}
    return {
        "version": "1.0",
        "session": {
            "new": new_session,
            "sessionId": "amzn1.echo-api.session.limber-test",
            "application": application,
            "attributes": {},
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.LIMBERTEST", "supportedInterfaces": {}},
                "apiEndpoint": "https://127.0.0.1:9",
                "apiAccessToken": "test-token",
            }
        },
        "request": request,
    }


def encode(envelope: dict) -> bytes:
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")


class _HelloHandler(AbstractRequestHandler):
    def __init__(self, calls: Counter) -> None:
        self._calls = calls

    def can_handle(self, handler_input) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input):
        self._calls["launch"] += 1
        return handler_input.response_builder.speak(HELLO_SPEECH).response


def hello_skill(calls: Counter | None = None) -> CustomSkill:
    """Answers LaunchRequest with :data:`HELLO_SPEECH`; counts calls so tests see if it ran."""
    builder = SkillBuilder()
    builder.add_request_handler(_HelloHandler(calls if calls is not None else Counter()))
    return builder.create()


def localhost_tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """(CA bundle, certificate chain, key) for an HTTPS server at https://localhost, trusted
    only by clients that are given that CA bundle."""
    now = dt.datetime.now(dt.UTC)
    ca_key, leaf_key = _new_key(), _new_key()
    ca = _ca_cert("Limber Test Local CA", ca_key, None, ca_key, now, path_length=0)
    leaf = _leaf_cert(
        leaf_key, ca, ca_key, now - dt.timedelta(days=1), now + dt.timedelta(days=2), dns_name="localhost"
    )
    ca_file, chain_file, key_file = folder / "ca.pem", folder / "chain.pem", folder / "key.pem"
    ca_file.write_bytes(_pem(ca))
    chain_file.write_bytes(_pem(leaf, ca))
    key_file.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_file, chain_file, key_file


# --- attackers for the web host's tests and bench/flood.py (loopback only, bounded) ---


class SlowHeaderClients:
    """``count`` sockets that each send a request head one byte every ``interval`` seconds and
    never finish it (slowloris); with ``reconnect`` a socket the server closes is replaced.
    One thread drives them all; :meth:`stop` closes everything."""

    HEAD = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    FILLER = b"X-Slow: 1\r\n"

    def __init__(self, base_url: str, count: int, interval: float = 0.3, reconnect: bool = True) -> None:
        host, port = base_url.removeprefix("http://").rsplit(":", 1)
        self._address = (host, int(port))
        self._count = count
        self._interval = interval
        self._reconnect = reconnect
        self._stop = threading.Event()
        self._sockets: list[tuple[socket.socket, int] | None] = [None] * count
        self.opened = 0
        self.closed_by_server = 0
        self._thread = threading.Thread(target=self._drive, daemon=True)

    def __enter__(self) -> SlowHeaderClients:
        for index in range(self._count):
            self._open(index)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(10)
        for slot in self._sockets:
            if slot is not None:
                slot[0].close()

    def _open(self, index: int) -> None:
        try:
            sock = socket.create_connection(self._address, timeout=2)
        except OSError:
            self._sockets[index] = None
            return
        sock.setblocking(False)
        self._sockets[index] = (sock, 0)
        self.opened += 1

    def _drive(self) -> None:
        while not self._stop.wait(self._interval):
            live = [slot[0] for slot in self._sockets if slot is not None]
            readable, _, _ = select.select(live, [], [], 0) if live else ([], [], [])
            closed = set(readable)  # a slow request never gets an answer: readable means closed
            for index, slot in enumerate(self._sockets):
                if slot is None:
                    if self._reconnect:
                        self._open(index)
                    continue
                sock, sent = slot
                stream = self.HEAD + self.FILLER * 10_000
                try:
                    if sock in closed:
                        raise ConnectionResetError
                    sock.send(stream[sent : sent + 1])
                    self._sockets[index] = (sock, sent + 1)
                except BlockingIOError:
                    pass
                except OSError:
                    self.closed_by_server += 1
                    sock.close()
                    self._sockets[index] = None
                    if self._reconnect:
                        self._open(index)


def forged_headers(cert_url: str) -> dict[str, str]:
    """Headers naming ``cert_url`` with a well-formed (base64, 256-byte) but wrong signature."""
    return {
        "Content-Type": "application/json",
        "SignatureCertChainUrl": cert_url,
        "Signature-256": base64.b64encode(b"\x01" * 256).decode("ascii"),
    }


def flood_certificate_urls(
    base_url: str,
    stop: threading.Event,
    tally: Counter,
    per_second: float | None = None,
    body: bytes | None = None,
    url_every: float | None = None,
) -> None:
    """One attacker connection: until ``stop``, POST requests each naming a new, well-formed
    certificate URL (with ``url_every``, one new URL every that many seconds, shared by all
    attackers in the process); ``per_second`` paces it (None: as fast as answers come). Counts
    status codes (and "error" for failed connections) in ``tally``."""
    body = body or encode(alexa_request())
    session = requests.Session()
    interval = 1.0 / per_second if per_second else 0.0
    next_send = time.monotonic()
    while not stop.is_set():
        name = f"shared-{int(time.monotonic() / url_every)}" if url_every else uuid.uuid4().hex
        url = f"{S3_PREFIX}attack-{name}.pem"
        try:
            response = session.post(f"{base_url}/", data=body, headers=forged_headers(url), timeout=15)
            tally[response.status_code] += 1
        except requests.RequestException:
            tally["error"] += 1
            session = requests.Session()
        if interval:
            next_send += interval
            stop.wait(max(0.0, next_send - time.monotonic()))
