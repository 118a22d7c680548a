"""Limber as a self-hosted Alexa web service (Flask + a production WSGI server).

``python -m limber.web`` serves it with waitress and Limber's limits (limber.web.serve).
``limber.web:app`` is the WSGI app for other servers; it is built on first access so importing
this package never builds the skill, and an unsafe configuration (verification on, no
``LIMBER_SKILL_ID``) stops the process with one clear line instead of serving.
``limber.web:create_app`` builds one with explicit parts (tests, other hosts).
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["app", "create_app"]

UNLIMITED_SERVER_WARNING = (
    "limber.web:app does not set the server's limits; `python -m limber.web` does. Under "
    "waitress-serve pass at least --connection-limit=1000 --max-request-body-size=131073 "
    "--channel-timeout=60 (see the README); it has no request timeout for slow clients."
)


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from limber.web.factory import create_app

        return create_app
    if name == "app":
        from limber.web.factory import ConfigurationError, create_app

        try:
            flask_app = create_app()
        except ConfigurationError as error:
            raise SystemExit(f"limber.web: {error}") from None
        logging.getLogger(__name__).warning(UNLIMITED_SERVER_WARNING)
        globals()["app"] = flask_app  # build once; later lookups skip __getattr__
        return flask_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
