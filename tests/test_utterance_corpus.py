"""The utterance corpus (tests/utterances/*.toml): things people say, in context, and what a
person expects to happen.

Each line goes through the console's matcher (``limber.console.nlu.understand``, which hears
like Alexa) and the real ``lambda_handler``, in a conversation whose context was set up by real
turns. The expected behaviour is checked from the reply itself: its speech, the session state
it leaves and its card. Expectations are behaviours written in words ("moves to the next step",
"sets hold to 40 s and says so"); ``BEHAVIOURS`` below turns each into a check that can fail.

The test prints the share that behaved as expected and fails below TARGET, or below 100 % for
anything about pain or symptoms (``pain = true`` groups, and every "reaches the symptom check").
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest

from limber.console.envelopes import speech_text
from limber.console.main import heard
from limber.console.nlu import Match, understand
from limber.core import triage
from limber.core.content import default_library
from limber.core.routine import next_stretch_index, steps_of

CORPUS = Path(__file__).parent / "utterances"
TARGET = 0.97
LIBRARY = default_library()
OUTCOME_TITLES = ("Emergency", "Urgent", "See a doctor", "Self-care")
SAFETY_PENDING = ("pain", "screen_offer", "pain_offer")
MINUTES = re.compile(r"(?i)\babout \w+(?: \w+)?(?: to \w+(?: \w+)?)? minutes?\b")
HELP = re.compile(r"I coach you through|You're on |You're paused|I'm asking a few questions")


# --- contexts, each set up by real turns ------------------------------------------------------


def _to_step(person, routine_id: str, step: int) -> None:
    person.launch()
    person.say("StartRoutineIntent", routine=LIBRARY.routine(routine_id).name)
    for _ in range(step):
        person.say("AMAZON.NextIntent")
    assert _state(person.last).get("position", {}).get("step") == step, "context set-up went wrong"


def _answer_screen_no(person) -> None:
    for _ in range(20):
        if "screen" not in _state(person.last):
            return
        person.say("AMAZON.NoIntent")
    raise AssertionError("the screen never ended")


def hold(person):  # mid-hold: a timed, two-sided stretch on the floor, left side
    _to_step(person, "low_back_and_hips", 2)


def rest(person):  # a stretch done in sets, with a rest between them
    _to_step(person, "hip_flexors", 2)


def paused(person):
    hold(person)
    person.say("AMAZON.PauseIntent")


def menu(person):
    person.launch()


def question(person):  # a warning-sign question of the screen
    person.launch()
    person.say("RedFlagCheckIntent")
    assert "screen" in _state(person.last)


def pain_question(person):  # "is the pain sharp or shooting...?" after "ouch" mid-hold
    hold(person)
    person.say("PainDuringStretchIntent")
    assert _state(person.last).get("pending") == "pain"


def outcome(person):  # a self-care outcome mid-routine: "shall we carry on gently?"
    hold(person)
    person.say("RedFlagCheckIntent")
    person.say("AMAZON.YesIntent")
    _answer_screen_no(person)
    assert _state(person.last).get("pending") == "continue"


def last(person):  # the last stretch of a routine has just played
    routine = LIBRARY.routine("low_back_and_hips")
    _to_step(person, routine.id, len(steps_of(routine)) - 1)


def finished(person):  # "Well done! ... Would you like to do X next?"
    last(person)
    person.say("AMAZON.NextIntent")
    assert _state(person.last).get("offer")


CONTEXTS: dict[str, Callable] = {
    "menu": menu,
    "hold": hold,
    "rest": rest,
    "paused": paused,
    "question": question,
    "pain question": pain_question,
    "outcome": outcome,
    "last": last,
    "finished": finished,
}


# --- behaviours, checked from the reply --------------------------------------------------------


def _state(response: dict) -> dict:
    return response.get("sessionAttributes") or {}


@dataclass
class Turn:
    before: dict  # session state before the line
    after: dict  # session state after it
    speech: str
    ended: bool
    card: dict | None
    locale: str

    @property
    def position(self) -> dict:
        return self.after.get("position") or {}

    @property
    def was(self) -> dict:
        return self.before.get("position") or {}

    def step(self, which: dict | None = None):
        where = self.position if which is None else which
        return steps_of(LIBRARY.routine(where["routine"]))[where["step"]]

    @property
    def stayed(self) -> bool:
        return self.position == self.was


def _heading(turn: Turn) -> bool:
    return bool(turn.position) and re.search(r"Stretch \d+ of \d+: ", turn.speech) is not None


def _moved_by(turn: Turn, steps: int) -> bool:
    return (
        _heading(turn)
        and turn.position.get("routine") == turn.was.get("routine")
        and turn.position["step"] == turn.was["step"] + steps
        and not turn.position.get("paused")
    )


def _starts(turn: Turn, name: str) -> bool:
    versions = [*LIBRARY.routines, *LIBRARY.variants.values()]
    routine = next((r for r in versions if r.name.lower() == name.lower()), None)
    assert routine, f"the corpus names no such routine: {name}"
    return (
        f"Let's do {routine.name}" in turn.speech
        and turn.position.get("routine") == routine.id
        and turn.position.get("step") == 0
    )


def _hold_set(turn: Turn, seconds: str) -> bool:
    return turn.after.get("hold") == int(seconds) and f"Holds are now {seconds} seconds" in turn.speech


def _holds_in_play(state: dict) -> list[int]:
    """The timed holds the person would get now: their preference, or the stretches' own."""
    if state.get("hold"):
        return [state["hold"]]
    position = state.get("position")
    routines = [LIBRARY.routine(position["routine"])] if position else LIBRARY.routines
    return [s.hold_seconds for r in routines for s in r.stretches if s.hold_seconds]


