"""Silence while the microphone is open, as an Echo handles it.

After a response that keeps the session open, Alexa listens for a few seconds. If nothing is
said it speaks the response's reprompt and listens again, without asking the skill; if nothing
is said again (or there was no reprompt) it closes the session and sends the skill a
SessionEndedRequest with reason EXCEEDED_MAX_REPROMPTS (Alexa's request types reference).
"""

from __future__ import annotations

from limber.console.envelopes import AlexaSession

# Not a request the skill ever sees: what the console shows when Alexa speaks the reprompt.
REPROMPT = {"type": "Reprompt"}
CLOSED = {"type": "SessionEndedRequest", "reason": "EXCEEDED_MAX_REPROMPTS"}


def on_silence(session: AlexaSession, silences: int) -> tuple[dict, dict] | None:
    """The request and response for the ``silences``-th silence in a row, or None when no session
    is open (nobody is listening). A reprompt is answered by Alexa, not the skill."""
    if not session.open:
        return None
    reprompt = ((session.last or {}).get("response") or {}).get("reprompt")
    if silences == 1 and reprompt and reprompt.get("outputSpeech"):
        return dict(REPROMPT), {
            "response": {"outputSpeech": reprompt["outputSpeech"], "shouldEndSession": False}
        }
    return dict(CLOSED), session.send(dict(CLOSED))
