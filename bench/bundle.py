"""The Lambda bundle `ask deploy` uploads, side by side with a hello-world skill and a skill
written the way Amazon's samples are: cold start, turns, peak memory, zip size; cost per session.

    python bench/bundle.py                  # build everything into a temporary folder, measure
    python bench/bundle.py --zip PATH       # measure an existing zip (e.g. build/lambda.zip)
    python bench/bundle.py --rounds 5 --mode lambda --no-dynamodb --no-sessions   # quicker

Run as root (the read-only mount needs it). A few minutes with the defaults (11 processes per
variant and mode; 1.5 minutes on a quiet machine, 6 on a busy one). Never run it in a loop:
the machine is shared, which is also why every figure is a median of alternating runs.

Everything runs on the Lambda runtime's Python version (3.12: scripts/build.py finds it, or
says how to get it), with nothing but the bundle on its path (python -S).

Variants, each built by scripts/build.py's own steps (same dependencies from
lambda/requirements.txt, bytecode compiled by 3.12 as unchecked-hash pycs, zipped the same way):

* ``limber``: the real bundle (LIMBER_STORE=memory), with its precompiled content and
  dataclass methods (scripts/build.py).
* ``limber, DynamoDB store``: the same bundle as deployed, LIMBER_STORE=dynamodb:TABLE, with
  boto3/botocore beside it as Lambda's runtime provides them (installed for 3.12, with
  bytecode, on a read-only mount too) and the table on a moto server on loopback. boto3's
  import and client are part of its init; its turns go over HTTP to moto, so its turn times
  measure moto, not Limber. The hello-world and samples-style bundles import no boto3.
* ``hello world``: bench/hello_world.py as lambda_function.py.
* ``samples style``: bench/samples_style.py, with its request/response logging interceptors;
  ``samples style, no logging``: the same with LIMBER_BENCH_SAMPLES_LOGGING=0.

Each run is one fresh process in the bundle on a read-only bind mount (``unshare --mount``
then ``mount --bind`` + ``mount -o remount,bind,ro``: Lambda's /var/task is read-only, and root
ignores file modes, so only a real read-only mount shows what a cold start compiles).
Measured per process:

* cold start = import of lambda_function (Lambda's init) + the first LaunchRequest; also each
  part alone, the process's CPU time up to then (the interpreter's start included), and the
  whole process's wall time (mounts, start, 20 warm rounds, exit);
* turns, warm: 20 rounds of a LaunchRequest for a new user, then StartRoutineIntent and
  AMAZON.NextIntent in that session (the same envelopes for every variant; Limber answers
  with steps, the others with their catch-all): median launch, median step;
* peak memory: VmHWM (the process's peak resident set, read from /proc/self/status);
* zip size of each bundle.

Two modes: ``bare`` (a bare interpreter) and ``lambda`` (as Lambda's Python runtime starts it:
awslambdaric's bootstrap has already imported json, logging, traceback, decimal,
concurrent.futures and more, and installed a root log handler, before it imports the handler;
the runner does the same, untimed, for every variant). The second is what a deployed function
pays; logging in particular costs Limber and the samples nothing there.

Size: the zipped bundle (boto3 and botocore excluded: the runtime provides them, and the
bytecode included), the unzipped size against Lambda's 250 MB limit, and the largest parts.

Sessions: the unpacked bundle (LIMBER_STORE=memory) coaches each routine from launch to
"stop", saying "next" through every step. Measured: handler time per turn, turns per session
and progress reads/writes per session. From those and the prices below, the cost of 1,000
sessions on Lambda (arm64, 256 MB) with DynamoDB on-demand.

Figures (2026-12-02, 2 shared cores, ``--rounds 21``; a ratio row is Limber's over the named one):

    As Lambda starts it (its bootstrap's imports first):
                                   cold start     launch       step   peak RSS        zip
    limber                           178.1 ms     584 us     885 us    26.0 MB    4.76 MB
    limber, DynamoDB store           520.0 ms   14857 us   12145 us    53.6 MB    4.76 MB
    hello world                      143.8 ms     440 us     520 us    19.9 MB    4.09 MB
    samples style                    143.1 ms    2233 us    2719 us    20.0 MB    4.09 MB
    samples, no logging              138.6 ms     436 us     524 us    19.9 MB    4.09 MB
    limber / hello world                1.24x      1.33x      1.70x      1.31x      1.16x
    limber / samples                    1.24x      0.26x      0.33x      1.30x      1.16x
    limber / samples, no logging        1.29x      1.34x      1.69x      1.31x      1.16x
    limber+DynamoDB / hello             3.62x     33.77x     23.38x      2.70x      1.16x
    limber+DynamoDB / samples           3.63x      6.65x      4.47x      2.68x      1.16x
    limber+DynamoDB / no logging        3.75x     34.08x     23.16x      2.69x      1.16x

    Bare interpreter:
                                   cold start     launch       step   peak RSS        zip
    limber                           201.9 ms     577 us     899 us    25.8 MB    4.76 MB
    limber, DynamoDB store           618.3 ms   14869 us   12535 us    53.6 MB    4.76 MB
    hello world                      154.8 ms     439 us     522 us    19.2 MB    4.09 MB
    samples style                    177.3 ms    2194 us    2854 us    19.7 MB    4.09 MB
    samples, no logging              169.9 ms     464 us     571 us    19.6 MB    4.09 MB
    limber / hello world                1.30x      1.32x      1.72x      1.34x      1.16x
    limber / samples                    1.14x      0.26x      0.32x      1.31x      1.16x
    limber / samples, no logging        1.19x      1.24x      1.58x      1.31x      1.16x
    limber+DynamoDB / hello             4.00x     33.88x     24.01x      2.79x      1.16x
    limber+DynamoDB / samples           3.49x      6.78x      4.39x      2.72x      1.16x
    limber+DynamoDB / no logging        3.64x     32.06x     21.96x      2.73x      1.16x

The shared machine moves these by about 0.1x between runs: an 11-round run just before gave
cold-start ratios to hello world of 1.20x (as Lambda starts it) and 1.06x (bare), against
1.24x and 1.30x here. So the bundle's cold start is at the 1.2x target, not safely under it:
1.06-1.30x hello world and 1.04-1.29x the samples-style skill, with or without its logging
(164-202 ms; it was 1.82x hello world before this work). What remains is Limber's own code:
about 60 modules that building the skill imports (every handler module, and with them most of
core/), and hashlib's OpenSSL for the storage digests, which the first turn needs anyway.
The DynamoDB row adds boto3's import (~300 ms here) and client (~200 ms) to init; the other
bundles import no boto3, and its turn times are moto's on loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # AWS Lambda quota for a zip deployment
SESSIONS_PER_ROUTINE = 3
COLD_STARTS = 5
READ_ONLY_ROUNDS = 11  # processes per variant and mode, alternating
WARM_ROUNDS = 20  # launch + start + next, in each process after its cold start
MAX_TURNS_PER_SESSION = 80

# Prices: AWS public price lists for us-east-1, as of 2025-11 (DynamoDB on-demand since the
# price cut of 2024-11-01). Free tiers left out.
LAMBDA_ARM_GB_SECOND = 0.0000133334
LAMBDA_PER_REQUEST = 0.20 / 1e6
DYNAMODB_PER_WRU = 0.625 / 1e6
DYNAMODB_PER_RRU = 0.125 / 1e6
# Estimation: Lambda gives one vCPU at 1,769 MB and a proportional share below it, so
# CPU-bound work at 256 MB takes about 6.9x as long as on one full core here (assumed
# comparable to a Graviton core). A DynamoDB call in the same region: about 10 ms.
MEMORY_MB = 256
CPU_SHARE = MEMORY_MB / 1769
DYNAMODB_CALL_MS = 10.0


def build_script():
    sys.path.insert(0, str(ROOT / "scripts"))
    import build

    return build


def runtime_python() -> str:
    build = build_script()
    return build.runtime_python(build.lambda_python_version())


# --- size -------------------------------------------------------------------------------------


def top_level_part(name: str) -> str:
    """'ask_sdk_model/...' -> 'ask_sdk_model'; dist-info folders count with their package."""
    head = name.split("/", 1)[0]
    return head.split("-", 1)[0] if head.endswith(".dist-info") else head.removesuffix(".py")


def measure_size(zip_path: Path) -> dict:
    with zipfile.ZipFile(zip_path) as archive:
        entries = archive.infolist()
    compressed = Counter()
    for entry in entries:
        compressed[top_level_part(entry.filename).lower()] += entry.compress_size
    return {
        "zipped": zip_path.stat().st_size,
        "unzipped": sum(entry.file_size for entry in entries),
        "files": len(entries),
        "parts": compressed.most_common(),
    }


def size_report(figures: dict) -> str:
    zipped, unzipped = figures["zipped"], figures["unzipped"]
    lines = [
        f"bundle zipped:   {zipped / 1e6:.3f} MB ({zipped} bytes), {figures['files']} files",
        f"bundle unzipped: {unzipped / 1e6:.3f} MB  ratio to Lambda's 250 MB limit "
        f"{unzipped / LAMBDA_UNZIPPED_LIMIT:.3f}",
        "largest parts (compressed):",
    ]
    lines += [f"  {name:<24} {size / 1e3:8.1f} kB" for name, size in figures["parts"][:8]]
    return "\n".join(lines)


# --- sessions ---------------------------------------------------------------------------------

# Runs inside the unpacked bundle (python -S: no site-packages, so nothing but the bundle).
SESSION_RUNNER = r"""
import json, sys, time
started = time.perf_counter()
import lambda_function
import_seconds = time.perf_counter() - started
from limber.core.content import default_library

