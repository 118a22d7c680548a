"""Scripted conversations: a YAML file of what the person says, with expectations.

    name: Hip flexors, start to finish
    locale: en-GB            # optional
    turns:
      - say: open limber coach
      - say: start hip flexors
        expect:
          contains: "Stretch 1 of"        # text or list of texts, case-insensitive
          not_contains: "dangerous"
          ends_session: false
          card_title_starts: "Emergency"
      - repeat: 5                         # say the previous line 5 more times
        say: next

The runner prints a transcript and returns non-zero when any expectation fails.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from limber.console.envelopes import AlexaSession, speech_text

KNOWN_EXPECTATIONS = {"contains", "not_contains", "ends_session", "card_title_starts", "intent"}


class ScriptError(ValueError):
    pass


def load_script(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ScriptError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        raise ScriptError(f"{path}: needs a 'turns' list")
    for number, turn in enumerate(data["turns"], start=1):
        if not isinstance(turn, dict) or not isinstance(turn.get("say"), str):
            raise ScriptError(f"{path}: turn {number} needs 'say'")
        unknown = set(turn.get("expect") or {}) - KNOWN_EXPECTATIONS
        if unknown:
            raise ScriptError(f"{path}: turn {number} has unknown expectations {sorted(unknown)}")
    return data


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def failures(expect: dict, response: dict, intent: str | None) -> list[str]:
    """Every expectation of one turn that the response does not meet."""
    said = speech_text(response).lower()
    body = response.get("response") or {}
    problems = []
    problems += [f"speech lacks {t!r}" for t in _as_list(expect.get("contains")) if t.lower() not in said]
    problems += [f"speech has {t!r}" for t in _as_list(expect.get("not_contains")) if t.lower() in said]
    if "ends_session" in expect:
        ended = body.get("shouldEndSession") is not False
        if ended != bool(expect["ends_session"]):
            problems.append(f"session {'ended' if ended else 'stayed open'}")
    if "card_title_starts" in expect:
        title = (body.get("card") or {}).get("title") or ""
        if not title.startswith(expect["card_title_starts"]):
            problems.append(f"card title {title!r} does not start with {expect['card_title_starts']!r}")
    if "intent" in expect and intent != expect["intent"]:
        problems.append(f"understood as {intent}, expected {expect['intent']}")
    return problems


def run_script(path: Path, session: AlexaSession, output, request_for: Callable) -> int:
    script = load_script(path)
    if script.get("locale"):
        session.locale = script["locale"]
    print(f"# {script.get('name', path.name)}")
    failed = 0
    for number, turn in enumerate(script["turns"], start=1):
        for _ in range(1 + int(turn.get("repeat", 0))):
            request = request_for(turn["say"], session)
            if request is None:
                continue
            intent = (request.get("intent") or {}).get("name") or request["type"]
            print(f"> {turn['say']}    [{intent}]")
            response = session.send(request)
            output.show(response)
        for problem in failures(turn.get("expect") or {}, response, intent):
            failed += 1
            print(f"  FAILED turn {number}: {problem}")
    print(f"# {'all expectations met' if not failed else f'{failed} expectation(s) failed'}")
    return 1 if failed else 0
