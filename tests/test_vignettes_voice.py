"""Vignettes spoken through the real lambda_handler, and what an outcome leaves behind.

The people whose opening is a plain "is this dangerous?" are run in
tests/test_screening_conversation.py; here: an emergency or urgent outcome clears the saved
place (so the next launch doesn't offer "say resume" to someone sent to a doctor), a self-care
one keeps it, and nothing about the screen is stored either way.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

import vignette_patient as patient
from alexa import Conversation
from limber.core import screening
from limber.skill.builder import build_skill
from limber.skill.entry import handle_event
from limber.storage.sqlite import SqliteAdapter

USER = "amzn1.ask.account.VIGNETTE"
# The voice side (core/screening.py, the hearing branch) emits the event and storage clears the
# place (skill/progress.py, the storage branch); until both are merged these wait.
clears_place = pytest.mark.skipif(
    not hasattr(screening, "CLEAR_PLACE"), reason="the screening code does not emit clear_place yet"
)
SIGN_WORDS = ("saddle", "bladder", "cancer", "fever", "numb", "pee", "warfarin", "limp")


def skill_with_store(tmp_path):
    store = SqliteAdapter(tmp_path / "progress.sqlite3")
    skill = build_skill(skill_id=None, persistence_adapter=store)
    return store, (lambda event, context: handle_event(skill, event, context))


def answer_as(person: Conversation, vignette: dict, said: str) -> str:
    who = patient.person(vignette)
    while not person.ended and "screen" in person.attributes:
        heard = re.split(r"Question \d+\. ", said)[-1]
        said = person.say(
            {"yes": "AMAZON.YesIntent", "no": "AMAZON.NoIntent", "unsure": "NotSureIntent"}[
                patient.reply(who, heard)
            ]
        )
    return said


def stored(tmp_path) -> str:
    with sqlite3.connect(tmp_path / "progress.sqlite3") as db:
        return " ".join(str(row) for row in db.execute("SELECT * FROM progress"))


@clears_place
@pytest.mark.parametrize(("symptom", "title"), [
    ("I had cancer", "Urgent"),  # advice, then the emergency questions, all answered no
    ("numb groin", "Emergency"),  # answered at once ("wet myself" is first asked "new in the last weeks?")
])  # fmt: skip
def test_an_emergency_or_urgent_outcome_clears_the_saved_place(tmp_path, symptom, title):
    _, handler = skill_with_store(tmp_path)
    person = Conversation(handler, user_id=USER)
    person.launch()
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.NextIntent")
    person.say("RedFlagCheckIntent", symptom=symptom)
    while not person.ended and "screen" in person.attributes:
        person.say("AMAZON.NoIntent")
    assert person.card["title"].startswith(title) and person.ended
    again = Conversation(handler, user_id=USER).launch()
    assert "resume" not in again.lower() and "welcome back" not in again.lower()
    kept = stored(tmp_path).lower()
    assert not any(word in kept for word in SIGN_WORDS) and "screen" not in kept


@clears_place
def test_a_place_saved_in_an_earlier_session_is_cleared_too(tmp_path):
    _, handler = skill_with_store(tmp_path)
    first = Conversation(handler, user_id=USER)
    first.say("StartRoutineIntent", routine="hips")
    first.say("AMAZON.StopIntent")
    assert "resume" in Conversation(handler, user_id=USER).launch().lower()
    later = Conversation(handler, user_id=USER)
    later.say("RedFlagCheckIntent", symptom="numb groin")
    assert later.card["title"].startswith("Emergency")
    assert "resume" not in Conversation(handler, user_id=USER).launch().lower()


def test_a_self_care_outcome_keeps_the_place(tmp_path):
    store, handler = skill_with_store(tmp_path)
    person = Conversation(handler, user_id=USER)
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.NextIntent")
    person.say("RedFlagCheckIntent")
    said = person.say("AMAZON.YesIntent")  # yes to the offered screen
    vignette = next(v for v in patient.VIGNETTES if v["id"] == "desk_stiffness")
    answer_as(person, vignette, said)
    assert person.card["title"].startswith("Self-care")
    person.say("AMAZON.StopIntent")
    assert "resume" in Conversation(handler, user_id=USER).launch().lower()


@pytest.mark.parametrize(
    "vignette_id",
    [
        "aaa_worst_pain_on_questions",
        "hip_fracture_on_questions",
        "warfarin_fall_on_questions",
        "never_before_at_55_on_questions",
    ],
)
def test_people_answering_by_meaning_through_the_handler_match_the_engine(lambda_handler, vignette_id):
    vignette = next(v for v in patient.VIGNETTES if v["id"] == vignette_id)
    person = Conversation(lambda_handler, locale=vignette["locale"])
    said = person.say("RedFlagCheckIntent")
    answer_as(person, vignette, said)
    level = {"Emergency": "emergency", "Urgent": "urgent", "See a doctor": "soon", "Self-care": "self_care"}
    got = next(v for k, v in level.items() if person.card["title"].startswith(k))
    assert got == vignette["expected"]
    assert "not a substitute for professional medical advice" in person.card["content"]
