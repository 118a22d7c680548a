"""A local HTTPS stand-in for Alexa's Reminders API (and the settings API's time zone,
which a reminder is set in), at the ``apiEndpoint`` local envelopes carry.

It keeps reminders per access token the way the real service keeps them per skill and
person, and can be told to fail as the real one does: no permission (401), too many
reminders (403 MAX_REMINDERS_EXCEEDED), an outage (500) or a hang.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from https_stand_in import https_stand_in

TIME_ZONE_PATH = re.compile(r"^/v2/devices/([^/]+)/settings/System\.timeZone$")
ONE_REMINDER = re.compile(r"^/v1/alerts/reminders/([^/?]+)$")
ALL_REMINDERS = "/v1/alerts/reminders"


class RemindersApi:
    def __init__(self) -> None:
        self.time_zone = "Europe/London"
        self.reminders: dict[str, dict] = {}  # alertToken -> the request body as sent
        self.fail: tuple[int, str] | None = None  # (status, error code) for every reminders call
        self.hang_seconds = 0.0
        self.calls: list[tuple[str, str]] = []  # (method, path)
        self.url = ""


@contextmanager
def reminders_api(folder: Path, monkeypatch):
    state = RemindersApi()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body=None):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _reminders_call(self) -> bool:
            """True when the call was answered with a failure already."""
            state.calls.append((self.command, self.path))
            if state.hang_seconds:
                time.sleep(state.hang_seconds)
            if not self.headers.get("Authorization", "").startswith("Bearer "):
                self._send(401, {"code": "UNAUTHORIZED", "message": "no token"})
                return True
            if state.fail:
                status, code = state.fail
                self._send(status, {"code": code, "message": code.lower()})
                return True
            return False

        def do_GET(self):  # noqa: N802 - http.server's naming
            if TIME_ZONE_PATH.match(self.path):
                self._send(200, state.time_zone)
            elif self.path.split("?")[0] == ALL_REMINDERS:
                if self._reminders_call():
                    return
                alerts = [
                    {"alertToken": token, "status": "ON", "trigger": body.get("trigger"),
                     "alertInfo": body.get("alertInfo")}
                    for token, body in state.reminders.items()
                ]  # fmt: skip
                self._send(200, {"totalCount": str(len(alerts)), "alerts": alerts})
            else:
                self._send(404, {"code": "NOT_FOUND", "message": self.path})

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            if self.path != ALL_REMINDERS:
                self._send(404, {"code": "NOT_FOUND", "message": self.path})
                return
            if self._reminders_call():
                return
            token = str(uuid.uuid4())
            state.reminders[token] = body
            self._send(200, {"alertToken": token, "status": "ON", "version": "1"})

        def do_DELETE(self):  # noqa: N802
            found = ONE_REMINDER.match(self.path)
            if not found:
                self._send(404, {"code": "NOT_FOUND", "message": self.path})
                return
            if self._reminders_call():
                return
            if state.reminders.pop(found.group(1), None) is None:
                self._send(404, {"code": "NOT_FOUND", "message": found.group(1)})
                return
            self._send(200)

        def log_message(self, *args):
            pass

    with https_stand_in(folder, monkeypatch, Handler) as url:
        state.url = url
        yield state
