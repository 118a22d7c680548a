"""Every symptom statement in tests/symptom_phrases.toml reaches the check, wherever it is said.

Each phrase goes through the console's matcher (limber.console.nlu.understand, which hears as
Alexa does: carrier phrases, open slots passing raw words with ER_SUCCESS_NO_MATCH, the
slot-only sample) and then, as the intent and slots it matched, through the real
lambda_handler in real envelopes, in one of the places people say them: at the menu, mid-hold,
during a set's rest, paused, during the pain question, mid-screen, after a self-care outcome,
after an emergency (the next session). It must reach the check — a warning-sign question or an
outcome — and never the fallback, "say next" or a routine menu. The share is printed; 100 % is
required.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from limber.console.nlu import understand
from limber.core.content import default_library
from limber.core.routine import steps_of

PHRASES = tomllib.loads((Path(__file__).parent / "symptom_phrases.toml").read_text())["phrases"]
OUTCOME_TITLES = ("Emergency", "Urgent", "See a doctor", "Self-care")
NOT_THE_CHECK = ("Sorry, I can't help", "Say next to", "I have four routines", "Which would you like")


def at_menu(person):
    person.launch()


def mid_hold(person):
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.NextIntent")
    assert person.attributes["position"]["paused"] is False


def in_a_sets_rest(person):
    """On the second set of a stretch done in sets: the rest between sets has begun."""
    routine = default_library().routine("hip_flexors")
    second_set = next(i for i, step in enumerate(steps_of(routine)) if step.set_number == 2)
    person.say("StartRoutineIntent", routine="hips")
    while person.attributes["position"]["step"] < second_set:
        person.say("AMAZON.NextIntent")


def paused(person):
    mid_hold(person)
    person.say("AMAZON.PauseIntent")
    assert person.attributes["position"]["paused"] is True


def during_the_pain_question(person):
    mid_hold(person)
    person.say("PainDuringStretchIntent")
    assert person.attributes.get("pending") == "pain"


def mid_screen(person):
    person.launch()
    person.say("RedFlagCheckIntent")
    assert "screen" in person.attributes


def after_self_care(person):
    mid_hold(person)
    person.say("RedFlagCheckIntent")
    person.say("AMAZON.YesIntent")
    while "screen" in person.attributes:
        person.say("AMAZON.NoIntent")
    assert person.card["title"].startswith("Self-care") and person.attributes.get("pending") == "continue"


def after_an_emergency(person):
    person.launch()
    person.say("RedFlagCheckIntent", symptom="numb groin")
    assert person.ended and person.card["title"].startswith("Emergency")
    person.new_session()
    person.launch()


CONTEXTS = {
    "menu": at_menu,
    "mid-hold": mid_hold,
    "set rest": in_a_sets_rest,
    "paused": paused,
    "pain question": during_the_pain_question,
    "mid-screen": mid_screen,
    "after self-care": after_self_care,
    "after emergency": after_an_emergency,
}


def cases():
    """Each phrase once, in the contexts in turn; the issue's own examples in every context."""
    names = list(CONTEXTS)
    out = []
    for i, phrase in enumerate(PHRASES):
        contexts = names if phrase.get("everywhere") else [names[i % len(names)]]
        out += [(phrase, context) for context in contexts]
    return out


def say(person, text: str) -> tuple[str, str]:
    """``text`` as Alexa would hear it: (the intent it matched, what the skill said)."""
    match = understand(text, person.locale)
    slots = {name: value["value"] for name, value in match.slots.items()}
    return match.intent, person.say(match.intent, **slots)


def reached_the_check(person) -> bool:
    title = (person.card or {}).get("title", "")
    return "screen" in person.attributes or title.startswith(OUTCOME_TITLES)


def test_the_corpus_is_big_and_varied():
    assert len(PHRASES) >= 200
    assert len({p["said"].lower() for p in PHRASES}) == len(PHRASES)
    assert {p.get("locale", "en-US") for p in PHRASES} == {"en-US", "en-GB", "en-AU", "en-IN", "en-CA"}
    abouts = Counter(p.get("about", "self") for p in PHRASES)
    assert abouts["child"] >= 10 and abouts["other"] >= 20
    assert len(cases()) >= 250


def test_every_symptom_statement_reaches_the_check_in_every_context(talk, capsys):
    failures, by_context, fallbacks = [], Counter(), 0
    totals = Counter(context for _, context in cases())
    for phrase, context in cases():
        person = talk(locale=phrase.get("locale", "en-US"))
        CONTEXTS[context](person)
        intent, said = say(person, phrase["said"])
        fallbacks += intent == "AMAZON.FallbackIntent"
        if (
            intent == "AMAZON.FallbackIntent"
            or not reached_the_check(person)
            or any(line in said for line in NOT_THE_CHECK)
        ):
            failures.append((context, phrase["said"], intent, said[:120]))
        else:
            by_context[context] += 1
    reached = sum(by_context.values())
    with capsys.disabled():
        print(f"\nsymptom corpus: {reached}/{len(cases())} = {reached / len(cases()):.1%} reached the check; "
              f"{fallbacks} heard as AMAZON.FallbackIntent")  # fmt: skip
        for context, total in totals.items():
            print(f"  {context:16} {by_context[context]}/{total}")
    assert failures == []


@pytest.mark.parametrize("context", ["mid-hold", "set rest"])
def test_mid_stretch_the_hold_stops_first_for_dizziness_a_pop_or_numbness(talk, context):
    for text in ["I'm dizzy", "I felt a pop", "my leg's gone numb", "I feel sick", "I feel faint"]:
        person = talk()
        CONTEXTS[context](person)
        _, said = say(person, text)
        assert reached_the_check(person), (text, said)
        if (person.card or {}).get("title", "").startswith("Emergency"):
            assert said.startswith("This is an emergency"), said  # the emergency first, always
        else:
            assert said.startswith("Stop the stretch now, and sit or lie down"), said  # the body first
