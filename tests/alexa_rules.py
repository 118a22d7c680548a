"""What makes a response valid for Alexa; every test response goes through ``check_response``.

Rules from the Alexa Skills Kit docs: SSML with only supported tags, ``<break>`` at most
10 s, output speech at most 8,000 characters, the whole response under 24 kB, a reprompt
whenever the session stays open, and plain-text cards.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

SUPPORTED_TAGS = {
    "speak",
    "break",
    "audio",
    "emphasis",
    "lang",
    "p",
    "phoneme",
    "prosody",
    "s",
    "say-as",
    "sub",
    "voice",
    "w",
    "amazon:effect",
    "amazon:emotion",
    "amazon:domain",
}
BREAK_STRENGTHS = {"none", "x-weak", "weak", "medium", "strong", "x-strong"}
MAX_SPEECH_CHARS = 8000
MAX_RESPONSE_BYTES = 24 * 1024
MAX_BREAK_SECONDS = 10.0
AMAZON_NS = "https://alexa.amazon.com/ssml"


class InvalidResponse(AssertionError):
    pass


def break_seconds(value: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*", value)
    if not match:
        raise InvalidResponse(f"<break time={value!r}> is not a duration")
    number = float(match.group(1))
    return number / 1000 if match.group(2) == "ms" else number


def check_ssml(ssml: str, where: str) -> ET.Element:
    if len(ssml) > MAX_SPEECH_CHARS:
        raise InvalidResponse(f"{where}: {len(ssml)} characters, over {MAX_SPEECH_CHARS}")
    declared = ssml.replace("<speak", f'<speak xmlns:amazon="{AMAZON_NS}"', 1)
    try:
        root = ET.fromstring(declared)
    except ET.ParseError as err:
        raise InvalidResponse(f"{where}: SSML is not well-formed XML: {err}: {ssml[:200]}") from None
    if root.tag != "speak":
        raise InvalidResponse(f"{where}: SSML root is <{root.tag}>, not <speak>")
    for element in root.iter():
        tag = element.tag.replace("{" + AMAZON_NS + "}", "amazon:")
        if tag not in SUPPORTED_TAGS:
            raise InvalidResponse(f"{where}: unsupported SSML tag <{tag}>")
        if tag == "break":
            if "time" in element.attrib and break_seconds(element.attrib["time"]) > MAX_BREAK_SECONDS:
                raise InvalidResponse(f"{where}: <break time={element.attrib['time']}> over 10 s")
            if element.attrib.get("strength", "medium") not in BREAK_STRENGTHS:
                raise InvalidResponse(f"{where}: bad break strength")
    return root


def _check_speech(speech: dict, where: str) -> None:
    kind = speech.get("type")
    if kind == "SSML":
        check_ssml(speech.get("ssml", ""), where)
    elif kind == "PlainText":
        if len(speech.get("text", "")) > MAX_SPEECH_CHARS:
            raise InvalidResponse(f"{where}: plain text over {MAX_SPEECH_CHARS}")
    else:
        raise InvalidResponse(f"{where}: unknown output speech type {kind!r}")


def check_response(envelope: dict) -> dict:
    """Raise InvalidResponse unless ``envelope`` is a response Alexa accepts; return it."""
    if not isinstance(envelope, dict) or envelope.get("version") != "1.0":
        raise InvalidResponse(f"not a response envelope: {str(envelope)[:200]}")
    size = len(json.dumps(envelope).encode())
    if size > MAX_RESPONSE_BYTES:
        raise InvalidResponse(f"response is {size} bytes, over {MAX_RESPONSE_BYTES}")
    response = envelope.get("response")
    if not isinstance(response, dict):
        raise InvalidResponse("response envelope has no response")
    if "outputSpeech" in response:
        _check_speech(response["outputSpeech"], "outputSpeech")
    stays_open = response.get("shouldEndSession") is False
    reprompt = (response.get("reprompt") or {}).get("outputSpeech")
    if stays_open and not reprompt:
        raise InvalidResponse("session stays open without a reprompt")
    if reprompt:
        _check_speech(reprompt, "reprompt")
    if stays_open and "outputSpeech" not in response:
        raise InvalidResponse("session stays open with nothing said")
    for directive in response.get("directives") or []:
        if directive.get("type") == "Connections.SendRequest":
            # Alexa takes over the conversation for its own prompt (voice permissions).
            if reprompt or stays_open:
                raise InvalidResponse("Connections.SendRequest with a reprompt or an open session")
    card = response.get("card")
    if card:
        if card.get("type") not in ("Simple", "Standard", "LinkAccount", "AskForPermissionsConsent"):
            raise InvalidResponse(f"unknown card type {card.get('type')}")
        for field in ("title", "content", "text"):
            if re.search(r"<[^>]+>", str(card.get(field, ""))):
                raise InvalidResponse(f"card {field} contains markup")
    return envelope
