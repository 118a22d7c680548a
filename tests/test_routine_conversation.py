"""Guided routines, spoken end to end through the real lambda_handler."""

from __future__ import annotations

import re

import pytest

from limber.core.content import default_library
from limber.core.routine import steps_of

DISCLAIMED = "not a substitute for professional medical advice"  # the once-ever disclaimer

LIBRARY = default_library()
HEADING = re.compile(r"^(?:.*? )?Stretch (\d+) of (\d+): ([^,.]+)(?:, (left side|right side))?\.")


def heading(text: str) -> tuple[int, int, str, str]:
    match = HEADING.search(text)
    assert match, f"no step heading in: {text[:160]}"
    return int(match[1]), int(match[2]), match[3], match[4]


def test_launch_names_every_routine_and_gives_the_disclaimer_once(talk):
    person = talk()
    first = person.launch()
    for routine in LIBRARY.routines:
        assert routine.name in first
    assert DISCLAIMED in first
    assert not person.ended
    person.say("AMAZON.StopIntent")
    assert DISCLAIMED not in person.launch()


@pytest.mark.parametrize("routine", LIBRARY.routines, ids=lambda r: r.id)
def test_a_whole_routine_start_to_finish(talk, routine):
    person = talk()
    person.launch()
    said = person.say("StartRoutineIntent", routine=routine.synonyms[0])
    steps = steps_of(routine)
    for index, step in enumerate(steps):
        number, total, name, side = heading(said)
        assert (number, total, name) == (step.stretch_number, len(routine.stretches), step.stretch.name)
        assert side == (None if step.side == "both" else f"{step.side} side")  # a side only if two
        assert "Starting now." in said and "Release." in said
        assert said.index("Starting now.") < said.index("Release.")
        if index + 1 < len(steps):
            assert "Say next" in said
            said = person.say("AMAZON.NextIntent")
    assert "last one" in said
    finished = person.say("AMAZON.NextIntent")
    assert f"finished {routine.name}" in finished
    assert "next?" in finished and not person.ended
    assert person.say("AMAZON.NoIntent") and person.ended


def test_two_sided_stretch_says_left_then_right(talk):
    routine = next(r for r in LIBRARY.routines if any(s.sides == ("left", "right") for s in r.stretches))
    person = talk()
    said = person.say("StartRoutineIntent", routine=routine.name)
    while heading(said)[3] != "left side":
        said = person.say("AMAZON.NextIntent")
    assert "Say next for the right side." in said
    name = heading(said)[2]
    said = person.say("AMAZON.NextIntent")
    assert heading(said)[2:] == (name, "right side")


def test_synonyms_start_their_routine(talk):
    from limber.core.coaching.session import QUICK

    for routine in LIBRARY.routines:
        for synonym in routine.synonyms:
            said = talk().say("StartRoutineIntent", routine=synonym)
            # "something quick" asks for the routine's five-minute version
            version = LIBRARY.variant(routine.id, "quick") if QUICK.search(synonym) else routine
            assert f"Let's do {version.name}" in said


@pytest.mark.parametrize("heard", [None, "underwater basket weaving"])
def test_missing_or_unknown_routine_gets_the_list(talk, heard):
    person = talk()
    said = person.say("StartRoutineIntent", routine=heard)
    assert all(r.name in said for r in LIBRARY.routines)
    if heard:
        assert heard in said
    assert not person.ended


