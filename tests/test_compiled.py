"""Content precompiled at build time (limber.core.compiled): the same objects as the TOML gives,
used only while it matches the content and the code, and a build that stops on bad content."""

from __future__ import annotations

import dataclasses
import pickle
import re
import shutil
import sys
from pathlib import Path

import pytest

import build  # scripts/ is on pytest's path (pyproject)
from limber.core import compiled
from limber.core.content import ContentError
from limber.core.hearing import read

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def content(tmp_path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    return folder


@pytest.fixture
def precompiled(content) -> Path:
    compiled.write(content)
    yield content
    compiled._read.cache_clear()


def from_toml(folder: Path, kind: str):
    return compiled.loaders(folder)[kind]()


def never():
    raise AssertionError("the TOML was loaded although the precompiled file is current")


def differences(a, b, path="") -> list[str]:
    """Field by field, including fields left out of __eq__ (compiled patterns), down to the
    leaves; [] when ``a`` and ``b`` are the same."""
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} vs {type(b).__name__}"]
    if dataclasses.is_dataclass(a):
        found = []
        for f in dataclasses.fields(a):
            if f.name == "memo":  # Rules.memo: a cache filled while screening, empty when loaded
                assert getattr(a, f.name) == getattr(b, f.name) == {}
                continue
            found += differences(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
        return found
    if isinstance(a, dict):
        if list(a) != list(b):
            return [f"{path}: keys {list(a)} vs {list(b)}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}[{k!r}]")]
    if isinstance(a, (tuple, list)):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, re.Pattern):
        # Pattern equality compares the engine's compiled program too, not only the text.
        facts = [(p.pattern, p.flags, p.groups, p.groupindex) for p in (a, b)]
        same = a == b and facts[0] == facts[1]
        return [] if same else [f"{path}: pattern differs"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


@pytest.mark.parametrize("kind", compiled.KINDS)
def test_precompiled_objects_are_the_ones_the_toml_gives_field_by_field(precompiled, kind):
    loaded = compiled.load(kind, precompiled, never)
    assert compiled.source(kind, precompiled) == "precompiled"
    expected = from_toml(precompiled, kind)
    assert differences(loaded, expected) == []
    assert loaded == expected


def test_precompiled_library_keeps_what_the_loader_shares(precompiled):
    library = compiled.load("library", precompiled, never)
    assert all(r.movement is library.movement for r in library.routines)
    for stretch in library.stretches.values():
        if stretch.alternative:
            assert stretch.alternative_stretch is library.stretches[stretch.alternative]


def test_precompiled_lexicon_hears_symptoms_as_the_toml_one_does(precompiled):
    precompiled_lexicon = compiled.load("lexicon", precompiled, never)
    toml_lexicon = from_toml(precompiled, "lexicon")
    said = ["my leg's gone numb", "I can't feel my bum when I wipe", "my back hurts a bit", "next",
            "i wet myself and my legs are weak", "my little girl has a sore back"]  # fmt: skip
    for words in said:
        assert read(words, precompiled_lexicon) == read(words, toml_lexicon), words
    assert read(said[0], precompiled_lexicon).signs  # the phrases do hear something


def test_a_content_edit_after_the_build_loads_the_toml(precompiled):
    stretch = next((precompiled / "stretches").glob("*.toml"))
    text = stretch.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^name = "([^"]*)"', r'name = "\1 again"', text, count=1)
    stretch.write_text(text, encoding="utf-8")
    compiled._read.cache_clear()
    library = compiled.load("library", precompiled, lambda: from_toml(precompiled, "library"))
    assert compiled.source("library", precompiled) == "toml"
    assert any(s.name.endswith(" again") for s in library.stretches.values())


def test_a_content_file_added_after_the_build_loads_the_toml(precompiled):
    routines = sorted((precompiled / "routines").glob("*.toml"))
    shutil.copy(routines[0], precompiled / "routines" / "zz_copy.toml")
    compiled._read.cache_clear()
    assert compiled.load("library", precompiled, lambda: "from toml") == "from toml"


