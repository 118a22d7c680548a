"""The console as a test bench: it starts, listens and falls silent the way an Echo does.

Run as a person runs it (``limber ...`` in its own process, through the real skill), or in
process with the real ``lambda_handler`` behind a recorder where the requests themselves matter.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from alexa_rules import check_response
from limber.console.envelopes import AlexaSession
from limber.console.invocation import invocation_name, parse_invocation
from limber.console.main import Console
from limber.console.output import Output
from limber.console.ssml_segments import Silence, Speech

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "LIMBER_STORE": "memory", "PYTHONPATH": str(ROOT / "lambda")}


def limber(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "limber", "--text", "--store", "memory", *args],
        input=stdin,
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )


def spoken(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("Limber")]


# --- starting like a device -------------------------------------------------------------------


@pytest.mark.parametrize(("phrase", "asked"), [
    ("open limber coach", None),
    ("Alexa, start limber coach", None),
    ("launch the limber coach", None),
    ("ask limber coach to resume", "resume"),
    ("tell limber coach start hip stretches", "start hip stretches"),
    ("open limber coach and start hip stretches", "start hip stretches"),
    ("ask limber coach for help", "help"),
    ("ask limber coach what routines are there", "what routines are there"),
    ("start hip stretches using limber coach", "start hip stretches"),
])  # fmt: skip
def test_alexas_launch_phrases(phrase, asked):
    invocation = parse_invocation(phrase)
    assert invocation is not None and invocation.request == asked


@pytest.mark.parametrize(
    "phrase", ["start hip stretches", "ask alexa to resume", "open limber", "limber coach"]
)
def test_a_phrase_that_does_not_name_the_skill_does_not_start_it(phrase):
    assert parse_invocation(phrase) is None


def test_the_invocation_name_is_the_models():
    assert invocation_name("en-US") == "limber coach"


def test_a_one_shot_request_starts_the_session_with_that_request_and_stdin_carries_on():
    run = limber("ask limber coach to start hip stretches", stdin="next\n")
    assert run.returncode == 0, run.stderr
    said = spoken(run.stdout)
    assert "Welcome to Limber" not in said[0] and "Let's do Hip flexors" in said[0]
    assert "> next" in run.stdout
    assert "Stretch 1 of 7: side-lying hip swing, right side." in said[1]


def test_a_one_shot_launch_is_the_welcome():
    run = limber("open limber coach")
    assert run.returncode == 0 and spoken(run.stdout)[0].startswith("Limber: Welcome to Limber.")


def test_a_one_shot_that_ends_the_session_is_the_whole_conversation():
    run = limber("tell limber coach stop", stdin="start hip stretches\n")
    assert run.returncode == 0, run.stderr
    assert len(spoken(run.stdout)) == 1 and "> start hip stretches" not in run.stdout
    assert "(session ended)" in run.stdout


def test_a_one_shot_question_is_answered_in_the_new_session():
    run = limber("ask limber coach what routines are there")
    assert run.returncode == 0 and "four routines" in spoken(run.stdout)[0]


def test_a_one_shot_that_does_not_name_the_skill_is_refused_with_exit_2():
    run = limber("start hip stretches")
    assert run.returncode == 2 and not run.stdout
    assert '"ask limber coach to resume"' in run.stderr


# --- silence ------------------------------------------------------------------------------------


class Recorder:
    """The real handler, every request it gets noted."""

    def __init__(self):
        from limber.app import create_skill
        from limber.skill.entry import handle_event

        skill = create_skill(skill_id=None, store="memory")
        self.requests: list[dict] = []
        self.handler = lambda event, context: (
            self.requests.append(event["request"]) or handle_event(skill, event, context)
        )


@pytest.fixture
def bench(capsys):
    recorder = Recorder()
    session = AlexaSession(recorder.handler, check=check_response)
    console = Console(session, Output(text_only=True), explain_lines=True)
    console.send({"type": "LaunchRequest"})
    capsys.readouterr()
    return console, recorder


def test_first_silence_gets_the_reprompt_without_a_request(bench, capsys):
    console, recorder = bench
    reprompt = console.session.last["response"]["reprompt"]["outputSpeech"]["ssml"]
    before = len(recorder.requests)
    console.say("\n")
    out = capsys.readouterr().out
    assert len(recorder.requests) == before and console.session.open
    assert "(silence)" in out and "Limber (reprompt):" in out
    assert out.split("Limber (reprompt): ")[1].split()[0] in reprompt


def test_second_silence_closes_the_session_with_exceeded_max_reprompts(bench, capsys):
    console, recorder = bench
    console.say("")
    console.say("")
    assert recorder.requests[-1] == {**recorder.requests[-1], "type": "SessionEndedRequest",
                                     "reason": "EXCEEDED_MAX_REPROMPTS"}  # fmt: skip
    assert not console.session.open
    out = capsys.readouterr().out
    assert "[heard] SessionEndedRequest (EXCEEDED_MAX_REPROMPTS)" in out
    console.say("")  # nothing is listening any more
    assert recorder.requests[-1]["type"] == "SessionEndedRequest" and len(recorder.requests) == 2


def test_speaking_between_silences_starts_the_count_again(bench):
    console, recorder = bench
    for line in ("", "what routines are there", "", "help", ""):
        console.say(line)
    assert console.session.open
    assert [r["type"] for r in recorder.requests] == ["LaunchRequest", "IntentRequest", "IntentRequest"]


def test_exit_ends_the_session_as_alexa_does(bench):
    console, recorder = bench
    console.say("exit")
    assert recorder.requests[-1]["type"] == "SessionEndedRequest"
    assert recorder.requests[-1]["reason"] == "USER_INITIATED" and not console.session.open


def test_silence_on_piped_input_through_the_real_console():
    run = limber("--explain", stdin="\n\nhelp\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.count("(silence)") == 2 and out.count("Limber (reprompt):") == 1
    assert out.index("Limber (reprompt):") < out.index("SessionEndedRequest (EXCEEDED_MAX_REPROMPTS)")
    assert "(the session closed: no answer)" in out
    assert "> help" in out.split("(the session closed: no answer)")[1]  # the next line, a new session


SILENT_SCRIPT = """
turns:
  - say: start hip flexors
  - silence: true
    expect: {contains: "Say next", ends_session: false}
  - silence: true
    expect: {ends_session: true}
  - say: resume
    expect: {contains: "Stretch 1 of 7"}
  - silence: true
    expect: {ends_session: false}
  - say: next
  - silence: true
    expect: {ends_session: false}
