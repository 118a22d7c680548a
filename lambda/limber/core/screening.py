"""The voice side of "is this dangerous?": the screen, pain mid-stretch, and outcomes.

The clinical rules and their wording live in content/ and limber.core.triage; this module
turns the engine's steps into replies. A screen's state lives only in the session (never
stored, never logged). Emergency and urgent outcomes end the routine and the session.
"""

from __future__ import annotations

from limber.core import coaching
from limber.core import routine as moves
from limber.core.content import Library
from limber.core.menu import choose_prompt, goodbye
from limber.core.questions import (
    CONTINUE_QUESTION,
    OFFER_QUESTION,
    PAIN_QUESTION,
    YES_OR_NO,
    ask_again,
)
from limber.core.reply import Card, Reply
from limber.core.routine import Position
from limber.core.ssml import Speech, speech
from limber.core.state import State

STRETCH_SAFETY = (
    "While you stretch, a gentle pull or mild tension is normal. "
    "Sharp or shooting pain, numbness or tingling mean stop."
)
OFFER_SCREEN = f"{OFFER_QUESTION} {YES_OR_NO}"
# After pain that is sharp, shooting, numb or tingling: the stretch is over; no shorter holds.
SKIP_OR_STOP = "say skip this one to move on, or stop to finish for today."
AFTER_BAD_PAIN = f"Then leave this stretch out. {OFFER_QUESTION} Or {SKIP_OR_STOP}"
LEAVE_IT_OUT = f"Okay. Please leave this stretch out: {SKIP_OR_STOP}"
PAIN_CHECK = f"Stop there, and ease out of the stretch slowly. {PAIN_QUESTION} {YES_OR_NO}"
CONTINUE_GENTLY = f"If you'd like, we can carry on gently with the routine. {CONTINUE_QUESTION}"
ENDS_ROUTINE = ("emergency", "urgent")


def _engine():
    """The triage engine, imported on first use: most sessions never screen, and loading it
    is a tenth of a cold start."""
    from limber.core import triage

    return triage


def _question(state: State, step, *lead: str) -> Reply:
    # A named symptom's advice can carry a helpline number (NHS 111): read it as digits.
    out = speech(*lead).say_with_numbers(step.text, step.numbers)
    return Reply(out, state.with_(screen=step.state, pending=None, offer=None), reprompt=step.reprompt)


def _outcome(state: State, step) -> Reply:
    out = Speech().say_with_numbers(step.text, step.numbers)
    card = Card(step.card_title, step.card_text)
    display = {"kind": "outcome", "level": step.level, "title": step.card_title, "text": step.card_text}
    if step.level in ENDS_ROUTINE:
        # Never let the routine talk over a red flag: it ends here, with the session.
        ended = state.with_(screen=None, pending=None, offer=None, position=None)
        return Reply(out, ended, end_session=True, card=card, display=display)
    after = state.with_(screen=None, pending=None)
    if state.position and step.may_continue:
        out.say(CONTINUE_GENTLY)
        return Reply(
            out,
            after.with_(pending="continue"),
            reprompt=CONTINUE_GENTLY,
            card=card,
            display=display,
            asks="continue",
        )
    return Reply(out, after, end_session=True, card=card, display=display)


def _step(state: State, step, *lead: str) -> Reply:
    if step.kind == "outcome":
        return _outcome(state, step)
    return _question(state, step, *lead)


def check(library: Library, state: State, named_flag: str | None, locale: str) -> Reply:
    """ "Is this dangerous?" (with or without a symptom named)."""
    triage = _engine()
    rules = triage.default_rules()
    if named_flag is None and state.position and state.screen is None:
        # Mid-stretch, the first answer is about the stretch itself; the screen is offered.
        out = speech(STRETCH_SAFETY, OFFER_SCREEN)
        return Reply(out, state.with_(pending="screen_offer"), reprompt=OFFER_SCREEN, asks="screen_offer")
    return _step(state, triage.start_screen(rules, named_flag, locale))


def reply_to_screen(library: Library, state: State, reply: str, locale: str) -> Reply:
    """yes / no / unsure to the current question."""
    triage = _engine()
    rules = triage.default_rules()
    try:
        return _step(state, triage.answer(rules, state.screen, reply, locale))
    except triage.TriageStateError:
        # The state didn't come from these rules (tampered, or content changed): start again.
        return _step(state, triage.start_screen(rules, None, locale), "Let's start those questions again.")


