"""The reader of raw slot words (limber.core.hearing) and the symptom lexicon it reads.

The corpus (tests/symptom_phrases.toml) is read here sign by sign; tests/test_symptom_phrases.py
sends the same phrases through the console's matcher and the real lambda_handler.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from limber.core.content import default_library
from limber.core.hearing import LexiconError, default_lexicon, read, routine_phrases
from limber.core.hearing.lexicon import parse
from limber.core.hearing.words import tokens

PHRASES = tomllib.loads((Path(__file__).parent / "symptom_phrases.toml").read_text())["phrases"]
ROUTINES = routine_phrases(default_library())
LEXICON = default_lexicon()


def hear(text):
    return read(text, routines=ROUTINES)


@pytest.mark.parametrize("phrase", PHRASES, ids=lambda p: p["said"])
def test_the_reader_hears_each_corpus_phrase(phrase):
    heard = hear(phrase["said"])
    assert heard.is_symptom
    missing = [s for s in phrase.get("signs", []) if heard.known.get(s) not in ("y", "u")]
    assert not missing, heard
    assert not [s for s in phrase.get("none", []) if s in heard.signs], heard
    assert heard.about == phrase.get("about", "self")


@pytest.mark.parametrize("entry", LEXICON.entries, ids=lambda e: e.id)
def test_every_phrase_of_an_entry_reads_as_that_entry(entry):
    for phrase in entry.phrases:
        if entry.about == "child" or entry.needs:
            continue  # read with their context below
        heard = hear(phrase)
        assert heard.is_symptom and entry.id in heard.entries, (phrase, heard)
        assert set(entry.signs) <= set(heard.signs), (phrase, heard)


class TestNegation:
    @pytest.mark.parametrize(
        ("said", "sign"),
        [
            ("no numbness down there", "saddle_numbness"),
            ("I haven't wet myself", "bladder_bowel_symptom"),
            ("I've never had cancer", "cancer_history"),
            ("my bum isn't numb", "saddle_numbness"),
            ("I don't have a fever", "fever"),
            ("I do not have any numbness in my legs", "leg_numbness_new"),
            ("I didn't fall", "recent_injury"),
            ("without any chest pain", "chest_pain"),
        ],
    )
    def test_a_negated_sign_is_denied_never_a_yes(self, said, sign):
        heard = hear(said)
        assert sign not in heard.signs and sign in heard.denied
        assert not heard.is_symptom

    def test_a_negation_reaches_only_its_own_clause(self):
        heard = hear("no fever, but I can't feel my bum")
        assert heard.signs.get("saddle_numbness") == "y" and "fever" not in heard.signs
        assert "fever" in heard.denied

    def test_the_cue_s_own_not_is_not_a_negation(self):
        assert hear("I'm not able to stand").signs.get("cannot_bear_weight") == "y"
        assert hear("I can't walk").signs.get("cannot_bear_weight") == "y"

    def test_not_sure_is_unsure_which_the_screen_counts_as_yes(self):
        assert hear("I'm not sure if I wet myself").signs["bladder_bowel_symptom"] == "u"
        assert hear("maybe I've got a temperature").signs["fever"] == "u"


class TestWhoItIsAbout:
    @pytest.mark.parametrize(
        ("said", "about"),
        [
            ("my dad's confused and has a fever", "other"),
            ("my husband can't feel his legs", "other"),
            ("my pregnant wife has a fever", "other"),
            ("she can't feel her feet", "other"),
            ("my little girl is limping", "child"),
            ("my son's limping", "child"),
            ("my 5 year old has a limp", "child"),
            ("my seven-year-old is limping", "child"),
            ("my son is 30 and can't walk", "other"),
            ("I can't feel my bum", "self"),
        ],
    )
    def test_proxies_and_children(self, said, about):
        assert hear(said).about == about

    def test_a_limp_is_a_child_sign_only_for_a_child(self):
        assert hear("my toddler is limping").signs.get("child_limping") == "y"
        adult = hear("I'm limping")
        assert adult.is_symptom and "child_limping" not in adult.signs

    def test_a_childs_age_is_not_their_parents(self):
        assert "age_50_plus" not in hear("my 5 year old is limping").known


class TestNumbersThatAnswer:
    def test_an_age_answers_the_age_questions(self):
        assert hear("I'm 62 and this is my first time with back pain").known == {
            "age_50_plus": "y",
            "age_65_plus": "n",
            "first_episode_over_50": "y",
        }
        assert hear("I'm forty and my leg is numb").known["age_50_plus"] == "n"

    def test_a_first_episode_needs_an_age_of_50(self):
        assert "first_episode_over_50" not in hear("it's the first time I've had back pain").signs

    def test_a_duration_with_pain_answers_six_weeks(self):
        assert hear("my back has hurt for two months").signs["not_improving_6_weeks"] == "y"
        assert hear("my back has hurt for three weeks").known.get("not_improving_6_weeks") == "n"

    def test_a_duration_without_a_symptom_is_nothing(self):
        heard = hear("I've been doing this routine for two months")
        assert not heard.is_symptom and not heard.known


class TestNotSymptoms:
    @pytest.mark.parametrize(
        ("said", "kind", "routine"),
        [
            ("lower back", "routine", "low_back_and_hips"),
            ("hips", "routine", "hip_flexors"),
            ("my hips are tight", None, "hip_flexors"),
            ("my back feels stiff", None, "low_back_and_hips"),
            ("I sit at a desk all day", None, "desk_reset"),
            ("I just went for a run", None, "runners_hips"),
            ("my glutes feel tight after running", None, "runners_hips"),
        ],
    )
    def test_a_routine_or_a_goal_is_what_was_meant(self, said, kind, routine):
        heard = hear(said)
        assert heard.kind in ((kind,) if kind else ("routine", "goal")) and heard.routine == routine
        assert not heard.signs

    @pytest.mark.parametrize(("said", "number"), [("40", 40), ("forty five", 45), ("make it 30 seconds", 30),
                                                   ("two minutes", 120)])  # fmt: skip
    def test_a_number(self, said, number):
        heard = hear(said)
        assert heard.kind == "number" and heard.number == number

    @pytest.mark.parametrize(
        "said", ["remind me to stretch", "set a timer", "what's the weather", "play music"]
    )
    def test_a_request(self, said):
        assert hear(said).kind == "request"

    @pytest.mark.parametrize(
        "said",
        ["I'm confused about which side", "I can't stand this stretch", "I lost weight on a diet",
         "thank you", "something gentle", "", "   ", "I'm stiff when I get up from my desk"],
    )  # fmt: skip
    def test_everyday_words_are_not_symptoms(self, said):
        heard = hear(said)
        assert not heard.is_symptom and not heard.signs

    def test_plain_pain_is_a_symptom_without_a_warning_sign(self):
        heard = hear("my back is killing me")
        assert heard.is_symptom and heard.pain_only and not heard.signs
        assert hear("my back is paining").pain_only  # Indian English
        assert not hear("I've wet myself and my back hurts").pain_only

    def test_someone_elses_stiff_back_is_for_the_check_not_a_routine(self):
        heard = hear("my husband's back is stiff after golf")
        assert heard.is_symptom and heard.about == "other" and heard.routine is None

    def test_a_symptom_wins_over_a_routine_word(self):
        heard = hear("my lower back hurts and I've wet myself")
        assert heard.is_symptom and "bladder_bowel_symptom" in heard.signs


class TestStopNow:
    @pytest.mark.parametrize("said", ["I'm dizzy", "I felt a pop", "my leg's gone numb", "I feel sick",
                                      "I feel faint", "I feel giddy"])  # fmt: skip
    def test_mid_stretch_warnings_stop_the_hold(self, said):
        assert hear(said).stop_now

    def test_a_history_does_not_stop_the_hold(self):
        assert not hear("I had breast cancer").stop_now


class TestWords:
    def test_contractions_and_numbers(self):
        assert tokens("My leg's gone numb, can't walk!") == [
            "my",
            "leg",
            "is",
            "gone",
            "numb",
            ",",
            "cannot",
            "walk",
            ",",
        ]
        assert tokens("I'm sixty-five") == ["i", "am", "65"]
        assert tokens("light-headed") == ["light", "headed"]


class TestLexiconFile:
    def test_a_bad_cue_fails_with_where_it_is(self):
        with pytest.raises(LexiconError, match="entry 'x'"):
            parse({"entries": [{"id": "x", "signs": [], "phrases": ["numb"], "cues": ["numb + "]}]})

    def test_an_id_used_twice_fails(self):
        entry = {"id": "x", "signs": [], "phrases": ["numb"]}
        with pytest.raises(LexiconError, match="used twice"):
            parse({"entries": [entry, entry]})

    def test_about_must_be_child(self):
        with pytest.raises(LexiconError, match="about"):
            parse({"entries": [{"id": "x", "signs": [], "phrases": ["numb"], "about": "adult"}]})

    def test_goals_name_real_routines(self):
        ids = {r.id for r in default_library().routines}
        assert {g.routine for g in LEXICON.goals} <= ids

    def test_proxies_cover_the_common_words(self):
        for word in ("dad", "mum", "mom", "husband", "wife", "little girl", "little boy", "son", "daughter"):
            assert word in LEXICON.people


# --- from the safety review: what the words don't say must not be read into them ------------------


@pytest.mark.parametrize(
    ("said", "known"),
    [
        # a pregnancy's weeks, or "ago", are not how long the pain has lasted
        ("I'm 20 weeks pregnant and my back hurts", {"pregnant": "y"}),
        ("I hurt my back two weeks ago", {"recent_injury": "y"}),
        ("my back has hurt for 8 weeks", {"not_improving_6_weeks": "y"}),
        # an ordinary fall is an injury; whether it was serious is asked, not assumed
        ("I fell on the stairs at home", {"recent_injury": "y"}),
        ("I fell off my bike slowly onto grass", {"recent_injury": "y"}),
        ("I fell down the stairs", {"recent_injury": "y", "serious_accident": "y"}),
        ("I was knocked off my bike", {"recent_injury": "y", "serious_accident": "y"}),
        # "not sure" is a not sure, however far back it stands
        ("I'm not sure if I have numbness down there", {"saddle_numbness": "u"}),
    ],
)
def test_the_reader_hears_only_what_was_said(said, known):
    heard = hear(said).known
    watched = ("pregnant", "not_improving_6_weeks", "recent_injury", "serious_accident", "saddle_numbness")
    assert {sign: heard.get(sign) for sign in watched} == {sign: known.get(sign) for sign in watched}


@pytest.mark.parametrize(
    "said", ["I have a slipped disc", "I slipped a disc", "my slipped disc is playing up"]
)
def test_a_slipped_disc_is_not_heard_as_a_fall(said):
    heard = read(said)
    assert heard.is_symptom and "recent_injury" not in heard.signs


@pytest.mark.parametrize("said", ["I slipped on the ice", "I slipped", "I fell and slipped a disc"])
def test_slipping_over_is_still_a_fall(said):
    assert read(said).signs.get("recent_injury") == "y"
