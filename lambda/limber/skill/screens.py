"""Echo Show screens: APL documents for a turn, and touches on the screen.

``directives`` gives the RenderDocument directive for a reply that has something to show, on a
device that can show it; ``render`` adds it to the response. ``HANDLERS`` answers the
``Alexa.Presentation.APL.UserEvent`` a touch sends: touching a routine starts it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from limber.core import menu
from limber.core.reply import Reply
from limber.skill.turn import library, state_of

USER_EVENT = "Alexa.Presentation.APL.UserEvent"
DOCUMENT_DIR = Path(__file__).resolve().with_name("apl")
DOCUMENT_VERSION = "1.8"  # every document in apl/ declares it (tests/test_screens.py checks)


@lru_cache(maxsize=8)
def document(name: str) -> dict:
    """An APL document from ``apl/<name>.json``, read once per process."""
    return json.loads((DOCUMENT_DIR / f"{name}.json").read_text(encoding="utf-8"))


def _version(text) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in str(text).split("."))
    except ValueError:
        return None


def has_screen(handler_input: HandlerInput, needs: str = DOCUMENT_VERSION) -> bool:
    """Whether the device renders APL documents of version ``needs``.

    From context.System.device.supportedInterfaces; a device that states an older APL runtime
    than the documents use gets speech only rather than a document it would reject.
    """
    context = handler_input.request_envelope.context
    device = getattr(getattr(context, "system", None), "device", None)
    interfaces = getattr(device, "supported_interfaces", None)
    apl = getattr(interfaces, "alexa_presentation_apl", None)
    if apl is None:
        return False
    newest = _version(getattr(getattr(apl, "runtime", None), "max_version", None))
    return newest is None or newest >= _version(needs)


def directives(handler_input: HandlerInput, reply: Reply) -> list:
    """The RenderDocument directive for ``reply``, or nothing on a device without a screen."""
    if reply.display is None or not has_screen(handler_input):
        return []
    from limber.core.display import screen_for  # only screen devices need it

    display = reply.display
    if display.get("kind") == "progress":
        display = _with_week(handler_input, display)
    screen = screen_for(display, library())
    if screen is None:
        return []
    # Imported here: the APL model classes cost cold-start time that screenless turns never need.
    from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

    return [
        RenderDocumentDirective(
            token=screen.token, document=document(screen.document), datasources=screen.datasources
        )
    ]


def _with_week(handler_input: HandlerInput, display: dict) -> dict:
    """A finished routine's screen: this week's days (Monday first) from saved progress, and the
    weekly goal if the person set one. The completion was saved before the screen is built."""
    from datetime import timedelta

    from limber.skill import progress
    from limber.skill.timezone import local_today

    profile = progress.load(handler_input)
    today = local_today(handler_input)
    monday = today - timedelta(days=today.weekday())
    done = set(profile.get("completions") or [])
    days = [(monday + timedelta(days=n)).isoformat() in done for n in range(7)]
    goal = profile.get("weekly_goal")
    return {**display, "days": days, "goal": goal if isinstance(goal, int) else None}


def touch_reply(handler_input: HandlerInput) -> Reply:
    request = handler_input.request_envelope.request
    arguments = getattr(request, "arguments", None) or []
    from limber.core.display import START_ROUTINE

    if len(arguments) >= 2 and arguments[0] == START_ROUTINE and isinstance(arguments[1], str):
        from limber.skill.handlers.routine import start_turn  # the same path as saying it

        return start_turn(handler_input, arguments[1], None)
    # A touch this skill never asked for (an old document, another version): offer the list.
    return menu.list_routines(library(), state_of(handler_input))


class TouchHandler(AbstractRequestHandler):
    """A touch on the screen, answered like the spoken request it stands for."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type(USER_EVENT)(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        # Imported here because render imports this module for ``directives``.
        from limber.skill.render import render

        return render(handler_input, touch_reply(handler_input))

    def __repr__(self) -> str:
        return "TouchHandler()"


HANDLERS = [TouchHandler()]