def _holds_changed(turn: Turn, longer: bool) -> bool:
    """Every timed hold moved the way asked (or is at the limit), and the reply says so."""
    new = turn.after.get("hold")
    if new is None or "Holds are now" not in turn.speech:
        return False
    old = _holds_in_play(turn.before)
    return all(new > h or new == 60 for h in old) if longer else all(new < h or new == 10 for h in old)


def _asked_again(turn: Turn) -> bool:
    """The open question is still open and was said again; nothing was answered."""
    if turn.before.get("screen"):
        same = (turn.after.get("screen") or {}).get("ask") == turn.before["screen"].get("ask")
        answered = len((turn.after.get("screen") or {}).get("answers", [])) != len(
            turn.before["screen"].get("answers", [])
        )
        return same and not answered and re.search(r"(?i)\bquestion \d", turn.speech) and not turn.ended
    open_before = turn.before.get("pending") or ("offer" if turn.before.get("offer") else None)
    open_after = turn.after.get("pending") or ("offer" if turn.after.get("offer") else None)
    return bool(open_before) and open_after == open_before and "Say yes or no" in turn.speech and turn.stayed


def _reached_check(turn: Turn) -> bool:
    return bool(
        turn.after.get("screen")
        or (turn.card and turn.card.get("title", "").startswith(OUTCOME_TITLES))
        or turn.after.get("pending") in SAFETY_PENDING
    )


def _answered(turn: Turn, answer: str) -> bool:
    """yes / no / not sure taken as that answer to the open question of the context."""
    before = turn.before
    if before.get("screen"):
        if answer == "not sure" and "Not sure is fine" in turn.speech:
            return True
        answers = (turn.after.get("screen") or {}).get("answers") or []
        code = {"yes": "y", "no": "n", "not sure": "u"}[answer]
        grew = len(answers) == len(before["screen"].get("answers", [])) + 1
        if grew:
            return answers[-1][1] == code
        return answer != "no" and _reached_check(turn) and not turn.after.get("screen")
    pending = before.get("pending")
    if pending == "pain":
        if answer == "no":
            return "ease off" in turn.speech and not turn.after.get("pending")
        return turn.after.get("pending") == "pain_offer"
    if pending == "continue":
        if answer == "yes":
            return _heading(turn) and not turn.position.get("paused")
        return turn.ended
    if before.get("offer"):
        if answer == "yes":
            return f"Let's do {LIBRARY.routine(before['offer']).name}" in turn.speech
        return turn.ended
    raise AssertionError("no question is open in this context")


def _emergency_number(locale: str) -> str:
    return triage.default_rules().locale(locale).said["emergency"]


def _fell_back(turn: Turn) -> bool:
    return "Sorry" in turn.speech and _emergency_number(turn.locale) in turn.speech


def _no_such_routine(turn: Turn) -> bool:
    names = all(r.name in turn.speech for r in LIBRARY.routines)
    return "I don't have a routine called" in turn.speech and names


