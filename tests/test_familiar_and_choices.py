"""Coaching that fits the person, through the real skill on a real SQLite store: the short cue
once a stretch is familiar, the full set-up and who should skip it on request, choices that
last (slower, off the floor), the easier version, and resuming after a step that played
through at the next step instead of the side already done."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from limber.core.coaching.session import KNOWN_SKIPS
from limber.core.coaching.ways import OFF_FLOOR_LEAD
from limber.core.content import default_library
from limber.core.progress import FAMILIAR_AFTER
from limber.core.routine import steps_of
from limber.core.ssml import speaking_and_quiet
from limber.core.step_speech import cue_line, skip_reasons
from stored_skill import stored

LIBRARY = default_library()
HEADING = re.compile(r"Stretch (\d+) of (\d+): ([^,.]+)(?:, (left|right) side)?\.")
SKIP_LIST = re.compile(r"(Skip this one if|Leave this one out if|Skip it if) ")


def ssml(person) -> str:
    return person.last["response"]["outputSpeech"]["ssml"]


def words(person) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", ssml(person)).split())


def quiet(person) -> float:
    return speaking_and_quiet(ssml(person))[1]


def run_through(person, routine: str = "low back") -> list[str]:
    """Start ``routine`` and say next to the end; the words of each step."""
    said = [person.say("StartRoutineIntent", routine=routine)]
    while "Starting now" in said[-1]:
        said.append(person.say("AMAZON.NextIntent"))
    person.say("AMAZON.NoIntent")  # to "would you like to do ... next?"
    return said[:-1]


def test_a_stretch_met_in_earlier_runs_gets_a_short_cue_and_the_full_set_up_on_request(stored_talk, store):
    routine = LIBRARY.routine("low_back_and_hips")
    first_step = steps_of(routine)[0]
    person = stored_talk()
    first = run_through(person)
    assert SKIP_LIST.search(first[0]) and first_step.stretch.setup[0] in first[0]
    for _ in range(FAMILIAR_AFTER - 1):
        run_through(person)
    assert stored(store, person)["met"] == {s.id: FAMILIAR_AFTER for s in routine.stretches}

    returning = run_through(person)
    assert len(returning) == len(first) == len(steps_of(routine))
    assert KNOWN_SKIPS in returning[0]
    assert "Alexa, that hurts" in returning[0]  # the way to interrupt is said at every start
    for step, now, before in zip(steps_of(routine), returning, first, strict=True):
        assert HEADING.search(now).group(3) == step.stretch.name
        assert not SKIP_LIST.search(now) and step.stretch.safety not in now
        if step.set_number == 1 and step.side in ("left", "both"):
            assert cue_line(step) in now
        assert len(now.split()) < len(before.split()) or step.set_number > 1
    person.say("StartRoutineIntent", routine="low back")
    short, short_quiet = words(person), quiet(person)
    full = person.say("HowToIntent")  # "how do I do this"
    assert full.startswith("Here it is in full.") and first_step.stretch.setup[0] in full
    assert first_step.stretch.safety in full
    assert HEADING.search(full).group(3) == HEADING.search(short).group(3)
    # The quiet for getting into position is kept: a familiar step is shorter only in words.
    assert short_quiet == pytest.approx(quiet(person), abs=0.01)
    # Met once per run: this start counted, "how do I do this" did not.
    assert stored(store, person)["met"][first_step.stretch.id] == FAMILIAR_AFTER + 2


def test_who_should_skip_gives_the_whole_list_on_request(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="low back")
    stretch = steps_of(LIBRARY.routine("low_back_and_hips"))[0].stretch
    said = person.say("WhoShouldSkipIntent")
    assert said.startswith(f"Leave out the {stretch.name} if")
    for reason in skip_reasons(LIBRARY.routine("low_back_and_hips"), stretch):
        assert reason.split(", as ")[0] in said
    assert not person.ended and "Starting now" not in said


def test_reprompts_fit_the_moment_and_vary(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="hips")
    reprompts = []
    for _ in range(6):
        reprompts.append(person.last["response"]["reprompt"]["outputSpeech"]["ssml"])
        person.say("AMAZON.NextIntent")
    assert "right side" in reprompts[0]  # after a left side: the other side next
    assert all(a != b for a, b in zip(reprompts, reprompts[1:], strict=False))


def test_slower_please_is_kept_for_next_time_and_normal_speed_undoes_it(stored_talk, store):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="desk")
    assert 'prosody rate="85%"' not in ssml(person)
    said = person.say("SlowerIntent")
    assert "more slowly" in said and stored(store, person)["preferences"] == {"slower": True}
    person.say("AMAZON.NextIntent")
    assert 'prosody rate="85%"' in ssml(person)
    person.say("AMAZON.StopIntent")

    person.say("StartRoutineIntent", routine="hips")  # another session: still slower
    assert 'prosody rate="85%"' in ssml(person)
    assert "usual pace" in person.say("FasterIntent")
    person.say("AMAZON.NextIntent")
    assert "prosody" not in ssml(person)
    assert stored(store, person)["preferences"] == {}


def test_i_cant_kneel_switches_to_the_version_off_the_floor_and_yes_keeps_it(stored_talk, store):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="low back")
    person.say("AMAZON.NextIntent")  # stretch 2, on the floor
    said = person.say("OffFloorIntent")  # "I can't kneel"
    routine = LIBRARY.routine("low_back_and_hips_no_floor")
    stretch = routine.stretches[1]
    assert said.startswith(f"{OFF_FLOOR_LEAD} Stretch 2 of 7:") and stretch.name in said
    assert said.endswith("Shall I keep to versions off the floor next time too? Say yes or no.")
    assert LIBRARY.movement.places[stretch.position].group != "floor"
    place = person.last["sessionAttributes"]["position"]
    following = person.say("AMAZON.YesIntent")
    assert following.startswith("Okay, I'll keep to them.") and "floor stretches" in following
    assert person.last["sessionAttributes"]["position"]["step"] == place["step"] + 1  # and on
    assert stored(store, person)["preferences"] == {"off_floor": True}
    person.say("AMAZON.StopIntent")

    later = person.say("StartRoutineIntent", routine="hip flexors")  # next time: off the floor
    assert later.startswith("Let's do Hip flexors off the floor:")
    assert "floor stretches are back" in person.say("FloorAgainIntent")
    person.say("AMAZON.StopIntent")
    assert person.say("StartRoutineIntent", routine="hip flexors").startswith("Let's do Hip flexors:")


def test_off_the_floor_just_for_today_is_not_saved_and_next_goes_on(stored_talk, store):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="low back")
    person.say("OffFloorIntent")
    assert HEADING.search(person.say("AMAZON.NextIntent")).group(1) == "2"  # next: on, not asked again
    assert person.last["sessionAttributes"]["position"]["routine"] == "low_back_and_hips_no_floor"
    assert "preferences" not in stored(store, person)
    another = stored_talk()
    another.say("StartRoutineIntent", routine="low back")
    another.say("OffFloorIntent")
    assert another.say("AMAZON.NoIntent").startswith("Okay, just for today.")
    assert "preferences" not in stored(store, another)
    assert another.last["sessionAttributes"]["position"]["routine"] == "low_back_and_hips_no_floor"


def test_too_hard_gives_this_stretch_the_easier_way(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="hips")
    place = person.last["sessionAttributes"]["position"]
    step = steps_of(LIBRARY.routine(place["routine"]))[place["step"]]
    said = person.say("EasierIntent")
    assert re.search(r"An easier way|Let's make it easier", said) and step.stretch.easier.say in said
    assert "Starting now" in said and person.last["sessionAttributes"]["position"] == place


class Clock:
    """Request timestamps a test moves on, as the time a person spends listening."""

    def __init__(self):
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def wait(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def hold_end(person) -> float:
    return person.last["sessionAttributes"]["played"][1]


@pytest.fixture
def timed(stored_talk):
    person = stored_talk()
    person.clock = Clock()
    return person


def test_pausing_after_a_side_played_through_resumes_at_the_other_side(timed):
    person = timed
    person.say("StartRoutineIntent", routine="hips")
    assert HEADING.search(words(person)).group(4) == "left"
    person.clock.wait(hold_end(person) + 5)  # "Release." was said; then "Alexa, pause"
    said = person.say("AMAZON.PauseIntent")
    assert said.startswith("Paused. Next is stretch 1 of") and "right side" in said
    assert HEADING.search(person.say("AMAZON.ResumeIntent")).group(4) == "right"


def test_pausing_mid_hold_resumes_the_same_side(timed):
    person = timed
    person.say("StartRoutineIntent", routine="hips")
    person.clock.wait(hold_end(person) - 10)  # "Alexa, pause" ten seconds before the end
    said = person.say("AMAZON.PauseIntent")
    assert said.startswith("Paused at stretch 1 of") and "left side" in said
    assert HEADING.search(person.say("AMAZON.ResumeIntent")).group(4) == "left"


def test_stopping_after_a_side_played_through_comes_back_at_the_other_side(timed, store):
    person = timed
    person.say("StartRoutineIntent", routine="hips")
    person.clock.wait(hold_end(person) + 5)
    assert "right side" in person.say("AMAZON.StopIntent")
    assert stored(store, person)["position"]["paused"] is True
    person.clock.wait(3600)
    assert "right side" in person.launch()
    assert HEADING.search(person.say("AMAZON.ResumeIntent")).group(4) == "right"


def test_a_session_that_ended_after_a_step_played_comes_back_at_the_next_step(timed):
    person = timed
    person.say("StartRoutineIntent", routine="hips")
    person.clock.wait(hold_end(person) + 16)  # "Release.", then the reprompt went unanswered
    person.end("EXCEEDED_MAX_REPROMPTS")
    person.clock.wait(3600)
    assert HEADING.search(person.say("AMAZON.ResumeIntent")).group(4) == "right"


def test_alexa_exit_mid_hold_comes_back_at_the_same_side(timed):
    person = timed
    person.say("StartRoutineIntent", routine="hips")
    person.clock.wait(5)
    person.end("USER_INITIATED")  # "Alexa, exit" five seconds into the hold
    person.clock.wait(3600)
    assert HEADING.search(person.say("AMAZON.ResumeIntent")).group(4) == "left"


def test_a_pause_cut_short_then_stop_keeps_the_side_that_was_cut_short(timed):
    person = timed
    person.say("StartRoutineIntent", routine="hips")
    person.clock.wait(hold_end(person) - 10)
    assert "left side" in person.say("AMAZON.PauseIntent")
    person.clock.wait(15)
    assert "left side" in person.say("AMAZON.StopIntent")
    assert HEADING.search(person.say("AMAZON.ResumeIntent")).group(4) == "left"


def test_forged_session_attributes_never_break_a_turn(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="hips")
    forged = {
        "familiar": [[1], {"a": 1}, "x"],
        "easier_for": ["x"],
        "played": ["9999-12-31T23:59:59-23:59", 5, 0],
    }
    for key, value in forged.items():
        person.attributes = {**person.attributes, key: value}
        assert "Sorry" not in person.say("AMAZON.PauseIntent")
        assert "Sorry" not in person.say("RedFlagCheckIntent", symptom="my leg has gone numb")
        person.say("AMAZON.StopIntent")
        person.say("StartRoutineIntent", routine="hips")


def test_a_stop_mid_hold_comes_back_at_the_same_side_later(timed):
    person = timed
    person.say("StartRoutineIntent", routine="hips")
    person.clock.wait(5)
    assert "left side" in person.say("AMAZON.StopIntent")
    person.clock.wait(3600)
    assert HEADING.search(person.say("AMAZON.ResumeIntent")).group(4) == "left"


def test_too_hard_makes_the_other_side_easier_too(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="hips")
    person.say("EasierIntent")
    other = person.say("AMAZON.NextIntent")
    place = person.last["sessionAttributes"]["position"]
    step = steps_of(LIBRARY.routine(place["routine"]))[place["step"]]
    assert HEADING.search(other).group(4) == "right" and step.stretch.easier.say in other


def test_less_talking_shortens_the_set_ups_but_never_drops_a_skip_list_not_yet_heard(stored_talk, store):
    routine = LIBRARY.routine("desk_reset")
    person = stored_talk()
    person.say("StartRoutineIntent", routine="desk")
    assert "shorter from now on" in person.say("BriefIntent")
    said = person.say("AMAZON.NextIntent")  # the first stretch's other side
    while "Starting now" in said:
        place = person.last["sessionAttributes"]["position"]
        step = steps_of(routine)[place["step"]]
        assert not any(line.format(side=step.side, other="") in said for line in step.stretch.setup[1:])
        if step.set_number == 1 and step.side in ("left", "both"):  # never heard: still said
            assert SKIP_LIST.search(said) and step.stretch.safety in said and cue_line(step) in said
        said = person.say("AMAZON.NextIntent")
    met = stored(store, person)["met"]
    assert met[routine.stretches[0].id] >= FAMILIAR_AFTER  # heard before "less talking": known
    assert all(met[s.id] < FAMILIAR_AFTER for s in routine.stretches[1:])  # met once, this run


def test_too_easy_offers_longer_holds_never_a_push(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="desk")
    said = person.say("HarderIntent")
    assert "make the holds longer" in said and "comfortable" in said and not person.ended


def test_the_first_step_of_every_session_says_how_to_interrupt_it(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="desk")
    person.say("AMAZON.StopIntent")
    resumed = person.say("AMAZON.ResumeIntent")  # another day, a one-shot resume
    assert "Alexa, stop, or Alexa, that hurts" in resumed
    assert "Alexa, that hurts" not in person.say("AMAZON.NextIntent")  # once a session


def test_next_in_a_new_session_carries_on_from_the_saved_place(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="desk")
    person.say("AMAZON.NextIntent")
    place = HEADING.search(words(person)).groups()
    person.say("AMAZON.StopIntent")
    assert HEADING.search(person.say("AMAZON.NextIntent")).groups() == place  # "ask limber coach to carry on"


def test_a_symptom_said_while_paused_does_not_stop_a_stretch_that_is_not_playing(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="desk")
    person.say("AMAZON.PauseIntent")
    said = person.say("RedFlagCheckIntent", symptom="my leg has gone numb")
    assert said.startswith("Sit or lie down somewhere safe.") and "stop the stretch" not in said.lower()
    said = person.say("RedFlagCheckIntent", symptom="I have a herniated disc")
    assert "stretch there" not in said


def test_i_cant_kneel_after_a_step_played_through_starts_the_next_stretch_off_the_floor(timed):
    person = timed
    person.say("StartRoutineIntent", routine="low back")
    person.clock.wait(hold_end(person) + 5)
    said = person.say("OffFloorIntent")
    assert said.startswith(f"{OFF_FLOOR_LEAD} Stretch 2 of 7:")


def test_one_long_hold_of_a_new_persons_run_carries_one_line_about_back_pain(stored_talk):
    from limber.core.pain_education import hold_lines

    lines = hold_lines()
    assert lines
    person = stored_talk()
    first = run_through(person, "hips")
    carrying = [said for said in first if any(line in said for line in lines)]
    assert len(carrying) == 1  # once per run at most
    timed = carrying[0].split("Starting now.", 1)[1].split("Release.", 1)[0]
    assert any(line in timed for line in lines)  # inside the hold, in place of silence
    for _ in range(FAMILIAR_AFTER):
        run_through(person, "hips")
    assert not any(line in said for said in run_through(person, "hips") for line in lines)


def test_off_the_floor_just_for_today_stays_unsaved_when_another_choice_is_saved(stored_talk, store):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="low back")
    person.say("OffFloorIntent")
    person.say("AMAZON.NoIntent")  # just for today
    person.say("SlowerIntent")
    assert stored(store, person)["preferences"] == {"slower": True}


def test_someone_off_the_floor_is_never_offered_a_floor_routine(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="low back")
    person.say("OffFloorIntent")
    said = person.say("AMAZON.NoIntent")
    while "Starting now" in said:
        said = person.say("SkipStretchIntent")
    assert "skipped most of it" in said
    offered = LIBRARY.routine(person.last["sessionAttributes"]["offer"])
    assert offered.id.endswith("_no_floor")
    started = person.say("AMAZON.YesIntent")
    assert started.startswith(f"Let's do {offered.name}")
    quick = person.say("StartRoutineIntent", routine="a quick back routine")  # the floor is out today
    assert "off the floor" in quick.split(":")[0]


def test_how_do_i_do_this_after_too_hard_gives_the_full_version(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="hips")
    step = steps_of(LIBRARY.routine("hip_flexors"))[0]
    person.say("EasierIntent")
    full = person.say("HowToIntent")
    assert step.stretch.easier.say not in full and step.stretch.setup[1].format(side="left") in full
    person.say("StartRoutineIntent", routine="hips")  # a new run: no longer easier
    assert step.stretch.easier.say not in words(person)


def test_a_wheelchair_user_hears_brakes_on_and_how_to_leave_out_standing_stretches(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="low back")
    said = person.say("WheelchairIntent")
    assert said.startswith(f"{OFF_FLOOR_LEAD} Put your brakes on") and "say skip this one" in said
    menu = stored_talk()
    menu.launch()
    assert "brakes on" in menu.say("WheelchairIntent")


def test_skips_before_a_stop_still_count_for_an_honest_finish_another_day(stored_talk, store):
    person = stored_talk()
    said = person.say("StartRoutineIntent", routine="desk")
    for _ in range(4):
        said = person.say("SkipStretchIntent")
    person.say("AMAZON.StopIntent")
    assert stored(store, person)["position"]["skipped"] == 4
    said = person.say("AMAZON.ResumeIntent")  # another day
    while "Starting now" in said:
        said = person.say("AMAZON.NextIntent")
    assert "skipped most of it" in said


def test_how_do_i_do_this_on_a_second_side_gives_every_line_for_that_side(stored_talk):
    person = stored_talk()
    person.say("StartRoutineIntent", routine="hips")
    person.say("AMAZON.NextIntent")  # the first stretch's right side: only its changed lines
    step = steps_of(LIBRARY.routine("hip_flexors"))[1]
    full = person.say("HowToIntent")
    for line in step.stretch.setup:
        assert line.format(side="right", other="left") in full
    assert step.stretch.safety in full
