"""Storage cost per turn for each backend, against the in-memory store, in one run.

    .venv/bin/python bench/storage.py [--rounds N]

Runs the same scripted 20-turn session (bench/turns.py's conversation) through the real
skill on memory, SQLite (a temporary file) and DynamoDB (a moto server this script starts
on 127.0.0.1), and prints storage calls per session and per turn (target: at most one
read per session, writes only on turns that change saved state) and the median latency
per turn with its ratio to memory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambda"), str(ROOT / "bench"), str(ROOT / "tests"), str(ROOT / "scripts")]

from limber.console.envelopes import envelope, intent_request  # noqa: E402
from limber.skill.builder import build_skill  # noqa: E402
from limber.skill.entry import handle_event  # noqa: E402
from turns import CONVERSATION  # noqa: E402

# Turns of CONVERSATION that change saved state: the launch (each bench user is new, so it
# records that they heard the disclaimer), start, 8 x next, previous, hold, pause, resume,
# skip, next. Repeat, how-many-left, help and stop change nothing and must not write.
CHANGING_TURNS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 17, 18}


def run_session(skill, user: str) -> list[float]:
    attributes, new, times = {}, True, []
    for name, slots in CONVERSATION:
        request = {"type": name} if name == "LaunchRequest" else intent_request(name, "en-US", **slots)
        event = envelope(request, session_attributes=attributes, new=new, user_id=user,
                         session_id=f"session-{user}")
        start = time.perf_counter()
        response = handle_event(skill, event, None)
        times.append(time.perf_counter() - start)
        attributes, new = response.get("sessionAttributes") or {}, False
    return times


def measure(adapter, rounds: int) -> tuple[list[float], dict]:
    skill = build_skill(skill_id=None, persistence_adapter=adapter)
    run_session(skill, "amzn1.ask.account.WARMUP")
    adapter.counters.reset()
    times = []
    for i in range(rounds):
        times += run_session(skill, f"amzn1.ask.account.BENCH{i}")
    return times, adapter.counters.snapshot()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    from dynamo_server import FAKE_AWS_ENV, MotoServer
    from limber.storage.dynamodb import DynamoDbAdapter
    from limber.storage.memory import MemoryAdapter
    from limber.storage.sqlite import SqliteAdapter

    os.environ.update(FAKE_AWS_ENV)
    server = MotoServer()
    server.start()
    try:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = server.url
        import boto3

        import create_local_table

        create_local_table.create_table(boto3.client("dynamodb"), "limber-bench")
        with tempfile.TemporaryDirectory() as folder:
            backends = {
                "memory": MemoryAdapter(),
                "sqlite": SqliteAdapter(Path(folder) / "bench.sqlite3"),
                "dynamodb": DynamoDbAdapter("limber-bench"),
            }
            results = {name: measure(adapter, args.rounds) for name, adapter in backends.items()}
    finally:
        server.stop()

    turns = len(CONVERSATION) * args.rounds
    base = statistics.median(results["memory"][0])
    print(f"{args.rounds} sessions x {len(CONVERSATION)} turns per backend; "
          f"{len(CHANGING_TURNS)} of the 20 turns change saved state")
    print(f"{'backend':9} {'reads/session':>13} {'writes/session':>14} {'calls/turn':>10} "
          f"{'median/turn':>12} {'p95/turn':>10} {'vs memory':>9}")
    for name, (times, counts) in results.items():
        reads, writes = counts["reads"] / args.rounds, counts["writes"] / args.rounds
        calls = (counts["reads"] + counts["writes"] + counts["deletes"]) / turns
        median, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
        print(f"{name:9} {reads:13.2f} {writes:14.2f} {calls:10.2f} {median * 1e3:10.2f}ms "
              f"{p95 * 1e3:8.2f}ms {median / base:8.2f}x")
    print(f"target: <= 1 read per session; writes <= {len(CHANGING_TURNS)} (the turns that change "
          "saved state); none on help/repeat/read-only turns")


if __name__ == "__main__":
    main()