BEHAVIOURS: list[tuple[str, Callable[..., bool]]] = [
    (r"starts (?!the routine over$)(.+)", _starts),
    (r"moves to the next step", lambda t: _moved_by(t, 1)),
    (r"moves on", lambda t: _heading(t) and t.position["step"] > t.was["step"]),
    (r"goes back a step", lambda t: _moved_by(t, -1) and "Going back" in t.speech),
    (r"repeats the stretch", lambda t: _moved_by(t, 0) and "Once more" in t.speech),
    (
        r"skips the stretch",
        lambda t: (
            _heading(t)
            and t.position["step"] == next_stretch_index(LIBRARY.routine(t.was["routine"]), t.was["step"])
        ),
    ),
    (r"starts the routine over", lambda t: _heading(t) and t.position["step"] == 0 and t.was["step"] > 0),
    (r"pauses", lambda t: t.position.get("paused") is True and t.position["step"] == t.was["step"]),
    (r"resumes", lambda t: _moved_by(t, 0) and t.was.get("paused") is True),
    (
        r"says stretches left",
        lambda t: t.stayed and re.search(r"more after this one|This is the last one", t.speech) is not None,
    ),
    (
        r"says time left in minutes",
        lambda t: t.stayed and MINUTES.search(t.speech),
    ),
    (
        r"says which side",
        lambda t: (
            t.stayed
            and (
                f"{t.step().side} side of the {t.step().stretch.name}" in t.speech
                or (t.step().side == "both" and "both sides" in t.speech)
            )
        ),
    ),
    (r"says what comes next", lambda t: t.stayed and re.search(r"\bNext is |last one", t.speech)),
    (r"says where to feel it", lambda t: t.stayed and "You should feel" in t.speech),
    (r"describes the stretch", lambda t: t.stayed and t.step().stretch.purpose[:40] in t.speech),
    (r"says the hold time", lambda t: t.stayed and re.search(r"Holds are \d+|own hold time", t.speech)),
    (r"sets hold to (\d+) s and says so", _hold_set),
    (r"makes holds longer", lambda t: _holds_changed(t, longer=True)),
    (r"makes holds shorter", lambda t: _holds_changed(t, longer=False)),
    (r"lists the routines", lambda t: all(r.name in t.speech for r in LIBRARY.routines) and not t.ended),
    (
        r"gives help",
        lambda t: HELP.search(t.speech) and not t.ended,
    ),
    (r"stops and remembers the place", lambda t: t.ended and "stopping at stretch" in t.speech),
    (r"says goodbye", lambda t: t.ended and not t.position),
    (
        r"finishes the routine",
        lambda t: f"finished {LIBRARY.routine(t.was['routine']).name}" in t.speech and not t.position,
    ),
    (r"asks the question again", _asked_again),
    (r"takes it as (yes|no|not sure)", _answered),
    (r"reaches the symptom check", _reached_check),
    (r"answers thanks in a line", lambda t: "You're welcome" in t.speech and t.stayed and not t.ended),
    (r"greets back", lambda t: t.speech.startswith("Hello") and t.stayed and not t.ended),
    (
        r"gives this stretch the easier way",
        lambda t: (
            t.stayed
            and t.position
            and t.position["step"] == t.was["step"]
            and "Skipping" not in t.speech
            and re.search(r"An easier way|Let's make it easier", t.speech)
        ),
    ),
    (
        r"switches to the version off the floor",
        lambda t: not t.ended
        and t.position.get("routine") == f"{t.was['routine']}_no_floor"
        and "version off the floor" in t.speech,
    ),
    (
        r"offers routines off the floor",
        lambda t: t.stayed and "chair or standing" in t.speech and t.after.get("pending") == "off_floor",
    ),
    (
        r"gives the full set-up",
        lambda t: t.stayed and "in full" in t.speech and t.position and t.position["step"] == t.was["step"],
    ),
    (r"says who should skip it", lambda t: t.stayed and re.search(r"Leave out the .+ if ", t.speech)),
    (r"says every routine goes gently", lambda t: t.stayed and not t.position and "comfortable" in t.speech),
    (r"goes back to the usual pace", lambda t: t.stayed and "usual pace" in t.speech),
    (r"brings the floor stretches back", lambda t: t.stayed and "floor stretches are" in t.speech),
    (r"answers about pace", lambda t: t.stayed and "more slowly" in t.speech and "Sorry" not in t.speech),
    (
        r"says there's no such routine",
        lambda t: _no_such_routine(t),
    ),
    (r"asks which routine", lambda t: "Which would you like" in t.speech and not t.position and not t.ended),
    (r"says nothing is paused", lambda t: "nothing paused" in t.speech and not t.ended),
    (
        r"falls back with a safety line",
        lambda t: _fell_back(t) and t.stayed and not t.ended,
    ),
    (
        r"says it can't do that",
        lambda t: t.stayed and not t.ended and (_fell_back(t) or _no_such_routine(t)),
    ),
    (r"says progress", lambda t: re.search(r"streak|haven't finished a routine", t.speech) and t.stayed),
    (r"asks before deleting", lambda t: t.after.get("pending") == "delete" and "delete" in t.speech),
    (
        r"stops the check and says the emergency number",
        lambda t: t.ended and "stopped the check" in t.speech and _emergency_number(t.locale) in t.speech,
    ),
]


def behaviour(expect: str) -> Callable[[Turn], bool]:
    for pattern, check in BEHAVIOURS:
        found = re.fullmatch(pattern, expect)
        if found:
            args = found.groups()
            return lambda turn, check=check, args=args: bool(check(turn, *args))
    raise AssertionError(f"the corpus expects a behaviour nobody checks: {expect!r}")