def _current_question(state: State, locale: str, *lead: str) -> Reply:
    triage = _engine()
    rules = triage.default_rules()
    try:
        return _question(state, triage.repeat_question(rules, state.screen, locale), *lead)
    except triage.TriageStateError:
        return _step(state, triage.start_screen(rules, None, locale), "Let's start those questions again.")


def repeat_question(library: Library, state: State, locale: str) -> Reply:
    return _current_question(state, locale)


def screen_help(library: Library, state: State, locale: str) -> Reply:
    lead = (
        "I'm asking a few questions about warning signs, so I can tell you whether to get help. "
        "Answer yes, no, or not sure. Say stop if you'd rather not go on."
    )
    return _current_question(state, locale, lead)


def interrupted(library: Library, state: State, locale: str) -> Reply:
    """Anything else said mid-screen: the screen is not abandoned, the question comes again."""
    return _current_question(state, locale, "Let's finish these safety questions first.")


def stop_screen(library: Library, state: State, locale: str) -> Reply:
    triage = _engine()
    rules = triage.default_rules()
    out = Speech().say_with_numbers(rules.stopped_text(locale), rules.locale(locale).numbers)
    return Reply(out, state.with_(screen=None, pending=None), end_session=True)


def pain(library: Library, state: State, locale: str) -> Reply:
    """ "Ouch" / "that hurts": stop the hold, ease out, ask what kind of pain it is."""
    if state.screen is not None:
        return interrupted(library, state, locale)
    if not state.position:
        out = speech("I'm sorry it hurts.", STRETCH_SAFETY, OFFER_SCREEN)
        return Reply(out, state.with_(pending="screen_offer"), reprompt=OFFER_SCREEN, asks="screen_offer")
    held = Position(state.position.routine_id, state.position.step, paused=True)
    asked = state.with_(position=held, pending="pain")
    return Reply(speech(PAIN_CHECK), asked, reprompt=PAIN_CHECK, asks="pain")


def _leave_out(library: Library, state: State) -> State:
    """After bad pain the stretch is over: the place moves on to the next stretch (paused),
    so carrying on later never starts the stretch that hurt again."""
    here = state.position
    if not here:
        return state
    following = moves.next_stretch_index(library.routine(here.routine_id), here.step)
    position = Position(here.routine_id, following, paused=True) if following is not None else None
    return state.with_(position=position)


def answer_pending(library: Library, state: State, reply: str, locale: str) -> Reply:
    """yes / no / unsure to a question that isn't part of the screen itself."""
    triage = _engine()
    if reply == "unsure" and state.pending != "pain":
        # Only for pain is "not sure" safest read as yes; otherwise ask again.
        return ask_again(library, Reply(speech("Please answer yes or no."), state))
    yes = reply in ("yes", "unsure")
    cleared = state.with_(pending=None)
    if state.pending == "pain":
        if yes:
            return Reply(
                speech(AFTER_BAD_PAIN),
                cleared.with_(pending="pain_offer"),
                reprompt=OFFER_SCREEN,
                asks="pain_offer",
            )
        prompt = "Say repeat to try it again gently, skip this one, or make the holds shorter."
        text = "Okay. A mild pull is normal, but it shouldn't hurt, so ease off a little."
        return Reply(speech(text, prompt), cleared, reprompt=prompt)
    if state.pending in ("screen_offer", "pain_offer"):
        if yes:
            if state.pending == "pain_offer":
                cleared = _leave_out(library, cleared)
            return _step(cleared, triage.start_screen(triage.default_rules(), None, locale))
        if state.pending == "pain_offer" and state.position:
            return Reply(speech(LEAVE_IT_OUT), cleared, reprompt=LEAVE_IT_OUT)
        prompt = coaching.step_prompt(state) if state.position else choose_prompt(library)
        return Reply(speech("Okay.", prompt), cleared, reprompt=prompt)
    if state.pending == "continue":
        if yes and cleared.position:
            here = cleared.position
            paused = Position(here.routine_id, here.step, paused=True)
            return coaching.resume(library, cleared.with_(position=paused))
        return goodbye(library, cleared)
    if state.pending == "restart" and cleared.position:
        if yes:
            return coaching.start_over(library, cleared)
        prompt = "Say resume to pick up where you left off, or choose another routine."
        return Reply(speech("Okay.", prompt), cleared, reprompt=prompt)
    prompt = choose_prompt(library)
    return Reply(speech("I'm not sure what that answers.", prompt), cleared, reprompt=prompt)