class TestNavigation:
    def start(self, talk):
        person = talk()
        person.say("StartRoutineIntent", routine="Hip flexors")
        return person

    def test_next_previous_repeat(self, talk):
        person = self.start(talk)
        first = heading(person.transcript[-1][1])
        second = heading(person.say("AMAZON.NextIntent"))
        assert second != first
        back = person.say("AMAZON.PreviousIntent")
        assert back.startswith("Going back.") and heading(back) == first
        again = person.say("AMAZON.RepeatIntent")
        assert again.startswith("Once more.") and heading(again) == first

    def test_previous_on_the_first_stretch(self, talk):
        person = self.start(talk)
        said = person.say("AMAZON.PreviousIntent")
        assert "first stretch" in said and not person.ended
        assert heading(person.say("AMAZON.RepeatIntent"))[0] == 1

    def test_skip_moves_to_the_next_stretch_not_the_next_side(self, talk):
        person = self.start(talk)
        routine = LIBRARY.routine("hip_flexors")
        said = person.say("SkipStretchIntent")
        assert said.startswith("Skipping that one.") and heading(said)[0] == 2
        assert routine.stretches[1].name == heading(said)[2]

    def test_skip_on_the_last_stretch_finishes(self, talk):
        person = self.start(talk)
        for _ in range(len(LIBRARY.routine("hip_flexors").stretches) - 1):
            person.say("SkipStretchIntent")
        said = person.say("SkipStretchIntent")  # every stretch skipped: the end, said honestly
        assert "end of Hip flexors" in said and "skipped most of it" in said and "Well done" not in said

    def test_start_over(self, talk):
        person = self.start(talk)
        person.say("AMAZON.NextIntent")
        person.say("AMAZON.NextIntent")
        said = person.say("AMAZON.StartOverIntent")
        assert said.startswith("Starting from the top.") and heading(said)[0] == 1

    def test_pause_and_resume(self, talk):
        person = self.start(talk)
        person.say("AMAZON.NextIntent")
        where = heading(person.transcript[-1][1])
        paused = person.say("AMAZON.PauseIntent")
        assert "Paused" in paused and "resume" in paused and not person.ended
        resumed = person.say("AMAZON.ResumeIntent")
        assert resumed.startswith("Carrying on.") and heading(resumed) == where

    def test_how_many_are_left(self, talk):
        person = self.start(talk)
        total = len(LIBRARY.routine("hip_flexors").stretches)
        said = person.say("HowManyLeftIntent")
        assert f"stretch 1 of {total}" in said

    def test_hold_time_is_kept_within_limits_and_said_back(self, talk):
        person = self.start(talk)
        assert "Holds are now 45 seconds." in person.say("SetHoldTimeIntent", seconds="45")
        clamped = person.say("SetHoldTimeIntent", seconds="200")
        assert "from 10 to 60 seconds" in clamped and "Holds are now 60 seconds." in clamped
        assert "Holds are now 10 seconds." in person.say("SetHoldTimeIntent", seconds="3")
        assert "Holds are now 20 seconds." in person.say("SetHoldTimeIntent", direction="longer")
        assert "Holds are now 10 seconds." in person.say("SetHoldTimeIntent", direction="shorter")

    def test_describe_stretch(self, talk):
        person = self.start(talk)
        stretch = LIBRARY.routine("hip_flexors").stretches[0]
        said = person.say("DescribeStretchIntent")
        assert stretch.purpose in said and "Skip it if" in said

    def test_help_in_a_routine_is_about_the_routine(self, talk):
        person = self.start(talk)
        said = person.say("AMAZON.HelpIntent")
        assert "You're on stretch 1" in said and "next" in said
        assert "Say start and a routine's name" in talk().say("AMAZON.HelpIntent")

    def test_stop_ends_politely_and_keeps_the_position(self, talk):
        person = self.start(talk)
        person.say("AMAZON.NextIntent")
        said = person.say("AMAZON.StopIntent")
        assert person.ended and "stopping at stretch" in said and "resume" in said