SKILL = "amzn1.ask.skill.bench"
store = lambda_function.skill.persistence_adapter

def event(user, request, new):
    app, who = {"applicationId": SKILL}, {"userId": user}
    return {"version": "1.0",
            "session": {"new": new, "sessionId": "s-" + user, "application": app, "user": who},
            "context": {"System": {"application": app, "user": who, "apiEndpoint": "https://127.0.0.1:9",
                                   "device": {"deviceId": "d", "supportedInterfaces": {}}}},
            "request": {"requestId": "r", "locale": "en-US",
                        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        **request}}

def intent(name, slots=None):
    return {"type": "IntentRequest", "intent": {"name": name, "slots": slots or {}}}

def start(routine):
    value = {"value": {"name": routine.name.lower(), "id": routine.id}}
    resolution = {"authority": "bench", "status": {"code": "ER_SUCCESS_MATCH"}, "values": [value]}
    return intent("StartRoutineIntent", {"routine": {"name": "routine", "value": routine.name,
                  "resolutions": {"resolutionsPerAuthority": [resolution]}}})

def speech(response):
    return (response["response"].get("outputSpeech") or {}).get("ssml", "")

turn_ms, sessions = [], []
cold = event("amzn1.ask.account.bench-cold", {"type": "LaunchRequest"}, True)
began = time.perf_counter()
lambda_function.lambda_handler(cold, None)
first_turn_ms = (time.perf_counter() - began) * 1000
for routine in default_library().routines[: int(sys.argv[3])]:
    for repeat in range(int(sys.argv[1])):
        user = f"amzn1.ask.account.bench-{routine.id}-{repeat}"
        before = store.counters.snapshot()
        attributes, steps, turns = {}, 0, 0
        requests = [({"type": "LaunchRequest"}, True), (start(routine), False)]
        while turns < int(sys.argv[2]):
            request, new = requests.pop(0) if requests else (intent("AMAZON.NextIntent"), False)
            sent = event(user, request, new)
            sent["session"]["attributes"] = attributes
            began = time.perf_counter()
            response = lambda_function.lambda_handler(sent, None)
            turn_ms.append((time.perf_counter() - began) * 1000)
            turns += 1
            attributes = response.get("sessionAttributes") or {}
            if speech(response).startswith("<speak>Stretch "):
                steps += 1
            elif steps:  # the first answer after the last step: the routine is finished
                break
        stop = event(user, intent("AMAZON.StopIntent"), False)
        stop["session"]["attributes"] = attributes
        lambda_function.lambda_handler(stop, None)
        turns += 1
        after = store.counters.snapshot()
        item = max((len(text) for _, text in store.store.values()), default=0)
        sessions.append({"routine": routine.id, "turns": turns, "steps": steps,
                         "reads": after["reads"] - before["reads"],
                         "writes": after["writes"] - before["writes"], "item_bytes": item})
