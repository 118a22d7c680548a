"""How a person starts the skill on a device: "Alexa, ask limber coach to resume".

Amazon's "Understand How Users Invoke Custom Skills" lists the phrases Alexa accepts; in English:

- a launch word and the invocation name alone opens the skill (a LaunchRequest): "open limber
  coach", "start limber coach", "launch ...", "talk to ...", "ask ...";
- a launch word, the name, an optional connecting word and a request starts it with that request
  (an IntentRequest in a new session): "ask limber coach to resume", "tell limber coach start hip
  stretches", "open limber coach and start hip stretches", "ask limber coach for help";
- a request, a connecting word and the name: "start hip stretches using limber coach".

The invocation name comes from the interaction model, so renaming the skill needs no edit here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from limber.console.envelopes import model_locale
from limber.interaction_model import build_model, normalise

LAUNCH_WORDS = ("open", "launch", "start", "begin", "run", "load", "play", "use", "talk to", "ask", "tell")
# After the name: "ask limber coach to ...", "open limber coach and ...". Question words stay part
# of the request ("ask limber coach what routines are there").
CONNECTING_BEFORE = ("to", "and", "for", "about", "if", "whether", "that")
# Before the name: "start hip stretches using limber coach".
CONNECTING_AFTER = ("using", "with", "from", "by", "in", "on")
WAKE = ("alexa", "please")


@dataclass(frozen=True)
class Invocation:
    """``request`` is the request said with the name, or None for a plain launch."""

    request: str | None

    @property
    def launch(self) -> bool:
        return self.request is None


@lru_cache(maxsize=8)
def invocation_name(locale: str = "en-US") -> str:
    model = build_model(model_locale(locale))
    return normalise(model["interactionModel"]["languageModel"]["invocationName"])


@lru_cache(maxsize=8)
def _patterns(name: str) -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    launch = "|".join(re.escape(w) for w in LAUNCH_WORDS)
    before = "|".join(CONNECTING_BEFORE)
    after = "|".join(CONNECTING_AFTER)
    called = re.escape(name)
    return (
        re.compile(rf"^(?:{launch})\s+(?:the\s+)?{called}$"),
        re.compile(rf"^(?:{launch})\s+(?:the\s+)?{called}\s+(?:(?:{before})\s+)?(?P<request>.+)$"),
        re.compile(rf"^(?P<request>.+?)\s+(?:{after})\s+(?:the\s+)?{called}$"),
    )


def parse_invocation(text: str, locale: str = "en-US") -> Invocation | None:
    """The launch or request in a phrase that names the skill; None if it does not name it."""
    said = normalise(text).split()
    while said and said[0] in WAKE:
        said = said[1:]
    said = " ".join(said)
    alone, with_request, request_first = _patterns(invocation_name(locale))
    if alone.match(said):
        return Invocation(None)
    for pattern in (with_request, request_first):
        if found := pattern.match(said):
            return Invocation(found["request"])
    return None
