"""Per-turn latency and cold start of Limber against a hello-world ask-sdk-core skill.

    .venv/bin/python bench/turns.py [--rounds N]

Prints median microseconds per turn for a 20-turn routine conversation through
``lambda_handler`` and for the hello-world skill's LaunchRequest in the same process, with
the ratio (issue #15: <= 1.2x, and no slower than the samples-style skill); then cold start,
a fresh process importing the handler and answering a LaunchRequest, for both. That cold start
is the development tree's: with PYTHONDONTWRITEBYTECODE=1 every Limber module is compiled
from source at each start, while the SDK's come with bytecode. The deployed bundle's cold
start, with its build-time bytecode, content and dataclass methods, is bench/bundle.py's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambda"), str(ROOT / "bench")]
os.environ.setdefault("LIMBER_STORE", "memory")

from limber.console.envelopes import AlexaSession, envelope, intent_request  # noqa: E402

CONVERSATION = (
    [("LaunchRequest", {}), ("StartRoutineIntent", {"routine": "hip flexors"})]
    + [("AMAZON.NextIntent", {})] * 8
    + [
        ("AMAZON.RepeatIntent", {}),
        ("HowManyLeftIntent", {}),
        ("AMAZON.PreviousIntent", {}),
        ("SetHoldTimeIntent", {"seconds": "45"}),
        ("AMAZON.PauseIntent", {}),
        ("AMAZON.ResumeIntent", {}),
        ("AMAZON.HelpIntent", {}),
        ("SkipStretchIntent", {}),
        ("AMAZON.NextIntent", {}),
        ("AMAZON.StopIntent", {}),
    ]
)
assert len(CONVERSATION) == 20


def conversation_requests(handler) -> list[float]:
    """Time each of the 20 turns once; returns seconds per turn."""
    session = AlexaSession(handler)
    times = []
    for name, slots in CONVERSATION:
        request = {"type": name} if name == "LaunchRequest" else intent_request(name, "en-US", **slots)
        event = envelope(
            request,
            session_attributes=session.attributes,
            new=session.new,
            user_id=session.user_id,
            session_id=session.session_id,
        )
        start = time.perf_counter()
        response = handler(event, None)
        times.append(time.perf_counter() - start)
        session.attributes = response.get("sessionAttributes") or {}
        session.new = False
    return times


def hello_turns(handler, count: int) -> list[float]:
    event = envelope({"type": "LaunchRequest"})
    times = []
    for _ in range(count):
        start = time.perf_counter()
        handler(event, None)
        times.append(time.perf_counter() - start)
    return times


COLD = """
import json, sys, time
start = time.perf_counter()
sys.path[:0] = {paths!r}
from {module} import lambda_handler
lambda_handler(json.loads(sys.argv[1]), None)
print(time.perf_counter() - start)
"""


def cold_start(module: str, runs: int) -> float:
    code = COLD.format(paths=[str(ROOT / "lambda"), str(ROOT / "bench")], module=module)
    import json

    event = json.dumps(envelope({"type": "LaunchRequest"}))
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", code, event],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "LIMBER_STORE": "memory"},
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(samples)


def samples_skills() -> dict:
    """bench/samples_style.py loaded twice: with its logging interceptors, and without."""
    import importlib.util

    out = {}
    for name, logging_on in (("with logging", "1"), ("without logging", "0")):
        os.environ["LIMBER_BENCH_SAMPLES_LOGGING"] = logging_on
        spec = importlib.util.spec_from_file_location(
            f"samples_style_{logging_on}", ROOT / "bench" / "samples_style.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out[name] = module.lambda_handler
    os.environ.pop("LIMBER_BENCH_SAMPLES_LOGGING", None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--cold-runs", type=int, default=7)
    args = parser.parse_args()

    import hello_world
    import lambda_function

    samples = samples_skills()

    hello_turns(hello_world.lambda_handler, 50)  # warm both
    conversation_requests(lambda_function.lambda_handler)
    ours, hello, hello_same = [], [], []
    samples_same = {name: [] for name in samples}
    for _ in range(args.rounds):  # interleaved, so machine noise hits both alike
        ours += conversation_requests(lambda_function.lambda_handler)
        hello += hello_turns(hello_world.lambda_handler, 20)
        hello_same += conversation_requests(hello_world.lambda_handler)
        for name, handler in samples.items():
            samples_same[name] += conversation_requests(handler)
    ours_us, hello_us = statistics.median(ours) * 1e6, statistics.median(hello) * 1e6
    same_us = statistics.median(hello_same) * 1e6
    worst_us = max(ours) * 1e6
    print(f"per turn   limber {ours_us:8.0f} us (median of {len(ours)}; slowest {worst_us:.0f} us)")
    print(f"           hello  {hello_us:8.0f} us (median of {len(hello)})")
    print(f"           ratio  {ours_us / hello_us:8.2f}x   (target <= 1.2x)")
    # The SDK's own cost grows with the envelope (intents, slots, entity resolutions,
    # session attributes): hello world answering Limber's own 20 envelopes isolates ours.
    print(
        f"           hello on the same 20 envelopes {same_us:8.0f} us; "
        f"limber's own share {ours_us - same_us:.0f} us, ratio {ours_us / same_us:.2f}x"
    )
    for (
        name,
        times,
    ) in samples_same.items():  # a skill written as Amazon's samples are (bench/samples_style.py)
        sample_us = statistics.median(times) * 1e6
        ratio = ours_us / sample_us
        print(
            f"           samples-style {name:<15} {sample_us:8.0f} us; limber / it {ratio:.2f}x (target <=1x)"
        )

    cold_ours = cold_start("lambda_function", args.cold_runs)
    cold_hello = cold_start("hello_world", args.cold_runs)
    cold_samples = cold_start("samples_style", args.cold_runs)
    print(
        f"cold start limber {cold_ours * 1e3:8.1f} ms "
        f"(import + first LaunchRequest, median of {args.cold_runs}; development tree, compiling its "
        "sources: the bundle's is bench/bundle.py's)"
    )
    print(f"           hello  {cold_hello * 1e3:8.1f} ms")
    print(f"           ratio  {cold_ours / cold_hello:8.2f}x")
    print(
        f"           samples-style {cold_samples * 1e3:8.1f} ms; limber / it {cold_ours / cold_samples:.2f}x"
    )


if __name__ == "__main__":
    main()
