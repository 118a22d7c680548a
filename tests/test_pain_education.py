"""Pain education: short general answers with sources, never a verdict on the listener's pain,
always followed by the offer of the warning-sign questions."""

from __future__ import annotations

import re
import tomllib

import pytest

from alexa import envelope, intent_request, speech_text
from alexa_rules import check_response
from limber.core.content import ContentError, content_dir
from limber.core.pain_education import (
    MAX_ANSWER_WORDS,
    answer_text,
    default_topics,
    pain_education_reply,
    parse_topics,
    topic_for,
)
from limber.core.questions import OFFER_QUESTION
from limber.core.state import State

TOPICS = default_topics()
REQUIRED = ("why_it_hurts", "is_it_serious", "will_it_get_better", "hurt_and_harm")
# Words that would judge the listener's own pain, or promise what no one can.
VERDICTS = re.compile(
    r"\b(your pain|your back is|you're fine|you are fine|not dangerous|nothing to worry|"
    r"nothing serious|will go away|will get better|guarantee|cure)\b",
    re.I,
)


def test_the_questions_the_issue_names_have_answers():
    assert set(REQUIRED) <= set(TOPICS)
    assert topic_for("why does my back hurt") == "why_it_hurts"
    assert topic_for("Alexa, is back pain serious?") == "is_it_serious"
    assert topic_for("will this get better") == "will_it_get_better"
    assert topic_for("start hip flexors") is None and topic_for("") is None


@pytest.mark.parametrize("topic", TOPICS.values(), ids=lambda t: t.id)
def test_answers_are_short_general_and_never_a_verdict(topic):
    assert len(topic.answer.split()) <= MAX_ANSWER_WORDS
    assert topic.answer.isascii() and not re.search(r"[0-9%/&()]", topic.answer)
    assert not VERDICTS.search(topic.answer), topic.answer
    assert all(s.url.startswith("https://") and len(s.title) > 5 for s in topic.sources)
    for phrase in topic.asked:
        assert topic_for(phrase) == topic.id, phrase


def test_the_evidence_the_issue_names_is_there_with_guideline_sources():
    answers = {t.id: t.answer for t in TOPICS.values()}
    assert "isn't caused by damage" in answers["why_it_hurts"]
    later = answers["will_it_get_better"]
    assert "more than a third" in later and "few weeks" in later
    assert "doesn't by itself mean harm" in answers["hurt_and_harm"]
    assert "tends to help recovery more than resting" in answers["will_it_get_better"]
    urls = {s.url for t in TOPICS.values() for s in t.sources}
    assert "https://www.nice.org.uk/guidance/ng59" in urls
    assert "https://www.nhs.uk/conditions/back-pain/" in urls


def test_every_answer_ends_with_the_offer_of_the_check_left_open():
    for topic_id in TOPICS:
        assert answer_text(topic_id).endswith(OFFER_QUESTION)
        reply = pain_education_reply(State(), topic_id)
        assert reply.asks == "screen_offer" and reply.state.pending == "screen_offer"
        assert not reply.end_session and reply.reprompt == OFFER_QUESTION


def test_yes_to_the_offer_starts_the_warning_sign_questions(lambda_handler):
    reply = pain_education_reply(State(), "is_it_serious")
    attributes = reply.state.to_session()
    event = envelope(intent_request("AMAZON.YesIntent"), session_attributes=attributes, new=False)
    assert "Question 1" in speech_text(check_response(lambda_handler(event, None)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.update(answer="No full stop"), "field 'answer' must be spoken sentences"),
        (lambda t: t.update(answer="Word " * 70 + "end."), "at most 60"),
        (lambda t: t.update(sources=[]), "field 'sources' needs at least one source"),
        (lambda t: t.update(asked=["Why Does It Hurt"]), "field 'asked' must list lower-case phrasings"),
        (lambda t: t.update(verdict="yes"), "field 'verdict' is not a known field"),
    ],
)
def test_a_broken_topic_is_refused_with_its_field(change, message):
    data = tomllib.loads((content_dir() / "pain_education.toml").read_text(encoding="utf-8"))
    change(data["topics"][0])
    with pytest.raises(ContentError, match=re.escape(message)):
        parse_topics(data)
