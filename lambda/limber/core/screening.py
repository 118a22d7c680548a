"""The voice side of "is this dangerous?": the screen, symptoms said anywhere, pain
mid-stretch, and outcomes.

The clinical rules and their wording live in content/ and limber.core.triage; this module
turns the engine's steps into replies. What people say in their own words is read by
limber.core.hearing; here it becomes the screen's opening answers (``known``, ``about``),
wherever it was said: at the menu, mid-hold, mid-question (folded into the screen under way,
its open question kept), or after an outcome. A screen's state lives only in the session
(never stored, never logged). Emergency and urgent outcomes end the routine and the session,
and clear the saved place (the "clear_place" event; nothing says why).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

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
from limber.core.ssml import Speech, speech
from limber.core.state import State

if TYPE_CHECKING:  # the hearing package loads on the first turn that reads free words
    from limber.core.hearing import Heard

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
CONTINUE_GENTLY = CONTINUE_QUESTION  # said once: "If you'd like, we can carry on..." repeated it
ENDS_ROUTINE = ("emergency", "urgent")
# Dizzy, faint, sick, a pop, sudden numbness mid-stretch: the body first, then the questions.
STOP_AND_SIT = "Stop the stretch now, and sit or lie down somewhere safe."
SIT_DOWN = "Sit or lie down somewhere safe."
EASE_OUT = "Let's stop the stretch there, and ease out of it slowly."
ADDED = "Thanks, I've added that."
CLEAR_PLACE = "clear_place"  # storage forgets the saved place; nothing records why


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
        # The saved place is cleared too (recording nothing about why), so the next launch
        # doesn't say "say resume" to someone sent to a doctor.
        return Reply(out, ended, end_session=True, card=card, display=display, events=(CLEAR_PLACE,))
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
        reply = _outcome(state, step)
        # An emergency is said first, always: its own words say to stop the stretches.
        if lead and step.level != "emergency":
            reply.speech = speech(*lead).extend(reply.speech)
        return reply
    return _question(state, step, *lead)


def _usable(rules, known: dict[str, str] | None) -> dict[str, str] | None:
    """Only sign ids these rules know: the lexicon's are checked against them in the tests,
    and a mismatch must never cost a screen its start."""
    if not known:
        return None
    signs = getattr(rules, "signs", None)
    return {k: v for k, v in known.items() if signs is None or k in signs} or None


def _start(rules, locale: str, *, named: str | None = None, known=None, about: str = "self"):
    """The engine's first step, with what the opening already answered."""
    triage = _engine()
    return triage.start_screen(rules, named, locale, known=_usable(rules, known), about=about)


def check(
    library: Library, state: State, named_flag: str | None, locale: str, *, about: str = "self"
) -> Reply:
    """ "Is this dangerous?" (with or without a symptom named)."""
    rules = _engine().default_rules()
    if named_flag is None and state.position and state.screen is None:
        # Mid-stretch, the first answer is about the stretch itself; the screen is offered.
        out = speech(STRETCH_SAFETY, OFFER_SCREEN)
        return Reply(out, state.with_(pending="screen_offer"), reprompt=OFFER_SCREEN, asks="screen_offer")
    return _step(state, _start(rules, locale, named=named_flag, about=about))


def _stopped_here(library: Library, state: State, heard: Heard) -> tuple[State, str | None]:
    """A symptom mid-routine: the hold stops (the place is kept, paused). After bad pain, or
    with a warning sign named, the stretch is left out, so carrying on never repeats it."""
    if not state.position:
        return state, None
    mid_stretch = not state.position.paused  # a paused (or saved) place has no hold to stop
    if state.pending in ("pain", "pain_offer") or heard.signs:
        state = _leave_out(library, state)
    else:
        state = state.with_(position=replace(state.position, paused=True))
    if heard.stop_now:
        return state, STOP_AND_SIT if mid_stretch else SIT_DOWN
    return state, EASE_OUT if mid_stretch else None


