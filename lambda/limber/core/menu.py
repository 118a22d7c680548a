"""Turns outside a routine's steps: welcome, the routine list, help, stop, fallback."""

from __future__ import annotations

from limber.core.content import Library
from limber.core.questions import ask_again
from limber.core.reply import Reply
from limber.core.routine import Position, steps_of
from limber.core.ssml import speech
from limber.core.state import State
from limber.core.timing import number_word
from limber.core.words import spoken_list

DISCLAIMER = (
    "One thing first: Limber is a stretching coach, "
    "not a substitute for professional medical advice. "
    "If you're ever worried about your pain, ask me, is this dangerous."
)
ROUTINES_DISPLAY = {"kind": "routines"}  # a screen shows the touchable routine list
REPAIR_NOTES = {
    "routine": "I couldn't find the routine you were doing, so let's pick one again.",
    "step": "Your place in that routine no longer fits it, so it starts from the top.",
    "bad": "Something in your saved place didn't make sense, so I've cleared it.",
    "profile": "Some of your saved progress was damaged, so I've tidied it up.",
}


def routine_menu(library: Library) -> str:
    names = library.routine_names()
    return f"I have {number_word(len(names))} routines: {spoken_list(names)}."


def choose_prompt(library: Library) -> str:
    first = library.routines[0].name.lower()
    return f"Which would you like? For example, say start {first}."


def repair_notes(state: State) -> list[str]:
    return [REPAIR_NOTES[r] for r in state.repairs if r in REPAIR_NOTES]


def place(library: Library, position: Position) -> str:
    """ "stretch 3 of 6 of Hip flexors" """
    routine = library.routine(position.routine_id)
    step = steps_of(routine)[position.step]
    return f"stretch {step.stretch_number} of {len(routine.stretches)} of {routine.name}"


def where_we_are(library: Library, state: State) -> str | None:
    return place(library, state.position) if state.position else None


def exact_place(library: Library, state: State) -> str | None:
    """ "stretch 3 of 6 of Hip flexors, left side": the side too, so "resume" is no surprise."""
    where = where_we_are(library, state)
    if where:
        step = steps_of(library.routine(state.position.routine_id))[state.position.step]
        where += f", {step.side} side" if step.side != "both" else ""
    return where


def welcome_back(library: Library, state: State, *, stale: bool) -> Reply:
    """Launch with a saved place (already in ``state``): resume it, or after a week away,
    offer to start that routine over."""
    out = speech(*repair_notes(state))
    where = exact_place(library, state)
    if not stale:
        out.say(f"Welcome back. You stopped at {where}. Say resume to carry on, or choose another routine.")
        return Reply(out, state, reprompt="Say resume to carry on, or name another routine.")
    name = library.routine(state.position.routine_id).name
    question = f"Would you like to start {name} over?"
    out.say(
        f"Welcome back. Last time you got to {where}, but that was over a week ago.",
        question,
        "Or choose another routine.",
    )
    prompt = f"{question} Say yes or no, or name another routine."
    return Reply(out, state.with_(pending="restart"), reprompt=prompt, asks="restart")


def with_disclaimer(reply: Reply) -> Reply:
    """The once-ever disclaimer, before whatever the first turn says."""
    lead = speech(DISCLAIMER)
    if reply.display and "timer_starts" in reply.display:  # keep a screen's countdown on the voice
        shift = lead.estimated_seconds
        reply.display = {
            **reply.display,
            "timer_starts": round(reply.display["timer_starts"] + shift, 1),
            "timer_ends": round(reply.display["timer_ends"] + shift, 1),
        }
    reply.speech = lead.extend(reply.speech)
    reply.events = (*reply.events, "disclaimer")
    return reply


def welcome(
    library: Library, state: State, *, first_time: bool, suggested: tuple[str | None, str] = (None, "")
) -> Reply:
    """Launch with no saved place. A returning person hears ``suggested`` (limber.core.plan:
    a routine id and one line), and "yes" starts it."""
    out = speech(*repair_notes(state))
    routine_id, line = suggested
    if routine_id and not first_time:
        prompt = "Say yes, or name another routine."
        out.say("Welcome to Limber.", line, prompt)  # "welcome back" is for resuming a place
        return Reply(out, state.with_(offer=routine_id), reprompt=f"{line} {prompt}", asks="offer",
                     display=ROUTINES_DISPLAY)  # fmt: skip
    out.say("Welcome to Limber.")
    if first_time:
        out.say(DISCLAIMER)
    out.say(routine_menu(library), choose_prompt(library))
    return Reply(
        out,
        state,
        reprompt=choose_prompt(library),
        events=("disclaimer",) if first_time else (),
        display=ROUTINES_DISPLAY,
    )


