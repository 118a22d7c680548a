"""Saved progress on the skill side: one read per session, writes only when state changes.

The profile read at the first turn that needs it rides in session attributes for the rest
of the session, with the adapter's bookkeeping (version, digest). A turn whose reply
changed something worth keeping updates the profile and saves it through the SDK's
AttributesManager. When storage fails the conversation goes on: the person hears one
short line, and the unsaved profile waits in the session for the next turn that can write.
The adapter gives all storage calls of one turn a single deadline (limber.storage), so a
store that never answers delays a turn by at most that, once.

While a red-flag screen runs nothing is read or written, and nothing it hears is ever
stored. The turn that ends it (or gives an outcome at once) may save what an earlier turn
could not, but says nothing about saving: the outcome's words come last. A reply carrying
the "clear_place" event (screening emits it after an emergency or urgent outcome) clears
the saved place, so no later launch offers to resume the routine. It is cleared exactly as
any other clearing is; nothing records why, and if storage fails nothing is said (the
cleared profile waits in the session like any unsaved one).
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import replace
from datetime import UTC, date, datetime

from ask_sdk_core.exceptions import AttributesManagerException, PersistenceException

from limber.core import plan, progress
from limber.core.coaching import moved_on
from limber.core.content import default_library
from limber.core.reply import Reply
from limber.core.routine import Position
from limber.core.ssml import Speech
from limber.core.state import State

log = logging.getLogger("limber")
# No adapter configured raises AttributesManagerException; both mean "no storage now".
STORAGE_ERRORS = (PersistenceException, AttributesManagerException)

PROFILE_KEY = "profile"  # in session attributes, as one JSON string (see session_value)
MAX_CACHED_CHARS = 4_000  # a real profile is under 1 kB (60 dates at most); more is junk
UNSAVED_KEY = "_unsaved"
HOUSEHOLD_KEY = "_household"  # limber.storage.HOUSEHOLD_KEY: keep it, or a save loses the others
LOADED_KEY = "limber_profile"  # in request attributes
COULD_NOT_SAVE = "I couldn't save your place just now, but we can carry on."
NOT_SAVED_AT_END = "I couldn't save your place just now, so next time you may need to start a little earlier."


def _session(handler_input) -> dict:
    if handler_input.request_envelope.session is None:  # events arrive outside a session
        return {}
    attributes = handler_input.attributes_manager.session_attributes
    return attributes if isinstance(attributes, dict) else {}


def load(handler_input) -> dict:
    """The person's profile: from the session if already read, else one read from storage.

    If storage is down the person gets a fresh profile for now; writing it later is safe
    because saves are conditional and merge with whatever is really stored.
    """
    return _load(handler_input)[0]


def _load(handler_input) -> tuple[dict, bool]:
    """The profile, and False when it is only a stand-in because storage could not be read."""
    request = handler_input.attributes_manager.request_attributes
    if LOADED_KEY in request or loaded(handler_input) is not None:
        return request[LOADED_KEY], True
    try:
        profile, read = dict(handler_input.attributes_manager.persistent_attributes), True
    except STORAGE_ERRORS as err:
        log.warning("progress read failed: %s", type(err).__name__)
        profile, read = {**progress.new_profile(), "_version": 0, "_basis": None, "_repairs": []}, False
    request[LOADED_KEY] = profile
    return profile, read


def session_copy(handler_input) -> str | None:
    """What goes back into session attributes: the profile this turn used, or else the copy
    the session carried, passed on unread (it is checked on the turn that needs it)."""
    request = handler_input.attributes_manager.request_attributes
    if LOADED_KEY in request:
        return None if request[LOADED_KEY] is None else session_value(request[LOADED_KEY])
    raw = _session(handler_input).get(PROFILE_KEY)
    if isinstance(raw, str) and len(raw) <= MAX_CACHED_CHARS:
        return raw
    cached = _cached(handler_input)  # an older dict form, or junk: checked before it goes back
    return session_value(_from_session(cached)) if cached is not None else None


def session_value(profile: dict) -> str:
    """The profile as it rides in session attributes: one string, because the SDK deep-copies
    and walks every nested value of the session attributes on every turn."""
    return json.dumps(profile, separators=(",", ":"))


def _cached(handler_input) -> dict | None:
    raw = _session(handler_input).get(PROFILE_KEY)
    if isinstance(raw, str) and len(raw) <= MAX_CACHED_CHARS:
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    return raw if isinstance(raw, dict) and "_version" in raw else None


def _from_session(cached: dict) -> dict:
    """The session's copy, checked like a stored record: session attributes come back from
    the device, so their shape is not trusted (a repair here is silent; storage is intact)."""
    profile, _ = progress.migrate({k: v for k, v in cached.items() if not k.startswith("_")})
    version = cached.get("_version")
    basis = cached.get("_basis")
    profile["_version"] = version if isinstance(version, int) and not isinstance(version, bool) else 0
    profile["_basis"] = basis if isinstance(basis, str) else None
    profile["_repairs"] = []
    if cached.get(UNSAVED_KEY) is True:
        profile[UNSAVED_KEY] = True
    if cached.get(HOUSEHOLD_KEY) is True:  # one speaker's part of a household's record
        profile[HOUSEHOLD_KEY] = True
    return profile


def loaded(handler_input) -> dict | None:
    """The profile if this turn or this session already has it; never reads."""
    request = handler_input.attributes_manager.request_attributes
    if LOADED_KEY in request:
        return request[LOADED_KEY]
    cached = _cached(handler_input)
    if cached is None:
        return None
    request[LOADED_KEY] = _from_session(cached)  # checked once per turn
    return request[LOADED_KEY]


def saved_position(profile: dict) -> Position | None:
    position = profile.get("position")
    if not isinstance(position, dict):
        return None
    # Repaired on read (progress.migrate): skipped is absent or a small whole number.
    skipped = position.get("skipped", 0)
    return Position(position.get("routine_id"), position.get("step"), position.get("paused") is True, skipped)


def keep_place_at_end(handler_input, state: State, played_through: bool) -> None:
    """The session ended mid-routine (the reprompt went unanswered, or "Alexa, exit"): keep the
    place paused, at the next step when this one had played through, so a later resume
    neither replays a side already done nor skips one cut short."""
    if state.position is None or state.position.paused or state.screen is not None:
        return
    paused = replace(moved_on(default_library(), state.position, played_through), paused=True)
    kept = Reply(Speech(), state.with_(position=paused), events=("position",))
    settle(handler_input, kept, state, utc_today)


def is_stale(profile: dict) -> bool:
    return progress.is_stale(profile.get("position"), datetime.now(UTC))


def _apply(profile: dict, reply: Reply, today) -> dict:
    """The profile after this reply's events; bookkeeping keys are carried over."""
    updated = {k: v for k, v in profile.items() if not k.startswith("_")}
    for event in reply.events:
        if event.startswith("completed:"):
            updated = progress.record_completion(updated, event.split(":", 1)[1], today())
        elif event == "position":
            position = reply.state.position
            updated = (
                progress.set_position(
                    updated,
                    position.routine_id,
                    position.step,
                    paused=position.paused,
                    skipped=position.skipped,
                )
                if position
                else progress.clear_position(updated)
            )
        elif event == "hold" and reply.state.hold:
            updated = progress.set_hold_seconds(updated, reply.state.hold)
        elif event == "disclaimer":
            updated = progress.mark_disclaimer_heard(updated)
        elif event.startswith("met:"):
            updated = progress.note_met(updated, [event.split(":", 1)[1]])
        elif event.startswith("known:"):
            updated = progress.mark_known(updated, [event.split(":", 1)[1]])
        elif event.startswith("preferences:"):  # only the choice this turn made ("just for today"
            name = event.split(":", 1)[1]  # stays out of storage when another one is saved)
            if name in progress.PREFERENCES:
                updated = progress.set_preference(updated, name, getattr(reply.state, name))
        updated = _apply_plan_event(updated, event)
    return {**{k: v for k, v in profile.items() if k.startswith("_")}, **updated}


