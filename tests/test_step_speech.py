"""What a step says: each thing once, only what changes, and never the same sentence twice in a row."""

from __future__ import annotations

import re

import pytest

from limber.core.content import default_library
from limber.core.routine import steps_of
from limber.core.step_speech import (
    SKIP_LEADS,
    heading,
    same_place,
    setup_lines,
    skip_reasons,
    spoken_setup,
    step_reprompt,
    step_speech,
    variant_speech,
)

LIBRARY = default_library()
SKIP = re.compile("|".join(re.escape(lead) for lead in SKIP_LEADS))
# Sentences that are meant to recur: the hold's anchors and counts, and the required heading.
ANCHORS = re.compile(
    r"^(Starting now|Release|Rest over|Rest for \d+ seconds|One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten"
    r"|Eleven|Twelve|Stretch \d+ of \d+:.*)\.$"
)


def said(routine, index, *, again=False) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", step_speech(routine, index, None, again=again).ssml()).split())


def sentences(text: str) -> set[str]:
    parts = re.split(r"(?<=[.?!])\s+", text)
    return {p for p in parts if p and not ANCHORS.match(p)}


ROUTINES = pytest.mark.parametrize("routine", LIBRARY.routines, ids=lambda r: r.id)


@ROUTINES
def test_who_should_skip_is_said_once_per_stretch_before_its_first_side(routine):
    for index, step in enumerate(steps_of(routine)):
        text = said(routine, index)
        first = step.set_number == 1 and step.side in ("left", "both")
        assert bool(SKIP.search(text)) == first, f"{routine.id} step {index}: {text[:120]}"
        if first:
            assert text.index(SKIP.search(text).group(0)) < text.index("Starting now.")
        assert not SKIP.search(said(routine, index, again=True)), "a repeat or resume says it again"


@ROUTINES
def test_skip_reasons_are_never_repeated(routine):
    for stretch in routine.stretches:
        reasons = skip_reasons(routine, stretch)
        assert len(reasons) == len(set(reasons))
        openings = [" ".join(r.split()[:6]) for r in reasons]
        assert len(openings) == len(set(openings)), f"{stretch.id}: {openings}"


def test_an_explanation_already_given_in_the_routine_is_not_given_again():
    routine = LIBRARY.routine("low_back_and_hips")
    spoken = " ".join(said(routine, i) for i in range(len(steps_of(routine))))
    assert spoken.count("lying on your back for long can make you faint") == 1
    assert spoken.count("over sixteen weeks pregnant") >= 4  # still named for each of those stretches


@ROUTINES
def test_both_sides_is_never_said_and_a_side_only_where_there_are_two(routine):
    for index, step in enumerate(steps_of(routine)):
        text = said(routine, index)
        assert "both sides" not in text
        assert text.startswith(heading(routine, step))
        has_side = re.match(r"Stretch \d+ of \d+: [^.]*, (left|right) side\.", text)
        assert bool(has_side) == (step.side != "both"), text[:80]


@ROUTINES
def test_later_sets_and_second_sides_say_only_what_changes(routine):
    for index, step in enumerate(steps_of(routine)):
        text = said(routine, index)
        lines = setup_lines(step)
        if step.set_number > 1:
            assert not any(line in text for line in lines), f"{routine.id} step {index} repeats its set-up"
        elif step.side == "right":
            unchanged = [line for line, raw in zip(lines, step.stretch.setup, strict=True) if "{" not in raw]
            assert not any(line in text for line in unchanged)
            assert spoken_setup(step) and all(line in text for line in spoken_setup(step))
            assert step.stretch.safety not in text  # said with the first side
        else:
            assert all(line in text for line in lines)
            assert step.stretch.safety in text


@ROUTINES
def test_consecutive_steps_never_say_the_same_sentence(routine):
    steps = steps_of(routine)
    for index in range(len(steps) - 1):
        shared = sentences(said(routine, index)) & sentences(said(routine, index + 1))
        assert not shared, f"{routine.id} steps {index} and {index + 1} both say {shared}"


@ROUTINES
def test_reprompts_fit_the_moment_and_vary(routine):
    steps = steps_of(routine)
    prompts = [step_reprompt(routine, i) for i in range(len(steps))]
    for index, prompt in enumerate(prompts):
        if index == len(steps) - 1:
            assert "finish" in prompt
            continue
        following = steps[index + 1]
        if following.stretch_number == steps[index].stretch_number and following.set_number == 1:
            assert f"{following.side} side" in prompt
        elif following.stretch_number == steps[index].stretch_number:
            assert "set" in prompt
        assert "next" in prompt.lower()
    assert all(a != b for a, b in zip(prompts, prompts[1:], strict=False))


# --- through the real handler ----------------------------------------------------------------


