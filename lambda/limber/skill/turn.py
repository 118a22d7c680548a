"""One request as the core sees it: the content, the session state and the slots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest

from limber.core.content import Library, default_library
from limber.core.state import State, from_session

STATE_KEY = "limber_state"


@dataclass(frozen=True)
class SlotValue:
    id: str | None  # the entity-resolution id when Alexa matched a value
    heard: str | None  # what the person said, as Alexa transcribed it


def library() -> Library:
    return default_library()


def state_of(handler_input: HandlerInput) -> State:
    """The session state, parsed from session attributes once per request and cached."""
    request_attributes = handler_input.attributes_manager.request_attributes
    if STATE_KEY not in request_attributes:
        in_session = handler_input.request_envelope.session is not None
        session = handler_input.attributes_manager.session_attributes if in_session else {}
        request_attributes[STATE_KEY] = from_session(session, library())
    return request_attributes[STATE_KEY]


def locale_of(handler_input: HandlerInput) -> str:
    request = handler_input.request_envelope.request
    locale = getattr(request, "locale", None)
    return locale if isinstance(locale, str) else "en-US"


def slot(handler_input: HandlerInput, name: str) -> SlotValue:
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or not request.intent or not request.intent.slots:
        return SlotValue(None, None)
    found = request.intent.slots.get(name)
    if found is None:
        return SlotValue(None, None)
    heard = found.value if isinstance(found.value, str) and found.value.strip() else None
    resolutions = getattr(found.resolutions, "resolutions_per_authority", None) or []
    for authority in resolutions:
        status = getattr(getattr(authority, "status", None), "code", None)
        if getattr(status, "value", status) == "ER_SUCCESS_MATCH" and authority.values:
            return SlotValue(authority.values[0].value.id, heard)
    return SlotValue(None, heard)


def number_slot(handler_input: HandlerInput, name: str) -> int | None:
    heard = slot(handler_input, name).heard
    try:
        return int(heard) if heard is not None else None
    except ValueError:
        return None


def request_time(handler_input: HandlerInput) -> datetime | None:
    """When Alexa sent this request (the envelope's timestamp), in UTC."""
    stamp = getattr(handler_input.request_envelope.request, "timestamp", None)
    if isinstance(stamp, str):
        try:
            stamp = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(stamp, datetime):
        return None
    try:
        return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


# Speech starts a little after the request's time (the skill's turn, then the voice), and a
# real voice may be a little slower than the estimate: a step counts as played through only
# this long after its hold's estimated end. Replaying a side is safer than skipping one.
PLAYED_MARGIN = 3.0


def step_played_through(handler_input: HandlerInput, state: State) -> bool:
    """Had the last step's hold ended when this request came? (Its reply holds the whole
    hold, and the microphone is closed while it plays: a request after the hold's end was
    said after "Release".) Never for a paused place: the pause already decided."""
    if state.played is None or state.position is None or state.position.paused:
        return False
    sent, hold_ends, step = state.played
    now = request_time(handler_input)
    if step != state.position.step or now is None:
        return False
    return (now - sent).total_seconds() >= hold_ends + PLAYED_MARGIN