# "repaired": the stored record was fixed on read; writing it back stops the repair
# sentence from being said at every launch.
PLAN_EVENTS = ("goal:", "avoided:", "reminder_offered")  # see _apply_plan_event
STORED_EVENTS = (
    "position", "hold", "disclaimer", "completed:", "repaired", "met:", "known:", "preferences", *PLAN_EVENTS
)
CLEAR_PLACE = "clear_place"


def _safety(reply: Reply, before: State) -> bool:
    """A turn that ends a red-flag check: a screen was running, or an outcome was given at
    once (a named emergency needs no questions; its reply shows the outcome). Nothing about
    saving is said on such a turn: the outcome's words come last."""
    shown = reply.display.get("kind") if isinstance(reply.display, dict) else None
    return before.screen is not None or shown == "outcome"


def settle(handler_input, reply: Reply, before: State, today) -> Reply:
    """Save what this turn changed (or what an earlier turn could not), then return the
    reply, with a line added when saving failed for the first time."""
    if CLEAR_PLACE in reply.events:
        _clear_place(handler_input)
        return reply
    if reply.state.screen is not None:
        return reply  # a screen is running: nothing is read or written until it ends
    today = functools.cache(today)  # the local date may cost a settings-API call: once a turn
    reply = _plan_events(handler_input, reply, before, today)
    changed = any(e.startswith(STORED_EVENTS) for e in reply.events)
    request = handler_input.attributes_manager.request_attributes
    pending = ((request[LOADED_KEY] if LOADED_KEY in request else _cached(handler_input)) or {}).get(
        UNSAVED_KEY
    ) is True
    if not changed and not pending:
        return reply
    profile = load(handler_input)
    profile = _apply(profile, reply, today)
    first_failure = profile.get(UNSAVED_KEY) is not True
    if not _write(handler_input, profile):
        if _safety(reply, before):
            pass  # the profile waits in the session; nothing is said after an outcome
        elif reply.end_session:  # a goodbye must not promise a place that wasn't kept
            reply.speech.say(NOT_SAVED_AT_END)
        elif first_failure:
            reply.speech.say(COULD_NOT_SAVE)
    return reply


