"""The shipped stretches and routines, and the schema that guards them.

The first half checks the real files under content/ against the house rules in
content/README.md. The second half copies that tree into tmp_path, breaks one file at a
time and checks the loader refuses it with a message naming file, item and field.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from limber.core.content import (
    MAX_CUE_WORDS,
    ContentError,
    Library,
    Routine,
    Stretch,
    content_dir,
    load_library,
)
from limber.core.routine import steps_of
from limber.core.step_speech import step_speech

REQUIRED_ROUTINES = {
    "hip_flexors": "Hip flexors",
    "low_back_and_hips": "Low back and hips",
    "runners_hips": "Runner's hips",
    "desk_reset": "Desk reset",
}
# Phrases the issue asks for, and the routine each must lead to.
REQUIRED_SYNONYMS = {
    "hips": "hip_flexors",
    "hip flexors": "hip_flexors",
    "hip stretches": "hip_flexors",
    "lower back": "low_back_and_hips",
    "back": "low_back_and_hips",
    "low back": "low_back_and_hips",
    "for runners": "runners_hips",
    "running": "runners_hips",
    "runners": "runners_hips",
    "desk": "desk_reset",
    "sitting": "desk_reset",
    "office": "desk_reset",
}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
PLACEHOLDER = re.compile(r"\{(side|other)\}")
# Characters a speech engine reads out oddly or not at all.
UNSPEAKABLE = re.compile(r"[()\[\]{}&%/\\*#@+=<>\"|~^`_;]|[0-9]")
ABBREVIATION = re.compile(r"\b(e\.g|i\.e|etc|approx|mins?|secs?|reps?|vs|hrs?)(\W|$)", re.I)
SETUP_BUDGET = 400  # characters of set-up text per stretch
STEP_BUDGET = 700  # set-up, feel and safety together
ALEXA_SPEECH_LIMIT = 8000  # characters of outputSpeech SSML Alexa accepts


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(content_dir())


def stretch_files() -> list[Path]:
    return sorted((content_dir() / "stretches").glob("*.toml"))


def routine_files() -> list[Path]:
    return sorted((content_dir() / "routines").glob("*.toml"))


def spoken_fields(stretch: Stretch) -> dict[str, str]:
    """Every piece of a stretch that is read aloud, placeholders removed."""
    fields = {"name": stretch.name, "purpose": stretch.purpose, "feel": stretch.feel,
              "safety": stretch.safety, "cue": PLACEHOLDER.sub("side", stretch.cue)}
    for i, step in enumerate(stretch.setup):
        fields[f"setup {i + 1}"] = PLACEHOLDER.sub("side", step)
    for i, item in enumerate(stretch.skip_if):
        fields[f"skip_if {i + 1}"] = item
    return fields


# --- the shipped content ------------------------------------------------------------------


def test_shipped_content_loads_with_the_four_required_routines(library):
    names = {r.id: r.name for r in library.routines}
    for routine_id, name in REQUIRED_ROUTINES.items():
        assert names.get(routine_id) == name


def test_every_routine_has_five_to_eight_stretches(library):
    for routine in library.routines:
        assert 5 <= len(routine.stretches) <= 8, routine.id


def test_no_routine_repeats_a_stretch(library):
    for routine in library.routines:
        ids = [s.id for s in routine.stretches]
        assert len(ids) == len(set(ids)), routine.id


def test_every_stretch_is_used_by_a_routine_or_as_an_alternative(library):
    used = {s.id for r in library.routines for s in r.stretches}
    used |= {s.alternative for s in library.stretches.values() if s.alternative}
    assert set(library.stretches) - used == set()


def test_synonyms_are_unique_across_routines_and_never_another_routines_name(library):
    owner: dict[str, str] = {}
    for routine in library.routines:
        other_names = {r.name.lower() for r in library.routines if r is not routine}
        for synonym in routine.synonyms:
            key = synonym.strip().lower()
            assert key not in owner, f"{synonym!r} is in {owner.get(key)} and {routine.id}"
            assert key not in other_names, f"{routine.id}: {synonym!r} names another routine"
            assert synonym == synonym.lower(), f"{routine.id}: synonym {synonym!r} not lower case"
            owner[key] = routine.id


def test_the_requested_synonyms_lead_to_the_right_routine(library):
    owner = {s: r.id for r in library.routines for s in r.synonyms}
    for synonym, routine_id in REQUIRED_SYNONYMS.items():
        assert owner.get(synonym) == routine_id, synonym


def test_each_routine_has_several_synonyms(library):
    for routine in library.routines:
        assert len(routine.synonyms) >= 5, routine.id


@pytest.mark.parametrize("path", stretch_files() + routine_files(), ids=lambda p: p.name)
def test_file_name_is_the_snake_case_id(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["id"] == path.stem
    assert SNAKE_CASE.match(path.stem)


@pytest.mark.parametrize("path", stretch_files(), ids=lambda p: p.name)
def test_stretch_files_use_only_known_fields(path):
    # The loader ignores unknown keys, so a typo such as rest_second would silently default.
    known = {f.name for f in dataclasses.fields(Stretch)}
    assert set(tomllib.loads(path.read_text(encoding="utf-8"))) - known == set()


@pytest.mark.parametrize("path", routine_files(), ids=lambda p: p.name)
def test_routine_files_use_only_known_fields(path):
    known = {f.name for f in dataclasses.fields(Routine)}
    assert set(tomllib.loads(path.read_text(encoding="utf-8"))) - known == set()


def test_stretch_names_are_lower_case_as_spoken_mid_sentence(library):
    for stretch in library.stretches.values():
        assert stretch.name == stretch.name.lower(), stretch.id


def test_spoken_text_is_plain_ascii_without_symbols_digits_or_abbreviations(library):
    for stretch in library.stretches.values():
        for field, text in spoken_fields(stretch).items():
            where = f"{stretch.id} {field}: {text!r}"
            assert text.isascii(), where
            assert not UNSPEAKABLE.search(text), where
            assert not ABBREVIATION.search(text), where
    for routine in library.routines:
        for text in (routine.name, routine.summary, *routine.synonyms):
            assert text.isascii() and not UNSPEAKABLE.search(text), f"{routine.id}: {text!r}"


def test_sentences_end_with_a_full_stop_and_skip_reasons_finish_a_sentence(library):
    for stretch in library.stretches.values():
        for text in (stretch.purpose, stretch.feel, stretch.safety, stretch.cue, *stretch.setup):
            assert text.endswith("."), f"{stretch.id}: {text!r}"
        # Spoken after "You should feel", so it names a sensation rather than addressing them.
        assert not re.match(r"(you|feel|it)\b", stretch.feel, re.I), f"{stretch.id}: feel"
        for reason in stretch.skip_if:
            # Read as "Skip it if a; or b." so each reason is a lower-case clause.
            assert reason[0].islower() and not reason.endswith("."), f"{stretch.id}: {reason!r}"
    for routine in library.routines:
        assert routine.summary.endswith("."), routine.id


def test_placeholders_appear_only_in_setup_and_only_on_two_sided_stretches(library):
    for stretch in library.stretches.values():
        for text in (stretch.name, stretch.purpose, stretch.feel, stretch.safety, *stretch.skip_if):
            assert "{" not in text and "}" not in text, stretch.id
        mentions_side = any(PLACEHOLDER.search(step) for step in stretch.setup)
        # A two-sided stretch must say which side; a one-position stretch cannot.
        assert mentions_side == (stretch.sides == ("left", "right")), stretch.id


def test_every_stretch_has_a_short_cue_that_reads_for_each_side(library):
    # Said right after "Stretch 3 of 7: name, left side." to someone who knows the stretch.
    for stretch in library.stretches.values():
        assert stretch.cue, f"{stretch.id}: no cue"
        assert len(stretch.cue.split()) <= MAX_CUE_WORDS, f"{stretch.id}: {stretch.cue!r}"
        assert stretch.cue[0].isupper() or stretch.cue.startswith("{"), stretch.id
        if "{" in stretch.cue:
            assert stretch.sides == ("left", "right"), stretch.id
            left = stretch.cue.format(side="left", other="right")
            right = stretch.cue.format(side="right", other="left")
            assert left != right and "{" not in left + right, stretch.id
    cue = library.stretches["knee_to_chest_stretch"].cue.format(side="left", other="right")
    assert cue == "Hold behind the left thigh, with your right foot down."


def test_setup_is_two_to_five_steps_within_the_speech_budget(library):
    for stretch in library.stretches.values():
        setup = " ".join(stretch.setup)
        assert 2 <= len(stretch.setup) <= 5, stretch.id
        assert len(setup) <= SETUP_BUDGET, f"{stretch.id}: {len(setup)} characters of set-up"
        whole = " ".join([setup, stretch.feel, stretch.safety])
        assert len(whole) <= STEP_BUDGET, f"{stretch.id}: {len(whole)} characters per step"


def test_holds_and_reps_are_in_the_ranges_the_brief_allows(library):
    for stretch in library.stretches.values():
        if stretch.is_timed:
            assert 15 <= stretch.hold_seconds <= 60, stretch.id
        else:
            assert 2 <= stretch.rep_seconds <= 6, stretch.id
        if stretch.sets == 1:
            assert stretch.rest_seconds == 0, f"{stretch.id}: rest without a second set"


def test_figures_taken_from_the_issue(library):
    s = library.stretches
    step_back = s["step_back_overhead_reach"]
    assert (step_back.reps, step_back.sets, step_back.rest_seconds) == (8, 3, 30)
    assert step_back.sides == ("left", "right")
    assert s["hip_hinge"].reps == 10
    assert 15 <= s["standing_quad_stretch"].hold_seconds <= 30
    assert s["reclined_hero_stretch"].hold_seconds >= 30
    assert 35 <= s["wide_legged_forward_fold"].hold_seconds <= 50  # eight to ten breaths
    assert not s["side_lying_hip_swing"].is_timed and not s["cat_cow"].is_timed
    assert not s["glute_bridge"].is_timed


def test_every_stretch_cites_https_sources_once_each(library):
    for stretch in library.stretches.values():
        urls = [source.url for source in stretch.sources]
        assert urls and len(urls) == len(set(urls)), stretch.id
        for source in stretch.sources:
            assert source.url.startswith("https://"), f"{stretch.id}: {source.url}"
            assert " " not in source.url and len(source.title) > 5, stretch.id


def test_every_step_renders_to_speech_alexa_accepts(library):
    for routine in library.routines:
        for index in range(len(steps_of(routine))):
            ssml = step_speech(routine, index, None).ssml()
            assert len(ssml) < ALEXA_SPEECH_LIMIT, f"{routine.id} step {index}: {len(ssml)}"
            assert "{" not in ssml and "}" not in ssml, f"{routine.id} step {index}"


def test_each_side_of_a_two_sided_stretch_names_its_own_side(library):
    routine = library.routine("hip_flexors")
    spoken = {}
    for index, step in enumerate(steps_of(routine)):
        if step.stretch.id == "kneeling_hip_flexor_stretch" and step.set_number == 1:
            spoken[step.side] = step_speech(routine, index, None).ssml()
    assert "Kneel on your left knee" in spoken["left"] and "right foot" in spoken["left"]
    assert "Kneel on your right knee" in spoken["right"] and "left foot" in spoken["right"]


# --- the schema refuses broken files ------------------------------------------------------


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string of ASCII text is a valid TOML basic string
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def dump_toml(data: dict) -> str:
    """Enough TOML for content files: scalars and lists, inline tables for mixed lists."""
    return "".join(f"{key} = {toml_value(value)}\n" for key, value in data.items())


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A writable copy of the shipped content."""
    shutil.copytree(content_dir() / "stretches", tmp_path / "stretches")
    shutil.copytree(content_dir() / "routines", tmp_path / "routines")
    for extra in ("movement.toml", "pain_education.toml"):
        if (content_dir() / extra).exists():
            shutil.copy(content_dir() / extra, tmp_path / extra)
    return tmp_path