def list_routines(library: Library, state: State) -> Reply:
    lines = [routine_menu(library)]
    lines += [f"{r.name}: {r.summary}" for r in library.routines]
    return Reply(
        speech(*lines, choose_prompt(library)),
        state,
        reprompt=choose_prompt(library),
        display=ROUTINES_DISPLAY,
    )


def help_reply(library: Library, state: State) -> Reply:
    place = where_we_are(library, state)
    if place and state.position.paused:
        text = f"You're paused at {place}. If something hurts, say that hurts, or ask, is this dangerous."
        prompt = "Say resume to do it, next to move on, or start over."
    elif place:
        text = (
            f"You're on {place}. Say back for the previous one, skip this one, or how many are left. "
            "Say how do I do this for the whole set-up, that's too hard for an easier way, or "
            "slower please. You can say hold for 45 seconds. If something hurts, "
            "say that hurts, or ask, is this dangerous."
        )
        prompt = "Say next, repeat, or pause."
    else:
        text = (
            f"I coach you through stretches, one at a time, and time each hold. {routine_menu(library)} "
            "Say start and a routine's name. If you're worried about your pain, ask, is this "
            "dangerous, and I'll ask a few questions about warning signs."
        )
        prompt = choose_prompt(library)
    return ask_again(library, Reply(speech(text, prompt), state, reprompt=prompt))


def goodbye(library: Library, state: State) -> Reply:
    place = exact_place(library, state)
    state = state.with_(offer=None, pending=None, screen=None)
    if place:
        out = speech(f"Okay, stopping at {place}. To carry on later, say, Alexa, ask limber coach to resume.")
    else:
        out = speech("Okay. Go gently, and come back any time: just say, Alexa, open limber coach.")
    return Reply(out, state, end_session=True)


def safety_line(locale: str) -> tuple[str, dict[str, str]]:
    """How to ask about a symptom, and the locale's emergency number for the worst signs
    (with how to say it), from the triage content. Loaded only when a turn needs it."""
    from limber.core import triage

    words = triage.default_rules().locale(locale)
    number = words.said.get("emergency", "your local emergency number")
    line = (
        "If something hurts or worries you, say that hurts, or ask is this dangerous; "
        f"for chest pain or sudden numbness or weakness, call {number} now."
    )
    return line, words.numbers


def fallback(library: Library, state: State, locale: str = "en-US") -> Reply:
    """What wasn't understood. The reply carries one safety line: the fallback must never be
    all someone hears after naming a symptom the model missed."""
    if state.position:
        prompt = "Say next to move on, repeat to hear this stretch again, or help for more."
    else:
        prompt = f"{routine_menu(library)} {choose_prompt(library)}"
    line, numbers = safety_line(locale)
    out = speech("Sorry, I didn't catch that.").say_with_numbers(line, numbers).say(prompt)
    return ask_again(library, Reply(out, state, reprompt=prompt))


def small_talk(library: Library, state: State, line: str) -> Reply:
    """Thanks or a hello: one line, then whatever the conversation was waiting for."""
    if state.position:
        word = "resume" if state.position.paused else "next"
        prompt = f"Say {word} when you're ready."
    else:
        prompt = choose_prompt(library)
    return ask_again(library, Reply(speech(line, prompt), state, reprompt=prompt))


def thanks(library: Library, state: State) -> Reply:
    return small_talk(library, state, "You're welcome.")


def greeting(library: Library, state: State) -> Reply:
    return small_talk(library, state, "Hello! I'm Limber, your stretching coach.")


def recovery(library: Library, state: State) -> Reply:
    """The catch-all line after an unexpected error: the session carries on."""
    prompt = "Say next to carry on, or help." if state.position else choose_prompt(library)
    return Reply(speech("Sorry, something went wrong on my side.", prompt), state, reprompt=prompt)