def _write(handler_input, profile: dict) -> bool:
    """Save ``profile`` through the AttributesManager; on failure it is marked unsaved and
    waits in the session for the next turn that can write. Either way it is this turn's."""
    manager = handler_input.attributes_manager
    try:
        manager.persistent_attributes = profile
        manager.save_persistent_attributes()
        profile.pop(UNSAVED_KEY, None)
        saved = True
    except STORAGE_ERRORS as err:
        log.warning("progress save failed: %s", type(err).__name__)
        profile[UNSAVED_KEY] = True
        saved = False
    manager.request_attributes[LOADED_KEY] = profile
    return saved


def _clear_place(handler_input) -> None:
    """Forget the saved place, silently. Nothing is written when nothing is saved."""
    profile, read = _load(handler_input)
    if read and profile.get("position") is None and profile.get(UNSAVED_KEY) is not True:
        return
    bookkeeping = {k: v for k, v in profile.items() if k.startswith("_")}
    cleared = progress.clear_position({k: v for k, v in profile.items() if not k.startswith("_")})
    _write(handler_input, {**bookkeeping, **cleared})


def forget(handler_input) -> bool:
    """Delete everything stored for this person; False when storage could not be reached."""
    try:
        handler_input.attributes_manager.delete_persistent_attributes()
    except STORAGE_ERRORS as err:
        log.warning("progress delete failed: %s", type(err).__name__)
        return False
    handler_input.attributes_manager.request_attributes[LOADED_KEY] = None
    return True


