"""Alexa SSML -> Speech/Silence segments, --fast and the --text rendering."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from limber.console.ssml_segments import (
    AUDIO_NOTE,
    BREAK_STRENGTH_SECONDS,
    COMMA_PAUSE_S,
    MAX_BREAK_SECONDS,
    PARAGRAPH_PAUSE_S,
    SENTENCE_PAUSE_S,
    Silence,
    Speech,
    SsmlError,
    display_text,
    fast,
    segments_from_ssml,
    to_display_text,
    total_silence,
)


def test_plain_speech_is_one_segment():
    assert segments_from_ssml("<speak>Welcome to Limber.</speak>") == [Speech("Welcome to Limber.")]


def test_whitespace_is_normalised():
    ssml = "<speak>\n   Lie on\tyour   back.\n\n  Bend your knees.  </speak>"
    assert segments_from_ssml(ssml) == [Speech("Lie on your back. Bend your knees.")]


def test_empty_speak_has_no_segments():
    assert segments_from_ssml("<speak/>") == []
    assert segments_from_ssml("<speak>   </speak>") == []


@pytest.mark.parametrize(
    ("time_value", "seconds"),
    [
        ("10s", 10.0),
        ("2s", 2.0),
        ("1.5s", 1.5),
        (".5s", 0.5),
        ("500ms", 0.5),
        ("250ms", 0.25),
        (" 3s ", 3.0),
        ("2S", 2.0),
        ("750MS", 0.75),
    ],
)
def test_break_time_in_seconds_and_milliseconds(time_value, seconds):
    segments = segments_from_ssml(f'<speak>Hold.<break time="{time_value}"/>Release.</speak>')
    assert segments == [Speech("Hold."), Silence(seconds), Speech("Release.")]


def test_break_longer_than_alexa_allows_is_capped():
    segments = segments_from_ssml('<speak>Hold.<break time="30s"/>Release.</speak>')
    assert segments[1] == Silence(MAX_BREAK_SECONDS)


@pytest.mark.parametrize("strength", ["weak", "medium", "strong", "x-strong"])
def test_break_strength_maps_to_a_typical_pause(strength):
    segments = segments_from_ssml(f'<speak>One<break strength="{strength}"/>two</speak>')
    assert segments == [Speech("One"), Silence(BREAK_STRENGTH_SECONDS[strength]), Speech("two")]


def test_strengths_follow_alexas_equivalences():
    assert BREAK_STRENGTH_SECONDS["weak"] == BREAK_STRENGTH_SECONDS["medium"] == COMMA_PAUSE_S
    assert BREAK_STRENGTH_SECONDS["strong"] == SENTENCE_PAUSE_S
    assert BREAK_STRENGTH_SECONDS["x-strong"] == PARAGRAPH_PAUSE_S
    assert 0 < COMMA_PAUSE_S < SENTENCE_PAUSE_S < PARAGRAPH_PAUSE_S


def test_bare_break_is_medium():
    assert segments_from_ssml("<speak>One<break/>two</speak>")[1] == Silence(COMMA_PAUSE_S)


@pytest.mark.parametrize("strength", ["none", "x-weak"])
def test_no_pause_strengths_leave_one_speech_segment(strength):
    segments = segments_from_ssml(f'<speak>One<break strength="{strength}"/>two</speak>')
    assert segments == [Speech("One two")]


def test_time_wins_over_strength():
    segments = segments_from_ssml('<speak>A<break strength="x-strong" time="200ms"/>B</speak>')
    assert segments[1] == Silence(0.2)


def test_consecutive_breaks_add_up():
    ssml = '<speak>Hold.<break time="10s"/> <break time="10s"/>\n<break time="5s"/>Done.</speak>'
    assert segments_from_ssml(ssml) == [Speech("Hold."), Silence(25.0), Speech("Done.")]


def test_leading_and_trailing_explicit_breaks_are_kept():
    segments = segments_from_ssml('<speak><break time="1s"/>Go.<break time="2s"/></speak>')
    assert segments == [Silence(1.0), Speech("Go."), Silence(2.0)]


@pytest.mark.parametrize(
    "bad_time", ["10", "ten seconds", "5 min", "-1s", "1,5s", "", "s", "1e3ms"]
)
def test_bad_break_time_is_a_clear_error(bad_time):
    with pytest.raises(SsmlError, match="break time"):
        segments_from_ssml(f'<speak>A<break time="{bad_time}"/>B</speak>')


def test_unknown_break_strength_is_a_clear_error():
    with pytest.raises(SsmlError, match="x-medium"):
        segments_from_ssml('<speak>A<break strength="x-medium"/>B</speak>')


def test_entities_are_decoded():
    ssml = (
        "<speak>Hip &amp; back: 1 &lt; 2 &gt; 0, &quot;gently&quot; "
        "it&apos;s &#8217;ok&#x2019;</speak>"
    )
    assert segments_from_ssml(ssml) == [
        Speech('Hip & back: 1 < 2 > 0, "gently" it\'s \u2019ok\u2019')
    ]


@pytest.mark.parametrize(
    "tag",
    [
        '<say-as interpret-as="cardinal">{}</say-as>',
        '<prosody rate="slow" pitch="-2st">{}</prosody>',
        '<emphasis level="strong">{}</emphasis>',
        '<lang xml:lang="en-GB">{}</lang>',
        '<voice name="Brian">{}</voice>',
        '<phoneme alphabet="ipa" ph="pɪˈkɑːn">{}</phoneme>',
        '<w role="amazon:VB">{}</w>',
        '<amazon:effect name="whispered">{}</amazon:effect>',
        '<amazon:domain name="conversational">{}</amazon:domain>',
        '<amazon:emotion name="excited" intensity="medium">{}</amazon:emotion>',
        "<unknown-tag>{}</unknown-tag>",
    ],
)
def test_styling_tags_degrade_to_their_text(tag):
    ssml = "<speak>Now " + tag.format("slowly") + " breathe.</speak>"
    assert segments_from_ssml(ssml) == [Speech("Now slowly breathe.")]


def test_sub_uses_its_alias():
    ssml = '<speak>Ask <sub alias="the lumbar spine">L1 to L5</sub>.</speak>'
    assert segments_from_ssml(ssml) == [Speech("Ask the lumbar spine.")]


def test_sub_without_alias_keeps_its_text():
    assert segments_from_ssml("<speak><sub>L5</sub> only</speak>") == [Speech("L5 only")]


def test_audio_becomes_a_short_spoken_note():
    ssml = '<speak>Well done.<audio src="soundbank://soundlibrary/chime_01"/>Next.</speak>'
    assert segments_from_ssml(ssml) == [Speech(f"Well done. {AUDIO_NOTE} Next.")]


def test_audio_fallback_content_is_not_read():
    ssml = '<speak><audio src="https://example.com/a.mp3">fallback words</audio></speak>'
    assert segments_from_ssml(ssml) == [Speech(AUDIO_NOTE)]


def test_mark_is_silent():
    assert segments_from_ssml('<speak>A <mark name="x"/>B</speak>') == [Speech("A B")]


def test_sentences_get_a_pause_between_them_but_not_at_the_edges():
    segments = segments_from_ssml("<speak><s>Bend your knees</s><s>Breathe out</s></speak>")
    assert segments == [
        Speech("Bend your knees"),
        Silence(SENTENCE_PAUSE_S, explicit=False),
        Speech("Breathe out"),
    ]


def test_paragraph_pause_is_longer_than_a_sentence_pause():
    segments = segments_from_ssml("<speak><p>First.</p><s>Then</s> and <p>Last.</p></speak>")
    assert segments == [
        Speech("First."),
        Silence(PARAGRAPH_PAUSE_S, explicit=False),
        Speech("Then"),
        Silence(SENTENCE_PAUSE_S, explicit=False),
        Speech("and"),
        Silence(PARAGRAPH_PAUSE_S, explicit=False),
        Speech("Last."),
    ]


def test_explicit_break_absorbs_the_sentence_pause():
    segments = segments_from_ssml('<speak><s>Hold</s><break time="3s"/><s>Release</s></speak>')
    assert segments == [Speech("Hold"), Silence(3.0), Speech("Release")]


def test_paragraph_pause_outlasts_a_shorter_break():
    segments = segments_from_ssml('<speak><p>Hold</p><break time="200ms"/>Go</speak>')
    assert segments == [Speech("Hold"), Silence(PARAGRAPH_PAUSE_S), Speech("Go")]


def test_deep_nesting_keeps_order_and_text():
    ssml = (
        "<speak><p><s>Stretch <say-as interpret-as='cardinal'>2</say-as> of 5:"
        " <emphasis><prosody rate='slow'>figure <sub alias='four'>4</sub></prosody></emphasis>,"
        " left side.</s><s>Hold<break time='10s'/>and <amazon:effect name='whispered'>relax"
        "</amazon:effect></s></p></speak>"
    )
    assert segments_from_ssml(ssml) == [
        Speech("Stretch 2 of 5: figure four, left side."),
        Silence(SENTENCE_PAUSE_S, explicit=False),
        Speech("Hold"),
        Silence(10.0),
        Speech("and relax"),
    ]


def test_xml_declaration_and_ssml_namespace_are_accepted():
    ssml = (
        '<?xml version="1.0"?>\n<speak version="1.1" '
        'xmlns="http://www.w3.org/2001/10/synthesis">Go<break time="1s"/>on</speak>'
    )
    assert segments_from_ssml(ssml) == [Speech("Go"), Silence(1.0), Speech("on")]


def test_fragment_without_speak_is_accepted():
    assert segments_from_ssml('Go<break time="1s"/>on') == [
        Speech("Go"),
        Silence(1.0),
        Speech("on"),
    ]


@pytest.mark.parametrize(
    ("ssml", "reason"),
    [
        ("<speak>Hold <emphasis>it</speak>", "mismatched tag"),
        ("<speak>Hold it", "it ends before every element is closed"),
        ("<speak><s>Hold it</speak>", "mismatched tag"),
        ("<speak>Hip & back</speak>", "not well-formed"),
        ("<speak>Hold&nbsp;it</speak>", "undefined entity"),
        ('<speak>A<break time="1s">B</speak>', "mismatched tag"),
        ("<speak>A</speak><", "it ends before"),
        ("<speak>A</speak>\n<speak>B", "it ends before"),
    ],
)
def test_malformed_ssml_is_a_clear_error(ssml, reason):
    with pytest.raises(SsmlError, match=f"malformed SSML: {reason}"):
        segments_from_ssml(ssml)


def test_malformed_error_points_at_the_caller_position():
    with pytest.raises(SsmlError) as caught:
        segments_from_ssml("<speak>Hold&nbsp;it</speak>")
    message = str(caught.value)
    assert "line 1, column 12" in message
    assert "&nbsp;" in message
    assert "\n" not in message


def test_non_string_is_rejected():
    with pytest.raises(SsmlError, match="string"):
        segments_from_ssml(b"<speak>hi</speak>")  # type: ignore[arg-type]


def test_ssml_error_is_a_value_error():
    assert issubclass(SsmlError, ValueError)


def test_fast_divides_every_silence_and_keeps_speech():
    segments = segments_from_ssml(
        '<speak><s>Hold</s><s>on</s><break time="10s"/>Go<break time="500ms"/></speak>'
    )
    assert fast(segments, 10) == [
        Speech("Hold"),
        Silence(SENTENCE_PAUSE_S / 10, explicit=False),
        Speech("on"),
        Silence(1.0),
        Speech("Go"),
        Silence(0.05),
    ]
    assert total_silence(fast(segments, 4)) == pytest.approx(total_silence(segments) / 4)


def test_fast_leaves_the_input_alone_and_accepts_fractions():
    segments = [Speech("a"), Silence(3.0)]
    assert fast(segments, 1) == segments
    assert fast(segments, 0.5) == [Speech("a"), Silence(6.0)]
    assert segments == [Speech("a"), Silence(3.0)]


@pytest.mark.parametrize("factor", [0, -2, math.nan, math.inf])
def test_fast_rejects_non_positive_factors(factor):
    with pytest.raises(ValueError, match="positive"):
        fast([Silence(1.0)], factor)


def test_display_text_shows_breaks_in_seconds():
    ssml = '<speak>Hold.<break time="10s"/>Breathe.<break time="500ms"/>Release.</speak>'
    assert to_display_text(ssml) == "Hold. [10 s] Breathe. [0.5 s] Release."


def test_display_text_hides_alexas_own_sentence_pauses():
    ssml = "<speak><p>Hold.</p><p><s>Breathe</s><s>Release</s></p></speak>"
    assert to_display_text(ssml) == "Hold. Breathe Release"


def test_display_text_rounds_and_follows_fast():
    segments = segments_from_ssml('<speak>A<break time="1s"/>B<break time="25ms"/></speak>')
    assert display_text(fast(segments, 3)) == "A [0.33 s] B [0.01 s]"


def test_display_text_of_a_hold_sums_chained_breaks():
    ssml = (
        '<speak>Hold for twenty-five seconds.<break time="10s"/><break time="10s"/>'
        '<break time="5s"/>And release.</speak>'
    )
    assert to_display_text(ssml) == "Hold for twenty-five seconds. [25 s] And release."


_WORDS = st.text(alphabet="abcdefghij ,.", min_size=1, max_size=12)
_BREAKS_MS = st.integers(min_value=1, max_value=12_000)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_WORDS, _BREAKS_MS), max_size=8))
def test_any_text_and_breaks_round_trip(pieces):
    ssml = (
        "<speak>"
        + "".join(f'<break time="{p}ms"/>' if isinstance(p, int) else p for p in pieces)
        + "</speak>"
    )
    segments = segments_from_ssml(ssml)

    expected_silence = sum(min(p / 1000, MAX_BREAK_SECONDS) for p in pieces if isinstance(p, int))
    assert total_silence(segments) == pytest.approx(expected_silence)
    spoken = "".join(seg.text for seg in segments if isinstance(seg, Speech))
    written = "".join(p for p in pieces if isinstance(p, str))
    assert "".join(spoken.split()) == "".join(written.split())
    for before, after in zip(segments, segments[1:], strict=False):
        assert type(before) is not type(after), "adjacent segments of one kind must be merged"
        assert not isinstance(before, Speech) or before.text == before.text.strip()
