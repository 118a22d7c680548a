"""The test side of a conversation: the package's real envelopes, every response checked.

Every response passes through ``alexa_rules.check_response``, so no test can see a
response Alexa would reject.
"""

from __future__ import annotations

from alexa_rules import check_response
from limber.console.envelopes import LOCAL_SKILL_ID, AlexaSession, envelope, intent_request, speech_text

SKILL_ID = LOCAL_SKILL_ID

__all__ = ["Conversation", "SKILL_ID", "envelope", "intent_request", "speech_text"]


class Conversation(AlexaSession):
    """``say`` and ``launch`` return the spoken words; ``last`` holds the whole response."""

    def __init__(self, handler, **kwargs):
        super().__init__(handler, check=check_response, **kwargs)
        self.transcript: list[tuple[str, str]] = []

    def send(self, request: dict) -> dict:
        response = super().send(request)
        label = (request.get("intent") or {}).get("name") or request["type"]
        self.transcript.append((label, speech_text(response)))
        return response

    def launch(self) -> str:  # type: ignore[override]
        return speech_text(super().launch())

    def say(self, intent: str, **slots) -> str:
        return speech_text(self.intent(intent, **slots))

    @property
    def ended(self) -> bool:
        return self.last["response"].get("shouldEndSession") is not False

    @property
    def card(self) -> dict | None:
        return self.last["response"].get("card")
