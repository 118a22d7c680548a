"""Real DynamoDB endpoints on loopback for tests: a moto server process, and a throttling proxy.

``MotoServer`` runs ``python -m moto.server`` on 127.0.0.1 on a free port as a subprocess and
waits until it answers. ``stop()`` kills it (a storage outage mid-session), ``restart()``
brings it back on the same port so clients configured with its URL keep working; moto
keeps its data in memory, so tables are gone after a restart.

``ThrottlingProxy`` sits between a client and moto: it answers the next N requests with the
400 + JSON error body that DynamoDB sends when throttling, and forwards everything else.

``HungServer`` is a store that accepts connections and never answers: it reads whatever
arrives and keeps every socket open until stopped.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 20.0

# What a client needs to talk to a local endpoint: dummy credentials and a region, and no
# shared config file that could point somewhere real.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=0.5)
    try:
        connection.request("GET", "/moto-api/")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


# ``python -m moto.server`` serves requests on many threads, and moto's DynamoDB backend has
# no locks: two conditional PutItems from the same version can both pass their check, which
# DynamoDB never allows for one item (the concurrency tests saw 58 of 60 finishes kept).
# One lock around the application gives moto DynamoDB's per-item atomicity (connections
# are still served on threads, kept alive); the rest is moto.server.main unchanged.
_MOTO_ONE_AT_A_TIME = """
import sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app,
)
app, lock = DomainDispatcherApplication(create_backend_app), threading.Lock()
def one_at_a_time(environ, start_response):
    with lock:
        return list(app(environ, start_response))
run_simple(sys.argv[1], int(sys.argv[2]), one_at_a_time, threaded=True, request_handler=MotoRequestHandler)
"""


class MotoServer:
    """moto's server mode, one request at a time (see above); keeps its data in memory, so
    a restart starts empty."""

    name = "moto server"

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-c", _MOTO_ONE_AT_A_TIME, HOST, str(self.port)]

    def start(self) -> None:
        env = {**os.environ, **FAKE_AWS_ENV, "MOTO_PORT": str(self.port)}
        self._process = subprocess.Popen(
            self.command(),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self._process.returncode}")
            if _answers(self.url):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on {self.url} within the timeout")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.kill()
        self._process.wait(timeout=10)
        self._process = None
        # Once it stopped answering, a client can only get "connection refused".
        deadline = time.monotonic() + 5
        while _answers(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"something still answers on {self.url} after moto stopped")
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


DYNALITE = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "dynalite"


class DynaliteServer(MotoServer):
    """dynalite (npm) with its data on disk: killed and restarted, it still has every item,
    as a real DynamoDB endpoint coming back after an outage would."""

    name = "dynalite"

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        super().__init__(port)
        self.data_dir = data_dir

    def command(self) -> list[str]:
        if not DYNALITE.exists():
            raise RuntimeError("dynalite is not installed: run `npm ci` (make test does)")
        return [str(DYNALITE), "--host", HOST, "--port", str(self.port), "--path", str(self.data_dir)]


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


THROTTLE_BODY = {
    "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
    "message": "The level of configured provisioned throughput for the table was exceeded.",
}


class ThrottlingProxy:
    """Forwards HTTP to ``upstream``; answers the next ``throttle_next`` requests with a
    DynamoDB throttling error instead. Counts what it did."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.throttle_next = 0
        self.throttled = 0
        self.forwarded = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy._take_throttle():
                    self._answer(400, json.dumps(THROTTLE_BODY).encode())
                    return
                status, payload = proxy._forward(self.command, self.path, self.headers, body)
                self._answer(status, payload)

            do_GET = do_POST

            def _answer(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{HOST}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _take_throttle(self) -> bool:
        with self._lock:
            if self.throttle_next > 0:
                self.throttle_next -= 1
                self.throttled += 1
                return True
            self.forwarded += 1
            return False

    def _forward(self, method: str, path: str, headers, body: bytes) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=5
        )
        try:
            skip = {"host", "content-length", "connection"}
            forwarded = {k: v for k, v in headers.items() if k.lower() not in skip}
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def __enter__(self) -> ThrottlingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class HungServer:
    """Listens on loopback, accepts every connection, reads requests, never answers."""

    def __init__(self) -> None:
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.2)
        self.url = f"http://{HOST}:{self._listener.getsockname()[1]}"
        self.accepted = 0
        self.received = 0  # bytes of requests swallowed
        self._stopping = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self._sockets.append(connection)
            threading.Thread(target=self._swallow, args=(connection,), daemon=True).start()

    def _swallow(self, connection: socket.socket) -> None:
        connection.settimeout(0.2)
        while not self._stopping.is_set():
            try:
                data = connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.received += len(data)

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._listener.close()
        self._thread.join(timeout=5)
        with self._lock:
            for connection in self._sockets:
                connection.close()