def read(tree: Path, kind: str, item_id: str) -> dict:
    return tomllib.loads((tree / kind / f"{item_id}.toml").read_text(encoding="utf-8"))


def write(tree: Path, kind: str, item_id: str, data: dict, *, as_name: str | None = None) -> None:
    (tree / kind / f"{as_name or item_id}.toml").write_text(dump_toml(data), encoding="utf-8")


def refusal(tree: Path) -> str:
    with pytest.raises(ContentError) as caught:
        load_library(tree)
    return str(caught.value)


def break_stretch(tree: Path, stretch_id: str, **changes) -> str:
    """Apply ``changes`` (None deletes a field) to one stretch and return the refusal."""
    data = read(tree, "stretches", stretch_id)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    write(tree, "stretches", stretch_id, data)
    return refusal(tree)


def names_stretch(message: str, stretch_id: str) -> bool:
    return message.startswith(f"stretches/{stretch_id}.toml: stretch '{stretch_id}'")


def test_round_trip_of_the_copy_still_loads(tree):
    # Guards the helpers: rewriting a file unchanged must not break it.
    for stretch_id in ("knee_rolls", "step_back_overhead_reach", "kneeling_hip_flexor_stretch"):
        write(tree, "stretches", stretch_id, read(tree, "stretches", stretch_id))
    write(tree, "routines", "desk_reset", read(tree, "routines", "desk_reset"))
    assert load_library(tree) == load_library(content_dir())


