"""Red-flag screening handlers, and the router for words said to the open Symptom slot.

While a screen runs, it answers every intent: yes, no and not sure answer the question;
repeat, help and stop work; a symptom said in the person's own words is folded into the
screen; anything else gets the current question again rather than abandoning the screen.

StatementIntent holds the model's only slot-only sample ("{symptom}"): on a device it can
catch any short phrase, so its words are read (limber.core.hearing) and go where they were
meant — a symptom to the check, a routine name or a goal to that routine, a number to the
hold length, anything else to the fallback reply (which carries its safety line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import get_intent_name

from limber.core import coaching, menu, screening
from limber.skill.handlers.base import intent_turn
from limber.skill.handlers.routine import start_turn
from limber.skill.handlers.session import ANSWERS
from limber.skill.render import render
from limber.skill.turn import library, locale_of, slot, state_of

if TYPE_CHECKING:
    from limber.core.hearing import Heard

# Requests a screen never intercepts: they carry no speech, or belong to no conversation.
PASSING_THROUGH = ("SessionEndedRequest", "System.ExceptionEncountered", "AlexaSkillEvent.")
WORDS_INTENTS = ("RedFlagCheckIntent", "StatementIntent")


def heard_words(hi) -> Heard:
    """What the symptom (and person) slots say, read from the raw words Alexa passed. A value
    Alexa resolved but the words don't explain still counts by its id."""
    from limber.core.hearing import Heard, default_lexicon, read, routine_phrases  # on first use

    said, person = slot(hi, "symptom"), slot(hi, "person")
    words = " ".join(w for w in (f"my {person.heard}" if person.heard else None, said.heard) if w)
    heard = read(words, routines=routine_phrases(library()))
    entry = default_lexicon().entry(said.id) if said.id else None
    if entry and not heard.is_symptom:
        known = {sign: "y" for sign in entry.signs}
        heard = Heard("symptom", signs=known, about=heard.about, stop_now=entry.stop_now, entries=(entry.id,))
    return heard


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
        if name in WORDS_INTENTS:
            heard = heard_words(hi)
            if heard.is_symptom and not heard.pain_only:  # folded in; an emergency is answered at once
                return screening.symptom(lib, state, heard, locale)
        return screening.interrupted(lib, state, locale)


@intent_turn("RedFlagCheckIntent")
def red_flag_check(hi):
    """ "Is this dangerous?", "I've got a numb bum", "my dad is confused": the check, with
    whatever the words already answered. A carrier whose open slots heard something else
    ("what's next" fits "my {person} is {symptom}" once little words are forgiven) is routed
    like any other words."""
    lib, state, locale = library(), state_of(hi), locale_of(hi)
    heard = heard_words(hi)
    if heard.is_symptom:
        return screening.symptom(lib, state, heard, locale)
    person = slot(hi, "person")
    misheard = person.heard and not person.id and heard.about == "self"
    if misheard or heard.kind in ("number", "request"):
        return route(hi, heard)
    return screening.check(lib, state, None, locale, about=heard.about)


@intent_turn("StatementIntent")
def statement(hi):
    return route(hi, heard_words(hi))


def route(hi, heard: Heard):
    """Words that reached an open slot, sent where they were meant."""
    lib, state, locale = library(), state_of(hi), locale_of(hi)
    if heard.pain_only and state.pending == "pain":  # "it's a sharp pain": read as the safe answer
        return screening.answer_pending(lib, state, "unsure", locale)
    if heard.pain_only and state.position and state.screen is None:
        return screening.pain(lib, state, locale)  # mid-stretch: sharp, numb or tingling?
    if heard.is_symptom:
        return screening.symptom(lib, state, heard, locale)
    here = state.position.routine_id if state.position else None
    if heard.kind in ("routine", "goal") and heard.routine and heard.routine != here:
        return start_turn(hi, heard.routine, slot(hi, "symptom").heard)  # "quick ..." as said
    if heard.kind == "number" and state.position and not state.pending:
        return coaching.set_hold(lib, state, heard.number, None)
    return menu.fallback(lib, state, locale=locale)


@intent_turn("PainDuringStretchIntent")
def pain_during_stretch(hi):
    return screening.pain(library(), state_of(hi), locale_of(hi))


HANDLERS = [ScreenInProgress(), red_flag_check, statement, pain_during_stretch]