print(json.dumps({"import_seconds": import_seconds, "first_turn_ms": first_turn_ms,
                  "turn_ms": turn_ms, "sessions": sessions}))
"""


# --- side by side on a read-only folder: cold start, turns, memory ----------------------------

# The standard-library imports Lambda's Python runtime has made before it imports the handler
# (awslambdaric: bootstrap.py, lambda_runtime_client.py, lambda_runtime_marshaller.py), and the
# root log handler it installs (writing where CloudWatch would read). "As Lambda starts it"
# runs this first, untimed, in every variant alike.
LAMBDA_BOOTSTRAP = """
import importlib, json, logging, os, sys, time, traceback, decimal, math
from concurrent.futures import ThreadPoolExecutor
_sink = logging.StreamHandler(open(os.devnull, "w"))
_sink.setFormatter(logging.Formatter("[%(levelname)s]\\t%(asctime)s.%(msecs)03dZ\\t%(message)s\\n"))
logging.getLogger().addHandler(_sink)
"""

# Runs inside a bundle on a read-only mount; prints one JSON line of figures. sys.argv[1] is
# "lambda" to start as Lambda's runtime does (above), sys.argv[2] the warm rounds.
SIDE_BY_SIDE_RUNNER = r"""
import sys
if sys.argv[1] == "lambda":
    exec(sys.argv[3])
