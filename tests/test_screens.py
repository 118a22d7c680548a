"""Echo Show screens: the APL documents, the data they bind to, and the turns that send them.

The documents are checked with Amazon's own validator (npm apl-suggester, through
tests/apl_validate.js); every warning it gives must be explained in apl/NOTES.md. Every
``${payload...}`` binding must resolve in the data the skill sends, for every step of every
routine, for the routine list and for each outcome level; and the countdown's own expressions,
evaluated at the moments the voice says its cues, must show the number being said.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from alexa import envelope, intent_request, speech_text
from limber.core import coaching, menu
from limber.core.content import default_library
from limber.core.display import OUTCOME_LABELS, START_ROUTINE, screen_for
from limber.core.routine import steps_of
from limber.core.ssml import escape
from limber.core.state import State
from limber.core.step_speech import heading, spoken_setup
from limber.core.timing import NUMBER_WORDS, hold_cues
from limber.skill import screens

ROOT = Path(__file__).resolve().parents[1]
APL_DIR = ROOT / "lambda" / "limber" / "skill" / "apl"
NOTES = APL_DIR / "NOTES.md"
VALIDATOR = ROOT / "tests" / "apl_validate.js"
DOCUMENTS = sorted(path.stem for path in APL_DIR.glob("*.json"))
LIBRARY = default_library()
APL = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}
SERIALIZER = DefaultSerializer()
OUTCOME_TITLES = {
    "emergency": "Emergency: call 911 now",
    "urgent": "Urgent: get seen today",
    "soon": "See a doctor this week",
    "self_care": "Self-care is reasonable",
}


# --- the screens the core asks for, exactly as it asks for them --------------------------------


def walk_routine(routine_id: str):
    """Every step reply of a routine, from the core's own turn functions."""
    reply = coaching.start(LIBRARY, State(), routine_id, None)
    while reply.display and reply.display["kind"] == "step":
        yield reply
        reply = coaching.next_step(LIBRARY, reply.state)


@cache
def step_replies() -> tuple:
    return tuple(reply for routine in LIBRARY.routines for reply in walk_routine(routine.id))


def outcome_hint(level: str) -> dict:
    text = "Call your local emergency number now. Don't stretch until you have been checked."
    return {"kind": "outcome", "level": level, "title": OUTCOME_TITLES[level], "text": text}


@cache
def all_screens() -> tuple:
    """(label, Screen) for every screen the skill can send."""
    screens_ = [
        (f"{r.display['routine']}#{r.display['step']}", screen_for(r.display, LIBRARY))
        for r in step_replies()
    ]
    screens_.append(
        ("routines", screen_for(menu.welcome(LIBRARY, State(), first_time=True).display, LIBRARY))
    )
    screens_ += [(f"outcome:{level}", screen_for(outcome_hint(level), LIBRARY)) for level in OUTCOME_LABELS]
    for reply in step_replies():  # a pause at every step of every routine
        paused = coaching.pause(LIBRARY, reply.state).display
        screens_.append((f"paused:{paused['routine']}#{paused['step']}", screen_for(paused, LIBRARY)))
    for routine in LIBRARY.routines:  # the week after finishing each, with and without a goal
        for goal in (None, 3):
            hint = {
                "kind": "progress",
                "routine": routine.id,
                "days": [True, False] * 3 + [True],
                "goal": goal,
            }
            screens_.append((f"progress:{routine.id}:{goal}", screen_for(hint, LIBRARY)))
    assert all(screen is not None for _, screen in screens_)
    return tuple(screens_)


def position_prefix(routine, step) -> str:
    side = "" if step.side == "both" else f" · {step.side} side"
    return f"Stretch {step.stretch_number} of {len(routine.stretches)}{side}"


def document(name: str) -> dict:
    return json.loads((APL_DIR / f"{name}.json").read_text())


# --- Amazon's validator, and the document evaluator, through node -------------------------------