@pytest.mark.parametrize(
    "field", ["name", "cue", "purpose", "setup", "feel", "sides", "safety", "skip_if", "sources"]
)
def test_missing_field_is_named(tree, field):
    message = break_stretch(tree, "knee_to_chest_stretch", **{field: None})
    assert names_stretch(message, "knee_to_chest_stretch")
    assert message.endswith(f"field '{field}' is missing")


def test_missing_id_names_file_and_field(tree):
    message = break_stretch(tree, "childs_pose", id=None)
    assert message == "stretches/childs_pose.toml: stretch: field 'id' is missing"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", 5, "field 'name' must be str, not 5"),
        ("purpose", ["a list"], "field 'purpose' must be str, not ['a list']"),
        ("setup", "Lie down.", "field 'setup' must be list, not 'Lie down.'"),
        ("hold_seconds", "thirty", "field 'hold_seconds' must be int, not 'thirty'"),
        ("hold_seconds", 30.5, "field 'hold_seconds' must be int, not 30.5"),
        ("hold_seconds", True, "field 'hold_seconds' must be int, not True"),
        ("sources", "https://www.nhs.uk/", "field 'sources' must be list"),
        ("skip_if", [1, 2], "field 'skip_if' item 1 must be a non-empty string"),
    ],
)
def test_wrong_type_is_named(tree, field, value, expected):
    message = break_stretch(tree, "childs_pose", **{field: value})
    assert names_stretch(message, "childs_pose")
    assert expected in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", "", "field 'name' is empty"),
        ("feel", "   ", "field 'feel' is empty"),
        ("setup", ["Lie on your back.", " "], "field 'setup' item 2 must be a non-empty string"),
        ("skip_if", [], "field 'skip_if' needs at least 1 item(s)"),
        ("sources", [], "field 'sources' needs at least one source"),
    ],
)
def test_empty_values_are_named(tree, field, value, expected):
    message = break_stretch(tree, "pelvic_tilt", **{field: value})
    assert names_stretch(message, "pelvic_tilt")
    assert message.endswith(expected)