def _answered(rules, answers) -> dict[str, str]:
    """The screen's answers as signs: a question of one sign answers it; a "no" to a compound
    question answers each of its parts. (A yes or not sure to a compound question is followed
    by its parts, which carry their own answers.)"""
    known: dict[str, str] = {}
    for question_id, reply in answers or []:
        try:
            parts = rules.question(question_id).signs
        except KeyError:
            continue
        if len(parts) == 1:
            known[parts[0]] = reply
        elif reply == "n":
            known.update({part: "n" for part in parts})
    return known


def _fold(rules, state: State, heard: Heard, locale: str):
    """New signs said mid-screen: the screen goes on from everything known so far (what the
    opening said, every answer given, and the new words), so nothing answered is asked again
    and the open question still comes whenever it can still change the outcome."""
    screen = state.screen or {}
    known = {**dict(screen.get("known") or []), **_answered(rules, screen.get("answers")), **heard.known}
    about = heard.about if heard.about != "self" else screen.get("about", "self")
    return _start(rules, locale, named=screen.get("named"), known=known, about=about)


def symptom(library: Library, state: State, heard: Heard, locale: str) -> Reply:
    """A symptom said in the person's own words, anywhere: menu, mid-hold, paused, during a
    question, mid-screen, after an outcome. Never answered by "say next" or a routine menu."""
    triage = _engine()
    rules = triage.default_rules()
    if state.screen is not None:
        try:
            step = _fold(rules, state, heard, locale)
        except (triage.TriageStateError, KeyError, TypeError, ValueError):
            step = _start(rules, locale, known=heard.known, about=heard.about)
        moving = state.position and not state.position.paused
        lead = (STOP_AND_SIT,) if heard.stop_now and moving else ()
        return _step(state.with_(pending=None, offer=None), step, *lead, ADDED)
    stopped, lead = _stopped_here(library, state.with_(offer=None), heard)
    stopped = stopped.with_(pending=None)
    step = _start(rules, locale, known=heard.known, about=heard.about)
    sorry = ("I'm sorry it hurts.",) if heard.pain_only and not lead else ()
    return _step(stopped, step, *sorry, *([lead] if lead else []))


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
    if state.position:  # the place is kept: say how to come back to it
        out.say("To carry on with your stretches later, say: Alexa, ask limber coach to resume.")
    return Reply(out, state.with_(screen=None, pending=None), end_session=True)


def pain(library: Library, state: State, locale: str) -> Reply:
    """ "Ouch" / "that hurts": stop the hold, ease out, ask what kind of pain it is."""
    if state.screen is not None:
        return interrupted(library, state, locale)
    if not state.position:
        out = speech("I'm sorry it hurts.", STRETCH_SAFETY, OFFER_SCREEN)
        return Reply(out, state.with_(pending="screen_offer"), reprompt=OFFER_SCREEN, asks="screen_offer")
    held = replace(state.position, paused=True)
    asked = state.with_(position=held, pending="pain")
    return Reply(speech(PAIN_CHECK), asked, reprompt=PAIN_CHECK, asks="pain")


def _leave_out(library: Library, state: State) -> State:
    """After bad pain the stretch is over: the place moves on to the next stretch (paused),
    so carrying on later never starts the stretch that hurt again."""
    here = state.position
    if not here:
        return state
    following = moves.next_stretch_index(library.routine(here.routine_id), here.step)
    # Left out, so counted as skipped: the finish says honestly how much was done.
    if following is None:
        return state.with_(position=None)
    return state.with_(position=replace(here, step=following, paused=True, skipped=here.skipped + 1))


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
        prompt = coaching.carry_on_prompt(library, state)
        return Reply(speech("Okay.", prompt), cleared, reprompt=prompt)
    if state.pending == "continue":
        if yes and cleared.position:
            return coaching.resume(library, cleared.with_(position=replace(cleared.position, paused=True)))
        return goodbye(library, cleared)
    if state.pending == "restart" and cleared.position:
        if yes:
            return coaching.start_over(library, cleared)
        prompt = "Say resume to pick up where you left off, or choose another routine."
        return Reply(speech("Okay.", prompt), cleared, reprompt=prompt)
    prompt = choose_prompt(library)
    return Reply(speech("I'm not sure what that answers.", prompt), cleared, reprompt=prompt)
