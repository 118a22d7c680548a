"""Talk share: how much of a routine is Limber speaking, and how much is the body working.

    .venv/bin/python bench/talk.py [--before N] [--steps] [--json]

Each routine is done end to end through the real ``lambda_handler`` (memory store): launch,
start it by name, "next" until it finishes, "no" to the offer. Every response's SSML is
split into speech (every word, the countdown cues included, at Alexa's ~150 words a minute)
and silence (its ``<break>`` tags). Reprompts are not counted: they are only heard when the
person says nothing.

Two people per routine: a first run (a brand-new person), and a returning person, the same
person after N earlier complete runs of that routine (default 3), so whatever Limber
remembers about them (saved progress) is in play. For each step it also counts the words
said before "Starting now." (heading, who should skip it, set-up, what to feel).

Targets (issue #13): <= 50 % talk on a first run, <= 35 % for a returning person, and a
returning welcome of <= 30 words.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lambda")]
os.environ["LIMBER_STORE"] = "memory"

from limber.console.envelopes import AlexaSession  # noqa: E402
from limber.core.content import default_library  # noqa: E402
from limber.core.ssml import WORDS_PER_SECOND, speaking_and_quiet, spoken_words  # noqa: E402

STARTING = "Starting now."
TARGET_FIRST, TARGET_RETURNING, TARGET_WELCOME = 50, 35, 30


words = spoken_words
split = speaking_and_quiet  # (seconds speaking, seconds silent) of one SSML document


@dataclass
class Run:
    speech: float = 0.0
    silence: float = 0.0
    welcome_words: int = 0
    before_start: list[int] = field(default_factory=list)  # words before "Starting now", per step
    turns: int = 0

    @property
    def share(self) -> float:
        total = self.speech + self.silence
        return 100 * self.speech / total if total else 0.0

    def add(self, ssml: str) -> None:
        spoken, silent = split(ssml)
        self.speech += spoken
        self.silence += silent
        self.turns += 1
        if STARTING in ssml:
            self.before_start.append(len(words(ssml[: ssml.index(STARTING)])))


def ssml_of(response: dict) -> str:
    return ((response.get("response") or {}).get("outputSpeech") or {}).get("ssml", "")


def one_run(person: AlexaSession, routine_name: str, step_count: int) -> Run:
    run = Run()
    welcome = ssml_of(person.launch())
    run.add(welcome)
    run.welcome_words = len(words(welcome))
    said = ssml_of(person.intent("StartRoutineIntent", routine=routine_name))
    run.add(said)
    for _ in range(step_count + 2):  # the steps, then the finish; a bound in case it never ends
        if person.new:  # the session ended
            break
        said = ssml_of(person.intent("AMAZON.NextIntent"))
        run.add(said)
        if STARTING not in said:  # the finish and its offer
            break
    if not person.new:
        run.add(ssml_of(person.intent("AMAZON.NoIntent")))
    return run


def measure(before: int) -> list[dict]:
    import lambda_function  # noqa: PLC0415 - after LIMBER_STORE is set
    from limber.core.routine import steps_of  # noqa: PLC0415

    sys.path.insert(0, str(ROOT / "lambda"))
    rows = []
    for routine in default_library().routines:
        person = AlexaSession(lambda_function.lambda_handler)
        count = len(steps_of(routine))
        first = one_run(person, routine.name, count)
        for _ in range(before):
            one_run(person, routine.name, count)
        returning = one_run(person, routine.name, count)
        rows.append({"routine": routine.id, "steps": count, "first": first, "returning": returning})
    return rows


def minutes(seconds: float) -> str:
    return f"{seconds / 60:5.1f}"


def report(rows: list[dict], before: int, show_steps: bool) -> None:
    print(f"Talk share at {WORDS_PER_SECOND * 60:.0f} words a minute; returning = after {before} runs")
    print(f"{'routine':20} {'':10} {'talk min':>8} {'quiet min':>9} {'talk %':>7} "
          f"{'words before Starting now: mean':>32} {'max':>4} {'welcome':>8}")
    for row in rows:
        for label in ("first", "returning"):
            run: Run = row[label]
            before_start = run.before_start or [0]
            print(
                f"{row['routine'] if label == 'first' else '':20} {label:10} {minutes(run.speech):>8} "
                f"{minutes(run.silence):>9} {run.share:6.1f}% {statistics.mean(before_start):32.1f} "
                f"{max(before_start):4d} {run.welcome_words:8d}"
            )
            if show_steps:
                print(f"{'':31} words before Starting now, step by step: {run.before_start}")
    first = [r["first"] for r in rows]
    back = [r["returning"] for r in rows]
    worst_first, worst_back = max(r.share for r in first), max(r.share for r in back)
    worst_welcome = max(r.welcome_words for r in back)
    print(f"worst first run {worst_first:.1f}% (target <= {TARGET_FIRST}%), "
          f"worst returning {worst_back:.1f}% (target <= {TARGET_RETURNING}%), "
          f"longest returning welcome {worst_welcome} words (target <= {TARGET_WELCOME})")


def as_json(rows: list[dict]) -> str:
    out = []
    for row in rows:
        item = {"routine": row["routine"], "steps": row["steps"]}
        for label in ("first", "returning"):
            run: Run = row[label]
            item[label] = {
                "speech_seconds": round(run.speech, 1),
                "silence_seconds": round(run.silence, 1),
                "talk_percent": round(run.share, 1),
                "welcome_words": run.welcome_words,
                "words_before_starting_now": run.before_start,
            }
        out.append(item)
    return json.dumps(out, indent=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=int, default=3, help="earlier runs before the returning one")
    parser.add_argument("--steps", action="store_true", help="words before 'Starting now' per step")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = measure(args.before)
    if args.json:
        print(as_json(rows))
    else:
        report(rows, args.before, args.steps)


if __name__ == "__main__":
    main()
