"""``limber``: talk to the skill on your own machine, the way an Echo would.

Type what you would say to Alexa; Limber answers through the real skill, as text and,
where pyttsx3 and espeak-ng work, as speech with holds as long as on an Echo.

    limber                                  open the skill, then read what you say from stdin
    limber "ask limber coach to resume"     start as a device does with a one-shot phrase
    limber --explain                        show the intent and slots each line was heard as

An empty line is silence: the first gets the response's reprompt, as on an Echo; the second
closes the session (the skill gets SessionEndedRequest, reason EXCEEDED_MAX_REPROMPTS).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from limber.console.envelopes import AlexaSession, intent_request, speech_text
from limber.console.invocation import invocation_name, parse_invocation
from limber.console.nlu import SESSION_END, Match, understand
from limber.console.silence import REPROMPT, on_silence
from limber.console.ssml_segments import to_display_text
from limber.core.ssml import speaking_and_quiet

LAUNCH = {"type": "LaunchRequest"}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="limber",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[4:]),
    )
    parser.add_argument(
        "phrase",
        nargs="?",
        help='a one-shot start, as said to a device: "ask limber coach to resume", "open limber coach"',
    )
    parser.add_argument("--text", action="store_true", help="print only; no speech")
    parser.add_argument(
        "--fast",
        type=float,
        default=1.0,
        metavar="N",
        help="play every silence N times faster (labels stay true)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the intent and slots each line was heard as"
    )
    parser.add_argument("--wav", type=Path, metavar="DIR", help="also render each response to DIR/NNN.wav")
    parser.add_argument("--script", type=Path, metavar="FILE", help="run a YAML conversation and check it")
    parser.add_argument(
        "--store",
        metavar="SPEC",
        help="memory | sqlite:PATH | dynamodb:TABLE (default: $LIMBER_STORE, else SQLite "
        "in your data folder)",
    )
    parser.add_argument("--locale", default="en-US", help="the request locale (default en-US)")
    return parser.parse_args(argv)


def make_session(store: str | None, locale: str) -> AlexaSession:
    from limber.app import create_skill
    from limber.skill.entry import handle_event

    skill = create_skill(skill_id=None, store=store)
    return AlexaSession(
        lambda event, context: handle_event(skill, event, context),
        locale=locale,
        user_id="amzn1.ask.account.LOCALCONSOLE",
    )


def heard(text: str, locale: str) -> tuple[dict | None, Match | None]:
    """The Alexa request for a line said to an open session, and the match behind it: a launch
    phrase ("open limber coach") is a LaunchRequest, "ask limber coach to ..." the request in it,
    "exit" ends the session; None for nothing said."""
    if not text.strip():
        return None, None
    invocation = parse_invocation(text, locale)
    if invocation and invocation.launch:
        return dict(LAUNCH), None
    match = understand(invocation.request if invocation else text, locale)
    if match.intent == SESSION_END:
        return {"type": "SessionEndedRequest", "reason": "USER_INITIATED"}, match
    slots = {name: value["value"] for name, value in match.slots.items()}
    return intent_request(match.intent, locale, **slots), match


def request_for(text: str, session: AlexaSession) -> dict | None:
    """The Alexa request for a typed line: a launch, an intent, or None for nothing said."""
    return heard(text, session.locale)[0]


def explain(request: dict, match: Match | None) -> str:
    """One line saying what a request was heard as: intent, slots with their resolution, and
    the sample (or rule) that decided it."""
    if request["type"] != "IntentRequest":
        reason = f" ({request['reason']})" if request.get("reason") else ""
        return f"  [heard] {request['type']}{reason}" + (f" - {match.how}" if match else "")
    parts = [f"  [heard] {request['intent']['name']}"]
    for name, slot in (match.slots if match else {}).items():
        status = match.status(name)
        shown = f'{name}="{slot["value"]}"' + (f' (said "{slot["said"]}")' if slot.get("said") else "")
        if status:
            shown += f" {status}" + (f" id={slot['id']}" if slot["id"] else "")
        parts.append(shown)
    if match:
        parts.append(f"- {match.how}" + (f': "{match.sample}"' if match.sample else ""))
    return " ".join(parts)


def heard_for(response: dict) -> float:
    """Seconds an Echo takes to say a response: its words at Alexa's rate and its breaks."""
    ssml = ((response.get("response") or {}).get("outputSpeech") or {}).get("ssml", "")
    return sum(speaking_and_quiet(ssml))


