"""Short, sourced answers to general questions about back pain ("why does my back hurt", "is back
pain serious", "will this get better"), each followed by the offer of the warning-sign check.

The words live in ``content/pain_education.toml``. They speak about back pain in general and never
judge the listener's own pain; the check is where their own symptoms are heard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from limber.core.content import ContentError, Source, content_dir
from limber.core.questions import OFFER_QUESTION
from limber.core.reply import Reply
from limber.core.ssml import speech
from limber.core.state import State

MAX_ANSWER_WORDS = 60
MAX_HOLD_LINE_WORDS = 16  # one short line inside a hold, never a talk
FILE = "pain_education.toml"
# What would judge the listener's own pain, or promise what no one can: never said.
VERDICT = re.compile(
    r"\b(your pain|your back is|you're fine|you are fine|not dangerous|nothing to worry|"
    r"nothing serious|will go away|will get better|guarantee|cure)\b",
    re.I,
)


@dataclass(frozen=True)
class Topic:
    id: str
    asked: tuple[str, ...]  # how people put the question, lower case
    answer: str  # spoken
    sources: tuple[Source, ...]


def parse_topics(data: dict, filename: str = FILE) -> dict[str, Topic]:
    items = data.get("topics")
    if not isinstance(items, list) or not items:
        raise ContentError(f"{filename}: field 'topics' needs at least one [[topics]] table")
    topics: dict[str, Topic] = {}
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ContentError(f"{filename}: topic {n} must be a table")
        topic = _topic(item, f"{filename}: topic {item.get('id', n)}", topics)
        topics[topic.id] = topic
    return topics


def _topic(item: dict, where: str, earlier: dict[str, Topic]) -> Topic:
    unknown = sorted(set(item) - {"id", "asked", "answer", "sources"})
    if unknown:
        raise ContentError(f"{where}: field '{unknown[0]}' is not a known field")
    tid, answer, asked = item.get("id"), item.get("answer"), item.get("asked")
    if not isinstance(tid, str) or not re.fullmatch(r"[a-z][a-z_]*", tid) or tid in earlier:
        raise ContentError(f"{where}: field 'id' must be a new snake_case name")
    if not isinstance(answer, str) or not answer.strip().endswith("."):
        raise ContentError(f"{where}: field 'answer' must be spoken sentences ending with a full stop")
    words = len(answer.split())
    if words > MAX_ANSWER_WORDS:
        raise ContentError(f"{where}: field 'answer' has {words} words, at most {MAX_ANSWER_WORDS}")
    _no_verdict(answer, "answer", where)
    lower = isinstance(asked, list) and asked and all(isinstance(a, str) and a == a.lower() for a in asked)
    if not lower:
        raise ContentError(f"{where}: field 'asked' must list lower-case phrasings")
    return Topic(tid, tuple(asked), answer.strip(), _sources(item, where))


def _sources(item: dict, where: str) -> tuple[Source, ...]:
    sources = item.get("sources")
    if not isinstance(sources, list) or not sources:
        raise ContentError(f"{where}: field 'sources' needs at least one source")
    if not all(isinstance(s, dict) and isinstance(s.get("title"), str) and isinstance(s.get("url"), str)
               for s in sources):
        raise ContentError(f"{where}: each source needs a title and a url")
    if not all(s["url"].startswith("https://") for s in sources):
        raise ContentError(f"{where}: each source's url must start with https://")
    return tuple(Source(s["title"], s["url"]) for s in sources)


def _no_verdict(text: str, key: str, where: str) -> None:
    found = VERDICT.search(text)
    if found:
        raise ContentError(
            f"{where}: field '{key}' says '{found.group(0)}': speak of back pain in general, "
            "never judge the listener's pain or promise an outcome"
        )


def parse_hold_lines(data: dict, filename: str = FILE) -> tuple[str, ...]:
    """The ``[[hold_lines]]``: one short sourced line each, said inside a long hold."""
    items = data.get("hold_lines")
    if not isinstance(items, list) or not items:
        raise ContentError(f"{filename}: field 'hold_lines' needs at least one [[hold_lines]] table")
    lines: list[str] = []
    for n, item in enumerate(items, start=1):
        where = f"{filename}: hold line {n}"
        if not isinstance(item, dict):
            raise ContentError(f"{where} must be a table with say and sources")
        unknown = sorted(set(item) - {"say", "sources"})
        if unknown:
            raise ContentError(f"{where}: field '{unknown[0]}' is not a known field")
        say = item.get("say")
        if not isinstance(say, str) or not say.strip():
            raise ContentError(f"{where}: field 'say' is missing or empty")
        say = say.strip()
        words = len(say.split())
        if words > MAX_HOLD_LINE_WORDS:
            raise ContentError(f"{where}: field 'say' has {words} words, at most {MAX_HOLD_LINE_WORDS}")
        if not say.endswith("."):
            raise ContentError(f"{where}: field 'say' must end with a full stop")
        if not say.isascii() or re.search(r"[0-9%/&()]", say):
            raise ContentError(f"{where}: field 'say' must be plain ASCII words, no digits or symbols")
        _no_verdict(say, "say", where)
        _sources(item, where)
        if say in lines:
            raise ContentError(f"{where}: field 'say' repeats hold line {lines.index(say) + 1}")
        lines.append(say)
    return tuple(lines)


def _read(folder: Path) -> dict:
    import tomllib  # here, not at the top: a bundle with precompiled content never needs it

    try:
        return tomllib.loads((folder / FILE).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ContentError(f"{FILE}: not valid TOML: {err}") from None


def load_topics(folder: Path) -> dict[str, Topic]:
    return parse_topics(_read(folder))


@lru_cache(maxsize=1)
def default_topics() -> dict[str, Topic]:
    from limber.core import compiled  # the bundle's precompiled content, if it is current

    folder = content_dir()
    return compiled.load("topics", folder, lambda: load_topics(folder))


def load_hold_lines(folder: Path) -> tuple[str, ...]:
    return parse_hold_lines(_read(folder))


@lru_cache(maxsize=1)
def hold_lines() -> tuple[str, ...]:
    """Short lines about back pain a long hold may carry (once per routine at most), checked
    like the answers: general, sourced, no verdict and no promise."""
    from limber.core import compiled  # the bundle's precompiled content, if it is current

    folder = content_dir()
    return compiled.load("hold_lines", folder, lambda: load_hold_lines(folder))


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]", " ", text.lower()).split())


def topic_for(heard: str | None, topics: dict[str, Topic] | None = None) -> str | None:
    """The topic whose phrasing the raw words contain (longest phrasing wins), or None."""
    if not heard:
        return None
    said = f" {_words(heard)} "
    topics = topics if topics is not None else default_topics()
    matches = [(len(p), tid) for tid, t in topics.items() for p in t.asked if f" {_words(p)} " in said]
    best = max(matches, default=None)
    return best[1] if best else None


def answer_text(topic_id: str, topics: dict[str, Topic] | None = None) -> str:
    """The answer, then the offer of the warning-sign questions."""
    topics = topics if topics is not None else default_topics()
    return f"{topics[topic_id].answer} {OFFER_QUESTION}"


def pain_education_reply(state: State, topic_id: str, topics: dict[str, Topic] | None = None) -> Reply:
    """A turn answering ``topic_id``: the short answer, then "Would you like me to ask a few quick
    questions about warning signs?", left open as the screen offer (yes starts the check)."""
    text = answer_text(topic_id, topics)
    return Reply(
        speech(text), state.with_(pending="screen_offer"), reprompt=OFFER_QUESTION, asks="screen_offer"
    )
