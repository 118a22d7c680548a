"""What a routine says once: its length and how to interrupt at the start, the way back with
the invocation name when pausing or stopping, the exact place on resume, an honest finish."""

from __future__ import annotations

import re

from limber.core import coaching
from limber.core.content import default_library
from limber.core.routine import Position, steps_of
from limber.core.state import State
from limber.core.step_speech import routine_minutes
from limber.core.timing import number_word

LIBRARY = default_library()
COME_BACK = "Alexa, ask limber coach to resume"


def test_the_start_says_how_long_and_that_stop_and_that_hurts_work_while_i_talk(talk):
    for routine in LIBRARY.routines:
        said = talk().say("StartRoutineIntent", routine=routine.name)
        assert f"about {number_word(routine_minutes(routine))} minutes" in said
        assert "Alexa, stop" in said and "Alexa, that hurts" in said
        assert said.index("Alexa, that hurts") < said.index("Stretch 1 of")


def test_pause_says_how_to_come_back_once_the_session_has_closed(talk):
    person = talk()
    person.say("StartRoutineIntent", routine="hips")
    paused = person.say("AMAZON.PauseIntent")
    assert paused.startswith("Paused at stretch 1 of 7, left side.")
    assert COME_BACK in paused and not person.ended
    assert COME_BACK in person.last["response"]["reprompt"]["outputSpeech"]["ssml"]


def test_stop_names_the_invocation_and_the_exact_place(talk):
    person = talk()
    person.say("StartRoutineIntent", routine="hips")
    said = person.say("AMAZON.StopIntent")
    assert "stopping at stretch 1 of 7 of Hip flexors, left side." in said and COME_BACK in said
    assert person.ended
    assert "open limber coach" in talk().say("AMAZON.StopIntent")


def test_resume_returns_to_the_exact_side_and_set(talk):
    person = talk()
    person.say("StartRoutineIntent", routine="hips")
    routine = LIBRARY.routine("hip_flexors")
    target = next(i for i, s in enumerate(steps_of(routine)) if s.side == "right" and s.set_number == 2)
    for _ in range(target):
        said = person.say("AMAZON.NextIntent")
    assert ", right side." in said and "Set two of three." in said
    assert "set two of three" in person.say("AMAZON.PauseIntent")
    person.say("AMAZON.StopIntent")
    resumed = person.say("AMAZON.ResumeIntent")  # a new session: "ask limber coach to resume"
    assert re.search(r"Stretch 2 of 7: [^.]*, right side\. Set two of three\.", resumed)


def last_step(routine) -> int:
    return len(steps_of(routine)) - 1


def test_a_finish_after_skipping_most_is_honest_and_not_counted():
    routine = LIBRARY.routine("low_back_and_hips")
    state = State(position=Position(routine.id, last_step(routine), skipped=6))
    reply = coaching.finish(LIBRARY, state, routine)
    said = reply.speech.body()
    assert "Well done" not in said and "skipped most of it" in said
    assert "Quick low back and hips" in said and reply.state.offer == "low_back_and_hips_quick"
    assert not any(e.startswith("completed:") for e in reply.events)
    full = coaching.finish(LIBRARY, State(position=Position(routine.id, last_step(routine))), routine)
    assert "Well done! You've finished Low back and hips." in full.speech.body()
    assert "completed:low_back_and_hips" in full.events


def test_after_a_routine_off_the_floor_the_offer_stays_off_the_floor(talk):
    person = talk()
    person.say("StartRoutineIntent", routine="desk")
    while "last one" not in person.transcript[-1][1]:
        person.say("AMAZON.NextIntent")
    offered = re.search(r"Would you like to do (.+?) next\?", person.say("AMAZON.NextIntent")).group(1)
    routine = next(r for r in [*LIBRARY.routines, *LIBRARY.variants.values()] if r.name == offered)
    assert routine.id != "desk_reset"
    assert all(LIBRARY.movement.places[s.position].group != "floor" for s in routine.stretches)
    started = person.say("AMAZON.YesIntent")
    assert f"Let's do {offered}" in started and "Stretch 1 of" in started


def test_a_place_in_a_no_floor_or_quick_version_works_like_any_other(talk):
    from alexa import envelope, intent_request, speech_text
    from alexa_rules import check_response

    for kind in ("no_floor", "quick"):
        routine = LIBRARY.variant("low_back_and_hips", kind)
        attributes = {"position": {"routine": routine.id, "step": 0, "paused": False}}
        person = talk()
        person.attributes, person.new = attributes, False
        said = person.say("AMAZON.NextIntent")
        step = steps_of(routine)[1]
        assert f"Stretch {step.stretch_number} of {len(routine.stretches)}: {step.stretch.name}" in said
        person.say("AMAZON.StopIntent")
        assert f"Stretch {step.stretch_number} of" in person.say("AMAZON.ResumeIntent")  # from storage
    event = envelope(intent_request("AMAZON.NextIntent"), new=False,
                     session_attributes={"position": {"routine": "desk_reset_quick", "step": 99}})
    assert speech_text(check_response(talk().handler(event, None)))


def test_skipping_most_of_a_routine_by_voice_gets_the_honest_finish(talk):
    """Skips are counted in the place as the person says them, across turns, so the finish
    knows; a finished run without skips still gets its praise."""
    person = talk()
    person.launch()
    person.say("StartRoutineIntent", routine="desk")
    routine = LIBRARY.routine("desk_reset")
    said = ""
    for _ in range(len(routine.stretches)):
        said = person.say("SkipStretchIntent")
    assert "skipped most of it" in said and "Well done" not in said
    summary = person.say("ProgressIntent")
    assert "haven't finished a routine" in summary  # a run that was mostly skipped isn't counted
    person = talk()
    person.launch()
    person.say("StartRoutineIntent", routine="desk")
    person.say("SkipStretchIntent")  # one skip, then the rest done
    for _ in range(60):
        said = person.say("AMAZON.NextIntent")
        if "finished" in said or "skipped" in said:
            break
    assert "Well done" in said and "skipped most" not in said
