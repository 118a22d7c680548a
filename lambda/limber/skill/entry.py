"""The JSON-in, JSON-out entry point shared by Lambda, the web host and the console.

The SDK's own ``lambda_handler`` lets a malformed envelope raise before any handler runs;
here such an envelope gets a spoken recovery line instead, so the device never sees an
error. A request for another skill is still refused, as the SDK intends.
"""

from __future__ import annotations

import json
import logging

from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope

from limber.skill.serializer import FastSerializer

log = logging.getLogger("limber")
_serializer = FastSerializer()  # the SDK's, with its per-field work cached: see its module

RECOVERY_SSML = (
    "<speak>Sorry, I didn't understand that request. You can say start hip flexors, or help.</speak>"
)


class WrongSkill(Exception):
    """The request was addressed to another skill id."""


def recovery_envelope() -> dict:
    return {
        "version": "1.0",
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": RECOVERY_SSML},
            "reprompt": {"outputSpeech": {"type": "SSML", "ssml": RECOVERY_SSML}},
            "shouldEndSession": False,
        },
    }


def handle_event(skill: CustomSkill, event, context=None) -> dict:
    if skill.skill_id is not None and _application_id(event) != skill.skill_id:
        raise WrongSkill("request is for a different skill id")
    try:
        envelope = _serializer.deserialize(payload=_json_text(event), obj_type=RequestEnvelope)
        if envelope.request is None:
            raise ValueError("envelope has no request")
        response = skill.invoke(request_envelope=envelope, context=context)
        return _serializer.serialize(response)
    except Exception as err:  # malformed envelope: answer, never a traceback to the device
        # The type only: the message can quote what the person said.
        log.warning("unusable request envelope: %s", type(err).__name__)
        return recovery_envelope()


def _application_id(event) -> str | None:
    try:
        return event["context"]["System"]["application"]["applicationId"]
    except (KeyError, TypeError, IndexError):
        return None


def _json_text(event) -> str:
    return event if isinstance(event, str) else json.dumps(event)


__all__ = ["handle_event", "WrongSkill"]