class TestOddInput:
    @pytest.mark.parametrize(
        "intent",
        [
            "AMAZON.NextIntent",
            "AMAZON.RepeatIntent",
            "AMAZON.PauseIntent",
            "AMAZON.ResumeIntent",
            "AMAZON.StartOverIntent",
            "SkipStretchIntent",
            "DescribeStretchIntent",
            "WhichSideIntent",
            "WhatsNextIntent",
            "GoOnIntent",
        ],
    )
    def test_routine_intents_with_no_routine_get_the_list(self, talk, intent):
        person = talk()
        said = person.say(intent)
        assert "routines" in said and not person.ended

    def test_back_at_the_menu_is_the_back_routine(self, talk):
        # Alexa hears a bare "back" as AMAZON.PreviousIntent: at the menu it names a routine.
        back = next(r for r in LIBRARY.routines if "back" in r.synonyms)
        assert f"Let's do {back.name}" in talk().say("AMAZON.PreviousIntent")

    def test_how_long_at_the_menu_gives_minutes(self, talk):
        said = talk().say("HowManyLeftIntent")
        assert re.search(r"Each routine takes about \w+( to \w+)? minutes\.", said), said

    def test_resume_with_nothing_paused(self, talk):
        assert "nothing paused" in talk().say("AMAZON.ResumeIntent")

    @pytest.mark.parametrize(
        "intent", ["TotallyUnknownIntent", "AMAZON.FallbackIntent", "AMAZON.ScrollDownIntent"]
    )
    def test_unknown_intents_are_answered(self, talk, intent):
        person = talk()
        said = person.say(intent)
        assert "Sorry" in said and not person.ended

    def test_navigate_home_and_yes_no_out_of_context(self, talk):
        person = talk()
        assert "routines" in person.say("AMAZON.NavigateHomeIntent")
        assert "not sure what that answers" in person.say("AMAZON.YesIntent")
        assert not person.ended

    def test_session_ended_has_no_speech(self, talk):
        person = talk()
        person.launch()
        response = person.end()
        assert "outputSpeech" not in response["response"]

    def test_missing_fields_get_a_recovery_line(self, lambda_handler):
        from alexa import envelope, speech_text
        from alexa_rules import check_response

        no_intent = envelope({"type": "IntentRequest"})
        said = speech_text(check_response(lambda_handler(no_intent, None)))
        assert "Sorry" in said
        bare = {"version": "1.0", "request": {"type": "LaunchRequest"}}
        assert speech_text(check_response(lambda_handler(bare, None)))
        empty = {"version": "1.0"}
        assert "Sorry" in speech_text(check_response(lambda_handler(empty, None)))

    def test_garbage_session_attributes_are_survivable(self, lambda_handler):
        from alexa import envelope, intent_request, speech_text
        from alexa_rules import check_response

        for attributes in (
            {"position": "hello"},
            {"position": {"routine": "gone", "step": 2}},
            {"position": {"routine": "hip_flexors", "step": 999}},
            {"hold": "long"},
        ):
            event = envelope(intent_request("AMAZON.NextIntent"), session_attributes=attributes, new=False)
            assert speech_text(check_response(lambda_handler(event, None)))

    def test_a_crashing_turn_is_caught_and_the_session_stays_usable(self, talk, monkeypatch):
        from limber.core import coaching

        person = talk()
        person.say("StartRoutineIntent", routine="hips")

        def broken(*args):
            raise RuntimeError("boom")

        monkeypatch.setattr(coaching, "how_many_left", broken)
        said = person.say("HowManyLeftIntent")
        assert "something went wrong" in said and not person.ended
        monkeypatch.undo()
        assert heading(person.say("AMAZON.NextIntent"))[0] >= 1


def test_longer_holds_make_every_timed_stretch_longer(talk):
    """With no preference yet, "longer" must not shorten a stretch whose own hold is long."""
    person = talk()
    person.say("StartRoutineIntent", routine="hips")
    routine = LIBRARY.routine("hip_flexors")
    longest = max(s.hold_seconds for s in routine.stretches if s.hold_seconds)
    said = person.say("SetHoldTimeIntent", direction="longer")
    new_hold = int(re.search(r"Holds are now (\d+) seconds", said).group(1))
    assert new_hold > longest or new_hold == 60
    shortest = min(s.hold_seconds for s in routine.stretches if s.hold_seconds)
    fresh = talk()
    fresh.say("StartRoutineIntent", routine="hips")
    shorter = int(
        re.search(r"Holds are now (\d+) seconds", fresh.say("SetHoldTimeIntent", direction="shorter")).group(
            1
        )
    )
    assert shorter < shortest or shorter == 10


def test_help_while_paused_says_how_to_resume(talk):
    person = talk()
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.PauseIntent")
    said = person.say("AMAZON.HelpIntent")
    assert "You're paused at stretch 1" in said and "Say resume" in said


def _state(person) -> dict:
    return person.last.get("sessionAttributes") or {}


def _at_left_side(person):
    """Start the first routine with a timed two-sided stretch and go to its left side."""
    routine = next(
        r for r in LIBRARY.routines if any(s.sides == ("left", "right") and s.is_timed for s in r.stretches)
    )
    said = person.say("StartRoutineIntent", routine=routine.name)
    for step in steps_of(routine):
        if step.side == "left" and step.stretch.is_timed:
            return routine, step, said
        said = person.say("AMAZON.NextIntent")
    raise AssertionError("no timed left side")