def run_node(*args: str, stdin: dict | None = None):
    if shutil.which("node") is None or not (ROOT / "node_modules" / "apl-suggester").is_dir():
        pytest.fail("node and apl-suggester are needed: run scripts/setup.sh --system (npm ci)")
    done = subprocess.run(
        ["node", str(VALIDATOR), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        input=json.dumps(stdin) if stdin is not None else None,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def validation() -> dict:
    sources = {label: screen.datasources for label, screen in all_screens()}
    return run_node("-", stdin={"documents": {n: document(n) for n in DOCUMENTS}, "datasources": sources})


def explained_warnings() -> set[tuple[str, str, str]]:
    """NOTES.md lists each warning it explains as: - `doc.json` `/path`: message — why."""
    found = re.findall(r"^- `([\w-]+)\.json` `([^`]+)`: (.+?) — ", NOTES.read_text(), re.M)
    return {(doc, path, message) for doc, path, message in found}


def test_the_documents_are_the_five_screens():
    assert DOCUMENTS == ["outcome", "progress", "routines", "status", "step"]
    assert {screen.document for _, screen in all_screens()} == set(DOCUMENTS)


def test_validator_finds_no_errors(validation):
    errors = {
        name: [w for w in found if w.get("level") != "WARNING"]
        for name, found in validation["documents"].items()
    }
    assert errors == {name: [] for name in DOCUMENTS}


def test_validator_really_reports_problems():
    """The harness would hide a broken document if the validator's errors got lost on the way."""
    broken = {
        "type": "APL",
        "version": "1.8",
        "mainTemplate": {
            "item": {
                "type": "Container",
                "items": [{"type": "Txt"}, {"type": "Text", "text": "x", "fontSize": "huge"}],
            }
        },
    }
    found = run_node("-", stdin={"documents": {"broken": broken}})["documents"]["broken"]
    assert any(f["level"] == "ERROR" and "Txt" in f["errorMessage"] for f in found)
    assert any(f["level"] == "WARNING" and f["path"].endswith("/fontSize") for f in found)


def test_every_warning_is_explained_in_notes_and_no_explanation_is_stale(validation):
    warned = {
        (name, w["path"], w["errorMessage"]) for name, found in validation["documents"].items() for w in found
    }
    explained = explained_warnings()
    assert warned - explained == set(), "explain these in apl/NOTES.md, or fix them"
    assert explained - warned == set(), "NOTES.md explains warnings the validator no longer gives"


def test_data_sources_pass_the_validator(validation):
    assert {label: found for label, found in validation["datasources"].items() if found} == {}


# --- bindings: what the documents read exists in what the skill sends ----------------------------

EXPRESSION = re.compile(r"\$\{([^{}]*)\}")
REFERENCE = re.compile(r"(?<![\w.@])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)*)")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
CHILDREN = ("item", "items", "firstItem", "lastItem")


def _references(text: str, aliases: dict, scope: tuple | None) -> list[tuple]:
    found = []
    for expression in EXPRESSION.findall(text):
        for root, rest in REFERENCE.findall(QUOTED.sub("''", expression)):
            parts = tuple(p for p in rest.split(".") if p)
            if root == "payload":
                found.append(parts)
            elif root in aliases:
                found.append(aliases[root] + parts)
            elif root == "data" and scope is not None:
                found.append(scope + ("*",) + parts)
    return found


def payload_paths(node, aliases: dict | None = None, scope: tuple | None = None) -> list[tuple]:
    """Every data-source path a document reads, through bind aliases and ``data`` arrays."""
    aliases = dict(aliases or {})
    found: list[tuple] = []
    if isinstance(node, str):
        return _references(node, aliases, scope)
    if isinstance(node, list):
        return [p for item in node for p in payload_paths(item, aliases, scope)]
    if not isinstance(node, dict):
        return []
    for binding in node.get("bind", []):
        value = str(binding.get("value", ""))
        refs = _references(value, aliases, scope)
        found += refs
        whole = EXPRESSION.fullmatch(value)
        if refs and whole and REFERENCE.fullmatch(whole[1].strip()):  # a plain alias: T = payload...
            aliases[binding["name"]] = refs[0]
    child_scope = scope
    if isinstance(node.get("data"), str):
        data_refs = _references(node["data"], aliases, scope)
        child_scope = data_refs[0] if data_refs else scope
    for key, value in node.items():
        if key == "bind":
            continue
        found += payload_paths(value, aliases, child_scope if key in CHILDREN else scope)
    return found


def resolve(data, path: tuple) -> list:
    """The values at ``path``; "*" stands for every element of a list. Missing: KeyError."""
    values = [data]
    for part in path:
        if part == "*":
            values = [item for value in values for item in value]
        else:
            values = [value[part] for value in values]
    return values


def leaf_paths(data, prefix: tuple = ()) -> set[tuple]:
    if isinstance(data, dict):
        return {p for key, value in data.items() for p in leaf_paths(value, prefix + (key,))}
    if isinstance(data, list):
        return {p for item in data for p in leaf_paths(item, prefix + ("*",))} or {prefix + ("*",)}
    return {prefix}


def test_binding_check_follows_aliases_and_data_arrays():
    paths = set(payload_paths(document("step")))
    assert ("step", "timer", "endMs") in paths  # through the T alias and directly
    assert ("step", "setup", "*") in paths  # ${data} inside the set-up list
    assert ("menu", "routines", "*", "id") in set(payload_paths(document("routines")))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_binding_resolves_in_every_data_source(name):
    paths = set(payload_paths(document(name)))
    screens_ = [(label, s) for label, s in all_screens() if s.document == name]
    assert paths and screens_
    for label, screen in screens_:
        for path in paths:
            try:
                values = resolve(screen.datasources, path)
            except (KeyError, TypeError):
                pytest.fail(f"{name}.json reads payload.{'.'.join(path)}, missing for {label}")
            assert all(v is not None for v in values), (label, path)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_data_sources_carry_only_what_the_document_shows(name):
    used = set(payload_paths(document(name)))
    for label, screen in all_screens():
        if screen.document == name:
            assert leaf_paths(screen.datasources) - used == set(), label


# --- layout rules: viewports, resources, commands the validator can see -------------------------


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_documents_adapt_to_round_and_large_screens_and_name_real_resources(name):
    doc = document(name)
    base, *variants = doc["resources"]
    conditions = [block["when"] for block in variants]
    assert "${viewport.shape == 'round'}" in conditions  # Echo Spot, 480 x 480
    assert "${viewport.width >= 1280}" in conditions  # Echo Show 8, 10, 15
    for block in variants:
        for kind, values in block.items():
            if kind != "when":
                assert set(values) <= set(base[kind]), f"{name}: {block['when']} overrides unknown names"
    defined = {n for kind, values in base.items() for n in values}
    used = {
        m
        for text in _strings({k: v for k, v in doc.items() if k != "resources"})
        for m in re.findall(r"@(\w+)", text)
    }
    assert used <= defined
    assert "import" not in doc  # the validator would fetch imports over the network


def _handlers(node, found):
    if isinstance(node, dict):
        for key in ("onPress", "onMount", "handleTick"):
            for entry in node.get(key, []):
                found += entry.get("commands", [entry]) if key == "handleTick" else [entry]
        for value in node.values():
            _handlers(value, found)
    elif isinstance(node, list):
        for value in node:
            _handlers(value, found)
    return found


@pytest.mark.parametrize("name", DOCUMENTS)
def test_handlers_call_only_document_commands(name):
    """apl-suggester checks commands only under "commands" (and document onMount): keep them there."""
    doc = document(name)
    called = _handlers(doc["mainTemplate"], [])
    assert {c["type"] for c in called} <= set(doc.get("commands", {}))
    assert "onMount" not in doc or all(c["type"] in doc.get("commands", {}) for c in doc["onMount"])


def test_routine_list_touch_sends_start_routine_with_the_id():
    doc = document("routines")
    sequence = doc["mainTemplate"]["item"]["items"][-1]
    press = sequence["item"]["onPress"]
    assert press == [{"type": "StartRoutine", "routineId": "${data.id}"}]
    event = doc["commands"]["StartRoutine"]["commands"]
    assert event == [{"type": "SendEvent", "arguments": [START_ROUTINE, "${routineId}"]}]
    assert sequence["data"] == "${payload.menu.routines}"


# --- the step screen says what the voice says ---------------------------------------------------


def test_step_screen_matches_the_spoken_step():
    for reply in step_replies():
        routine = LIBRARY.routine(reply.display["routine"])
        step = steps_of(routine)[reply.display["step"]]
        data = screen_for(reply.display, LIBRARY).datasources["step"]
        said = reply.ssml
        assert data["position"].startswith(position_prefix(routine, step))
        assert escape(heading(routine, step)) in said
        assert data["name"].lower() == step.stretch.name.lower()
        assert data["routine"] == routine.name
        # The screen shows the whole set-up; the voice says what this side or set needs of it.
        assert data["setup"] and all("{" not in line for line in data["setup"])
        assert all(line in data["setup"] and escape(line) in said for line in spoken_setup(step))
        timer = data["timer"]
        assert (timer["startMs"], timer["endMs"]) == (
            round(reply.display["timer_starts"] * 1000),
            round(reply.display["timer_ends"] * 1000),
        )
        length = (
            step.stretch.reps * step.stretch.rep_seconds if timer["kind"] == "reps" else reply.display["hold"]
        )
        assert abs(timer["endMs"] - timer["startMs"] - length * 1000) <= 200
        assert escape(data["next"]) in said


def test_two_sided_stretch_shows_the_other_side_filled_in():
    for reply in step_replies():
        step = steps_of(LIBRARY.routine(reply.display["routine"]))[reply.display["step"]]
        if step.side in ("left", "right") and any("{other}" in line for line in step.stretch.setup):
            setup = " ".join(screen_for(reply.display, LIBRARY).datasources["step"]["setup"])
            other = "right" if step.side == "left" else "left"
            assert step.side in setup and other in setup
            return
    pytest.fail("no two-sided stretch uses {other}; pick another check")


def _component_path(node, component_id, trail=()):
    if isinstance(node, dict):
        trail = trail + (node,)
        if node.get("id") == component_id:
            return trail
        children = [node[k] for k in CHILDREN if k in node]
        for child in children:
            for item in child if isinstance(child, list) else [child]:
                found = _component_path(item, component_id, trail)
                if found:
                    return found
    return None


def _timer_case(datasources: dict, component_id: str, expression_of, now_ms: float) -> dict:
    trail = _component_path(document("step")["mainTemplate"]["item"], component_id)
    binds = [[b["name"], b["value"]] for node in trail for b in node.get("bind", [])]
    viewport = {"shape": "rectangle", "width": 1280, "height": 800}
    context = {"payload": datasources, "viewport": viewport, "elapsedTime": now_ms, "Now": now_ms}
    return {"context": context, "binds": binds, "expression": expression_of(trail[-1])}


def _count(component):
    return component["text"]


def _scale(component):
    return component["transform"][0]["scaleX"]


def test_countdown_shows_the_number_the_voice_is_saying():
    """At each spoken cue, the count on screen equals the number being said."""
    cases, expected, rested = [], [], []
    word_value = {w.capitalize(): i for i, w in enumerate(NUMBER_WORDS)}
    for reply in step_replies():
        data = screen_for(reply.display, LIBRARY).datasources
        timer = data["step"]["timer"]
        start, end = timer["startMs"], timer["endMs"]

        def add(component, expression_of, now_ms, value, data=data):
            cases.append(_timer_case(data, component, expression_of, now_ms))
            expected.append(value)

        if timer["kind"] == "hold":
            hold = timer["seconds"]
            add("count", _count, start - 2000, str(hold))  # during "Starting now." and before
            add("phase", _count, start - 2000, "seconds · get ready")
            for at, cue in hold_cues(hold):
                number = 10 if cue == "Ten seconds left." else word_value.get(cue.rstrip("."))
                if number is not None:
                    add("count", _count, start + at * 1000 + 200, str(number))
            add("phase", _count, start + 1000, "seconds left")
            add("count", _count, end + 500, "0")
            add("phase", _count, end + 500, "Release")
            add("bar", _scale, start + hold * 500, 0.5)
        else:
            for i in range(timer["reps"]):  # reps_speech says rep i + 1 at i * rep_seconds
                add("count", _count, start + i * timer["repMs"] + 200, str(i + 1))
            add("phase", _count, start + 200, f"of {timer['reps']} reps")
            add("count", _count, end + 500, str(timer["reps"]))
            add("phase", _count, end + 500, "Release")
        add("bar", _scale, start - 1000, 1)
        add("bar", _scale, end + 1000, 0)
        if timer["restEndMs"]:  # the rest between sets counts down with the voice too
            rest_start, rest_end = timer["restStartMs"], timer["restEndMs"]
            rest = round((rest_end - rest_start) / 1000)
            add("count", _count, rest_start + 200, str(rest))
            add("phase", _count, rest_start + 200, "seconds of rest")
            for at, cue in hold_cues(rest):
                number = 10 if cue == "Ten seconds left." else word_value.get(cue.rstrip("."))
                if number is not None:
                    add("count", _count, rest_start + at * 1000 + 200, str(number))
            add("phase", _count, rest_end + 500, "Rest over")
            rested.append(reply)
    assert rested, "no step with a rest between sets: the rest countdown went unchecked"
    got = run_node("--eval", stdin={"cases": cases})
    assert len(got) == len(cases) > 100

    def matches(value, wanted) -> bool:
        if isinstance(wanted, str):
            return str(value) == wanted
        return isinstance(value, int | float) and abs(value - wanted) <= 0.02

    wrong = [
        (c["context"]["Now"], c["expression"][:50], g, e)
        for c, g, e in zip(cases, got, expected, strict=True)
        if not matches(g, e)
    ]
    assert wrong == []


def test_tick_handler_follows_elapsed_time_and_stops_after_release():
    doc = document("step")
    root = doc["mainTemplate"]["item"]
    assert {"name": "Now", "value": 0} in root["bind"]
    (tick,) = root["handleTick"]
    assert tick["commands"] == [{"type": "FollowClock"}]
    assert doc["commands"]["FollowClock"]["commands"] == [
        {"type": "SetValue", "property": "Now", "value": "${elapsedTime}"}
    ]
    assert tick["when"] == "${Now <= Math.max(payload.step.timer.endMs, payload.step.timer.restEndMs)}"


# --- hints the core might get wrong give no screen rather than a broken one ---------------------


def _step_hint(**changes) -> dict:
    """The first step of Hip flexors (a rep stretch), with ``changes``."""
    hint = {
        "kind": "step",
        "routine": "hip_flexors",
        "step": 0,
        "hold": None,
        "timer_starts": 1.0,
        "timer_ends": 31.0,
    }
    return hint | changes


@pytest.mark.parametrize(
    "hint",
    [
        None,
        {},
        {"kind": "nope"},
        _step_hint(routine="nope"),
        _step_hint(step=999),
        _step_hint(step=-1),
        _step_hint(step=True),
        _step_hint(timer_starts="1"),
        _step_hint(timer_ends=None),
        _step_hint(hold=30),  # a hold for a rep stretch: the hint does not fit the content
        {"kind": "outcome", "level": "mild", "title": "t", "text": "x"},
        {"kind": "outcome", "level": "urgent", "title": None, "text": "x"},
        {"kind": "paused", "routine": "nope", "step": 0},
        {"kind": "paused", "routine": "hip_flexors", "step": 999},
        {"kind": "progress", "routine": "hip_flexors"},  # the skill never added the week
        {"kind": "progress", "routine": "hip_flexors", "days": [True] * 6, "goal": 3},
        {"kind": "progress", "routine": "hip_flexors", "days": [1] * 7, "goal": 3},
    ],
)
def test_unusable_hints_give_no_screen(hint):
    assert screen_for(hint, LIBRARY) is None


def test_the_hint_helper_makes_a_usable_hint():
    assert screen_for(_step_hint(), LIBRARY).document == "step"


# --- the skill side: directives and touches -----------------------------------------------------


def handler_input(request: dict, interfaces=None, attributes=None) -> HandlerInput:
    event = envelope(request, interfaces=interfaces, session_attributes=attributes)
    request_envelope = SERIALIZER.deserialize(json.dumps(event), RequestEnvelope)
    return HandlerInput(
        request_envelope=request_envelope,
        attributes_manager=AttributesManager(request_envelope=request_envelope),
    )


def test_directives_only_for_devices_with_apl():
    reply = coaching.start(LIBRARY, State(), "desk_reset", None)
    assert screens.directives(handler_input(intent_request("StartRoutineIntent")), reply) == []
    (directive,) = screens.directives(handler_input(intent_request("StartRoutineIntent"), APL), reply)
    sent = SERIALIZER.serialize(directive)
    assert sent["type"] == "Alexa.Presentation.APL.RenderDocument"
    assert sent["token"] == "limber.step"
    assert sent["document"] == document("step")
    assert sent["datasources"] == screen_for(reply.display, LIBRARY).datasources
    no_display = menu.help_reply(LIBRARY, State())
    assert screens.directives(handler_input(intent_request("AMAZON.HelpIntent"), APL), no_display) == []


@pytest.mark.parametrize(
    ("max_version", "shown"),
    [
        ("2023.3", True),
        ("1.8", True),
        ("1.6", False),
        (None, True),
        ("unknown", True),
    ],
)
def test_an_older_apl_runtime_gets_speech_only(max_version, shown):
    interfaces = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": max_version}} if max_version else {}}
    reply = menu.list_routines(LIBRARY, State())
    got = screens.directives(handler_input(intent_request("ListRoutinesIntent"), interfaces), reply)
    assert len(got) == (1 if shown else 0)


def test_documents_declare_the_version_the_skill_checks_for():
    assert {document(name)["version"] for name in DOCUMENTS} == {screens.DOCUMENT_VERSION}


def user_event(*arguments) -> dict:
    return {
        "type": "Alexa.Presentation.APL.UserEvent",
        "token": "limber.routines",
        "arguments": list(arguments),
        "source": {"type": "TouchWrapper", "handler": "Press", "id": ""},
        "components": {},
    }


def test_touching_a_routine_starts_it():
    (touch,) = screens.HANDLERS
    routine = LIBRARY.routines[-1]
    hi = handler_input(user_event(START_ROUTINE, routine.id), APL)
    assert touch.can_handle(hi)
    response = touch.handle(hi)
    said = response.output_speech.ssml
    assert f"Let's do {escape(routine.name)}" in said
    assert escape(heading(routine, steps_of(routine)[0])) in said
    assert response.reprompt is not None and not response.should_end_session
    assert not touch.can_handle(handler_input(intent_request("AMAZON.HelpIntent"), APL))


@pytest.mark.parametrize(
    "arguments",
    [
        (),
        ("somethingElse", "hip_flexors"),
        (START_ROUTINE,),
        (START_ROUTINE, 7),
    ],
)
def test_a_touch_the_skill_did_not_ask_for_offers_the_list(arguments):
    (touch,) = screens.HANDLERS
    said = touch.handle(handler_input(user_event(*arguments), APL)).output_speech.ssml
    assert all(escape(r.name) in said for r in LIBRARY.routines)


def test_touching_an_unknown_routine_offers_the_list():
    (touch,) = screens.HANDLERS
    said = touch.handle(handler_input(user_event(START_ROUTINE, "no_such_routine"), APL)).output_speech.ssml
    assert all(escape(r.name) in said for r in LIBRARY.routines)


# --- through lambda_handler: needs render.py and builder.py to use limber.skill.screens ----------


def rendered(response: dict) -> list[dict]:
    return [
        d
        for d in response["response"].get("directives", [])
        if d["type"] == "Alexa.Presentation.APL.RenderDocument"
    ]


def test_launch_on_a_screen_shows_the_touchable_routine_list(talk):
    person = talk(interfaces=APL)
    person.launch()
    (directive,) = rendered(person.last)
    assert directive["token"] == "limber.routines"
    shown = directive["datasources"]["menu"]["routines"]
    assert [r["id"] for r in shown] == [r.id for r in LIBRARY.routines]
    assert not rendered(talk().send({"type": "LaunchRequest"}))


def test_touching_a_routine_answers_with_its_first_step_spoken_and_shown(talk):
    person = talk(interfaces=APL)
    person.launch()
    routine = LIBRARY.routines[1]
    said = speech_text(person.send(user_event(START_ROUTINE, routine.id)))
    assert f"Let's do {routine.name}" in said and not person.ended
    (directive,) = rendered(person.last)
    shown = directive["datasources"]["step"]
    assert shown["position"].startswith(f"Stretch 1 of {len(routine.stretches)}")
    assert person.say("AMAZON.NextIntent") and rendered(person.last)  # the session carried on


@pytest.mark.parametrize("routine", LIBRARY.routines, ids=lambda r: r.id)
def test_every_step_is_shown_and_every_response_stays_small(talk, routine):
    """Conversation checks every response against Alexa's rules, the 24 kB limit included."""
    person = talk(interfaces=APL)
    said = person.say("StartRoutineIntent", routine=routine.synonyms[0])
    for step in steps_of(routine):
        (directive,) = rendered(person.last)
        shown = directive["datasources"]["step"]
        assert shown["position"].startswith(position_prefix(routine, step))
        assert heading(routine, step) in said
        said = person.say("AMAZON.NextIntent")
    assert f"finished {routine.name}" in said
    (directive,) = rendered(person.last)
    assert directive["token"] == "limber.progress"  # the week, after a finished routine


def test_a_device_without_a_screen_never_gets_a_document(talk):
    person = talk()
    responses = [person.send({"type": "LaunchRequest"})]
    responses.append(person.intent("StartRoutineIntent", routine="desk reset"))
    responses += [person.intent("AMAZON.NextIntent") for _ in range(3)]
    assert "Let's do Desk reset" in speech_text(responses[1])
    assert [rendered(r) for r in responses] == [[]] * len(responses)


def test_a_first_time_start_shifts_the_countdown_by_the_disclaimer(lambda_handler):
    from alexa import Conversation

    apl = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}
    person = Conversation(lambda_handler, interfaces=apl)

    def timer_start():
        directive = rendered(person.last)[0]
        return directive["datasources"]["step"]["timer"]["startMs"]

    first = person.say("StartRoutineIntent", routine="hips")
    assert "not medical advice" in first
    with_disclaimer = timer_start()
    person.say("AMAZON.StopIntent")
    person.say("StartRoutineIntent", routine="hips")
    assert with_disclaimer - timer_start() > 5000  # the disclaimer takes several seconds


def test_a_touched_routine_uses_the_saved_hold(lambda_handler):
    from alexa import Conversation

    apl = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}
    person = Conversation(lambda_handler, interfaces=apl)
    person.say("SetHoldTimeIntent", seconds="45")
    person.say("AMAZON.StopIntent")
    person.say("ListRoutinesIntent")
    touch = {
        "type": "Alexa.Presentation.APL.UserEvent",
        "token": "limber.routines",
        "arguments": ["startRoutine", "low_back_and_hips"],
        "source": {"type": "TouchWrapper"},
    }
    person.send(touch)
    while rendered(person.last)[0]["datasources"]["step"]["timer"]["kind"] != "hold":
        person.say("SkipStretchIntent")
    assert rendered(person.last)[0]["datasources"]["step"]["timer"]["seconds"] == 45