def test_hold_and_reps_together_are_refused(tree):
    message = break_stretch(tree, "knee_rolls", hold_seconds=30)  # knee_rolls already has reps
    assert names_stretch(message, "knee_rolls")
    assert "'hold_seconds' or 'reps' is required (exactly one)" in message


def test_neither_hold_nor_reps_is_refused(tree):
    message = break_stretch(tree, "childs_pose", hold_seconds=None)
    assert names_stretch(message, "childs_pose")
    assert "'hold_seconds' or 'reps' is required (exactly one)" in message


@pytest.mark.parametrize(
    "sides", [["left"], ["right", "left"], ["both", "left"], ["up"], ["left", "right", "both"]]
)
def test_bad_sides_are_refused(tree, sides):
    message = break_stretch(tree, "seated_twist", sides=sides)
    assert names_stretch(message, "seated_twist")
    assert "field 'sides' must be [\"left\", \"right\"] or [\"both\"]" in message


def test_empty_sides_list_is_refused(tree):
    message = break_stretch(tree, "seated_twist", sides=[])
    assert names_stretch(message, "seated_twist")
    assert "field 'sides' needs at least 1 item(s)" in message


@pytest.mark.parametrize(
    "step", ["Turn to your {sid}.", "Turn to your {0}.", "Turn to your {side.", "Turn {}."]
)
def test_bad_placeholder_is_refused(tree, step):
    message = break_stretch(tree, "seated_twist", setup=["Sit tall.", step])
    assert names_stretch(message, "seated_twist")
    assert "field 'setup' has a bad placeholder" in message


