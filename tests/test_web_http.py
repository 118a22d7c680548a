"""The web host over real HTTP: waitress on 127.0.0.1, requests as the client.

Signed requests use a test PKI whose root only these tests trust; the signing chain is served
by a loopback HTTP server that stands in for S3 (the URL checks still see Amazon's URL).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.skill_builder import SkillBuilder

from alexa_test_certs import (
    HELLO_SPEECH,
    TEST_SKILL_ID,
    CertificateServer,
    alexa_request,
    encode,
    hello_skill,
    iso_timestamp,
    make_signing_pki,
    running_waitress,
    s3_url,
)
from limber.web import UNLIMITED_SERVER_WARNING, create_app
from limber.web.certificates import CertificateCache
from limber.web.factory import (
    MISSING_SKILL_ID_MESSAGE,
    NO_SKILL_ID_WARNING,
    VERIFY_OFF_WARNING,
    ConfigurationError,
)
from limber.web.verification import AbstractVerifier

pytestmark = pytest.mark.slow

TIMEOUT = 10


@pytest.fixture(scope="module")
def pki():
    return make_signing_pki()


@pytest.fixture(scope="module")
def cert_server(pki):
    chains = dict(pki.chains)
    chains["cache-probe"] = pki.chains["valid"]  # its own URL, so its hit count is untouched
    server = CertificateServer(chains)
    yield server
    server.close()


@pytest.fixture(scope="module")
def skill_calls():
    return Counter()


@pytest.fixture(scope="module")
def verified_host(pki, cert_server, skill_calls):
    certificates = CertificateCache(trust_roots=[pki.root], fetch=cert_server.fetch)
    app = create_app(
        skill=hello_skill(skill_calls),
        skill_id=TEST_SKILL_ID,
        verify=True,
        certificates=certificates,
    )
    with running_waitress(app) as base_url:
        yield base_url


def signed_post(base_url, pki, envelope=None, *, chain="valid", body=None, headers=None):
    body = body if body is not None else encode(envelope or alexa_request())
    sent_headers = {
        "Content-Type": "application/json",
        "SignatureCertChainUrl": s3_url(chain),
        "Signature-256": pki.sign(body),
    }
    sent_headers.update(headers or {})
    sent_headers = {k: v for k, v in sent_headers.items() if v is not None}
    return requests.post(f"{base_url}/", data=body, headers=sent_headers, timeout=TIMEOUT)


def rejections(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def speech_of(response) -> str:
    return response.json()["response"]["outputSpeech"]["ssml"]


def test_valid_signed_request_is_answered(verified_host, pki, skill_calls, caplog):
    before = skill_calls["launch"]
    response = signed_post(verified_host, pki)
    assert response.status_code == 200
    assert HELLO_SPEECH in speech_of(response)
    assert skill_calls["launch"] == before + 1
    assert rejections(caplog) == []


def test_header_names_are_case_insensitive(verified_host, pki):
    body = encode(alexa_request())
    headers = {
        "signaturecertchainurl": s3_url("valid"),
        "SIGNATURE-256": pki.sign(body),
    }
    response = requests.post(f"{verified_host}/", data=body, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 200


def _url_case(url):
    return {"headers": {"SignatureCertChainUrl": url}}


def _tampered_body(pki):
    body = encode(alexa_request())
    signature = pki.sign(body)
    tampered = body.replace(b"LaunchRequest", b"SessionEndedRequest")
    return {"body": tampered, "headers": {"Signature-256": signature}}


def _aged(seconds):
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return {"envelope": alexa_request(timestamp=iso_timestamp(moment))}


REJECTIONS = {
    # id: (how to build the request, check named in the log, words in the log line)
    "http_scheme": (
        lambda pki: _url_case("http://s3.amazonaws.com/echo.api/valid.pem"),
        "cert_url",
        "scheme",
    ),
    "wrong_host": (
        lambda pki: _url_case("https://evil.example.com/echo.api/valid.pem"),
        "cert_url",
        "host",
    ),
    "wrong_path": (
        lambda pki: _url_case("https://s3.amazonaws.com/other.api/valid.pem"),
        "cert_url",
        "path",
    ),
    "wrong_port": (
        lambda pki: _url_case("https://s3.amazonaws.com:8443/echo.api/valid.pem"),
        "cert_url",
        "port 8443",
    ),
    "path_traversal": (
        lambda pki: _url_case("https://s3.amazonaws.com/echo.api/../other/valid.pem"),
        "cert_url",
        "path",
    ),
    "expired_certificate": (lambda pki: {"chain": "expired"}, "cert_expired", "expired at"),
    "certificate_not_yet_valid": (
        lambda pki: {"chain": "not_yet_valid"},
        "cert_not_yet_valid",
        "not valid before",
    ),
    "wrong_san": (lambda pki: {"chain": "wrong_san"}, "cert_san", "echo-api.amazon.com"),
    "untrusted_chain": (lambda pki: {"chain": "untrusted"}, "cert_chain", "not trusted"),
    "unknown_certificate_url": (lambda pki: {"chain": "missing"}, "cert_fetch", "404"),
    "tampered_body": (_tampered_body, "signature", "does not match"),
    "signed_by_another_key": (
        lambda pki: {"headers": {"Signature-256": pki.sign(b"{}", key=pki.rogue_key)}},
        "signature",
        "does not match",
    ),
    "missing_signature": (
        lambda pki: {"headers": {"Signature-256": None}},
        "headers",
        "missing Signature-256",
    ),
    "missing_certificate_url": (
        lambda pki: {"headers": {"SignatureCertChainUrl": None}},
        "headers",
        "missing SignatureCertChainUrl",
    ),
    "garbage_signature": (
        lambda pki: {"headers": {"Signature-256": "%%% not base64 %%%"}},
        "signature_encoding",
        "not valid base64",
    ),
    "stale_timestamp": (lambda pki: _aged(-200), "timestamp", "s old"),
    "future_timestamp": (lambda pki: _aged(+200), "timestamp", "in the future"),
    "wrong_application_id": (
        lambda pki: {"envelope": alexa_request(application_id="amzn1.ask.skill.someone-else")},
        "application_id",
        "someone-else",
    ),
    "not_json": (lambda pki: {"body": b"this is not json"}, "body", "not JSON"),
    "json_but_not_an_envelope": (
        lambda pki: {"body": b'{"hello": "world"}'},
        "body",
        "not an Alexa request envelope",
    ),
    "not_utf8": (lambda pki: {"body": b'{"request": "\xff"}'}, "body", "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_forged_or_malformed_request_is_rejected_with_its_reason(
    case, verified_host, pki, skill_calls, caplog
):
    build, check, words = REJECTIONS[case]
    before = skill_calls["launch"]
    response = signed_post(verified_host, pki, **build(pki))
    assert response.status_code == 400
    assert response.json() == {"error": "request verification failed"}
    logged = rejections(caplog)
    assert len(logged) == 1, logged
    assert f"[check={check}]" in logged[0]
    assert words in logged[0]
    assert skill_calls["launch"] == before  # the skill never ran


def test_oversize_body_is_refused_with_413(verified_host, pki, skill_calls, caplog):
    envelope = alexa_request()
    envelope["padding"] = "x" * (200 * 1024)
    before = skill_calls["launch"]
    response = signed_post(verified_host, pki, envelope)
    assert response.status_code == 413
    assert any("HTTP 413" in m and "exceeds 131072 bytes" in m for m in rejections(caplog))
    assert skill_calls["launch"] == before


def test_wrong_method_is_refused_with_405(verified_host, caplog):
    response = requests.get(f"{verified_host}/", timeout=TIMEOUT)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert any("HTTP 405 for GET /" in m for m in rejections(caplog))


def test_health_answers_get(verified_host):
    response = requests.get(f"{verified_host}/health", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_certificate_is_fetched_once_for_many_requests(verified_host, pki, cert_server):
    assert cert_server.hits["cache-probe"] == 0
    for _ in range(8):
        response = signed_post(verified_host, pki, chain="cache-probe")
        assert response.status_code == 200
    assert cert_server.hits["cache-probe"] == 1


def test_verify_off_accepts_unsigned_requests_and_warns_at_start(monkeypatch, caplog):
    monkeypatch.setenv("LIMBER_VERIFY", "0")
    monkeypatch.delenv("LIMBER_SKILL_ID", raising=False)
    with caplog.at_level(logging.WARNING, logger="limber.web"):
        app = create_app(skill=hello_skill())
    assert VERIFY_OFF_WARNING in [r.getMessage() for r in caplog.records]
    envelope = alexa_request(timestamp="2001-01-01T00:00:00Z", application_id="any")
    with running_waitress(app) as base_url:
        response = requests.post(f"{base_url}/", data=encode(envelope), timeout=TIMEOUT)
    assert response.status_code == 200
    assert HELLO_SPEECH in speech_of(response)


def test_verify_off_without_a_skill_id_warns_that_any_skill_is_answered(caplog):
    with caplog.at_level(logging.WARNING, logger="limber.web"):
        create_app(skill=hello_skill(), skill_id=None, verify=False)
    assert NO_SKILL_ID_WARNING in rejections(caplog)


def test_verification_on_without_a_skill_id_refuses_to_build(monkeypatch):
    monkeypatch.delenv("LIMBER_VERIFY", raising=False)
    monkeypatch.delenv("LIMBER_SKILL_ID", raising=False)
    with pytest.raises(ConfigurationError) as caught:
        create_app(skill=hello_skill())
    assert str(caught.value) == MISSING_SKILL_ID_MESSAGE
    assert "LIMBER_SKILL_ID" in MISSING_SKILL_ID_MESSAGE


def test_verify_on_is_the_default(monkeypatch, caplog):
    monkeypatch.delenv("LIMBER_VERIFY", raising=False)
    app = create_app(skill=hello_skill(), skill_id=TEST_SKILL_ID)
    assert VERIFY_OFF_WARNING not in [r.getMessage() for r in caplog.records]
    with running_waitress(app) as base_url:
        response = requests.post(f"{base_url}/", data=encode(alexa_request()), timeout=TIMEOUT)
    assert response.status_code == 400
    assert any("missing SignatureCertChainUrl" in m for m in rejections(caplog))


class _Explodes(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return True

    def handle(self, handler_input):
        raise RuntimeError("secret internal detail")


class _SaySorry(AbstractExceptionHandler):
    def can_handle(self, handler_input, exception):
        return True

    def handle(self, handler_input, exception):
        return handler_input.response_builder.speak("Sorry, something went wrong.").response


def _exploding_skill(with_exception_handler: bool):
    builder = SkillBuilder()
    builder.add_request_handler(_Explodes())
    if with_exception_handler:
        builder.add_exception_handler(_SaySorry())
    return builder.create()


def test_skill_exception_handler_answer_is_returned(caplog):
    app = create_app(skill=_exploding_skill(True), skill_id=None, verify=False)
    with running_waitress(app) as base_url:
        response = requests.post(f"{base_url}/", data=encode(alexa_request()), timeout=TIMEOUT)
    assert response.status_code == 200
    assert "Sorry, something went wrong." in speech_of(response)


def test_unhandled_skill_error_is_a_spoken_recovery_not_a_500(caplog):
    app = create_app(skill=_exploding_skill(False), skill_id=None, verify=False)
    with running_waitress(app) as base_url:
        response = requests.post(f"{base_url}/", data=encode(alexa_request()), timeout=TIMEOUT)
    assert response.status_code == 200
    assert "Sorry" in speech_of(response)
    assert response.json()["response"]["shouldEndSession"] is False
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert any("skill raised while handling LaunchRequest" in m for m in rejections(caplog))


class _BrokenVerifier(AbstractVerifier):
    def verify(self, headers, serialized_request_env, deserialized_request_env):
        raise KeyError("bug in a verifier")


def test_verifier_that_crashes_still_fails_closed(caplog):
    calls = Counter()
    app = create_app(skill=hello_skill(calls), verifiers=[_BrokenVerifier()], verify=True)
    with running_waitress(app) as base_url:
        response = requests.post(f"{base_url}/", data=encode(alexa_request()), timeout=TIMEOUT)
    assert response.status_code == 400
    assert any("[check=verifier_error]" in m and "bug in a verifier" in m for m in rejections(caplog))
    assert calls["launch"] == 0


def _real_skill_available() -> bool:
    try:
        from limber.skill.builder import build_skill  # noqa: F401
    except ImportError:
        return False
    return True


real_skill = pytest.mark.skipif(not _real_skill_available(), reason="limber.skill.builder is not there yet")


@real_skill
def test_real_skill_answers_a_signed_launch_request(pki, cert_server, monkeypatch):
    from limber.skill.builder import build_skill

    monkeypatch.setenv("LIMBER_STORE", "memory")
    certificates = CertificateCache(trust_roots=[pki.root], fetch=cert_server.fetch)
    app = create_app(
        skill=build_skill(skill_id=TEST_SKILL_ID),
        skill_id=TEST_SKILL_ID,
        verify=True,
        certificates=certificates,
    )
    with running_waitress(app) as base_url:
        response = signed_post(base_url, pki)
        forged = signed_post(base_url, pki, chain="untrusted")
    assert response.status_code == 200
    assert "Limber" in speech_of(response)
    assert response.json()["response"]["shouldEndSession"] is False
    assert forged.status_code == 400


def _serve_command(*options: str) -> list[str]:
    return [sys.executable, "-m", "limber.web", "--listen=127.0.0.1:0", *options]


def _server_env(**changes: str | None) -> dict[str, str]:
    env = {**os.environ, "LIMBER_STORE": "memory", "LIMBER_SKILL_ID": TEST_SKILL_ID}
    env.pop("LIMBER_VERIFY", None)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@real_skill
def test_readme_command_serves_limber(tmp_path):
    """`python -m limber.web` starts, warns about LIMBER_VERIFY=0, answers, and refuses a
    50 MiB body from its Content-Length alone."""
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            _serve_command("--threads=4"),
            env=_server_env(LIMBER_VERIFY="0"),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        base_url = _wait_for_listen_line(stderr_path, process)
        health = requests.get(f"{base_url}/health", timeout=TIMEOUT)
        assert health.status_code == 200
        response = requests.post(f"{base_url}/", data=encode(alexa_request()), timeout=TIMEOUT)
        assert response.status_code == 200
        assert "<speak>" in speech_of(response)
        # The 413 comes back although not one byte of the body was sent: nothing buffered.
        assert _announce_body(base_url, 50 * 1024 * 1024).startswith("HTTP/1.1 413")
    finally:
        process.terminate()
        process.wait(timeout=10)
    logged = stderr_path.read_text()
    assert VERIFY_OFF_WARNING in logged and UNLIMITED_SERVER_WARNING not in logged
    assert "connection limit 1000" in logged and "request timeout 10 s" in logged


def _announce_body(base_url: str, length: int) -> str:
    """Send only the head of a POST with a ``length``-byte body; return the status line."""
    host, port = base_url.removeprefix("http://").split(":")
    head = (
        f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as sock:
        sock.sendall(head.encode("ascii"))
        answer = sock.recv(4096).decode("latin-1")
    return answer.split("\r\n", 1)[0]


@real_skill
def test_waitress_serve_still_serves_limber_web_app_and_warns_about_its_limits(tmp_path):
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [_waitress_serve(), "--listen=127.0.0.1:0", "limber.web:app"],
            env=_server_env(LIMBER_VERIFY="0"),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        base_url = _wait_for_listen_line(stderr_path, process)
        response = requests.post(f"{base_url}/", data=encode(alexa_request()), timeout=TIMEOUT)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    logged = stderr_path.read_text()
    assert VERIFY_OFF_WARNING in logged and UNLIMITED_SERVER_WARNING in logged


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(lambda: _serve_command(), id="python-m"),
        pytest.param(
            lambda: [_waitress_serve(), "--listen=127.0.0.1:0", "limber.web:app"], id="waitress-serve"
        ),
    ],
)
def test_server_refuses_to_start_with_verification_on_and_no_skill_id(command):
    finished = subprocess.run(
        command(),
        env=_server_env(LIMBER_SKILL_ID=None),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    assert MISSING_SKILL_ID_MESSAGE in finished.stderr
    assert "Traceback" not in finished.stderr
    assert "Serving on" not in finished.stderr + finished.stdout


def _waitress_serve() -> str:
    return str(Path(sys.executable).with_name("waitress-serve"))


def _wait_for_listen_line(stderr_path: Path, process: subprocess.Popen) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"Serving on (http://127\.0\.0\.1:\d+)", stderr_path.read_text())
        if match:
            return match.group(1)
        if process.poll() is not None:
            pytest.fail(f"server exited: {stderr_path.read_text()}")
        time.sleep(0.1)
    pytest.fail("server did not start within 30 s")
