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
FILE = "pain_education.toml"


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
    lower = isinstance(asked, list) and asked and all(isinstance(a, str) and a == a.lower() for a in asked)
    if not lower:
        raise ContentError(f"{where}: field 'asked' must list lower-case phrasings")
    sources = item.get("sources")
    if not isinstance(sources, list) or not sources:
        raise ContentError(f"{where}: field 'sources' needs at least one source")
    if not all(isinstance(s, dict) and isinstance(s.get("title"), str) and isinstance(s.get("url"), str)
               for s in sources):
        raise ContentError(f"{where}: each source needs a title and a url")
    cited = tuple(Source(s["title"], s["url"]) for s in sources)
    return Topic(tid, tuple(asked), answer.strip(), cited)


def load_topics(folder: Path) -> dict[str, Topic]:
    import tomllib  # here, not at the top: a bundle with precompiled content never needs it

    path = folder / FILE
    try:
        return parse_topics(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as err:
        raise ContentError(f"{FILE}: not valid TOML: {err}") from None


@lru_cache(maxsize=1)
def default_topics() -> dict[str, Topic]:
    from limber.core import compiled  # the bundle's precompiled content, if it is current

    folder = content_dir()
    return compiled.load("topics", folder, lambda: load_topics(folder))


def hold_lines() -> tuple[str, ...]:
    """Short lines about back pain a long hold may carry (once per routine at most)."""
    import tomllib  # here, not at the top: a bundle with precompiled content never needs it

    data = tomllib.loads((content_dir() / FILE).read_text(encoding="utf-8"))
    return tuple(item["say"] for item in data.get("hold_lines", ()) if isinstance(item, dict))


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
