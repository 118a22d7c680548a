"""limber.dataclass_cache: dataclass methods from build-time code objects are the ones compiling
the text gives, and anything the file doesn't hold is compiled as before."""

from __future__ import annotations

import builtins
import dataclasses
import marshal
from pathlib import Path

import pytest

from limber import dataclass_cache

CLASSES = '''
from dataclasses import dataclass, field

@dataclass(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: tuple = field(default_factory=tuple)

@dataclass
class Box:
    """A mutable one, ordered."""
    width: float
    height: float = 1.0

    def area(self):
        return self.width * self.height
'''


def define() -> dict:
    namespace: dict = {"__name__": "defined_here"}
    exec(compile(CLASSES, "classes.py", "exec", dont_inherit=True), namespace)  # real annotations
    return namespace


@pytest.fixture
def plain_dataclasses(monkeypatch):
    """dataclasses as the interpreter has it, restored after the test."""
    monkeypatch.setattr(dataclasses, "exec", builtins.exec, raising=False)
    monkeypatch.setattr(dataclass_cache, "hits", 0)
    monkeypatch.setattr(dataclass_cache, "misses", 0)


@pytest.fixture
def recorded(tmp_path, plain_dataclasses) -> Path:
    seen = dataclass_cache.record()
    define()
    assert seen, "dataclasses compiled nothing"
    path = Path(dataclass_cache.write(seen, str(tmp_path / "methods.marshal")))
    dataclasses.exec = builtins.exec
    return path


METHODS = ("__init__", "__repr__", "__eq__", "__setattr__", "__delattr__", "__hash__")


def test_methods_from_the_file_are_the_code_compiling_gives(recorded):
    compiled_now = define()
    assert dataclass_cache.install(str(recorded))
    from_file = define()
    assert dataclass_cache.hits > 0 and dataclass_cache.misses == 0
    for name in ("Point", "Box"):
        for method in METHODS:
            fresh, cached = (vars(ns[name]).get(method) for ns in (compiled_now, from_file))
            if fresh is None:
                assert cached is None
                continue
            assert cached.__code__ == fresh.__code__, (name, method)
            assert cached.__code__.co_filename == fresh.__code__.co_filename


def test_classes_from_the_file_behave_as_dataclasses(recorded):
    assert dataclass_cache.install(str(recorded))
    classes = define()
    point, box = classes["Point"], classes["Box"]
    assert point(1) == point(1, 0, ()) and point(1) != point(2)
    assert hash(point(1, 2)) == hash(point(1, 2))
    assert repr(point(1, 2)) == "Point(x=1, y=2, tags=())"
    with pytest.raises(dataclasses.FrozenInstanceError):
        point(1).x = 3
    b = box(2.0)
    b.height = 3.0
    assert b.area() == 6.0 and b == box(2.0, 3.0)
    assert box.__doc__ == "A mutable one, ordered." and point.__doc__.startswith("Point(x: int")
    assert dataclass_cache.misses == 0


def test_a_class_the_file_does_not_hold_is_compiled_as_before(recorded):
    assert dataclass_cache.install(str(recorded))
    namespace: dict = {}
    source = "from dataclasses import dataclass\n@dataclass\nclass New:\n    a: str\n    b: list\n"
    exec(compile(source, "new.py", "exec", dont_inherit=True), namespace)
    assert dataclass_cache.misses > 0
    assert namespace["New"]("x", []) == namespace["New"]("x", [])


def test_a_file_from_another_python_or_none_leaves_dataclasses_alone(recorded, tmp_path):
    _, codes = marshal.loads(recorded.read_bytes())
    other = tmp_path / "other.marshal"
    other.write_bytes(marshal.dumps((b"\x00\x00\r\n", codes)))
    assert not dataclass_cache.install(str(other))
    assert not dataclass_cache.install(str(tmp_path / "missing.marshal"))
    damaged = tmp_path / "damaged.marshal"
    damaged.write_bytes(recorded.read_bytes()[:100])
    assert not dataclass_cache.install(str(damaged))
    assert dataclasses.exec is builtins.exec


def test_the_development_tree_has_no_file():
    # Built only into the bundle, for the runtime's Python (scripts/build.py).
    assert not list(Path(dataclass_cache.__file__).parent.glob("dataclass_methods.*"))


def test_the_module_inherits_no_future_flags_into_the_code_it_compiles():
    # exec(str) in dataclasses compiles without __future__ flags; so must the cache.
    source = Path(dataclass_cache.__file__).read_text(encoding="utf-8")
    assert "from __future__" not in source