# --- the corpus ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    said: str
    context: str
    expect: str
    locale: str
    pain: bool
    source: str


@lru_cache(maxsize=1)
def corpus() -> tuple[Line, ...]:
    lines = []
    for path in sorted(CORPUS.glob("*.toml")):
        for group in tomllib.loads(path.read_text(encoding="utf-8"))["say"]:
            assert group["context"] in CONTEXTS, f"{path.name}: unknown context {group['context']!r}"
            behaviour(group["expect"])  # every expectation must have a check
            pain = group.get("pain", False) or group["expect"] == "reaches the symptom check"
            for said in group["lines"]:
                locale = group.get("locale", "en-US")
                lines.append(Line(said, group["context"], group["expect"], locale, pain, path.name))
    return tuple(lines)


def request_for(said: str, locale: str) -> tuple[dict, Match]:
    """What Alexa would send for ``said``, through the console's own path: its matcher
    (``understand``), then a real request ("exit" is a SessionEndedRequest, as on a device)."""
    request, match = heard(said, locale)
    assert request is not None and match is not None and match.intent == understand(said, locale).intent
    return request, match


def run_line(talk, line: Line) -> tuple[bool, str]:
    person = talk(locale=line.locale)
    CONTEXTS[line.context](person)
    before = _state(person.last)
    request, match = request_for(line.said, line.locale)
    response = person.send(request)
    turn = Turn(
        before=before,
        after=_state(response),
        speech=speech_text(response),
        ended=response["response"].get("shouldEndSession") is not False,
        card=response["response"].get("card"),
        locale=line.locale,
    )
    ok = behaviour(line.expect)(turn)
    got = f"{match.intent} {match.resolved}" if match.slots else match.intent
    return ok, f"[{line.context}] {line.said!r} -> {got}: {turn.speech[:150]!r} (expected: {line.expect})"


def test_the_corpus_is_large_and_varied():
    lines = corpus()
    assert len(lines) >= 600
    assert {line.context for line in lines} == set(CONTEXTS)
    assert {line.locale for line in lines} >= {"en-US", "en-GB", "en-AU", "en-IN", "en-CA"}
    said = [(line.said.lower(), line.context, line.locale) for line in lines]
    assert len(said) == len(set(said)), "a line is in the corpus twice in the same context"


def test_behaviour_checks_can_fail(talk):
    """Each check rejects a reply that did something else (the checks are not rubber stamps)."""
    wrong = {
        "starts Desk reset": Line("start hip flexors", "menu", "starts Desk reset", "en-US", False, ""),
        "moves to the next step": Line("repeat", "hold", "moves to the next step", "en-US", False, ""),
        "sets hold to 40 s and says so": Line("hold for 45 seconds", "hold", "sets hold to 40 s and says so",
                                              "en-US", False, ""),
        "asks the question again": Line("yes", "question", "asks the question again", "en-US", False, ""),
        "reaches the symptom check": Line("next", "hold", "reaches the symptom check", "en-US", True, ""),
        "says which side": Line("what's next", "hold", "says which side", "en-US", False, ""),
        "answers thanks in a line": Line("next", "hold", "answers thanks in a line", "en-US", False, ""),
        "takes it as yes": Line("no", "question", "takes it as yes", "en-US", False, ""),
        "falls back with a safety line": Line("next", "hold", "falls back with a safety line", "en-US", False,
                                              ""),
    }  # fmt: skip
    for expect, line in wrong.items():
        ok, report = run_line(talk, line)
        assert not ok, f"the check for {expect!r} passed a reply that did something else: {report}"


def test_people_are_understood(talk, capsys):
    results = [(line, *run_line(talk, line)) for line in corpus()]
    failed = [(line, report) for line, ok, report in results if not ok]
    pain = [r for r in results if r[0].pain]
    pain_failed = [(line, report) for line, ok, report in pain if not ok]
    share = 1 - len(failed) / len(results)
    pain_share = 1 - len(pain_failed) / len(pain) if pain else 1.0
    with capsys.disabled():
        passed = len(results) - len(failed)
        print(f"\nutterance corpus: {passed}/{len(results)} behaved as expected ({share:.1%});")
        print(f"pain and symptoms: {len(pain) - len(pain_failed)}/{len(pain)} ({pain_share:.1%})")
        for _, report in failed:
            print("  FAIL", report)
    assert pain_share == 1.0, "every line about pain or symptoms must reach the check"
    assert share >= TARGET


@pytest.mark.parametrize("context", sorted(CONTEXTS))
def test_each_context_is_set_up_by_real_turns(talk, context):
    person = talk()
    CONTEXTS[context](person)
    assert person.last and not person.ended
