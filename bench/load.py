"""Load on the web host: many simulated Alexa users, signed requests, progress in dynalite.

    .venv/bin/python bench/load.py [--users N] [--turns N] [--kill-storage]
        [--outage-seconds S] [--waitress-threads N] [--time-limit S] [--seed N] [--no-baseline]

Every user talks at once on 127.0.0.1 (one thread each, waiting for each answer as a device
does), every request signed like Alexa's and verified by the host; see tests/load_users.py for
the rig and why a Python driver rather than wrk. Prints throughput, p50/p99 latency and the
correctness checks: every turn HTTP 200, valid for Alexa, within 8 s and at the place the user's
own conversation predicts, and each user's stored place equal to where their conversation
ended (no lost or mixed-up progress). The baseline is the same load with the in-process memory
store, so the ratio is what real storage over HTTP costs. ``--kill-storage`` kills dynalite
once a fifth of the turns are done and restarts it ``--outage-seconds`` later.

The load driver and the host share one Python process and the machine's cores, so the figures
are a floor for what the host alone can do. Bounded: users x turns requests (plus at most 12
per user after a restart), and ``--time-limit`` seconds per run. Exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambda"), str(ROOT / "tests"), str(ROOT / "scripts")]
os.environ.setdefault("LIMBER_STORE", "memory")

from load_users import (  # noqa: E402 - after the path setup
    ALEXA_TURN_LIMIT,
    WAITRESS_CONNECTION_LIMIT,
    LoadResult,
    run_load,
)


def report(name: str, result: LoadResult) -> bool:
    print(f"--- {name}")
    print(result.summary())
    for problem in result.problems[:10]:
        print(f"  problem: {problem}")
    for mismatch in result.mismatches[:10]:
        print(f"  mismatch: {mismatch}")
    within_limit = max(result.latencies) < ALEXA_TURN_LIMIT
    ok = not result.problems and not result.mismatches and within_limit
    checked = len(result.users) - len(result.unverifiable)
    print(
        f"correct: {'yes' if ok else 'NO'} (every turn answered, valid, in time and in place; "
        f"{checked - len(result.mismatches)} of {checked} checked stored places match)"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--turns", type=int, default=30, help="turns per user")
    parser.add_argument(
        "--kill-storage", action="store_true", help="kill and restart dynalite mid-load"
    )
    parser.add_argument("--outage-seconds", type=float, default=3.0)
    parser.add_argument("--waitress-threads", type=int, default=8)
    parser.add_argument(
        "--connection-limit",
        type=int,
        default=WAITRESS_CONNECTION_LIMIT,
        help="waitress connection limit (default: waitress's own, as `waitress-serve` runs)",
    )
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per run, at most")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true", help="skip the memory-store run")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 500 or not 3 <= args.turns <= 500:
        parser.error("keep it bounded: 1-500 users, 3-500 turns each")
    logging.basicConfig(level=logging.ERROR)  # the outage's warnings are expected; count them

    common = {
        "seed": args.seed,
        "time_limit": args.time_limit,
        "waitress_threads": args.waitress_threads,
        "connection_limit": args.connection_limit,
    }
    print(
        f"{args.users} users x {args.turns} turns, waitress {args.waitress_threads} threads, "
        f"connection limit {args.connection_limit}"
    )
    if args.users > args.connection_limit - 5:
        print(
            "note: each user holds a keep-alive connection; past waitress's connection limit "
            "new ones wait for a free slot, so expect turns over 8 s"
        )
    ok = True
    baseline = None
    if not args.no_baseline:
        baseline = run_load(args.users, args.turns, storage="memory", **common)
        ok &= report("baseline: memory store", baseline)
    dynalite = run_load(args.users, args.turns, storage="dynalite", **common)
    ok &= report("dynalite (DynamoDB over HTTP)", dynalite)
    if baseline:
        print(
            f"ratio dynalite/memory: throughput {dynalite.throughput / baseline.throughput:.2f}, "
            f"p99 {dynalite.percentile(0.99) / baseline.percentile(0.99):.2f}"
        )
    if args.kill_storage:
        faulted = run_load(
            args.users,
            args.turns,
            storage="dynalite",
            kill_storage=True,
            outage_seconds=args.outage_seconds,
            **common,
        )
        ok &= report(f"dynalite killed for {args.outage_seconds:g} s mid-load", faulted)
        ok &= bool(faulted.during_outage()) and all(faulted.after_restart(u) for u in faulted.users)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
