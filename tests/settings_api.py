"""A local HTTPS stand-in for Alexa's settings API (the device time zone).

The request envelope carries ``apiEndpoint``; pointing it here makes the skill's real
service client call this server, so the time-zone path is tested over real HTTPS.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from alexa_test_certs import localhost_tls_files

TIME_ZONE_PATH = re.compile(r"^/v2/devices/([^/]+)/settings/System\.timeZone$")


class SettingsApi:
    def __init__(self) -> None:
        self.time_zone: str | None = "UTC"  # None: answer 500
        self.calls: list[tuple[str, str]] = []  # (path, authorization header)
        self.url = ""


@contextmanager
def settings_api(folder: Path, monkeypatch):
    """Run the server; trust its CA (for ``requests``) only inside the block."""
    ca_file, chain_file, key_file = localhost_tls_files(folder)
    state = SettingsApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            state.calls.append((self.path, self.headers.get("Authorization", "")))
            if not TIME_ZONE_PATH.match(self.path) or state.time_zone is None:
                self.send_response(500)
                self.end_headers()
                return
            body = json.dumps(state.time_zone).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    state.url = f"https://localhost:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
