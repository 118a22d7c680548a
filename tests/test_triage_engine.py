"""The red-flag screen's engine (limber.core.triage) against its rules and the clinical vignettes.

Every answer path of every screen is walked (yes and no; "not sure" counts as yes, so it takes
the yes branch with extra words), which proves the 10-question cap and the emergency coverage
for the shipped rules rather than for a sample of them.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import tomllib
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from limber.core import triage
from limber.core.content import content_dir
from limber.core.triage import Outcome, QuestionStep, TriageContentError, TriageStateError

ROOT = Path(__file__).resolve().parents[1]
VIGNETTES = tomllib.loads((ROOT / "tests" / "vignettes.toml").read_text(encoding="utf-8"))["vignettes"]
LOCALES = ["en-US", "en-CA", "en-GB", "en-AU", "en-IN"]
EMERGENCY_NUMBER = {"en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "000", "en-IN": "112"}
# The ids the issue asks for, with their levels; more may be added when the sources call for them.
REQUIRED = {
    "emergency": ["saddle_numbness", "bladder_bowel_change", "sexual_function_loss", "leg_weakness_worsening",
                  "both_legs", "major_trauma", "fever_and_very_unwell", "chest_or_abdominal_pain",
                  "hot_swollen_hip_with_fever", "cannot_bear_weight_after_fall"],
    "urgent": ["fever", "cancer_history", "unexplained_weight_loss", "night_or_rest_pain",
               "minor_fall_with_osteoporosis_or_steroids", "weakened_immunity_or_injected_drugs",
               "new_leg_numbness", "child_with_limp"],
    "soon": ["not_improving_6_weeks", "inflammatory_pattern", "first_episode_over_50", "sciatica_stable"],
}  # fmt: skip
LEVEL_WORD = {"emergency": "emergency", "urgent": "urgent", "soon": "soon", "self_care": "self-care"}


@pytest.fixture(scope="module")
def rules() -> triage.Rules:
    return triage.load_rules()


@cache
def _rules() -> triage.Rules:
    return triage.load_rules()


def walk(rules, named=None, locale="en-GB"):
    """Every (answers, outcome) of a screen, answering yes and no at each question."""
    leaves = []

    def go(step, path):
        if isinstance(step, Outcome):
            leaves.append((path, step))
            return
        assert isinstance(step, QuestionStep) and step.number == len(path) + 1
        for reply in ("yes", "no"):
            go(triage.answer(rules, step.state, reply, locale), [*path, (step.sign, reply)])

    go(triage.start_screen(rules, named, locale), [])
    return leaves


@cache
def all_leaves():
    rules = _rules()
    return {named: walk(rules, named) for named in [None, *(f.id for f in rules.flags)]}


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]


# --- the rules file -----------------------------------------------------------------------------


def test_the_issue_flags_exist_at_their_levels(rules):
    for level, ids in REQUIRED.items():
        for flag_id in ids:
            assert rules.flag(flag_id).level == level, flag_id


def test_every_flag_is_cited_explained_and_nameable(rules):
    for flag in rules.flags:
        assert flag.sources and all(s.url.startswith("https://") and s.title and s.organisation and s.year
                                    for s in flag.sources), flag.id  # fmt: skip
        assert flag.guards and flag.label and flag.why.endswith(".")
        assert len(flag.synonyms) >= 5, f"{flag.id}: people say it in more ways than that"
    assert "cauda equina" in rules.flag("saddle_numbness").why  # named only with what it means
    assert "nerves at the base of the spine" in rules.flag("saddle_numbness").why


def test_the_limits_and_combinations_are_cited(rules):
    cited = {s.id for f in rules.flags for s in f.sources}
    assert {"nice_ng59", "cks_lbp", "cks_sciatica", "acp_2017", "nhs_back_pain", "nhs_ces",
            "nhs_septic_arthritis", "nhs_hip_fracture", "premkumar_2018", "downie_2013"} <= cited  # fmt: skip
    # "over 50 with a fall" is a rule of the file, not code
    fall = rules.flag("minor_fall_with_osteoporosis_or_steroids")
    over_fifty_or_fragile = ("any", (("sign", "age_50_plus"), ("sign", "osteoporosis_or_steroids")))
    assert fall.when == ("all", (("sign", "recent_injury"), over_fifty_or_fragile))


def test_synonyms_feed_the_symptom_slot(rules):
    synonyms = rules.synonyms()
    assert list(synonyms) == [f.id for f in rules.flags]
    said = [p.lower().replace("'", "") for phrases in synonyms.values() for p in phrases]
    assert len(said) == len(set(said)), "a phrase names two flags"
    assert {"numb groin", "numbness down there", "cant pee", "wet myself", "legs giving way",
            "i was in a car accident", "i have a fever", "i had cancer", "losing weight without trying",
            "pain at night"} <= set(said)  # fmt: skip


def test_questions_ask_one_sign_each_with_a_time_frame_for_new_signs(rules):
    for question in rules.questions:
        for text in filter(None, (question.text, question.child_text)):
            assert text.count("?") == 1 and text.endswith("?"), question.sign
            assert len(text) < 200, question.sign  # one breath, understood on first hearing
    for sign in ("saddle_numbness", "bladder_bowel_change", "both_legs_affected", "leg_numbness_new"):
        assert "last two weeks" in rules.question(sign).text


# --- reachability --------------------------------------------------------------------------------


@pytest.mark.parametrize("flag_id", [f.id for f in _rules().flags])
def test_every_flag_is_reached_by_naming_it(rules, flag_id):
    flag = rules.flag(flag_id)
    step = triage.start_screen(rules, flag_id, "en-GB")
    while isinstance(step, QuestionStep):
        step = triage.answer(rules, step.state, "no", "en-GB")
    assert step.level == flag.level and step.flags[0] == flag_id


def test_every_flag_is_reached_by_the_screen_except_those_the_cap_keeps_out(rules):
    raised = {flag for _, outcome in all_leaves()[None] for flag in outcome.flags}
    screen = {f.id for f in rules.flags if f.reached == "screen"}
    named_only = {f.id for f in rules.flags if f.reached == "named"}
    assert screen <= raised
    # The file's "reached = named" must stay true: if the plan changes so one of these can be
    # reached, drop the marking (and say so in the header).
    assert not named_only & raised
    assert named_only == {"child_with_limp", "not_improving_6_weeks", "first_episode_over_50",
                          "inflammatory_pattern"}  # fmt: skip
    # ...and each of them is still reached in a screen after naming another symptom, or by name.
    for flag_id in named_only:
        assert rules.flag(flag_id).level in ("urgent", "soon")


# --- the conversation's shape ------------------------------------------------------------------


@pytest.mark.parametrize(
    "flag_id", REQUIRED["emergency"] + ["leg_symptoms_after_injury", "fever_with_leg_symptoms"]
)
@pytest.mark.parametrize("locale", LOCALES)
def test_a_named_emergency_is_answered_at_once(rules, flag_id, locale):
    outcome = triage.start_screen(rules, flag_id, locale)
    assert isinstance(outcome, Outcome) and outcome.level == "emergency" and outcome.flags == (flag_id,)
    number = EMERGENCY_NUMBER[locale]
    assert f"call {number}" in first_sentence(outcome.text)  # what to do and the number, first
    assert triage._fill(rules.flag(flag_id).why, rules.locale(locale).said) in outcome.text  # and why
    assert outcome.card_title.startswith("Emergency") and number in outcome.card_title
    assert not outcome.may_continue


@pytest.mark.parametrize("flag_id", [f.id for f in _rules().flags if f.level != "emergency"])
def test_a_named_lower_level_gets_its_advice_then_only_questions_that_could_raise_it(rules, flag_id):
    flag = rules.flag(flag_id)
    step = triage.start_screen(rules, flag_id, "en-US")
    assert isinstance(step, QuestionStep) and step.number == 1
    opening = triage._fill(rules.levels[flag.level]["opening"], rules.locale("en-US").said)
    assert step.text.startswith(opening) and triage._fill(flag.why, rules.locale("en-US").said) in step.text
    emergency_signs = set().union(*(f.signs for f in rules.flags if f.level == "emergency"))
    for path, _ in all_leaves()[flag_id]:
        kinds = [sign in emergency_signs for sign, _ in path]
        if flag.level == "urgent":  # "a person with a fever may also have saddle numbness"
            assert all(kinds), path
        else:  # soon: every emergency question first, then urgent ones if there is room
            assert kinds == sorted(kinds, reverse=True), path
        assert path[0][0] == ("bladder_bowel_change" if flag.about == "child" else "saddle_numbness")


def test_a_gate_answered_no_rules_out_its_follow_ups(rules):
    for path, _ in all_leaves()[None]:
        answers = dict(path)
        if answers.get("leg_symptoms") == "no":
            assert not {"both_legs_affected", "leg_weakness_getting_worse", "sexual_change"} & set(answers)
        if answers.get("fever") == "no":
            assert not {"very_unwell", "hot_swollen_hip"} & set(answers)
        if answers.get("recent_injury") == "no":
            assert not {"serious_accident", "cannot_bear_weight", "osteoporosis_or_steroids"} & set(answers)


def test_the_screen_asks_emergency_questions_first_and_stops_at_the_first_emergency_yes(rules):
    emergency_signs = set().union(*(f.signs for f in rules.flags if f.level == "emergency"))
    for path, outcome in all_leaves()[None]:
        kinds = [sign in emergency_signs for sign, _ in path]
        assert kinds == sorted(kinds, reverse=True), path  # no emergency question after another kind
        if outcome.level == "emergency":
            assert path[-1][1] == "yes"


def test_combining_signs_over_fifty_with_a_fall(rules):
    def screen(answers):
        step = triage.start_screen(rules, None, "en-GB")
        while isinstance(step, QuestionStep):
            step = triage.answer(rules, step.state, answers.get(step.sign, "no"), "en-GB")
        return step

    assert screen({"recent_injury": "yes", "age_50_plus": "yes"}).flags == (
        "minor_fall_with_osteoporosis_or_steroids",
    )
    assert screen({"recent_injury": "yes"}).level == "self_care"  # a fall under fifty, bones fine
    assert screen({"age_50_plus": "yes"}).level == "self_care"  # over fifty alone raises nothing
    assert screen({"recent_injury": "yes", "leg_symptoms": "yes"}).flags == ("leg_symptoms_after_injury",)


# --- the cap, across every path ----------------------------------------------------------------


def test_no_screen_asks_more_than_ten_questions(rules):
    assert rules.cap == 10
    longest = {named: max(len(path) for path, _ in leaves) for named, leaves in all_leaves().items()}
    assert max(longest.values()) <= 10, longest
    assert longest[None] == 10  # the all-"no" screen uses its questions


def test_the_cap_never_leaves_an_emergency_sign_unasked(rules):
    cap_words = triage._fill(rules.screen["cap_why"], rules.locale("en-GB").said)
    for leaves in all_leaves().values():
        for _, outcome in leaves:
            assert cap_words not in outcome.text


def test_the_cap_fallback_treats_an_unasked_emergency_sign_as_not_sure(rules, tmp_path):
    folder = copy_content(tmp_path)
    path = folder / "red_flags.toml"
    path.write_text(path.read_text().replace("cap = 10", "cap = 3"))
    small = triage.load_rules(path)
    step = triage.start_screen(small, None, "en-GB")
    for _ in range(3):
        step = triage.answer(small, step.state, "no", "en-GB")
    assert step.level == "emergency" and "couldn't finish checking" in step.text


# --- "not sure" ---------------------------------------------------------------------------------


def test_not_sure_on_an_emergency_question_is_a_yes_and_limber_says_so(rules):
    checked = set()
    for path, outcome in all_leaves()[None]:
        if outcome.level != "emergency":
            continue
        last_sign = path[-1][0]
        step = triage.start_screen(rules, None, "en-IN")
        for _sign, reply in path[:-1]:
            step = triage.answer(rules, step.state, reply, "en-IN")
        assert step.sign == last_sign
        unsure = triage.answer(rules, step.state, "unsure", "en-IN")
        assert unsure.level == "emergency" and unsure.flags == outcome.flags
        assert "weren't sure" in unsure.text and "counted it as a yes" in unsure.text
        assert unsure.unsure == (last_sign,)
        checked |= set(unsure.flags)
    assert checked == {f.id for f in rules.flags if f.level == "emergency"}  # every emergency rule


def test_not_sure_is_acknowledged_before_the_next_question(rules):
    step = triage.start_screen(rules, None, "en-GB")
    for _ in range(2):
        step = triage.answer(rules, step.state, "no", "en-GB")
    assert step.sign == "leg_symptoms"
    step = triage.answer(rules, step.state, "unsure", "en-GB")
    assert step.text.startswith(rules.screen["unsure_ack"]) and step.sign == "both_legs_affected"


def test_not_sure_to_everything_is_never_self_care(rules):
    for locale in LOCALES:
        step = triage.start_screen(rules, None, locale)
        while isinstance(step, QuestionStep):
            step = triage.answer(rules, step.state, "unsure", locale)
        assert step.level == "emergency" and EMERGENCY_NUMBER[locale] in step.text


# --- outcome wording ------------------------------------------------------------------------------


def every_outcome():
    for leaves in all_leaves().values():
        for _, outcome in leaves:
            yield outcome


def test_every_outcome_names_its_level_first_and_titles_its_card(rules):
    prefixes = {
        "emergency": "Emergency",
        "urgent": "Urgent",
        "soon": "See a doctor",
        "self_care": "Self-care",
    }
    seen = Counter()
    for outcome in every_outcome():
        seen[outcome.level] += 1
        assert LEVEL_WORD[outcome.level] in first_sentence(outcome.text).lower()
        assert outcome.card_title.startswith(prefixes[outcome.level])
        assert outcome.card_text and outcome.may_continue == (outcome.level in ("soon", "self_care"))
        lowered = outcome.text.lower()
        assert "not dangerous" not in lowered and "you have" not in lowered and "diagnos" not in lowered
    assert set(seen) == set(prefixes)


def test_self_care_says_what_helps_and_when_to_see_a_doctor_anyway(rules):
    for locale in [*LOCALES, "en-NZ"]:
        step = triage.start_screen(rules, None, locale)
        while isinstance(step, QuestionStep):
            step = triage.answer(rules, step.state, "no", locale)
        text = step.text.lower()
        assert step.level == "self_care" and step.flags == ()
        assert "no warning signs" in first_sentence(text)  # heard none, never "not dangerous"
        assert "keep moving" in text and "heat" in text and "stretches" in text  # what usually helps
        assert "four to six weeks" in text and "warning sign appears" in text  # when to see a doctor anyway
        assert "no checklist can rule everything out" in text
        assert not re.search(r"\bcall \d", text)  # no emergency number in a self-care answer


@pytest.mark.parametrize("locale", LOCALES)
def test_each_locale_gets_its_own_emergency_number(rules, locale):
    outcome = triage.start_screen(rules, "both_legs", locale)
    mine = EMERGENCY_NUMBER[locale]
    assert f"call {mine}" in outcome.text and mine in outcome.card_title and mine in outcome.card_text
    for other in set(EMERGENCY_NUMBER.values()) - {mine}:
        assert other not in outcome.text and other not in outcome.card_text
    assert outcome.numbers[mine]  # and how to say it, for the voice layer's <sub alias>


@pytest.mark.parametrize("locale", [None, "", "en-NZ", "fr-FR", "xx"])
def test_an_unknown_locale_gets_your_local_emergency_number(rules, locale):
    outcome = triage.start_screen(rules, "major_trauma", locale)
    assert "call your local emergency number" in outcome.text
    assert outcome.card_title == "Emergency: call your local emergency number now"
    assert not re.search(r"\d", outcome.text) and outcome.numbers == {}


def test_locale_names_are_matched_whatever_their_case(rules):
    assert "999" in triage.start_screen(rules, "both_legs", "en-gb").text
    assert "999" in triage.start_screen(rules, "both_legs", "en_GB").text


@pytest.mark.parametrize(("locale", "service", "doctor"), [
    ("en-GB", "NHS 111", "GP"), ("en-AU", "healthdirect on 1800 022 222", "GP"), ("en-IN", "GP", "GP"),
    ("en-US", "urgent care", "doctor"), ("en-CA", "family doctor", "doctor"),
])  # fmt: skip
def test_urgent_and_soon_use_the_locale_services_and_words(rules, locale, service, doctor):
    urgent = run(rules, "cancer_history", locale)
    assert urgent.level == "urgent" and service in urgent.text
    assert urgent.card_title == f"Urgent: see a {doctor} today"
    soon = run(rules, "sciatica_stable", locale)
    assert soon.level == "soon" and f"see a {doctor} soon" in first_sentence(soon.text)
    other = {"GP": "doctor", "doctor": "GP"}[doctor]
    assert f"see a {other} soon" not in soon.text


def test_every_number_said_has_a_spoken_form(rules):
    for locale in [*LOCALES, "en-NZ"]:
        for flag_id in ("saddle_numbness", "fever", "sciatica_stable"):
            outcome = run(rules, flag_id, locale)
            digits = set(re.findall(r"\d[\d ]*\d|\d", outcome.text))
            assert all(any(d in number for number in outcome.numbers) for d in digits), (locale, digits)
    assert run(rules, "fever", "en-AU").numbers == {
        "000": "triple zero",
        "1800 022 222": "one eight hundred, oh two two, two two two",
    }
    assert run(rules, "fever", "en-GB").numbers == {"999": "nine nine nine", "111": "one one one"}
    first = triage.start_screen(rules, "fever", "en-GB")  # the named advice says the number too
    assert "NHS 111" in first.text and first.numbers == {"111": "one one one"}


def test_a_child_is_asked_about_in_child_words(rules):
    for path, _outcome in all_leaves()["child_with_limp"]:
        signs = {sign for sign, _ in path}
        assert not {"saddle_numbness", "sexual_change", "age_50_plus"} & signs
    step = triage.start_screen(rules, "child_with_limp", "en-GB")
    assert "limping" in step.text and " they " in f" {step.question} "
    outcome = run(rules, "child_with_limp", "en-GB")
    assert "stretches" not in outcome.text and "bottom or genitals" not in outcome.text
    assert "can't put any weight on the leg" in outcome.text and "call 999" in outcome.text


# --- state ---------------------------------------------------------------------------------------


def run(rules, named, locale, reply="no"):
    step = triage.start_screen(rules, named, locale)
    while isinstance(step, QuestionStep):
        step = triage.answer(rules, json.loads(json.dumps(step.state)), reply, locale)
    return step


def test_state_is_small_json_of_rule_ids_and_answers_only(rules):
    sign_ids = {q.sign for q in rules.questions}
    flag_ids = {f.id for f in rules.flags}
    biggest = 0
    for named in [None, "fever", "sciatica_stable"]:
        step = triage.start_screen(rules, named, "en-US")
        while isinstance(step, QuestionStep):
            state = step.state
            assert set(state) == {"v", "named", "answers", "ask"}
            assert state["named"] in flag_ids | {None} and state["ask"] in sign_ids
            assert all(sign in sign_ids and reply in ("y", "n", "u") for sign, reply in state["answers"])
            biggest = max(biggest, len(json.dumps(state)))
            step = triage.answer(rules, json.loads(json.dumps(state)), "no", "en-US")
    assert biggest < 700


@pytest.mark.parametrize("broken", [
    None, {}, {"v": 2, "named": None, "answers": [], "ask": "saddle_numbness"},
    {"v": 1, "named": None, "answers": [], "ask": "fever"},  # not the question these rules ask first
    {"v": 1, "named": "no_such_flag", "answers": [], "ask": "saddle_numbness"},
    {"v": 1, "named": None, "answers": [["saddle_numbness", "maybe"]], "ask": "bladder_bowel_change"},
    {"v": 1, "named": None, "answers": "saddle_numbness=n", "ask": "bladder_bowel_change"},
    {"v": 1, "named": None, "answers": [["leg_symptoms", "n"]], "ask": "bladder_bowel_change"},
    {"v": 1, "named": None, "answers": [["no_such_sign", "n"]], "ask": "bladder_bowel_change"},
    {"v": 1, "named": None, "answers": [["bladder_bowel_change", "n"], ["saddle_numbness", "n"]],
     "ask": "leg_symptoms"},  # the right questions in the wrong order
    {"v": 1, "named": None, "answers": [["saddle_numbness", "n"]] * 10, "ask": "fever"},
])  # fmt: skip
def test_a_state_these_rules_did_not_make_is_refused(rules, broken):
    with pytest.raises(TriageStateError):
        triage.answer(rules, broken, "no", "en-US")


def test_replies_are_yes_no_or_unsure(rules):
    step = triage.start_screen(rules, None, "en-US")
    with pytest.raises(ValueError, match="reply"):
        triage.answer(rules, step.state, "maybe", "en-US")


def test_repeat_question_says_the_same_question_again(rules):
    step = triage.start_screen(rules, None, "en-AU")
    step = triage.answer(rules, step.state, "no", "en-AU")
    again = triage.repeat_question(rules, step.state, "en-AU")
    assert (again.number, again.sign, again.state, again.question) == (
        2,
        step.sign,
        step.state,
        step.question,
    )
    assert again.text.startswith("Here's question 2 again.") and again.reprompt.endswith(step.question)


def test_stopping_part_way_still_names_the_emergency_signs(rules):
    text = rules.stopped_text("en-GB")
    assert "numbness around your bottom or genitals" in text and "trouble peeing" in text


@settings(max_examples=60, deadline=None)
@given(replies=st.lists(st.sampled_from(["yes", "no", "unsure"]), min_size=10, max_size=10),
       named=st.sampled_from([None, "fever", "cancer_history", "sciatica_stable", "child_with_limp"]),
       locale=st.sampled_from([*LOCALES, "en-NZ"]))  # fmt: skip
def test_any_replies_end_within_the_cap_with_a_well_formed_outcome(replies, named, locale):
    rules = _rules()
    step = triage.start_screen(rules, named, locale)
    for reply in replies:
        if isinstance(step, Outcome):
            break
        step = triage.answer(rules, json.loads(json.dumps(step.state)), reply, locale)
    assert isinstance(step, Outcome)
    assert LEVEL_WORD[step.level] in first_sentence(step.text).lower()
    if "unsure" in replies and step.unsure:
        assert "weren't sure" in step.text


# --- loading -------------------------------------------------------------------------------------


def copy_content(tmp_path: Path) -> Path:
    for name in ("red_flags.toml", "triage_phrases.toml"):
        shutil.copy(content_dir() / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize(("file", "old", "new", "complaint"), [
    ("red_flags.toml", 'when = "saddle_numbness"', 'when = "saddle_numbnes"', "no question"),
    ("red_flags.toml", 'sources = ["nhs_back_pain", "nhs_ces", "girft_ces", "nice_ng59", "cks_sciatica"]',
     'sources = ["nhs_back_pain", "nhs_cess"]', "field 'sources'"),
    ("red_flags.toml", '"numb bum",', '"numb bum", "fever",', "already names"),
    ("red_flags.toml", 'level = "soon"', 'level = "later"', "field 'level'"),
    ("red_flags.toml", '"numb bum",', '"numb bum!",', "words and apostrophes"),
    ("red_flags.toml", "Are you fifty or older?", "Are you fifty or older.", "question mark"),
    ("triage_phrases.toml", 'title = "Urgent: see a {doctor} today"', 'title = "See a {doctor} today"',
     "card title"),
    ("triage_phrases.toml", "so this sounds like one for self-care.",
     "so this is not dangerous, self-care.", "not dangerous"),
    ("triage_phrases.toml", 'emergency = "112"', 'emergency = "108"', "no spoken form"),
    ("triage_phrases.toml", "{urgent_help}.", "{urgent_hepl}.", "placeholder"),
])  # fmt: skip
def test_broken_content_is_reported_with_where(tmp_path, file, old, new, complaint):
    folder = copy_content(tmp_path)
    path = folder / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(TriageContentError, match=re.escape(complaint)):
        triage.load_rules(folder / "red_flags.toml")


def test_the_engine_is_pure():
    tree = ast.parse((ROOT / "lambda" / "limber" / "core" / "triage.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {
        "__future__",
        "re",
        "tomllib",
        "dataclasses",
        "functools",
        "pathlib",
        "limber.core.content",
    }


# --- the vignettes ---------------------------------------------------------------------------------


def named_by(rules, phrase: str) -> str:
    key = phrase.lower().replace("'", "")
    found = [
        fid
        for fid, phrases in rules.synonyms().items()
        if key in {p.lower().replace("'", "") for p in phrases}
    ]
    assert len(found) == 1, f"{phrase!r} names no flag (or several)"
    return found[0]


def screen_vignette(rules, vignette) -> tuple[Outcome, int]:
    """Run the screen answering as this person would: yes to their signs, no otherwise."""
    yes = set(vignette["signs"]) | ({"age_50_plus"} if vignette["age"] >= 50 else set())
    unsure = set(vignette.get("unsure", []))
    named = named_by(rules, vignette["says"]) if vignette.get("says") else None
    step, asked = triage.start_screen(rules, named, vignette["locale"]), 0
    while isinstance(step, QuestionStep):
        reply = "unsure" if step.sign in unsure else "yes" if step.sign in yes else "no"
        step, asked = triage.answer(rules, step.state, reply, vignette["locale"]), asked + 1
    return step, asked


def test_the_vignettes_are_enough_and_well_formed(rules):
    signs = {q.sign for q in rules.questions}
    ids = [v["id"] for v in VIGNETTES]
    assert len(ids) == len(set(ids)) >= 40
    counts = Counter(v["expected"] for v in VIGNETTES)
    assert (
        counts["emergency"] >= 12
        and counts["urgent"] >= 10
        and counts["soon"] >= 8
        and counts["self_care"] >= 10
    )
    assert {v["area"] for v in VIGNETTES} == {"back", "hip"}
    assert set(LOCALES) <= {v["locale"] for v in VIGNETTES}
    for v in VIGNETTES:
        assert set(v["signs"]) | set(v.get("unsure", [])) <= signs, v["id"]
        assert v["basis"] and all(b in rules.sources for b in v["basis"]), v["id"]
        assert v["story"] and isinstance(v["age"], int)


def test_the_vignettes_through_the_engine(rules, capsys):
    results = []
    for vignette in VIGNETTES:
        outcome, asked = screen_vignette(rules, vignette)
        assert asked <= rules.cap
        results.append((vignette, outcome.level))
    under_triaged = [v["id"] for v, got in results if v["expected"] == "emergency" and got != "emergency"]
    assert under_triaged == [], "every emergency vignette must come out as an emergency"
    right = sum(got == v["expected"] for v, got in results)
    misses = [(v["id"], v["expected"], got) for v, got in results if got != v["expected"]]
    confusion = Counter((v["expected"], got) for v, got in results)
    with capsys.disabled():
        print(f"\nvignettes: {right}/{len(results)} = {right / len(results):.0%} at the expected level")
        for (expected, got), n in sorted(confusion.items()):
            print(f"  expected {expected:9} got {got:9} x{n}")
        for miss in misses:
            print("  miss:", *miss)
    assert right / len(results) >= 0.9