SAYING_IT = 2.0  # seconds to say a short line like "pause" after the answer ends


class ListeningClock:
    """The time a device would stamp on the next request. On an Echo nobody can answer before
    a response has played (a step holds its whole hold); the console prints it at once (--text)
    or plays its silences faster (--fast), so the clock runs ahead by the difference. The skill
    reads these times to tell a step that played through from one cut short."""

    def __init__(self):
        self.ahead = 0.0

    def __call__(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.ahead)

    def played(self, response: dict, took: float) -> None:
        # ...and the request comes once the person has said their line (a device stamps it then).
        self.ahead += max(0.0, heard_for(response) - took) + SAYING_IT




class Console:
    """One person at the console: lines in, responses out, silence handled as on an Echo."""

    def __init__(self, session: AlexaSession, output, *, explain_lines: bool = False, echo: bool = False):
        self.session, self.output, self.explain, self.echo = session, output, explain_lines, echo
        self.silences = 0
        self.clock = ListeningClock()
        session.clock = self.clock

    def send(self, request: dict, match: Match | None = None) -> dict:
        if self.explain:
            print(explain(request, match), flush=True)
        response = self.session.send(request)
        started = time.monotonic()
        self.output.show(response)
        self.clock.played(response, time.monotonic() - started)
        self.silences = 0
        return response

    def say(self, line: str) -> None:
        if not line.strip():
            return self.silence()
        if self.echo:
            print(f"> {line.strip()}", flush=True)
        request, match = heard(line, self.session.locale)
        if not self.session.open:
            # A device sends nothing to the skill without its name once the session has closed;
            # the console starts a new session as if the name had been said, and says so.
            if request["type"] == "SessionEndedRequest":
                print("  (no session is open)", flush=True)
                return
            if request["type"] == "IntentRequest" and not parse_invocation(line, self.session.locale):
                name = invocation_name(self.session.locale)
                print(f'  (new session, as if you said "ask {name} to {line.strip()}")', flush=True)
        self.send(request, match)

    def silence(self) -> None:
        """Nothing said while the microphone is open: the reprompt first, then the session closes.
        With no session open, silence is just silence."""
        if not self.session.open:
            return
        self.silences += 1
        print("  (silence)", flush=True)
        request, response = on_silence(self.session, self.silences)
        if request == REPROMPT:
            self.output.show(response, who="Limber (reprompt)")
            return
        if self.explain:
            print(explain(request, None), flush=True)
        self.output.show(response)
        self.silences = 0
        print("  (the session closed: no answer)", flush=True)


def one_shot(phrase: str, locale: str) -> tuple[dict, Match | None] | str:
    """The first request of a device-style start, or why the phrase cannot start the skill."""
    invocation = parse_invocation(phrase, locale)
    if invocation is None:
        name = invocation_name(locale)
        return (
            f"limber: {phrase!r} does not name the skill; say it as to a device, e.g. "
            f'"open {name}" or "ask {name} to resume"'
        )
    if invocation.launch:
        return dict(LAUNCH), None
    request, match = heard(invocation.request, locale)
    if request is None or request["type"] != "IntentRequest":
        return dict(LAUNCH), None
    return request, match


def main(argv=None) -> int:
    args = parse_args(argv)
    from limber.console.output import open_output

    first = one_shot(args.phrase, args.locale) if args.phrase else (dict(LAUNCH), None)
    if isinstance(first, str):
        print(first, file=sys.stderr)
        return 2
    output = open_output(text_only=args.text, fast=args.fast, wav_dir=args.wav)
    session = make_session(args.store, args.locale)
    if args.script:
        from limber.console.script import run_script

        return run_script(args.script, session, output, request_for, explain_lines=args.explain)
    if sys.stdin.isatty() and not args.phrase:
        print(
            "Limber, locally. Type what you'd say to Alexa (help, start hip flexors, next...). "
            "An empty line is silence. Ctrl-D to leave."
        )
    console = Console(session, output, explain_lines=args.explain, echo=not sys.stdin.isatty())
    console.send(*first)
    if args.phrase and not session.open:
        output.close()
        return 0  # a one-shot that closed the session is the whole conversation, as on a device
    for line in sys.stdin:
        console.say(line)
    if session.open:
        session.end()
    output.close()
    return 0


__all__ = [
    "Console",
    "explain",
    "heard",
    "main",
    "make_session",
    "request_for",
    "speech_text",
    "to_display_text",
]
