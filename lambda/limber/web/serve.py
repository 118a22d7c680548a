"""Serving the web host: waitress with limits that keep slow or oversized requests from
starving Alexa's.

waitress reads requests on one asynchronous loop and hands only complete ones to its worker
threads, so a slow client costs a connection slot, not a thread. The limits:

* ``connection_limit`` well above the number of devices and slow clients expected (waitress's
  default of 100 is filled by 100 sockets sending headers a byte at a time; past the limit it
  stops accepting, and every Echo keeps a connection open);
* ``request_timeout``: a request's head and body must arrive within this many seconds of its
  first byte, else the connection is closed (waitress itself only closes connections that
  are silent for ``channel_timeout``, which a client sending a byte now and then never is);
* ``channel_timeout`` for idle keep-alive connections;
* ``max_body_bytes``: waitress answers 413 from the Content-Length alone, before reading the
  body (and stops a chunked body at the limit); Flask's MAX_CONTENT_LENGTH says the same;
* ``threads`` for the skill's work.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from limber.web.factory import MAX_BODY_BYTES

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServeSettings:
    listen: str = "127.0.0.1:8080"
    threads: int = 8
    connection_limit: int = 1000
    request_timeout: float = 10.0
    channel_timeout: int = 60
    max_body_bytes: int = MAX_BODY_BYTES
    max_header_bytes: int = 16 * 1024

    def describe(self) -> str:
        return (
            f"threads {self.threads}, connection limit {self.connection_limit}, request timeout "
            f"{self.request_timeout:g} s, idle timeout {self.channel_timeout} s, body limit "
            f"{self.max_body_bytes} bytes, header limit {self.max_header_bytes} bytes"
        )


class _TimedChannel(HTTPChannel):
    """Remembers when the request being read began (``None`` between requests)."""

    request_started: float | None = None

    def received(self, data: bytes) -> bool:
        before = self.request
        result = super().received(data)
        if self.request is None:
            self.request_started = None
        elif self.request is not before:
            self.request_started = time.time()
        return result


class LimberServer(TcpWSGIServer):
    """waitress's TCP server plus ``request_timeout`` (see the module docstring)."""

    channel_class = _TimedChannel

    def __init__(self, application, *, request_timeout: float, **kwargs) -> None:
        self.request_timeout = request_timeout
        self.shed_connections = 0
        super().__init__(application, **kwargs)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        cutoff = now - self.request_timeout
        shed = 0
        for channel in list(self.active_channels.values()):
            started = getattr(channel, "request_started", None)
            if started is not None and started < cutoff and not channel.requests and not channel.will_close:
                channel.will_close = True  # the loop closes it on its next pass
                shed += 1
        if shed:
            self.shed_connections += shed
            logger.warning(
                "closed %d connection(s) that took over %g s to send a request",
                shed,
                self.request_timeout,
            )


def build_server(app, settings: ServeSettings = ServeSettings()) -> LimberServer:
    """A bound, listening server (not yet running: call ``run()``)."""
    adjustments = Adjustments(
        listen=settings.listen,
        threads=settings.threads,
        connection_limit=settings.connection_limit,
        channel_timeout=settings.channel_timeout,
        cleanup_interval=1,  # how often request_timeout is checked
        # waitress refuses Content-Length >= its limit; Flask refuses > MAX_CONTENT_LENGTH.
        max_request_body_size=settings.max_body_bytes + 1,
        max_request_header_size=settings.max_header_bytes,
        ident="limber",
    )
    if len(adjustments.listen) != 1:
        raise ValueError(f"listen on exactly one address, not {settings.listen!r}")
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adjustments.threads)
    return LimberServer(
        app,
        map={},
        dispatcher=dispatcher,
        adj=adjustments,
        sockinfo=adjustments.listen[0],
        request_timeout=settings.request_timeout,
    )


def serve(app, settings: ServeSettings = ServeSettings()) -> None:
    server = build_server(app, settings)
    logger.info("waitress limits: %s", settings.describe())
    server.print_listen("Serving on http://{}:{}")
    server.run()
