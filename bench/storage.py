"""Storage cost per turn for each backend, against the in-memory store, in one run.

    .venv/bin/python bench/storage.py [--rounds N]

Runs the same scripted 20-turn session (bench/turns.py's conversation) through the real
skill on memory, SQLite (a temporary file) and DynamoDB (a moto server this script starts
on 127.0.0.1), and prints storage calls per session and per turn (target: at most one
read per session, writes only on turns that change saved state) and the median latency
per turn with its ratio to memory.

Then contention, as the audit measured it: six devices of one person finish a routine at
the same moment, ten times over (each round all six read the same version, then save).
Printed per backend: finishes stored of 60 (target: 60), saves that gave up (target: 0),
conflicts per save (mean and worst), backend calls per save, and the slowest save against
the 2 s turn deadline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
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


def contention(make_adapter, devices: int = 6, rounds: int = 10) -> dict:
    from limber.core import progress
    from limber.storage import StorageUnavailable

    key = uuid.uuid4().hex
    adapters = [make_adapter() for _ in range(devices)]
    barrier = threading.Barrier(devices, timeout=60)
    saves, lock = [], threading.Lock()
    failed = [0]

    def device(index: int) -> None:
        adapter = adapters[index]
        for _ in range(rounds):
            attributes = adapter.load(key)
            barrier.wait()
            attributes = progress.record_completion(attributes, "hips", date(2024, 5, 6))
            before, start = adapter.counters.snapshot(), time.perf_counter()
            try:
                adapter.save(key, attributes)
            except StorageUnavailable:
                with lock:
                    failed[0] += 1
            after = adapter.counters.snapshot()
            with lock:
                saves.append((time.perf_counter() - start, after["conflicts"] - before["conflicts"],
                              after["reads"] + after["writes"] - before["reads"] - before["writes"]))

    threads = [threading.Thread(target=device, args=(i,)) for i in range(devices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "stored": make_adapter().load(key)["routines_completed"],
        "failed": failed[0],
        "conflicts": statistics.mean(c for _, c, _ in saves),
        "worst": max(c for _, c, _ in saves),
        "calls": statistics.mean(n for _, _, n in saves),
        "slowest": max(t for t, _, _ in saves),
    }


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
            path = Path(folder) / "contention.sqlite3"
            makers = {
                "memory": lambda store={}: MemoryAdapter(store),
                "sqlite": lambda: SqliteAdapter(path),
                "dynamodb": lambda: DynamoDbAdapter("limber-bench"),
            }
            contended = {name: contention(make) for name, make in makers.items()}
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
    print()
    print("contention: 6 devices finish at once, 10 rounds (60 finishes)")
    print(f"{'backend':9} {'stored':>6} {'gave up':>7} {'conflicts/save':>14} {'worst':>5} "
          f"{'calls/save':>10} {'slowest save':>12}")
    for name, r in contended.items():
        print(f"{name:9} {r['stored']:>4}/60 {r['failed']:7} {r['conflicts']:14.2f} {r['worst']:5} "
              f"{r['calls']:10.2f} {r['slowest'] * 1e3:10.0f}ms")
    print("target: 60/60 stored, none gave up, slowest save within the 2 s turn deadline")


if __name__ == "__main__":
    main()