def test_repeat_and_resume_do_not_read_the_skip_list_again(talk):
    person = talk()
    first = person.say("StartRoutineIntent", routine="low back")
    assert SKIP.search(first)
    assert not SKIP.search(person.say("AMAZON.RepeatIntent"))
    person.say("AMAZON.PauseIntent")
    assert not SKIP.search(person.say("AMAZON.ResumeIntent"))
    # Moving on to a new stretch does say who should skip that one.
    assert SKIP.search(person.say("AMAZON.NextIntent"))



# --- the easier version and the alternative --------------------------------------------------


def test_the_easier_version_says_what_changes_and_keeps_the_place():
    routine = LIBRARY.routine("hip_flexors")
    index = next(i for i, s in enumerate(steps_of(routine)) if s.stretch.id == "kneeling_hip_flexor_stretch")
    step = steps_of(routine)[index]
    text = " ".join(re.sub(r"<[^>]+>", " ", variant_speech(routine, index, None, "easier").ssml()).split())
    assert text.startswith(heading(routine, step))
    assert step.stretch.easier.say in text and "Starting now." in text
    assert text.endswith("Say next for the right side.")
    assert not SKIP.search(text) and setup_lines(step)[0] not in text  # they have just heard those


def test_the_alternative_is_off_the_floor_with_its_own_safety_and_skip_list():
    routine = LIBRARY.routine("low_back_and_hips")
    for index, step in enumerate(steps_of(routine)):
        speech = variant_speech(routine, index, None, "alternative")
        other = step.stretch.alternative_stretch
        text = " ".join(re.sub(r"<[^>]+>", " ", speech.ssml()).split())
        assert f"Stretch {step.stretch_number} of 7: {other.name}" in text
        assert SKIP.search(text) and other.safety in text and setup_lines_of(other)[0] in text
        assert "hold_start" in speech.marks and "hold_end" in speech.marks
        if step.side == "both" and other.sides == ("left", "right"):  # knee rolls become a seated twist
            assert text.count("Starting now.") == 2 and "Now the other side." in text
    assert variant_speech(LIBRARY.routine("desk_reset"), 0, None, "alternative") is None  # already on a chair
    with pytest.raises(ValueError):
        variant_speech(routine, 0, None, "harder")


def setup_lines_of(stretch):
    return [line.format(side="left", other="right") for line in stretch.setup]


@ROUTINES
def test_same_place_moves_between_a_routine_and_its_versions(routine):
    no_floor = LIBRARY.variant(routine.id, "no_floor")
    quick = LIBRARY.variant(routine.id, "quick")
    for index, step in enumerate(steps_of(routine)):
        there = steps_of(no_floor)[same_place(routine, index, no_floor)]
        assert there.stretch_number == step.stretch_number
        if step.side != "both" and there.stretch.sides == step.stretch.sides:
            assert there.side == step.side
        back = same_place(no_floor, same_place(routine, index, no_floor), routine)
        assert steps_of(routine)[back].stretch_number == step.stretch_number
        in_quick = steps_of(quick)[same_place(routine, index, quick)]
        quick_ids = [s.id for s in quick.stretches]
        if step.stretch.id in quick_ids:
            assert in_quick.stretch.id == step.stretch.id


@ROUTINES
def test_what_to_feel_is_said_once_per_stretch_before_the_hold(routine):
    for index, step in enumerate(steps_of(routine)):
        text = said(routine, index)
        phrase = step.stretch.feel[1:]  # the lead-in wording varies; the phrase itself does not
        first = step.set_number == 1 and step.side in ("left", "both")
        assert (phrase in text) == first, f"{routine.id} step {index}"
        if first:
            assert text.index(phrase) < text.index("Starting now.")


@pytest.mark.parametrize("routine", default_library().routines, ids=lambda r: r.id)
def test_a_hold_carrying_a_line_is_still_exactly_as_long(routine):
    from limber.core.pain_education import hold_lines
    from limber.core.routine import hold_for
    from limber.core.step_speech import hold_line_step

    index = hold_line_step(routine, None)
    assert index is not None
    hold = hold_for(steps_of(routine)[index].stretch, None)
    for line in hold_lines():
        speech = step_speech(routine, index, None, hold_line=line)
        assert line in speech.ssml()
        assert speech.marks["hold_end"] - speech.marks["hold_start"] == pytest.approx(hold, abs=0.05)


@pytest.mark.parametrize("routine", default_library().routines, ids=lambda r: r.id)
def test_a_familiar_step_keeps_the_quiet_of_every_move_and_drops_the_words(routine):
    for index in range(len(steps_of(routine))):
        full, short = step_speech(routine, index, None), step_speech(routine, index, None, familiar=True)
        quiet = lambda s: sum(int(ms) for ms in re.findall(r'time="(\d+)ms"', s.ssml()))  # noqa: E731
        assert quiet(short) == pytest.approx(quiet(full), abs=2)
        assert len(short.ssml()) <= len(full.ssml())
        assert short.marks["hold_end"] - short.marks["hold_start"] == pytest.approx(
            full.marks["hold_end"] - full.marks["hold_start"], abs=0.01
        )
