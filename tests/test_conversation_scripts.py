"""Scripted conversations (``limber --script``) and the console reading piped input.

Every script under tests/conversations runs as a person would run it: ``limber --script FILE
--text --store memory`` in its own process, through the real skill.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from limber.console.script import ScriptError, load_script, run_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "tests" / "conversations").glob("*.yaml"))
ENV = {**os.environ, "LIMBER_STORE": "memory", "PYTHONPATH": str(ROOT / "lambda")}


def limber(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "limber", *args],
        input=stdin or "",
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_scripts_cover_every_routine_resume_the_screen_and_pain():
    from limber.core.content import default_library

    names = {p.stem for p in SCRIPTS}
    for routine in default_library().routines:
        assert f"{routine.id}_start_to_finish" in names
    safety = {
        "pain_during_stretch",
        "red_flag_screen_self_care",
        "red_flag_screen_not_sure",
        "red_flag_urgent_en_GB",
        *(f"red_flag_emergency_en_{c}" for c in ("US", "GB", "AU", "IN")),
    }
    assert {"resume", *safety} <= names
    for path in SCRIPTS:
        load_script(path)  # every script is well formed


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.stem)
def test_script_passes(path):
    run = limber("--script", str(path), "--text", "--store", "memory")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.stdout.rstrip().endswith("# all expectations met")


WRONG = """
name: Expectations that cannot be met
turns:
  - say: start hip flexors
    expect:
      intent: ListRoutinesIntent
      slots: {routine: desk_reset}
      contains: "Stretch 1 of 9"
      ends_session: true
  - say: next
    until: {contains: "this sentence is never said"}
    max: 2
  - say: start hip flexors
    expect: {contains: "Stretch 1 of 7"}
"""


def test_a_wrong_expectation_fails_the_run(tmp_path):
    script = tmp_path / "wrong.yaml"
    script.write_text(WRONG)
    run = limber("--script", str(script), "--text", "--store", "memory")
    assert run.returncode == 1
    failed = [line for line in run.stdout.splitlines() if line.startswith("  FAILED")]
    assert [line.split(":", 1)[0] for line in failed] == ["  FAILED turn 1 ('start hip flexors')"] * 4 + [
        "  FAILED turn 2 ('next')"
    ]
    assert "understood as StartRoutineIntent, expected ListRoutinesIntent" in run.stdout
    assert "slot routine resolved to 'hip_flexors', expected 'desk_reset'" in run.stdout
    assert "'until' not met after 2 times" in run.stdout
    assert run.stdout.rstrip().endswith("# 5 expectation(s) failed")


def test_a_malformed_script_is_refused_with_exit_2(tmp_path):
    script = tmp_path / "bad.yaml"
    script.write_text("turns:\n  - say: start hip flexors\n  - say: no\n")
    run = limber("--script", str(script), "--text", "--store", "memory")
    assert run.returncode == 2
    assert "turn 2" in run.stderr and 'write say: "no"' in run.stderr


# --- the console on piped input ---------------------------------------------------------------


def test_console_reads_piped_lines_and_exits_0_at_the_end():
    run = limber(
        "--text",
        "--store",
        "memory",
        stdin="start hip stretches\nnext\n\nhow many are left\nwhat's the weather\n",
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.startswith("Limber: Welcome to Limber.")
    for line in ("> start hip stretches", "> next", "> how many are left", "> what's the weather"):
        assert line in out
    assert out.count("\n> ") == 4  # the blank line is not a turn
    assert out.index("Stretch 1 of 7: side-lying hip swing, left side.") < out.index(
        "Stretch 1 of 7: side-lying hip swing, right side."
    )
    assert "You're on stretch 1 of 7" in out
    # An unknown request reaches the intent the model's slot-only sample makes a catch-all, as on
    # a device (tests/test_nlu.py), or the fallback without one; it never moves the routine on.
    after = out.split("> what's the weather")[1]
    assert "Limber:" in after and "Stretch 2 of 7" not in after


def test_console_with_no_input_just_launches():
    run = limber("--text", "--store", "memory", stdin="")
    assert run.returncode == 0 and run.stdout.count("Limber:") == 1


def test_console_last_line_without_a_newline_is_heard():
    run = limber("--text", "--store", "memory", "--locale", "en-GB", stdin="start desk")
    assert run.returncode == 0 and "Let's do Desk reset" in run.stdout


# --- the script format, in process ------------------------------------------------------------


@pytest.fixture
def console():
    from limber.console.main import make_session, request_for
    from limber.console.output import open_output

    return make_session("memory", "en-US"), open_output(text_only=True), request_for


def run_text(tmp_path, text: str, console) -> int:
    script = tmp_path / "s.yaml"
    script.write_text(text)
    return run_script(script, *console)


def test_repeat_says_the_line_again_and_checks_the_last_answer(tmp_path, console, capsys):
    code = run_text(
        tmp_path,
        """
turns:
  - say: start low back
  - say: next
    repeat: 1
    expect: {contains: "Stretch 3 of 7: knee to chest stretch, left side."}
""",
        console,
    )
    assert code == 0 and capsys.readouterr().out.count("> next") == 2


def test_until_stops_as_soon_as_it_is_met(tmp_path, console, capsys):
    code = run_text(
        tmp_path,
        """
turns:
  - say: start low back
  - say: next
    until: {matches: "^Stretch 3 of 7"}
""",
        console,
    )
    assert code == 0 and capsys.readouterr().out.count("> next") == 2


def test_the_script_locale_is_the_request_locale(tmp_path, console, capsys):
    code = run_text(
        tmp_path,
        """
locale: en-GB
turns:
  - say: should I see a GP
    expect: {intent: RedFlagCheckIntent}
""",
        console,
    )
    assert code == 0 and console[0].locale == "en-GB"


def test_card_title_may_be_any_of_a_list(tmp_path, console):
    from limber.console.script import failures

    response = {"response": {"card": {"title": "Urgent: get checked today", "content": "Call 111"}}}
    request = {"type": "IntentRequest", "intent": {"name": "AMAZON.NoIntent"}}
    assert (
        failures(
            {"card_title_starts": ["Emergency", "Urgent"], "card_contains": "call 111"}, response, request
        )
        == []
    )
    assert failures({"card_title_starts": ["Emergency", "See a doctor"]}, response, request)


@pytest.mark.parametrize(("text", "complaint"), [
    ("name: x\n", "non-empty 'turns'"),
    ("turns: []\n", "non-empty 'turns'"),
    ("turns:\n  - expect: {contains: x}\n", "needs 'say'"),
    ("turns:\n  - say: hi\n    expect: {sounds_like: x}\n", "unknown expectations ['sounds_like']"),
    ("turns:\n  - say: hi\n    repeat: 2\n    until: {contains: x}\n", "not both"),
    ("turns:\n  - say: hi\n    expect: {matches: '('}\n", "bad 'matches' pattern"),
    ("turns:\n  - say: hi\n    repeat: two\n", "whole number"),
        ("turns:\n  - say: hi\n    until: {contains: x}\n    max: 0\n", "from 1"),
    ("turns:\n  - say: hi\n    wait: 3\n", "unknown keys ['wait']"),
    ("turns: [\n", "cannot read"),
    ("turns:\n  - say: yes\n", "YAML reads an unquoted yes or no"),
])  # fmt: skip
def test_malformed_scripts_say_what_is_wrong(tmp_path, text, complaint):
    script = tmp_path / "bad.yaml"
    script.write_text(text)
    with pytest.raises(ScriptError, match=complaint.replace("[", r"\[").replace("(", r"\(")):
        load_script(script)
