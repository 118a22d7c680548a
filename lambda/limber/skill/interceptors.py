"""Interceptors: what every turn does before and after its handler."""

from __future__ import annotations

import logging
import traceback

from ask_sdk_core.dispatch_components import (
    AbstractExceptionHandler,
    AbstractResponseInterceptor,
)

from limber.core import menu
from limber.core.state import State
from limber.skill import progress
from limber.skill.render import render
from limber.skill.turn import STATE_KEY, library

log = logging.getLogger("limber")


class SaveSessionState(AbstractResponseInterceptor):
    """Writes the turn's state back into session attributes for the next request."""

    def process(self, handler_input, response):
        state = handler_input.attributes_manager.request_attributes.get(STATE_KEY)
        if state is not None and handler_input.request_envelope.session is not None:
            attributes = state.to_session()
            profile = progress.session_copy(handler_input)
            if profile is not None:
                attributes[progress.PROFILE_KEY] = profile
            handler_input.attributes_manager.session_attributes = attributes


class RecoverFromAnyError(AbstractExceptionHandler):
    """One catch-all: log the error, speak a recovery line, keep the session usable."""

    def can_handle(self, handler_input, exception):
        return True

    def handle(self, handler_input, exception):
        # The type and where, never the message: a message can quote what the person said.
        log.error(
            "turn failed: %s\n%s",
            type(exception).__name__,
            "".join(traceback.format_tb(exception.__traceback__)),
        )
        state = handler_input.attributes_manager.request_attributes.get(STATE_KEY)
        if not isinstance(state, State):
            try:
                from limber.skill.turn import state_of

                state = state_of(handler_input)
            except Exception:  # the state itself may be what failed
                state = State()
        return render(handler_input, menu.recovery(library(), state))
