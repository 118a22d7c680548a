"""A local HTTPS stand-in for Alexa's settings API (the device time zone).

The request envelope carries ``apiEndpoint``; pointing it here makes the skill's real
service client call this server, so the time-zone path is tested over real HTTPS.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from https_stand_in import https_stand_in

TIME_ZONE_PATH = re.compile(r"^/v2/devices/([^/]+)/settings/System\.timeZone$")


class SettingsApi:
    def __init__(self) -> None:
        self.time_zone: str | None = "UTC"  # None: answer 500
        self.calls: list[tuple[str, str]] = []  # (path, authorization header)
        self.url = ""


@contextmanager
def settings_api(folder: Path, monkeypatch):
    """Run the server; trust its CA (for ``requests``) only inside the block."""
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

    with https_stand_in(folder, monkeypatch, Handler) as url:
        state.url = url
        yield state