import json, time

def peak_rss_kb():
    # VmHWM: this process image's peak resident set. (ru_maxrss would keep the peak from before
    # the exec, i.e. the forking benchmark's own size.)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

started = time.perf_counter()
import lambda_function
imported = time.perf_counter()

def event(user, request, new, attributes=None):
    app, who = {"applicationId": "amzn1.ask.skill.bench"}, {"userId": user}
    return {"version": "1.0",
            "session": {"new": new, "sessionId": "s-" + user, "application": app, "user": who,
                        "attributes": attributes or {}},
            "context": {"System": {"application": app, "user": who, "apiEndpoint": "https://127.0.0.1:9",
                                   "device": {"deviceId": "d", "supportedInterfaces": {}}}},
            "request": {"requestId": "r", "locale": "en-US",
                        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **request}}

LAUNCH = {"type": "LaunchRequest"}
resolution = {"authority": "amzn1.er-authority.echo-sdk.amzn1.ask.skill.bench.RoutineName",
              "status": {"code": "ER_SUCCESS_MATCH"},
              "values": [{"value": {"name": "hip flexors", "id": "hip_flexors"}}]}
START = {"type": "IntentRequest", "dialogState": "COMPLETED",
         "intent": {"name": "StartRoutineIntent", "confirmationStatus": "NONE",
                    "slots": {"routine": {"name": "routine", "value": "hip flexors",
                                          "confirmationStatus": "NONE",
                                          "resolutions": {"resolutionsPerAuthority": [resolution]}}}}}
