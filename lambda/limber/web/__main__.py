"""``python -m limber.web``: serve Limber as an Alexa web service with waitress and Limber's
limits (see limber.web.serve). Settings come from the environment (LIMBER_SKILL_ID,
LIMBER_STORE, LIMBER_VERIFY) and the options below; ``--help`` lists them."""

from __future__ import annotations

import argparse
import logging
import sys

from limber.web.serve import ServeSettings, serve

DEFAULTS = ServeSettings()


def parse_settings(argv: list[str] | None = None) -> ServeSettings:
    parser = argparse.ArgumentParser(
        prog="python -m limber.web",
        description="Serve Limber as an Alexa web service (waitress with limits). Environment: "
        "LIMBER_SKILL_ID (required while verification is on), LIMBER_STORE, LIMBER_VERIFY=0 "
        "(development only).",
    )
    parser.add_argument("--listen", default=DEFAULTS.listen, help="HOST:PORT (default %(default)s)")
    parser.add_argument(
        "--threads", type=int, default=DEFAULTS.threads, help="worker threads (default %(default)s)"
    )
    parser.add_argument(
        "--connection-limit",
        type=int,
        default=DEFAULTS.connection_limit,
        help="open connections at most; past it new ones wait (default %(default)s)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=DEFAULTS.request_timeout,
        help="seconds a request may take to arrive (default %(default)s)",
    )
    parser.add_argument(
        "--channel-timeout",
        type=int,
        default=DEFAULTS.channel_timeout,
        help="seconds an idle connection is kept (default %(default)s)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULTS.max_body_bytes,
        help="larger bodies get 413 before they are read (default %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.threads < 1 or args.connection_limit < 1 or args.max_body_bytes < 1:
        parser.error("--threads, --connection-limit and --max-body-bytes must be at least 1")
    if args.request_timeout <= 0 or args.channel_timeout <= 0:
        parser.error("--request-timeout and --channel-timeout must be positive")
    return ServeSettings(
        listen=args.listen,
        threads=args.threads,
        connection_limit=args.connection_limit,
        request_timeout=args.request_timeout,
        channel_timeout=args.channel_timeout,
        max_body_bytes=args.max_body_bytes,
    )


def main(argv: list[str] | None = None) -> int:
    settings = parse_settings(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from limber.web.factory import ConfigurationError, create_app

    try:
        app = create_app(max_body_bytes=settings.max_body_bytes)
    except ConfigurationError as error:
        print(f"limber.web: {error}", file=sys.stderr)
        return 2
    serve(app, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
