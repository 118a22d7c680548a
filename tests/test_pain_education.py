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
    MAX_HOLD_LINE_WORDS,
    answer_text,
    default_topics,
    hold_lines,
    pain_education_reply,
    parse_hold_lines,
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


# --- hold lines: one short line of pain education inside a long hold ----------------------


def shipped() -> dict:
    return tomllib.loads((content_dir() / "pain_education.toml").read_text(encoding="utf-8"))


def test_there_are_four_to_six_hold_lines_each_short_plain_general_and_sourced():
    lines = hold_lines()
    assert 4 <= len(lines) <= 6 and len(set(lines)) == len(lines)
    assert hold_lines() is lines  # loaded once
    for item in shipped()["hold_lines"]:
        say = item["say"]
        assert say in lines
        assert len(say.split()) <= 16 and say.endswith("."), say
        assert say.isascii() and not re.search(r"[0-9%/&()]", say), say
        assert not VERDICTS.search(say), say
        assert not re.search(r"\byour\b", say, re.I), say  # about backs in general, not theirs
        assert item["sources"] and all(
            s["url"].startswith("https://") and len(s["title"]) > 5 for s in item["sources"]
        ), say


def test_hold_lines_draw_on_the_evidence_the_answers_cite():
    text = " ".join(hold_lines())
    # Not "discomfort needn't mean harm": unasked, mid-stretch, it needs the answers' qualifier.
    assert "harm" not in text
    assert "staying active helps more than resting" in text
    assert "within a few weeks" in text
    assert "strong" in text
    urls = {s["url"] for item in shipped()["hold_lines"] for s in item["sources"]}
    cited = {s.url for t in TOPICS.values() for s in t.sources}
    assert urls <= cited  # drawn from the evidence already cited for the answers


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.update(say="Backs are strong and most back pain eases within a few weeks of rest."
                                " Keep going gently."),
         f"field 'say' has 17 words, at most {MAX_HOLD_LINE_WORDS}"),
        (lambda h: h.update(say="Backs are strong"), "field 'say' must end with a full stop"),
        (lambda h: h.update(say="Most back pain eases within 6 weeks."), "no digits or symbols"),
        (lambda h: h.update(say="Stretching is not dangerous."), "field 'say' says 'not dangerous'"),
        (lambda h: h.update(say="Your pain is only stiffness."), "field 'say' says 'Your pain'"),
        (lambda h: h.update(say="Gentle stretching will cure back pain."), "field 'say' says 'cure'"),
        (lambda h: h.update(sources=[]), "field 'sources' needs at least one source"),
        (lambda h: h.update(sources=[{"title": "A page"}]), "each source needs a title and a url"),
        (lambda h: h.update(sources=[{"title": "A page", "url": "http://example.org"}]), "must start with https://"),
        (lambda h: h.pop("say"), "field 'say' is missing or empty"),
        (lambda h: h.update(when="halfway"), "field 'when' is not a known field"),
    ],
)
def test_a_broken_hold_line_is_refused_with_its_field(change, message):
    data = shipped()
    change(data["hold_lines"][1])
    with pytest.raises(ContentError, match=re.escape(message)) as caught:
        parse_hold_lines(data)
    assert str(caught.value).startswith("pain_education.toml: hold line 2: ")


def test_a_missing_hold_lines_table_or_a_repeated_line_is_refused():
    data = shipped()
    del data["hold_lines"]
    with pytest.raises(ContentError, match=re.escape("field 'hold_lines' needs at least one [[hold_lines]]")):
        parse_hold_lines(data)
    data = shipped()
    data["hold_lines"].append(dict(data["hold_lines"][0]))
    with pytest.raises(ContentError, match="repeats hold line 1"):
        parse_hold_lines(data)


def test_an_answer_with_a_verdict_is_refused_too():
    data = shipped()
    data["topics"][0]["answer"] = "It is nothing to worry about."
    with pytest.raises(ContentError, match=re.escape("field 'answer' says 'nothing to worry'")):
        parse_topics(data)
