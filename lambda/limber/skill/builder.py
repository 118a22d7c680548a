"""Assembles the skill from the ASK SDK's parts: handlers, interceptors, persistence."""

from __future__ import annotations

import os

from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder

from limber.skill import screens
from limber.skill.handlers import habits, reminders, routine, screening, session
from limber.skill.interceptors import RecoverFromAnyError, SaveSessionState
from limber.skill.serializer import FastSerializer

FROM_ENV = object()


def build_skill(skill_id=FROM_ENV, persistence_adapter=None) -> CustomSkill:
    """The skill. ``skill_id`` defaults to $LIMBER_SKILL_ID (unset: no check); None: no check.

    Without a persistence adapter the skill works but remembers nothing between sessions;
    ``limber.app.create_skill`` supplies the one LIMBER_STORE names.
    """
    builder = CustomSkillBuilder(persistence_adapter=persistence_adapter)
    builder.skill_id = (os.environ.get("LIMBER_SKILL_ID") or None) if skill_id is FROM_ENV else skill_id
    for handler in [
        *session.FIRST,
        *screening.HANDLERS,  # a screen in progress answers every intent first
        *screens.HANDLERS,
        *routine.HANDLERS,
        *habits.HANDLERS,
        *reminders.HANDLERS,
        *session.HANDLERS,
        *session.LAST,
    ]:
        builder.add_request_handler(handler)
    builder.add_global_response_interceptor(SaveSessionState())
    builder.add_exception_handler(RecoverFromAnyError())
    skill = builder.create()
    skill.serializer = FastSerializer()  # the web host reads envelopes with the skill's serializer
    return skill