@pytest.mark.parametrize(
    ("stretch_id", "cue", "expected"),
    [
        ("childs_pose", "Sit back only as far as feels easy, and keep breathing slowly and softly.",
         "field 'cue' has 14 words, at most 12"),
        ("childs_pose", "Sit back only as far as feels easy", "field 'cue' must end with a full stop"),
        ("childs_pose", "Hold it for 10 breaths.", "field 'cue' must be plain ASCII words, no digits"),
        ("childs_pose", "Reach your {side} arm.", "field 'cue' uses {side} but the stretch has no sides"),
        ("seated_twist", "Turn to the {sid}.", "field 'cue' has a bad placeholder"),
        ("seated_twist", "Turn to the {side.", "field 'cue' has a bad placeholder"),
        ("seated_twist", "   ", "field 'cue' is empty"),
    ],
)
def test_a_bad_cue_is_refused_with_what_is_wrong(tree, stretch_id, cue, expected):
    message = break_stretch(tree, stretch_id, cue=cue)
    assert names_stretch(message, stretch_id)
    assert expected in message, message


def test_side_placeholder_on_a_one_position_stretch_is_refused(tree):
    message = break_stretch(tree, "childs_pose", setup=["Kneel.", "Reach your {side} arm forward."])
    assert names_stretch(message, "childs_pose")
    assert "field 'setup' uses {side} but the stretch has no sides" in message


@pytest.mark.parametrize(
    ("stretch_id", "field", "value", "bounds"),
    [
        ("childs_pose", "hold_seconds", 4, "5..120"),
        ("childs_pose", "hold_seconds", 121, "5..120"),
        ("childs_pose", "hold_seconds", -30, "5..120"),
        ("knee_rolls", "reps", 0, "1..30"),
        ("knee_rolls", "reps", 31, "1..30"),
        ("knee_rolls", "rep_seconds", 1, "2..6"),
        ("knee_rolls", "rep_seconds", 7, "2..6"),
        ("step_back_overhead_reach", "sets", 0, "1..5"),
        ("step_back_overhead_reach", "sets", 6, "1..5"),
        ("step_back_overhead_reach", "rest_seconds", -1, "0..60"),
        ("step_back_overhead_reach", "rest_seconds", 61, "0..60"),
    ],
)
def test_out_of_range_numbers_are_refused(tree, stretch_id, field, value, bounds):
    message = break_stretch(tree, stretch_id, **{field: value})
    assert names_stretch(message, stretch_id)
    assert message.endswith(f"field '{field}' is {value}, outside {bounds}")


def test_numbers_at_the_edges_of_each_range_are_accepted(tree):
    data = read(tree, "stretches", "step_back_overhead_reach")
    for field, edges in {"reps": (1, 30), "rep_seconds": (2, 6), "sets": (1, 5),
                         "rest_seconds": (0, 60)}.items():
        for edge in edges:
            write(tree, "stretches", "step_back_overhead_reach", {**data, field: edge})
            loaded = load_library(tree).stretches["step_back_overhead_reach"]
            assert getattr(loaded, field) == edge


def test_source_that_is_not_a_table_is_refused(tree):
    message = break_stretch(tree, "glute_bridge", sources=["https://www.nhs.uk/"])
    assert names_stretch(message, "glute_bridge")
    assert "sources item 1 must be a table with title and url" in message


def test_source_without_url_is_refused(tree):
    message = break_stretch(tree, "glute_bridge", sources=[{"title": "NHS: Back pain"}])
    assert names_stretch(message, "glute_bridge")
    assert message.endswith("sources item 1: field 'url' is missing")


@pytest.mark.parametrize("kind", ["stretches", "routines"])
def test_invalid_toml_names_the_file(tree, kind):
    item_id = "knee_rolls" if kind == "stretches" else "desk_reset"
    (tree / kind / f"{item_id}.toml").write_text('id = "knee_rolls"\nname = \n', encoding="utf-8")
    message = refusal(tree)
    assert f"{item_id}.toml" in message and "not valid TOML" in message


def test_a_copied_stretch_cannot_reuse_the_id(tree):
    # Ids must match file names, so two files can never share an id.
    data = read(tree, "stretches", "knee_rolls")
    write(tree, "stretches", "knee_rolls", data, as_name="zz_knee_rolls_copy")
    message = refusal(tree)
    assert message == (
        "stretches/zz_knee_rolls_copy.toml: stretch 'knee_rolls': "
        "field 'id' must match the file name 'zz_knee_rolls_copy'"
    )