def test_a_loader_edited_after_the_build_loads_the_toml(content, tmp_path, monkeypatch):
    package = tmp_path / "limber"
    shutil.copytree(compiled.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(compiled, "PACKAGE", package)
    compiled.write(content)
    compiled._read.cache_clear()
    assert compiled.load("rules", content, never) is not None
    rules_source = package / "core" / "triage" / "rules.py"
    rules_source.write_text(rules_source.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    compiled._read.cache_clear()
    assert compiled.load("rules", content, lambda: "from toml") == "from toml"
    compiled._read.cache_clear()


def test_a_file_from_another_python_loads_the_toml(precompiled, monkeypatch):
    monkeypatch.setattr(compiled, "runtime_tag", lambda: "cpython-399 sre 1 pickle 5")
    compiled._read.cache_clear()
    assert compiled.load("topics", precompiled, lambda: "from toml") == "from toml"
    assert compiled.source("topics", precompiled) == "toml"


def test_a_truncated_file_loads_the_toml(precompiled):
    path = precompiled / compiled.FILE
    path.write_bytes(path.read_bytes()[:1000])
    compiled._read.cache_clear()
    assert compiled.load("library", precompiled, lambda: "from toml") == "from toml"


def test_a_damaged_kind_in_a_current_file_says_so_and_loads_the_toml(precompiled):
    path = precompiled / compiled.FILE
    record = pickle.loads(path.read_bytes())
    record["kinds"]["lexicon"] = record["kinds"]["lexicon"][:-40]
    path.write_bytes(pickle.dumps(record))
    compiled._read.cache_clear()
    with pytest.warns(UserWarning, match="lexicon unreadable"):
        lexicon = compiled.load("lexicon", precompiled, lambda: from_toml(precompiled, "lexicon"))
    assert differences(lexicon, from_toml(precompiled, "lexicon")) == []
    assert compiled.source("lexicon", precompiled) == "toml"


def test_without_a_precompiled_file_the_default_loaders_read_the_toml():
    # The development tree never has one: every default_* loader took the TOML path.
    from limber.core.content import content_dir, default_library

    assert not (content_dir() / compiled.FILE).exists()
    default_library()
    assert compiled.source("library") == "toml"


# --- the build --------------------------------------------------------------------------------


@pytest.fixture
def code_dir(tmp_path) -> Path:
    folder = tmp_path / "lambda"
    folder.mkdir()
    build.copy_sources(folder)
    return folder


def test_the_build_writes_a_file_the_bundle_uses(code_dir):
    path = build.precompile_content(code_dir, sys.executable)
    assert path == code_dir / "content" / compiled.FILE and path.is_file()
    record = pickle.loads(path.read_bytes())
    assert sorted(record["kinds"]) == sorted(compiled.KINDS)
    assert "core/content.py" in record["modules"] and "core/triage/rules.py" in record["modules"]
    # Reproducible: the same inputs give the same bytes.
    first = path.read_bytes()
    build.precompile_content(code_dir, sys.executable)
    assert path.read_bytes() == first


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("movement.toml", "[moves]", "[movez]", r"movement\.toml: .*'moves'"),
        ("red_flags.toml", "cap = ", "cap = 99 #", r"TriageContentError: red_flags\.toml: field 'cap'"),
        ("pain_education.toml", "answer = ", "answered = ", r"pain_education\.toml: topic .*'answered'"),
        ("lexicon/symptoms.toml", "cues = [", 'cues = ["", ', r"LexiconError: .*cue must be non-empty"),
        ("pain_education.toml", "\nsay = ", "\nsaid = ", r"hold line 1: .*'said'"),
    ],
)
def test_a_build_with_broken_content_fails_with_the_loaders_message(code_dir, file, old, new, message):
    path = code_dir / "content" / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(build.BuildError, match=message) as failure:
        build.precompile_content(code_dir, sys.executable)
    assert "content/ does not load" in str(failure.value)
    assert not (code_dir / "content" / compiled.FILE).exists()


def test_a_broken_stretch_stops_the_whole_build_before_anything_is_installed(tmp_path, monkeypatch):
    broken = tmp_path / "content"
    shutil.copytree(ROOT / "content", broken)
    stretch = sorted((broken / "stretches").glob("*.toml"))[0]
    text = re.sub(r"(?m)^purpose = .*$", "", stretch.read_text(encoding="utf-8"))
    stretch.write_text(text, encoding="utf-8")
    monkeypatch.setattr(build, "CONTENT_SOURCE", broken)
    installed = []
    monkeypatch.setattr(build, "install_dependencies", lambda *args: installed.append(args))
    with pytest.raises(build.BuildError, match=rf"ContentError: stretches/{stretch.name}: .*'purpose'"):
        build.build_lambda(tmp_path / "build", bytecode=False)
    assert installed == []
    assert not (tmp_path / "build" / "lambda.zip").exists()


def test_content_errors_are_value_errors_the_build_reports():
    # The build's runner turns exactly these into one-line messages.
    from limber.core.hearing import LexiconError
    from limber.core.triage import TriageContentError

    assert all(issubclass(e, ValueError) for e in (ContentError, LexiconError, TriageContentError))