# --- pause, rest and the week -------------------------------------------------------------------


def test_pause_shows_the_exact_place_and_how_to_come_back():
    reply = next(
        r for r in step_replies() if r.display["routine"] == "hip_flexors" and r.display["step"] == 2
    )
    paused = coaching.pause(LIBRARY, reply.state)
    data = screen_for(paused.display, LIBRARY).datasources["status"]
    assert data["title"] == "Paused" and "limber coach" in data["hint"]
    assert data["detail"].lower().startswith("stretch ")
    assert escape(data["detail"].split(":")[0].lower()) in paused.ssml.lower()


def test_the_week_counts_days_against_the_goal():
    days = [True, True, False, False, False, False, False]
    hint = {"kind": "progress", "routine": "desk_reset", "days": days, "goal": 3}
    data = screen_for(hint, LIBRARY).datasources["progress"]
    assert data["summary"] == "Two of three days this week" and data["goalMet"] is False
    assert [d["label"] for d in data["days"]] == list("MTWTFSS") and [d["done"] for d in data["days"]] == days
    data = screen_for(hint | {"goal": None}, LIBRARY).datasources["progress"]
    assert data["summary"] == "Two days this week"
    assert screen_for(hint | {"days": [True] * 7}, LIBRARY).datasources["progress"]["goalMet"] is True


def test_finishing_a_routine_on_a_screen_shows_this_week_from_saved_progress(talk):
    person = talk(interfaces=APL)
    person.launch()
    person.say("StartRoutineIntent", routine="desk")
    for _ in range(60):
        person.say("AMAZON.NextIntent")
        directives = person.last["response"].get("directives") or []
        tokens = [d.get("token") for d in directives]
        if "limber.progress" in tokens:
            break
    else:
        pytest.fail("finishing the routine showed no progress screen")
    (shown,) = [d for d in directives if d.get("token") == "limber.progress"]
    week = shown["datasources"]["progress"]
    assert sum(day["done"] for day in week["days"]) == 1  # today, just saved
    assert week["summary"] == "One day this week"


def test_pausing_on_a_screen_shows_the_pause_screen(talk):
    person = talk(interfaces=APL)
    person.launch()
    person.say("StartRoutineIntent", routine="desk")
    person.say("AMAZON.PauseIntent")
    tokens = [d.get("token") for d in person.last["response"].get("directives") or []]
    assert tokens == ["limber.status"]
