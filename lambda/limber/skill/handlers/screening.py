"""Red-flag screening handlers. While a screen runs, it answers every intent: yes, no and
not sure answer the question; repeat, help and stop work; anything else gets the current
question again rather than abandoning the screen."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import get_intent_name

from limber.core import screening
from limber.skill.handlers.base import intent_turn
from limber.skill.handlers.session import ANSWERS
from limber.skill.render import render
from limber.skill.turn import library, locale_of, slot, state_of

# Requests a screen never intercepts: they carry no speech, or belong to no conversation.
PASSING_THROUGH = ("SessionEndedRequest", "System.ExceptionEncountered", "AlexaSkillEvent.")


class ScreenInProgress(AbstractRequestHandler):
    """Every other request while a screen runs, a touch on the screen included."""

    def can_handle(self, handler_input):
        request_type = getattr(handler_input.request_envelope.request, "object_type", None) or ""
        if request_type.startswith(PASSING_THROUGH):
            return False
        return state_of(handler_input).screen is not None

    def handle(self, handler_input):
        return render(handler_input, self.turn(handler_input))

    @staticmethod
    def turn(hi):
        lib, state, locale = library(), state_of(hi), locale_of(hi)
        try:
            name = get_intent_name(hi)
        except (AttributeError, TypeError):
            name = None
        if name in ANSWERS:
            return screening.reply_to_screen(lib, state, ANSWERS[name], locale)
        if name == "AMAZON.RepeatIntent":
            return screening.repeat_question(lib, state, locale)
        if name == "AMAZON.HelpIntent":
            return screening.screen_help(lib, state, locale)
        if name in ("AMAZON.StopIntent", "AMAZON.CancelIntent"):
            return screening.stop_screen(lib, state, locale)
        named = slot(hi, "symptom").id if name == "RedFlagCheckIntent" else None
        if named:  # a newly named symptom is answered on its own terms (an emergency at once)
            return screening.check(lib, state.with_(screen=None), named, locale)
        return screening.interrupted(lib, state, locale)


@intent_turn("RedFlagCheckIntent")
def red_flag_check(hi):
    return screening.check(library(), state_of(hi), slot(hi, "symptom").id, locale_of(hi))


@intent_turn("PainDuringStretchIntent")
def pain_during_stretch(hi):
    return screening.pain(library(), state_of(hi), locale_of(hi))


HANDLERS = [ScreenInProgress(), red_flag_check, pain_during_stretch]
