"""Launch, help, stop, yes/no, fallback, session end and anything unrecognised."""

from __future__ import annotations

from datetime import UTC, datetime

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import get_intent_name, is_request_type

from limber.core import coaching, habits, menu, plan, questions, screening
from limber.core.progress import avoided_routines, recent_routines, stats
from limber.core.reply import Reply
from limber.core.ssml import speech
from limber.skill import progress
from limber.skill.handlers.base import TurnHandler, intent_turn, on_request
from limber.skill.timezone import local_today
from limber.skill.turn import library, locale_of, state_of, step_played_through

ANSWERS = {"AMAZON.YesIntent": "yes", "AMAZON.NoIntent": "no", "NotSureIntent": "unsure"}


def _launch(hi):
    lib = library()
    profile = progress.load(hi)
    state = progress.with_saved_preferences(hi, state_of(hi))
    saved = progress.saved_position(profile)
    position, problem = habits.saved_place(lib, saved)
    repairs = [
        *state.repairs,
        *(["profile"] if profile.get("_repairs") else []),
        *([problem] if problem else []),
    ]
    state = state.with_(repairs=tuple(repairs))
    if position:
        reply = menu.welcome_back(lib, state.with_(position=position), stale=progress.is_stale(profile))
    else:
        first = not profile.get("disclaimer_heard")
        suggested = (None, "") if first else _today(hi, profile)
        reply = menu.welcome(lib, state, first_time=first, suggested=suggested)
    if problem:  # the stored place no longer fits the content: store the repaired one
        reply.events = (*reply.events, "position")
    if profile.get("_repairs"):
        reply.events = (*reply.events, "repaired")
    return reply


def _today(hi, profile):
    """What to suggest today (limber.core.plan): from the goal, this week, what was done
    lately and what was mostly skipped or found too hard."""
    # The local date costs a settings-API call: only when there are days to count.
    days = stats(profile, local_today(hi)).days_this_week if profile.get("completions") else 0
    recent, avoided = recent_routines(profile), avoided_routines(profile, datetime.now(UTC))
    goal = profile.get("goal")
    return plan.suggestion(library(), goal=goal, days_this_week=days, recent=recent, avoided=avoided)


launch = TurnHandler(on_request("LaunchRequest"), _launch, "launch")


@intent_turn("ListRoutinesIntent", "AMAZON.NavigateHomeIntent")
def list_routines(hi):
    return menu.list_routines(library(), state_of(hi))


@intent_turn("AMAZON.HelpIntent")
def help_(hi):
    return menu.help_reply(library(), state_of(hi))


@intent_turn("AMAZON.StopIntent", "AMAZON.CancelIntent")
def stop(hi):
    state = state_of(hi)
    return coaching.stop(library(), state, finished=step_played_through(hi, state))


@intent_turn("AMAZON.YesIntent", "AMAZON.NoIntent", "NotSureIntent")
def answer(hi):
    """Yes, no or not sure outside a screen: whatever question the last turn left open."""
    lib, state, said = library(), state_of(hi), ANSWERS[get_intent_name(hi)]
    if state.pending == "off_floor":
        return coaching.answer_off_floor(lib, state, said)
    if state.pending == "delete":
        if said == "unsure":  # deleting needs a clear yes
            return questions.ask_again(lib, Reply(speech("Please answer yes or no."), state))
        return habits.forgotten(lib, state, progress.forget(hi)) if said == "yes" else habits.kept(lib, state)
    if state.pending:
        return screening.answer_pending(lib, state, said, locale_of(hi))
    if state.offer and said == "unsure":
        return questions.ask_again(lib, Reply(speech("Please answer yes or no."), state))
    if state.offer and said == "yes":
        state = progress.with_saved_preferences(hi, state)
    if not state.offer and state.position and said == "yes":  # "yes" with nothing asked: go on
        return coaching.go_on(lib, state)
    return coaching.answer_offer(lib, state, accepted=said == "yes")


@intent_turn("AMAZON.FallbackIntent")
def fallback(hi):
    return menu.fallback(library(), state_of(hi), locale_of(hi))


@intent_turn("ThanksIntent")
def thanks(hi):
    return menu.thanks(library(), state_of(hi))


@intent_turn("GreetingIntent")
def greeting(hi):
    return menu.greeting(library(), state_of(hi))


class SessionEndedHandler(AbstractRequestHandler):
    """Alexa ignores speech here; the response must be empty. A save that failed earlier in
    the session gets one last try, so walking away doesn't lose the place."""

    def can_handle(self, handler_input):
        return is_request_type("SessionEndedRequest")(handler_input) or is_request_type(
            "System.ExceptionEncountered"
        )(handler_input)

    def handle(self, handler_input):
        if is_request_type("SessionEndedRequest")(handler_input):
            state = state_of(handler_input)
            progress.keep_place_at_end(handler_input, state, step_played_through(handler_input, state))
        progress.flush(handler_input)
        return handler_input.response_builder.response


class SkillDisabledHandler(AbstractRequestHandler):
    """The person disabled the skill: delete what is stored for them."""

    def can_handle(self, handler_input):
        return is_request_type("AlexaSkillEvent.SkillDisabled")(handler_input)

    def handle(self, handler_input):
        progress.forget(handler_input)
        return handler_input.response_builder.response


# Last in line: an intent the model does not have, or a request type we don't serve.
unrecognised = TurnHandler(
    lambda hi: True, lambda hi: menu.fallback(library(), state_of(hi), locale_of(hi)), "unrecognised"
)

FIRST = [launch, SkillDisabledHandler()]
HANDLERS = [list_routines, help_, stop, answer, fallback, thanks, greeting, SessionEndedHandler()]
LAST = [unrecognised]