"""


def test_a_script_can_fall_silent(tmp_path):
    script = tmp_path / "silent.yaml"
    script.write_text(SILENT_SCRIPT)
    run = limber("--explain", "--script", str(script))
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert out.count("> (silence)") == 4 and out.count("Limber (reprompt):") == 3
    assert out.count("SessionEndedRequest (EXCEEDED_MAX_REPROMPTS)") == 1


@pytest.mark.parametrize(("text", "complaint"), [
    ("turns:\n  - silence: yes please\n", "'silence: true'"),
    ("turns:\n  - silence: true\n    repeat: 2\n", "'silence: true'"),
])  # fmt: skip
def test_a_malformed_silence_turn_is_refused(tmp_path, text, complaint):
    script = tmp_path / "bad.yaml"
    script.write_text(text)
    run = limber("--script", str(script))
    assert run.returncode == 2 and complaint in run.stderr


def test_silence_with_no_session_open_fails_the_script(tmp_path):
    script = tmp_path / "s.yaml"
    script.write_text("turns:\n  - say: stop\n  - silence: true\n")
    run = limber("--script", str(script))
    assert run.returncode == 1 and "nothing is listening" in run.stdout


def test_a_line_after_the_session_closed_starts_a_new_one_and_says_so():
    run = limber(stdin="stop\nstart desk\n")
    assert run.returncode == 0, run.stderr
    assert '(new session, as if you said "ask limber coach to start desk")' in run.stdout
    assert "Let's do Desk reset" in run.stdout


# --- --explain ----------------------------------------------------------------------------------


def test_explain_prints_intent_slots_and_the_sample():
    lines = "start hip stretches\nstart underwater basket weaving\nhold for 45 seconds\nquit\n"
    run = limber("--explain", stdin=lines)
    assert run.returncode == 0, run.stderr
    lines = [line.strip() for line in run.stdout.splitlines() if "[heard]" in line]
    assert lines[0] == "[heard] LaunchRequest"
    assert re.fullmatch(
        r'\[heard\] StartRoutineIntent routine="hip( stretches)?" ER_SUCCESS_MATCH id=hip_flexors'
        r' - sample as said: "start \{routine\}( stretches)?"',
        lines[1],
    ), lines[1]
    assert re.fullmatch(
        r'\[heard\] StartRoutineIntent routine="underwater basket weaving" ER_SUCCESS_NO_MATCH - .*"',
        lines[2],
    ), lines[2]
    assert re.match(
        r'\[heard\] SetHoldTimeIntent (seconds="45" \(said "45"\)|duration="PT45S" \(said "45 seconds"\))',
        lines[3],
    ), lines[3]
    assert lines[4].startswith("[heard] SessionEndedRequest (USER_INITIATED)")


def test_explain_in_a_script(tmp_path):
    script = tmp_path / "s.yaml"
    script.write_text("turns:\n  - say: um next please\n")
    run = limber("--explain", "--script", str(script))
    assert run.returncode == 0, run.stdout + run.stderr
    assert '[heard] AMAZON.NextIntent - sample, with fillers around it: "next"' in run.stdout


def test_without_explain_nothing_is_explained():
    run = limber(stdin="help\n")
    assert run.returncode == 0 and "[heard]" not in run.stdout


# --- --fast -------------------------------------------------------------------------------------


class Speaker:
    def __init__(self):
        self.played = []

    def speak(self, segments):
        self.played.append(list(segments))

    def close(self):
        pass


def test_fast_plays_silences_faster_but_labels_stay_true(capsys):
    output = Output(text_only=True, fast=10)
    output.speaker = Speaker()
    ssml = '<speak>Starting now. <break time="10s"/> <break time="5s"/> Release.</speak>'
    output.show({"response": {"outputSpeech": {"type": "SSML", "ssml": ssml}, "shouldEndSession": False}})
    assert capsys.readouterr().out.strip() == "Limber: Starting now. [15 s] Release."
    played = output.speaker.played[0]
    assert played[0] == Speech("Starting now.") and played[-1] == Speech("Release.")
    assert [s.seconds for s in played if isinstance(s, Silence)] == [1.5]


def test_fast_through_the_real_console_shows_the_same_labels():
    said, lines = "ask limber coach to start low back", "next\nnext\nnext\n"
    slow, quick = limber(said, stdin=lines), limber("--fast", "20", said, stdin=lines)
    assert slow.returncode == quick.returncode == 0
    assert "[10 s]" in slow.stdout and slow.stdout == quick.stdout


# --- time as on a device -----------------------------------------------------------------------


def test_the_console_stamps_requests_as_if_each_answer_had_played():
    """Nobody can speak before an Echo finishes a step, and the console prints it at once, so its
    request times run ahead: a pause after a step resumes at the other side, as on a device."""
    out = spoken(limber(stdin="start hip flexors\npause\nresume\n").stdout)
    assert "left side" in out[1]
    assert out[2].startswith("Limber: Paused. Next is stretch 1 of 7, right side.")
    assert re.search(r"Stretch 1 of 7: [^,.]+, right side\.", out[3])