def test_a_copied_routine_cannot_reuse_the_id(tree):
    data = read(tree, "routines", "desk_reset")
    write(tree, "routines", "desk_reset", data, as_name="zz_desk_copy")
    message = refusal(tree)
    assert message == (
        "routines/zz_desk_copy.toml: routine 'desk_reset': field 'id' must match the file name 'zz_desk_copy'"
    )


def test_unknown_field_is_refused(tree):
    data = read(tree, "stretches", "knee_rolls")
    data["rest_second"] = 30
    write(tree, "stretches", "knee_rolls", data)
    assert refusal(tree) == (
        "stretches/knee_rolls.toml: stretch 'knee_rolls': field 'rest_second' is not a known field"
    )


def test_two_sided_stretch_must_name_the_side(tree):
    data = read(tree, "stretches", "kneeling_hip_flexor_stretch")
    data["setup"] = [line.replace("{side}", "left").replace("{other}", "right") for line in data["setup"]]
    write(tree, "stretches", "kneeling_hip_flexor_stretch", data)
    assert refusal(tree).endswith("field 'setup' must say which side with {side}")


def test_a_synonym_shared_by_two_routines_is_refused(tree):
    data = read(tree, "routines", "desk_reset")
    data["synonyms"] = [*data["synonyms"], "hips"]
    write(tree, "routines", "desk_reset", data)
    message = refusal(tree)
    assert "field 'synonyms' shares ['hips']" in message


def test_unknown_stretch_in_a_routine_is_named(tree):
    data = read(tree, "routines", "desk_reset")
    data["stretches"] = [*data["stretches"][:5], "no_such_stretch"]
    write(tree, "routines", "desk_reset", data)
    message = refusal(tree)
    assert message.startswith("routines/desk_reset.toml: routine 'desk_reset'")
    assert message.endswith("field 'stretches' names unknown stretch(es) ['no_such_stretch']")


@pytest.mark.parametrize("count", [4, 9])
def test_routine_with_too_few_or_too_many_stretches_is_refused(tree, count):
    data = read(tree, "routines", "low_back_and_hips")
    pool = sorted(load_library(content_dir()).stretches)
    data["stretches"] = pool[:count]
    write(tree, "routines", "low_back_and_hips", data)
    message = refusal(tree)
    assert message.startswith("routines/low_back_and_hips.toml: routine 'low_back_and_hips'")
    assert message.endswith(f"field 'stretches' has {count} items, needs 5 to 8")


@pytest.mark.parametrize("field", ["name", "summary", "synonyms", "stretches"])
def test_routine_missing_field_is_named(tree, field):
    data = read(tree, "routines", "runners_hips")
    del data[field]
    write(tree, "routines", "runners_hips", data)
    message = refusal(tree)
    assert message == f"routines/runners_hips.toml: routine 'runners_hips': field '{field}' is missing"


def test_folder_without_routines_is_refused(tree):
    shutil.rmtree(tree / "routines")
    (tree / "routines").mkdir()
    assert refusal(tree) == f"{tree}: no routines found under routines/"


def test_a_skip_reason_said_twice_is_refused(tree):
    data = read(tree, "stretches", "childs_pose")
    data["skip_if"] = [*data["skip_if"], "you mustn't bend a replaced hip at all, even kneeling"]
    write(tree, "stretches", "childs_pose", data)
    message = refusal(tree)
    assert names_stretch(message, "childs_pose")
    assert "field 'skip_if' items 2 and 4 both begin 'you mustn't bend a replaced hip'" in message


def test_a_stretch_in_an_unknown_position_is_refused(tree):
    message = break_stretch(tree, "pelvic_tilt", position="upside_down")
    assert names_stretch(message, "pelvic_tilt")
    assert "field 'position' is 'upside_down', not one of: chair, " in message


def test_set_up_moves_must_match_the_lines_and_name_known_moves(tree):
    message = break_stretch(tree, "pelvic_tilt", setup_moves=["", "turn_over"])
    assert message.endswith("field 'setup_moves' has 2 items for 3 set-up lines")
    message = break_stretch(tree, "pelvic_tilt", setup_moves=["", "cartwheel", ""])
    assert message.endswith("field 'setup_moves' item 2 is 'cartwheel', not a move")