class TestWhatPeopleSay:
    @pytest.mark.parametrize(
        ("duration", "hold", "clamped"),
        [
            ("PT1M", 60, False),
            ("PT20S", 20, False),
            ("PT1M30S", 60, True),
            ("PT5S", 10, True),
            ("PT45S", 45, False),
        ],
    )
    def test_hold_lengths_said_with_a_unit(self, talk, duration, hold, clamped):
        person = talk()
        said = person.say("SetHoldTimeIntent", duration=duration)
        assert f"Holds are now {hold} seconds." in said
        assert ("from 10 to 60 seconds" in said) is clamped
        assert _state(person)["hold"] == hold

    def test_a_half_heard_duration_asks_how_long(self, talk):
        person = talk()
        said = person.say("SetHoldTimeIntent", duration="?")
        assert "hold for 30 seconds" in said and "hold" not in _state(person)

    def test_okay_goes_on_in_a_routine_but_never_answers_a_safety_question(self, talk):
        person = talk()
        routine, step, _ = _at_left_side(person)
        index = _state(person)["position"]["step"]
        assert heading(person.say("GoOnIntent"))[3] == "right side"
        assert _state(person)["position"]["step"] == index + 1
        person.say("PainDuringStretchIntent")
        for intent in ("GoOnIntent", "DoneIntent", "ThanksIntent"):
            said = person.say(intent)
            assert "sharp or shooting" in said and "Say yes or no" in said
            assert _state(person)["pending"] == "pain"

    def test_done_at_the_last_stretch_finishes_and_after_it_says_goodbye(self, talk):
        person = talk()
        routine = LIBRARY.routines[0]
        person.say("StartRoutineIntent", routine=routine.name)
        for _ in range(len(steps_of(routine)) - 1):
            person.say("AMAZON.NextIntent")
        assert f"finished {routine.name}" in person.say("DoneIntent")
        person.say("DoneIntent")
        assert person.ended

    def test_okay_to_the_next_routine_offer_starts_it(self, talk):
        person = talk()
        routine = LIBRARY.routines[0]
        person.say("StartRoutineIntent", routine=routine.name)
        for _ in range(len(steps_of(routine))):
            person.say("AMAZON.NextIntent")
        offered = LIBRARY.routine(_state(person)["offer"])
        assert f"Let's do {offered.name}" in person.say("GoOnIntent")

    def test_which_side_and_whats_next_leave_the_place_alone(self, talk):
        person = talk()
        _, step, _ = _at_left_side(person)
        where = _state(person)["position"]
        assert f"left side of the {step.stretch.name}" in person.say("WhichSideIntent")
        assert f"Next is the right side of the {step.stretch.name}" in person.say("WhatsNextIntent")
        assert _state(person)["position"] == where

    def test_time_left_is_in_minutes(self, talk):
        person = talk()
        _at_left_side(person)
        assert re.search(r"About \w+(?: \w+)? minutes? to go\.", person.say("HowManyLeftIntent"))

    @pytest.mark.parametrize("intent", ["EasierIntent", "SlowerIntent"])
    def test_too_hard_and_slower_get_an_honest_answer_and_skip_nothing(self, talk, intent):
        person = talk()
        _at_left_side(person)
        where = _state(person)["position"]
        said = person.say(intent)
        assert "Skipping" not in said and "Sorry" not in said and not person.ended
        assert _state(person)["position"] == where

    def test_continue_when_not_paused_goes_on(self, talk):
        person = talk()
        _at_left_side(person)
        index = _state(person)["position"]["step"]
        person.say("AMAZON.ResumeIntent")
        assert _state(person)["position"]["step"] == index + 1

    def test_thanks_is_one_line_and_keeps_an_open_question(self, talk):
        person = talk()
        person.say("DeleteMyDataIntent")
        said = person.say("ThanksIntent")
        assert said.startswith("You're welcome.") and "delete all your saved progress" in said
        assert _state(person)["pending"] == "delete"

    @pytest.mark.parametrize(("locale", "number"), [("en-US", "911"), ("en-GB", "999"), ("en-AU", "000"),
                                                    ("en-IN", "112"), ("en-CA", "911")])  # fmt: skip
    def test_the_fallback_says_how_to_ask_and_the_emergency_number(self, talk, locale, number):
        person = talk(locale=locale)
        said = person.say("AMAZON.FallbackIntent")
        assert "is this dangerous" in said and number in said
        assert "<sub alias=" in person.last["response"]["outputSpeech"]["ssml"]
