"""A request handler that maps one kind of request onto one core turn function."""

from __future__ import annotations

from collections.abc import Callable

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response

from limber.core.reply import Reply
from limber.skill.render import render

Matcher = Callable[[HandlerInput], bool]
Turn = Callable[[HandlerInput], Reply]


class TurnHandler(AbstractRequestHandler):
    def __init__(self, matches: Matcher, turn: Turn, name: str):
        self._matches, self._turn, self.name = matches, turn, name

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return self._matches(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return render(handler_input, self._turn(handler_input))

    def __repr__(self) -> str:
        return f"TurnHandler({self.name})"


def on_intent(*names: str) -> Matcher:
    checks = [is_intent_name(n) for n in names]
    return lambda handler_input: any(check(handler_input) for check in checks)


def on_request(request_type: str) -> Matcher:
    return is_request_type(request_type)


def intent_turn(*names: str) -> Callable[[Turn], TurnHandler]:
    """Decorator: ``@intent_turn("AMAZON.NextIntent") def next_(hi): ...``."""
    return lambda turn: TurnHandler(on_intent(*names), turn, turn.__name__)