def test_movement_table_is_required_and_checked(tree):
    path = tree / "movement.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('move = "turn_over"', 'move = "somersault"'), encoding="utf-8")
    assert "field 'move' is 'somersault', not a move" in refusal(tree)
    path.unlink()
    assert refusal(tree) == f"{tree}: movement.toml is missing"


def test_a_routine_starting_in_an_unknown_position_is_refused(tree):
    data = read(tree, "routines", "desk_reset")
    data["starts_in"] = "sofa"
    write(tree, "routines", "desk_reset", data)
    assert refusal(tree).endswith("field 'starts_in' is 'sofa', not a position in movement.toml")


def test_every_stretch_names_its_position(library):
    for stretch in library.stretches.values():
        assert stretch.position in library.movement.places, stretch.id


# --- a way for every body -------------------------------------------------------------------


def on_the_floor(library, stretch) -> bool:
    return library.movement.places[stretch.position].group == "floor"


def test_every_stretch_has_an_easier_version_with_its_source(library):
    for stretch in library.stretches.values():
        easier = stretch.easier
        assert easier is not None, stretch.id
        assert easier.say.isascii() and not UNSPEAKABLE.search(easier.say), stretch.id
        assert easier.say.endswith(".") and len(easier.say) <= 160, stretch.id
        assert easier.sources and all(s.url.startswith("https://") for s in easier.sources), stretch.id
        if easier.hold_seconds:
            assert stretch.hold_seconds and easier.hold_seconds <= stretch.hold_seconds, stretch.id
        if easier.reps:
            assert stretch.reps and easier.reps <= stretch.reps, stretch.id


def test_every_floor_or_kneeling_stretch_has_a_chair_or_standing_alternative(library):
    for stretch in library.stretches.values():
        if on_the_floor(library, stretch):
            alternative = stretch.alternative_stretch
            assert alternative is not None, stretch.id
            assert not on_the_floor(library, alternative), stretch.id
            assert alternative.sources and alternative.easier, stretch.id


def test_every_routine_has_a_no_floor_version_that_loads(library):
    for routine in library.routines:
        no_floor = library.variant(routine.id, "no_floor")
        assert no_floor is library.routine(f"{routine.id}_no_floor")
        assert len(no_floor.stretches) == len(routine.stretches)
        assert not any(on_the_floor(library, s) for s in no_floor.stretches), no_floor.id
        assert len({s.id for s in no_floor.stretches}) == len(no_floor.stretches)
        assert no_floor.name.startswith(routine.name) and no_floor not in library.routines


def minutes_of(routine) -> float:
    return sum(step_speech(routine, i, None).estimated_seconds for i in range(len(steps_of(routine)))) / 60


def test_every_routine_has_a_quick_version_of_about_five_minutes(library):
    for routine in library.routines:
        quick = library.variant(routine.id, "quick")
        assert quick is library.routine(f"{routine.id}_quick")
        assert 2 <= len(quick.stretches) < len(routine.stretches)
        assert {s.id for s in quick.stretches} <= {s.id for s in routine.stretches}
        assert all(s.sets == 1 for s in quick.stretches)
        assert 3.5 <= minutes_of(quick) <= 6.0, f"{quick.id}: {minutes_of(quick):.1f} minutes"
        assert minutes_of(quick) < minutes_of(routine)


def test_a_floor_stretch_without_an_alternative_is_refused(tree):
    message = break_stretch(tree, "pelvic_tilt", alternative=None)
    assert names_stretch(message, "pelvic_tilt")
    assert message.endswith("field 'alternative' is missing: a floor stretch needs a chair or standing one")


def test_an_alternative_on_the_floor_too_is_refused(tree):
    message = break_stretch(tree, "pelvic_tilt", alternative="knee_rolls")
    assert message.endswith("field 'alternative' 'knee_rolls' is on the floor too")


def test_a_stretch_without_an_easier_version_is_refused(tree):
    message = break_stretch(tree, "hip_hinge", easier=None)
    assert message.endswith("field 'easier' is missing")
    message = break_stretch(tree, "hip_hinge", easier={"say": "Go gently.", "sources": []})
    assert message.endswith("easier: field 'sources' needs at least one source")


def test_a_quick_version_must_come_from_the_routine(tree):
    data = read(tree, "routines", "desk_reset")
    data["quick"] = ["seated_twist", "camel_stretch"]
    write(tree, "routines", "desk_reset", data)
    assert refusal(tree).endswith("field 'quick' names ['camel_stretch'], not in the routine's stretches")