NEXT = {"type": "IntentRequest", "intent": {"name": "AMAZON.NextIntent", "confirmationStatus": "NONE"}}

def timed(user, request, new, attributes=None):
    began = time.perf_counter()
    response = lambda_function.lambda_handler(event(user, request, new, attributes), None)
    return (time.perf_counter() - began) * 1e6, response

first_us, response = timed("amzn1.ask.account.bench-cold", LAUNCH, True)
answered = time.perf_counter()
cpu_ms = time.process_time() * 1000  # the whole process so far, the interpreter's start included
assert response["response"]["outputSpeech"]["ssml"]
launch, step = [], []
for n in range(int(sys.argv[2])):
    user = f"amzn1.ask.account.bench-{n}"
    took, response = timed(user, LAUNCH, True)
    launch.append(took)
    took, response = timed(user, START, False, response.get("sessionAttributes"))
    step.append(took)
    took, response = timed(user, NEXT, False, response.get("sessionAttributes"))
    step.append(took)
spoken = response["response"].get("outputSpeech", {}).get("ssml", "")
launch.sort(), step.sort()
print(json.dumps({"import_ms": (imported - started) * 1000, "first_turn_ms": first_us / 1000,
                  "cold_ms": (answered - started) * 1000, "cpu_ms": cpu_ms,
                  "launch_us": launch[len(launch) // 2], "step_us": step[len(step) // 2],
                  "max_rss_mb": peak_rss_kb() / 1024,
                  "last_step": spoken[:60]}))
"""


@dataclass
class Variant:
    """One bundle measured side by side: its folder, extra environment, zip and extra
    read-only folders on its path (Lambda's runtime libraries)."""

    code_dir: Path
    env: dict = field(default_factory=dict)
    zip_path: Path | None = None
    runtime_libraries: Path | None = None


def build_like_limber(out_dir: Path, handler: Path, python: str) -> tuple[Path, Path]:
    """``handler`` as lambda_function.py with Limber's dependencies and bytecode, built by
    scripts/build.py's own steps, and zipped the same way."""
    build = build_script()
    code_dir = out_dir / "lambda"
    code_dir.mkdir(parents=True)
    (code_dir / "lambda_function.py").write_text(handler.read_text(encoding="utf-8"), encoding="utf-8")
    build.install_dependencies(code_dir, build.lambda_python_version())
    build.compile_bytecode(code_dir, python)
    return code_dir, build.zip_folder(code_dir, out_dir / "lambda.zip")


def lambda_runtime_libraries(out_dir: Path, python: str) -> Path:
    """boto3 and botocore as Lambda's Python runtime provides them beside the bundle: pure
    Python, with bytecode (the runtime's /var/runtime has its own)."""
    build = build_script()
    out_dir.mkdir(parents=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(out_dir), "--only-binary=:all:", "--platform", "any", "--implementation", "py",
        "--abi", "none", "--python-version", build.lambda_python_version(), "boto3",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True)
    for name in ("bin", "dateutil", "urllib3", "six.py"):  # the bundle's own copies come first anyway
        shutil.rmtree(out_dir / name, ignore_errors=True)
    build.compile_bytecode(out_dir, python)
    return out_dir


def run_read_only(variant: Variant, python: str, as_lambda: bool, rounds: int) -> dict:
    """One fresh process in the bundle, bind-mounted read-only in a private mount namespace
    (root ignores file modes, so a read-only mount is the only honest read-only folder; the
    mounts go away with the process)."""
    folders = [variant.code_dir] + ([variant.runtime_libraries] if variant.runtime_libraries else [])
    script = (
        "n=$1; shift; i=0; while [ $i -lt $n ]; do d=$1; shift; i=$((i+1)); "
        'mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" "$d" || exit 4; '
        'touch "$d/.probe" 2>/dev/null && { echo "mount is writable" >&2; exit 3; }; done; '
        'cd "$1"; shift; exec "$@"'
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(map(str, folders)),
           "LIMBER_STORE": "memory", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONWARNINGS": "ignore::SyntaxWarning", **variant.env}  # fmt: skip
    mode = "lambda" if as_lambda else "bare"
    command = ["unshare", "--mount", "sh", "-c", script, "sh", str(len(folders)), *map(str, folders),
               str(variant.code_dir), python, "-S", "-c", SIDE_BY_SIDE_RUNNER, mode, str(rounds),
               LAMBDA_BOOTSTRAP]  # fmt: skip
    began = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    wall_ms = (time.perf_counter() - began) * 1000
    if result.returncode != 0:
        raise RuntimeError(
            "a run on a read-only bind mount needs root and unshare(1) (util-linux), and the "
            f"bundle must answer:\n{result.stderr}"
        )
    return {**json.loads(result.stdout.splitlines()[-1]), "process_ms": wall_ms}


NUMERIC = (
    "import_ms",
    "first_turn_ms",
    "cold_ms",
    "cpu_ms",
    "process_ms",
    "launch_us",
    "step_us",
    "max_rss_mb",
)


def side_by_side(variants: dict[str, Variant], python: str, as_lambda: bool, rounds: int) -> dict[str, dict]:
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for _ in range(rounds):  # alternate, so the shared machine's load hits all alike
        for name, variant in variants.items():
            runs[name].append(run_read_only(variant, python, as_lambda, WARM_ROUNDS))
    medians = {}
    for name, figures in runs.items():
        medians[name] = {key: statistics.median(run[key] for run in figures) for key in NUMERIC}
        medians[name]["last_step"] = figures[-1]["last_step"]
        if variants[name].zip_path:
            medians[name]["zip_mb"] = variants[name].zip_path.stat().st_size / 1e6
    return medians


COLUMNS = (  # key, heading, unit, format
    ("cold_ms", "cold start", "ms", "{:7.1f}"),
    ("import_ms", "import", "ms", "{:7.1f}"),
    ("first_turn_ms", "1st launch", "ms", "{:6.1f}"),
    ("cpu_ms", "CPU", "ms", "{:6.0f}"),
    ("process_ms", "process", "ms", "{:6.0f}"),
    ("launch_us", "launch", "us", "{:6.0f}"),
    ("step_us", "step", "us", "{:6.0f}"),
    ("max_rss_mb", "peak RSS", "MB", "{:5.1f}"),
    ("zip_mb", "zip", "MB", "{:5.2f}"),
)


def side_by_side_report(medians: dict[str, dict], title: str, baselines: tuple[str, ...]) -> str:
    lines = [title]
    lines.append("  " + f"{'':<30}" + "".join(f"{heading:>13}" for _, heading, _, _ in COLUMNS))
    for name, figures in medians.items():
        cells = [
            (fmt.format(figures[key]) + f" {unit}") if key in figures else "-"
            for key, _, unit, fmt in COLUMNS
        ]
        lines.append("  " + f"{name:<30}" + "".join(f"{c:>13}" for c in cells))
    for name in (n for n in medians if n.startswith("limber")):
        for baseline in baselines:
            ratios = [
                f"{figures_key_ratio(medians[name], medians[baseline], key):>13}" for key, _, _, _ in COLUMNS
            ]
            lines.append("  " + f"{name[:13] + ' / ' + baseline[:14]:<30}" + "".join(ratios))
    return "\n".join(lines)


def figures_key_ratio(ours: dict, theirs: dict, key: str) -> str:
    if key not in ours or key not in theirs or not theirs[key]:
        return "-"
    return f"{ours[key] / theirs[key]:.2f}x"


def run_runner(code_dir: Path, sessions_per_routine: int, routines: int) -> dict:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LIMBER_STORE": "memory",
        "PYTHONPATH": str(code_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }  # like Lambda's read-only /var/task: no .pyc cache
    arguments = [str(sessions_per_routine), str(MAX_TURNS_PER_SESSION), str(routines)]
    result = subprocess.run(
        [runtime_python(), "-S", "-c", SESSION_RUNNER, *arguments],
        cwd=code_dir, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"session run failed:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def run_sessions(code_dir: Path) -> dict:
    """One process coaches every routine; a few more only start cold and answer one launch.

    The machine is shared, so cold-start figures are the median of COLD_STARTS processes.
    """
    figures = run_runner(code_dir, SESSIONS_PER_ROUTINE, routines=1000)
    colds = [figures] + [run_runner(code_dir, 0, routines=0) for _ in range(COLD_STARTS - 1)]
    figures["import_seconds"] = statistics.median(c["import_seconds"] for c in colds)
    figures["first_turn_ms"] = statistics.median(c["first_turn_ms"] for c in colds)
    return figures


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cost_report(figures: dict) -> str:
    sessions, turn_ms = figures["sessions"], figures["turn_ms"]
    turns = statistics.mean(s["turns"] for s in sessions)
    reads = statistics.mean(s["reads"] for s in sessions)
    writes = statistics.mean(s["writes"] for s in sessions)
    item_bytes = max(s["item_bytes"] for s in sessions) + 200  # key, version, expiry, names
    wru_per_write = math.ceil(item_bytes / 1024)  # a write costs 1 WRU per started KB
    rru_per_read = math.ceil(item_bytes / 4096)  # strongly consistent: 1 RRU per started 4 KB
    host_turn = statistics.mean(turn_ms)
    # Billed per turn: CPU time scaled to the 256 MB share, plus the DynamoDB round trips.
    calls_per_turn = (reads + writes) / turns
    lambda_turn_ms = host_turn / CPU_SHARE + calls_per_turn * DYNAMODB_CALL_MS
    # Init (imports) is billed since 2025-08; the first turn also loads the content files.
    cold_import_ms = figures["import_seconds"] * 1000 / CPU_SHARE
    cold_start_ms = cold_import_ms + figures["first_turn_ms"] / CPU_SHARE
    gb_seconds_per_session = (turns * math.ceil(lambda_turn_ms) + cold_start_ms) / 1000 * MEMORY_MB / 1024
    per_thousand = {
        "Lambda requests": 1000 * turns * LAMBDA_PER_REQUEST,
        "Lambda compute": 1000 * gb_seconds_per_session * LAMBDA_ARM_GB_SECOND,
        "DynamoDB writes": 1000 * writes * wru_per_write * DYNAMODB_PER_WRU,
        "DynamoDB reads": 1000 * reads * rru_per_read * DYNAMODB_PER_RRU,
    }
    by_routine = ", ".join(f"{s['routine']} {s['turns']}" for s in sessions[::SESSIONS_PER_ROUTINE])
    lines = [
        f"sessions: {len(sessions)}  turns per session: mean {turns:.1f} ({by_routine})",
        f"host time per turn: mean {host_turn:.2f} ms, p95 {percentile(turn_ms, 0.95):.2f} ms, "
        f"max {max(turn_ms):.1f} ms",
        f"host cold start (median of {COLD_STARTS}): import {figures['import_seconds'] * 1000:.0f} ms, "
        f"first launch {figures['first_turn_ms']:.0f} ms",
        f"progress per session: {reads:.1f} reads, {writes:.1f} writes; item <= {item_bytes} bytes "
        f"-> {rru_per_read} RRU per read, {wru_per_write} WRU per write",
        f"Lambda estimate at {MEMORY_MB} MB arm64: {lambda_turn_ms:.1f} ms per turn "
        f"({calls_per_turn:.2f} DynamoDB calls x {DYNAMODB_CALL_MS:.0f} ms); cold start "
        f"{cold_start_ms:.0f} ms (Alexa waits at most 8000 ms)",
        f"  {gb_seconds_per_session:.3f} GB-s per session, counting one cold start per session",
        "cost per 1,000 sessions (us-east-1 prices of 2025-11, no free tier):",
    ]
    lines += [f"  {name:<16} ${amount:.4f}" for name, amount in per_thousand.items()]
    lines.append(f"  {'total':<16} ${sum(per_thousand.values()):.4f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zip", type=Path, help="measure this zip instead of building one")
    parser.add_argument("--rounds", type=int, default=READ_ONLY_ROUNDS, help="processes per variant and mode")
    parser.add_argument("--mode", choices=("both", "bare", "lambda"), default="both")
    parser.add_argument("--no-dynamodb", action="store_true", help="leave out Limber on its DynamoDB store")
    parser.add_argument("--no-sessions", action="store_true", help="leave out the cost per 1,000 sessions")
    args = parser.parse_args(argv)
    build = build_script()
    try:
        python = runtime_python()
    except build.BuildError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
        scratch = Path(scratch)
        if args.zip:
            zip_path, code_dir = args.zip, scratch / "limber" / "lambda"
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(code_dir)
        else:
            zip_path = build.build_lambda(scratch / "limber")
            code_dir = scratch / "limber" / "lambda"
        print(size_report(measure_size(zip_path)))
        hello_dir, hello_zip = build_like_limber(scratch / "hello", ROOT / "bench" / "hello_world.py", python)
        samples_dir, samples_zip = build_like_limber(
            scratch / "samples", ROOT / "bench" / "samples_style.py", python
        )
        variants = {"limber": Variant(code_dir, zip_path=zip_path)}
        if not args.no_dynamodb:
            variants["limber, DynamoDB store"] = stack.enter_context(
                dynamodb_variant(code_dir, zip_path, scratch, python)
            )
        variants |= {
            "hello world": Variant(hello_dir, zip_path=hello_zip),
            "samples style": Variant(samples_dir, zip_path=samples_zip),
            "samples style, no logging": Variant(
                samples_dir, {"LIMBER_BENCH_SAMPLES_LOGGING": "0"}, samples_zip
            ),
        }
        baselines = ("hello world", "samples style", "samples style, no logging")
        modes = {"bare": False, "lambda": True} if args.mode == "both" else {args.mode: args.mode == "lambda"}
        for as_lambda in modes.values():
            medians = side_by_side(variants, python, as_lambda, args.rounds)
            assert medians["limber"]["last_step"].startswith("<speak>Stretch "), medians["limber"][
                "last_step"
            ]
            start = "as Lambda starts it (its bootstrap's imports first)" if as_lambda else "bare interpreter"
            title = (
                f"read-only bind mount, {start}: median of {args.rounds} processes each, alternating; "
                f"launch and step: median of {WARM_ROUNDS} warm turns each"
            )
            print(side_by_side_report(medians, title, baselines))
        if not args.no_sessions:
            print(cost_report(run_sessions(code_dir)))
    return 0


@contextlib.contextmanager
def dynamodb_variant(code_dir: Path, zip_path: Path, scratch: Path, python: str):
    """Limber with LIMBER_STORE=dynamodb:TABLE as deployed: boto3 from the runtime's libraries,
    the table on a moto server on loopback (tests/dynamo_server.py)."""
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "scripts")]
    import boto3

    import create_local_table  # scripts/
    from dynamo_server import FAKE_AWS_ENV, MotoServer  # tests/

    libraries = lambda_runtime_libraries(scratch / "runtime", python)
    server = MotoServer()
    server.start()
    try:
        client = boto3.client("dynamodb", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
        create_local_table.create_table(client, "limber-bench")
        env = {
            **FAKE_AWS_ENV,
            "AWS_ENDPOINT_URL_DYNAMODB": server.url,
            "LIMBER_STORE": "dynamodb:limber-bench",
        }
        yield Variant(code_dir, env, zip_path, libraries)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
