"""``limber``: talk to the skill on your own machine.

Type what you would say to Alexa; Limber answers through the real skill, as text and,
where pyttsx3 and espeak-ng work, as speech with holds as long as on an Echo.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from limber.console.envelopes import AlexaSession, speech_text
from limber.console.nlu import understand
from limber.console.ssml_segments import to_display_text

OPENERS = ("open limber coach", "launch limber coach", "start limber coach", "open limber", "launch")
ASK_PREFIXES = (
    "alexa ask limber coach to ",
    "ask limber coach to ",
    "alexa ask limber coach ",
    "ask limber coach ",
    "tell limber coach to ",
    "alexa ",
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="limber", description=__doc__.splitlines()[0])
    parser.add_argument("--text", action="store_true", help="print only; no speech")
    parser.add_argument("--fast", type=float, default=1.0, metavar="N", help="divide every silence by N")
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


def request_for(text: str, session: AlexaSession) -> dict | None:
    """The Alexa request for a typed line: a launch, an intent, or None for nothing said."""
    said = " ".join(text.lower().replace(",", " ").split())
    if not said:
        return None
    if said in OPENERS:
        return {"type": "LaunchRequest"}
    for prefix in ASK_PREFIXES:
        if said.startswith(prefix):
            said = said[len(prefix) :]
            break
    from limber.console.envelopes import intent_request

    match = understand(said, session.locale)
    slots = {name: value["value"] for name, value in match.slots.items()}
    return intent_request(match.intent, session.locale, **slots)


def main(argv=None) -> int:
    args = parse_args(argv)
    from limber.console.output import open_output

    output = open_output(text_only=args.text, fast=args.fast, wav_dir=args.wav)
    session = make_session(args.store, args.locale)
    if args.script:
        from limber.console.script import run_script

        return run_script(args.script, session, output, request_for)
    if sys.stdin.isatty():
        print(
            "Limber, locally. Type what you'd say to Alexa (help, start hip flexors, next...). "
            "Ctrl-D to leave."
        )
    output.show(session.launch())
    for line in sys.stdin:
        request = request_for(line, session)
        if request is None:
            continue
        if sys.stdin.isatty() is False:
            print(f"> {line.strip()}")
        output.show(session.send(request))
    if session.open:
        session.end()
    output.close()
    return 0


__all__ = ["main", "request_for", "make_session", "speech_text", "to_display_text"]
