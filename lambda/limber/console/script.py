"""Scripted conversations: a YAML file of what the person says, with expectations.

    name: Hip flexors, start to finish
    locale: en-GB                         # optional; the request locale
    turns:
      - say: open limber coach            # "open limber coach" is a launch, as on an Echo
      - say: start hip flexors
        expect:                           # all optional; checked on the turn's last response
          intent: StartRoutineIntent      # what the words were understood as
          slots: {routine: hip_flexors}   # resolved ids (a number's digits); null = no match
          contains: "Stretch 1 of"        # text or list of texts, case-insensitive
          not_contains: "dangerous"
          matches: "Stretch \\d+ of 7"    # regular expression, case-insensitive
          ends_session: false
          card_title_starts: "Emergency"  # or a list: any of them
          card_contains: "911"            # card title or text, case-insensitive
      - say: next
        repeat: 5                         # say it 5 more times (6 in all)
      - say: next
        until: {contains: "last one"}     # say it until a response meets these expectations
        max: 20                           # ... at most this many times (default 30)
      - silence: true                     # say nothing: Alexa speaks the reprompt ...
        expect: {contains: "Say next"}
      - silence: true                     # ... and then closes the session (the skill gets a
        expect: {ends_session: true}      #     SessionEndedRequest EXCEEDED_MAX_REPROMPTS)

Speech is compared as plain words (markup removed). A session that ends (``stop``) is
followed by a new one, as when the person speaks to the Echo again; saved progress stays
in the store. The runner prints a transcript and returns 1 when an expectation fails,
2 when the script itself is malformed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from limber.console.envelopes import AlexaSession, speech_text

EXPECTATIONS = {"intent", "slots", "contains", "not_contains", "matches", "ends_session",
                "card_title_starts", "card_contains"}  # fmt: skip
TURN_KEYS = {"say", "silence", "expect", "repeat", "until", "max"}
SCRIPT_KEYS = {"name", "locale", "turns", "description"}
DEFAULT_MAX = 30


class ScriptError(ValueError):
    pass


def _check_expectations(expect, where: str) -> None:
    if expect is None:
        return
    if not isinstance(expect, dict):
        raise ScriptError(f"{where}: expectations must be a mapping")
    unknown = set(expect) - EXPECTATIONS
    if unknown:
        raise ScriptError(f"{where}: unknown expectations {sorted(unknown)}; known: {sorted(EXPECTATIONS)}")
    if "slots" in expect and not isinstance(expect["slots"], dict):
        raise ScriptError(f"{where}: 'slots' must map slot names to ids")
    for pattern in _as_list(expect.get("matches")):
        try:
            re.compile(pattern)
        except re.error as err:
            raise ScriptError(f"{where}: bad 'matches' pattern {pattern!r}: {err}") from None


def load_script(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ScriptError(f"{path}: cannot read: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list) or not data["turns"]:
        raise ScriptError(f"{path}: needs a non-empty 'turns' list")
    unknown = set(data) - SCRIPT_KEYS
    if unknown:
        raise ScriptError(f"{path}: unknown keys {sorted(unknown)}")
    for number, turn in enumerate(data["turns"], start=1):
        where = f"{path}: turn {number}"
        if isinstance(turn, dict) and isinstance(turn.get("say"), bool):
            raise ScriptError(f'{where}: YAML reads an unquoted yes or no as true/false; write say: "no"')
        said = turn.get("say") if isinstance(turn, dict) else None
        if isinstance(turn, dict) and "silence" in turn:
            if turn["silence"] is not True or set(turn) - {"silence", "expect"}:
                raise ScriptError(f"{where}: a silence turn is 'silence: true' with an optional 'expect'")
        elif not isinstance(said, str) or not re.search(r"\w", said):
            raise ScriptError(f"{where} needs 'say' with some words")
        if set(turn) - TURN_KEYS:
            raise ScriptError(f"{where} has unknown keys {sorted(set(turn) - TURN_KEYS)}")
        for key, least in (("repeat", 0), ("max", 1)):
            value = turn.get(key, least)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ScriptError(f"{where}: '{key}' must be a whole number from {least}")
        if "repeat" in turn and "until" in turn:
            raise ScriptError(f"{where}: use 'repeat' or 'until', not both")
        _check_expectations(turn.get("expect"), where)
        _check_expectations(turn.get("until"), f"{where} (until)")
    return data


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def failures(expect: dict, response: dict, request: dict) -> list[str]:
    """Every expectation of one turn that the response (to ``request``) does not meet."""
    said = speech_text(response)
    body = response.get("response") or {}
    card = body.get("card") or {}
    card_words = f"{card.get('title') or ''} {card.get('content') or card.get('text') or ''}"
    intent = (request.get("intent") or {}).get("name") or request["type"]
    problems = []
    if "intent" in expect and intent != expect["intent"]:
        problems.append(f"understood as {intent}, expected {expect['intent']}")
    if "slots" in expect:
        got = slot_ids(request)
        for name, wanted in expect["slots"].items():
            if got.get(name) != (None if wanted is None else str(wanted)):
                problems.append(f"slot {name} resolved to {got.get(name)!r}, expected {wanted!r}")
    heard = said.lower()
    problems += [f"speech lacks {t!r}" for t in _as_list(expect.get("contains")) if t.lower() not in heard]
    problems += [f"speech has {t!r}" for t in _as_list(expect.get("not_contains")) if t.lower() in heard]
    problems += [
        f"speech does not match /{p}/"
        for p in _as_list(expect.get("matches"))
        if not re.search(p, said, re.IGNORECASE)
    ]
    if "ends_session" in expect:
        ended = body.get("shouldEndSession") is not False
        if ended != bool(expect["ends_session"]):
            problems.append(f"session {'ended' if ended else 'stayed open'}")
    if "card_title_starts" in expect:
        title, starts = card.get("title") or "", _as_list(expect["card_title_starts"])
        if not any(title.startswith(start) for start in starts):
            problems.append(f"card title {title!r} does not start with {' or '.join(map(repr, starts))}")
    problems += [
        f"card lacks {t!r}"
        for t in _as_list(expect.get("card_contains"))
        if t.lower() not in card_words.lower()
    ]
    return problems


def slot_ids(request: dict) -> dict[str, str | None]:
    """Each slot's resolved id as the skill will read it (a built-in type's value)."""
    out = {}
    for name, slot in ((request.get("intent") or {}).get("slots") or {}).items():
        if "value" not in slot:
            continue
        authorities = (slot.get("resolutions") or {}).get("resolutionsPerAuthority")
        if not authorities:
            out[name] = slot["value"]
            continue
        values = authorities[0].get("values") or [{}]
        out[name] = (values[0].get("value") or {}).get("id")
    return out


def _label(request: dict) -> str:
    intent = request.get("intent")
    if not intent:
        return request["type"]
    slots = " ".join(f"{k}={v}" for k, v in slot_ids(request).items())
    return f"{intent['name']}{' ' + slots if slots else ''}"


def _say(
    turn: dict, session: AlexaSession, output, request_for: Callable, explain_lines=False
) -> tuple[dict, dict, int]:
    """Say the turn's line once, ``repeat`` more times, or until ``until`` is met: the last
    request, its response, and how many times the line was said."""
    until = turn.get("until")
    times = int(turn.get("max", DEFAULT_MAX)) if until else 1 + int(turn.get("repeat", 0))
    count = 0
    while count < times:
        count += 1
        request = request_for(turn["say"], session)
        print(f"> {turn['say']}    [{_label(request)}]", flush=True)
        if explain_lines:
            from limber.console.main import explain, heard

            print(explain(request, heard(turn["say"], session.locale)[1]), flush=True)
        response = session.send(request)
        output.show(response)
        if until and not failures(until, response, request):
            break
    return request, response, count


def _silence(session: AlexaSession, output, explain_lines: bool, silences: int) -> tuple[dict, dict]:
    """The ``silences``-th silence in a row: the reprompt Alexa speaks, or the session closing."""
    from limber.console.silence import REPROMPT, on_silence

    print("> (silence)", flush=True)
    heard = on_silence(session, silences)
    if heard is None:
        raise ScriptError("silence with no session open: nothing is listening")
    request, response = heard
    if explain_lines and request == REPROMPT:
        print("  [heard] nothing: Alexa speaks the reprompt and listens again; the skill is not asked")
    elif explain_lines:
        print(f"  [heard] nothing again: {request['type']} ({request['reason']})")
    output.show(response, who="Limber (reprompt)" if request == REPROMPT else "Limber")
    return request, response


def run_script(
    path: Path, session: AlexaSession, output, request_for: Callable, *, explain_lines=False
) -> int:
    try:
        script = load_script(path)
    except ScriptError as err:
        print(f"limber: {err}", file=sys.stderr)
        return 2
    if script.get("locale"):
        session.locale = script["locale"]
    print(f"# {script.get('name', path.name)} ({session.locale})", flush=True)
    failed = silences = 0
    for number, turn in enumerate(script["turns"], start=1):
        if turn.get("silence"):
            try:
                (request, response), count = _silence(session, output, explain_lines, silences + 1), 1
            except ScriptError as err:
                print(f"  FAILED turn {number}: {err}")
                failed += 1
                continue
            silences = silences + 1 if request["type"] == "Reprompt" else 0
        else:
            request, response, count = _say(turn, session, output, request_for, explain_lines)
            silences = 0
        problems = failures(turn.get("expect") or {}, response, request)
        unmet = failures(turn["until"], response, request) if turn.get("until") else []
        if unmet:
            problems.insert(0, f"'until' not met after {count} times: {'; '.join(unmet)}")
        for problem in problems:
            print(f"  FAILED turn {number} ({turn.get('say', '(silence)')!r}): {problem}")
        failed += len(problems)
    print(f"# {'all expectations met' if not failed else f'{failed} expectation(s) failed'}", flush=True)
    return 1 if failed else 0
