"""The voice side of "is this dangerous?": the screen, pain mid-stretch, and outcomes.

The clinical rules and their wording live in content/ and limber.core.triage; this module
turns the engine's steps into replies. A screen's state lives only in the session (never
stored, never logged). Emergency and urgent outcomes end the routine and the session.
"""

from __future__ import annotations

from limber.core import coaching
from limber.core.content import Library
from limber.core.menu import choose_prompt, goodbye
from limber.core.reply import Card, Reply
from limber.core.routine import Position
from limber.core.ssml import Speech, speech
from limber.core.state import State

STRETCH_SAFETY = (
    "While you stretch, a gentle pull or mild tension is normal. "
    "Sharp or shooting pain, numbness or tingling mean stop."
)
OFFER_QUESTION = "Would you like me to ask a few quick questions about warning signs?"
OFFER_SCREEN = f"{OFFER_QUESTION} Say yes or no."
# After pain that is sharp, shooting, numb or tingling: the stretch is over; no shorter holds.
SKIP_OR_STOP = "say skip this one to move on, or stop to finish for today."
AFTER_BAD_PAIN = f"Then leave this stretch out. {OFFER_QUESTION} Or {SKIP_OR_STOP}"
LEAVE_IT_OUT = f"Okay. Please leave this stretch out: {SKIP_OR_STOP}"
PAIN_CHECK = (
    "Stop there, and ease out of the stretch slowly. "
    "Is the pain sharp or shooting, or do you have numbness or tingling? Say yes or no."
)
CONTINUE_GENTLY = "If you'd like, we can carry on gently with the routine. Shall we?"
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
            out, after.with_(pending="continue"), reprompt=CONTINUE_GENTLY, card=card, display=display
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
        return Reply(out, state.with_(pending="screen_offer"), reprompt=OFFER_SCREEN, asks=True)
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
        "Answer yes, no, or not sure. Say stop to end the questions."
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
        return Reply(out, state.with_(pending="screen_offer"), reprompt=OFFER_SCREEN, asks=True)
    held = Position(state.position.routine_id, state.position.step, paused=True)
    return Reply(
        speech(PAIN_CHECK), state.with_(position=held, pending="pain"), reprompt=PAIN_CHECK, asks=True
    )


def answer_pending(library: Library, state: State, reply: str, locale: str) -> Reply:
    """yes / no / unsure to a question that isn't part of the screen itself."""
    triage = _engine()
    yes = reply in ("yes", "unsure")  # unsure about sharp pain or numbness is taken as yes
    cleared = state.with_(pending=None)
    if state.pending == "pain":
        if yes:
            return Reply(
                speech(AFTER_BAD_PAIN), cleared.with_(pending="pain_offer"), reprompt=OFFER_SCREEN, asks=True
            )
        prompt = "Say repeat to try it again gently, skip this one, or make the holds shorter."
        text = "Okay. A mild pull is normal, but it shouldn't hurt, so ease off a little."
        return Reply(speech(text, prompt), cleared, reprompt=prompt)
    if state.pending in ("screen_offer", "pain_offer"):
        if yes:
            return _step(cleared, triage.start_screen(triage.default_rules(), None, locale))
        if state.pending == "pain_offer" and state.position:
            return Reply(speech(LEAVE_IT_OUT), cleared, reprompt=LEAVE_IT_OUT)
        prompt = coaching.STEP_REPROMPT if state.position else choose_prompt(library)
        return Reply(speech("Okay.", prompt), cleared, reprompt=prompt)
    if state.pending == "continue":
        if yes and cleared.position:
            here = cleared.position
            return coaching.resume(
                library, cleared.with_(position=Position(here.routine_id, here.step, True))
            )
        return goodbye(library, cleared)
    if state.pending == "restart" and cleared.position:
        if yes:
            return coaching.start_over(library, cleared)
        prompt = "Say resume to pick up where you left off, or choose another routine."
        return Reply(speech("Okay.", prompt), cleared, reprompt=prompt)
    prompt = choose_prompt(library)
    return Reply(speech("I'm not sure what that answers.", prompt), cleared, reprompt=prompt)
