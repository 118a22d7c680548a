"""An HTTPS server on loopback for stand-ins of Alexa's service APIs (settings, reminders).

The skill's real service client calls it at the ``apiEndpoint`` the envelope carries; its
certificate is trusted (through REQUESTS_CA_BUNDLE) only inside the ``with`` block.
"""

from __future__ import annotations

import ssl
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from alexa_test_certs import localhost_tls_files


@contextmanager
def https_stand_in(folder: Path, monkeypatch, handler: type[BaseHTTPRequestHandler]):
    """Serve ``handler`` over HTTPS at a free port; yields its base URL."""
    ca_file, chain_file, key_file = localhost_tls_files(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    try:
        yield f"https://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