def with_saved_preferences(handler_input, state: State) -> State:
    """The session state with the stored preferences (one read per session): the hold, the
    stretches this person knows, slower speech, versions off the floor. A choice made in this
    session and not saved (just for today) stays."""
    profile = load(handler_input)
    hold = profile.get("hold_seconds")
    if state.hold is None and isinstance(hold, int):
        state = state.with_(hold=hold)
    met = profile.get("met") or {}
    familiar = frozenset(sid for sid, count in met.items() if count >= progress.FAMILIAR_AFTER)
    chosen = profile.get("preferences") or {}
    return state.with_(
        familiar=state.familiar | familiar,
        slower=state.slower or chosen.get("slower") is True,
        off_floor=state.off_floor or chosen.get("off_floor") is True,
    )


def first_time(handler_input) -> bool:
    """Has this person never heard the disclaimer? (One read per session, like the rest.)"""
    return not load(handler_input).get("disclaimer_heard")


def flush(handler_input) -> None:
    """Try once more to save a profile an earlier turn could not (e.g. at session end)."""
    profile = loaded(handler_input)
    if not profile or profile.get(UNSAVED_KEY) is not True:
        return
    try:
        handler_input.attributes_manager.persistent_attributes = profile
        handler_input.attributes_manager.save_persistent_attributes()
    except STORAGE_ERRORS as err:
        log.warning("progress save at session end failed: %s", type(err).__name__)


def utc_today() -> date:
    return datetime.now(UTC).date()


# --- the weekly plan: what launch suggests, and the one-time reminder offer -----------------
# Events: "goal:<days>", "avoided:<routine id>" (mostly skipped, or found too hard),
# "reminder_offered". A finished routine ("completed:<id>") also notes when it was finished.
# Intents whose turn says something worth keeping that their reply does not carry.
_TOO_HARD_INTENTS = ("EasierIntent",)
_REMINDER_INTENTS = ("SetReminderIntent",)


def _apply_plan_event(profile: dict, event: str) -> dict:
    kind, _, value = event.partition(":")
    if kind == "completed":
        return progress.note_finished(profile, value)
    if kind == "goal" and value.isdigit():
        return progress.set_goal(profile, plan.clamp_goal(int(value)))
    if kind == "avoided" and value:
        return progress.note_avoided(profile, value)
    if event == "reminder_offered":
        return progress.mark_reminder_offered(profile)
    return profile


def _intent_name(handler_input) -> str | None:
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    return getattr(intent, "name", None)


def _plan_events(handler_input, reply: Reply, before: State, today) -> Reply:
    """Adds what this turn means for the plan: "too hard" mid-routine marks that routine
    (its id only); a reminder set by voice means the offer is never made; a routine just
    finished, by someone never offered a reminder who is making a habit of it (a weekly
    goal, or a routine finished on an earlier day), ends with that offer instead."""
    name = _intent_name(handler_input)
    if name in _TOO_HARD_INTENTS and before.position:
        reply.events = (*reply.events, f"avoided:{before.position.routine_id}")
    elif name in _REMINDER_INTENTS and "reminder_offered" not in reply.events:
        reply.events = (*reply.events, "reminder_offered")
    finished = [e.split(":", 1)[1] for e in reply.events if e.startswith("completed:")]
    if finished and not reply.end_session and _may_offer_reminder(load(handler_input), today):
        reply = plan.offer_reminder(default_library(), reply, finished[-1])
    return reply


def _may_offer_reminder(profile: dict, today) -> bool:
    if profile.get("reminder_offered"):
        return False  # once ever: asked is asked, whatever the answer was
    if profile.get("goal"):
        return True
    return any(day < today().isoformat() for day in profile.get("completions") or [])
