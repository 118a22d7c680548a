"""Content precompiled at build time: the loaders' own validated objects, ready to use.

The Lambda bundle's ``content/`` carries ``precompiled.pickle`` beside the TOML files, written
by ``scripts/build.py`` (``write``): it loads every kind exactly as the runtime would (the
library, the triage rules, the symptom lexicon, the pain-education topics and hold lines), so
every check runs and a bad content file fails the build with the loader's own message, then
pickles the objects. At runtime each ``default_*`` loader asks ``load(kind, folder, from_toml)`` first.

Why a pickle, and not a generated module compiled to ``.pyc``: the objects are frozen
dataclasses that share parts (every routine holds the one ``Movement``; a floor stretch holds
its alternative), and pickle rebuilds that graph in C, sharing kept, without running
``__init__`` or any parsing again. A generated module would have to call every constructor and
``__post_init__`` again, and a code object of that size unmarshals no faster than a pickle.

Regular expressions: a pickled ``re.Pattern`` is compiled again from its text when loaded, and
the lexicon's alternations are big enough that this was most of the cost (about 60 ms on one
core here, seven times that at Lambda's 256 MB share, on the first turn that hears a symptom).
So patterns are pickled with the regex engine's own compiled program, and rebuilt with the
engine's constructor (``_sre.compile``, what ``re.compile`` itself ends with). That program is
private to one engine version, so the file records the engine's ``MAGIC`` and the Python
version and is only used by the same; ``Pattern.__eq__`` compares the program, which the tests
use to prove the rebuilt patterns are the ones ``re.compile`` makes.

When it is used: only when the file was written for this folder's exact content and this
code. It records a digest of every content file and of the source of every ``limber`` module
that ran while loading, and ``load`` recomputes it once per process (a few milliseconds, on the
first turn). Anything else — no
file (the development tree has none), another Python, content or loader edited after the build,
a truncated or unreadable file — means the TOML is loaded as always. Falling back, not
failing, because the TOML load is the truth and costs only time: a turn, and above all the
safety check, must never fail for want of a speed-up. A file that is consistent but does not
unpickle is damage after the build (the build reads back what it wrote and compares), and is
reported once with ``warnings.warn`` so it shows in the function's log. ``source(kind)`` says
which was used.

Trust: unpickling runs code named in the file, so the file is only read from the content
folder the code itself is loaded beside (a read-only bundle on Lambda), like the modules.
"""

from __future__ import annotations

import _sre  # the regex engine: its compiled programs are what the file stores for patterns
import hashlib
import io
import os
import pickle
import re
import sys
import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

FILE = "precompiled.pickle"
FORMAT = 1
KINDS = ("library", "rules", "lexicon", "topics", "hold_lines")
PACKAGE = Path(__file__).resolve().parents[1]  # .../limber
T = TypeVar("T")

_sources: dict[tuple[str, str], str] = {}  # (folder, kind) -> "precompiled" | "toml"


def runtime_tag() -> str:
    """What the file's pickled objects and regex programs depend on besides the sources."""
    return f"{sys.implementation.cache_tag} sre {_sre.MAGIC} pickle {pickle.HIGHEST_PROTOCOL}"


# --- patterns with their compiled program -------------------------------------------------------


def _pattern(pattern, flags, code, groups, groupindex, indexgroup) -> re.Pattern:
    return _sre.compile(pattern, flags, code, groups, groupindex, indexgroup)


def _program(compiled: re.Pattern) -> tuple:
    """The arguments ``re.compile`` gave ``_sre.compile`` for this pattern (re._compiler.compile)."""
    from re import _compiler, _parser

    parsed = _parser.parse(compiled.pattern, compiled.flags)
    code = [int(op) for op in _compiler._code(parsed, compiled.flags)]  # opcodes are int subclasses
    indexgroup = [None] * parsed.state.groups
    for name, index in parsed.state.groupdict.items():
        indexgroup[index] = name
    flags = compiled.flags | parsed.state.flags
    return (compiled.pattern, flags, code, parsed.state.groups - 1, parsed.state.groupdict, tuple(indexgroup))


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, re.Pattern):
            return _pattern, _program(obj)
        return NotImplemented


def _dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


# --- the digest ------------------------------------------------------------------------------


def _content_files(folder: Path) -> list[str]:
    """Every file under ``folder`` but this one and hidden ones, as sorted relative paths."""
    found, top = [], os.fspath(folder)
    for root, dirs, files in os.walk(top):  # os.walk: a fraction of what Path.rglob costs
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        relative = os.path.relpath(root, top).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        found += [prefix + name for name in files if name != FILE and not name.startswith(".")]
    return sorted(found)


def _file_bytes(path: str) -> bytes:
    """The file's bytes with plain os calls: half what open() costs here, over some 60 files."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def digest(folder: Path, content: list[str], modules: list[str]) -> str | None:
    """sha256 over the named content files and ``limber`` sources; None if one is missing."""
    hashed = hashlib.sha256(runtime_tag().encode())
    for base, names in ((os.fspath(folder), content), (os.fspath(PACKAGE), modules)):
        for name in names:
            try:
                data = _file_bytes(os.path.join(base, name))
            except OSError:
                return None
            hashed.update(f"\0{name}\0{len(data)}\0".encode())
            hashed.update(data)
    return hashed.hexdigest()


def _limber_sources() -> set[str]:
    """Source files (relative to the package) of the limber modules imported so far."""
    found, package = set(), Path(sys.modules["limber"].__file__).resolve().parent
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and module.__name__.split(".")[0] == "limber":
            source = Path(path).resolve()
            if source.suffix == ".py" and source.is_relative_to(package):
                found.add(source.relative_to(package).as_posix())
    return found


# --- writing (build time) --------------------------------------------------------------------


def loaders(folder: Path) -> dict[str, Callable[[], Any]]:
    """Each kind's TOML loader, as its ``default_*`` calls it, for ``folder``."""
    from limber.core.content import load_library
    from limber.core.hearing.lexicon import load_lexicon
    from limber.core.pain_education import load_hold_lines, load_topics
    from limber.core.triage.rules import load_rules

    return {
        "library": lambda: load_library(folder),
        "rules": lambda: load_rules(folder / "red_flags.toml"),
        "lexicon": lambda: load_lexicon(folder / "lexicon" / "symptoms.toml"),
        "topics": lambda: load_topics(folder),
        "hold_lines": lambda: load_hold_lines(folder),
    }


def write(folder: Path) -> Path:
    """Load every kind from the TOML in ``folder`` (all checks run; a content error propagates
    with the loader's message), pickle them into ``folder/precompiled.pickle``, then read the
    file back through ``load`` and check each kind equals what the TOML gave."""
    folder = Path(folder)
    objects = {kind: load() for kind, load in loaders(folder).items()}
    content, modules = _content_files(folder), sorted(_limber_sources())
    record = {
        "format": FORMAT,
        "runtime": runtime_tag(),
        "content": content,
        "modules": modules,
        "digest": digest(folder, content, modules),
        "kinds": {kind: _dumps(value) for kind, value in objects.items()},
    }
    path = folder / FILE
    path.write_bytes(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    _read.cache_clear()
    for kind, value in objects.items():
        again = load(kind, folder, lambda: None)
        if source(kind, folder) != "precompiled" or again != value:
            path.unlink()
            raise RuntimeError(f"{path}: {kind} read back from the precompiled file differs from the TOML")
    return path


# --- reading (run time) ----------------------------------------------------------------------


@lru_cache(maxsize=4)
def _read(folder: str) -> dict[str, bytes] | None:
    """The file's pickled kinds if it is consistent with ``folder`` and this code, else None."""
    path = Path(folder) / FILE
    try:
        record = pickle.loads(path.read_bytes())
        fresh = (
            record["format"] == FORMAT
            and record["runtime"] == runtime_tag()
            and record["digest"] == digest(Path(folder), record["content"], record["modules"])
        )
    except FileNotFoundError:
        return None
    except Exception:  # truncated, or not our record: as stale
        return None
    # Content added since the build is stale too, though no recorded file changed.
    if not fresh or record["content"] != _content_files(Path(folder)):
        return None
    return record["kinds"]


def load(kind: str, folder: Path, from_toml: Callable[[], T]) -> T:
    """``kind`` from the folder's precompiled file when it is consistent, else ``from_toml()``."""
    kinds = _read(os.fspath(folder))
    if kinds is not None and kind in kinds:
        try:
            value = pickle.loads(kinds[kind])
        except Exception as err:  # consistent but unreadable: damaged after the build
            problem = f"{folder}/{FILE}: {kind} unreadable ({type(err).__name__}); loading the TOML"
            warnings.warn(problem, stacklevel=2)
        else:
            _sources[(os.fspath(folder), kind)] = "precompiled"
            return value
    _sources[(os.fspath(folder), kind)] = "toml"
    return from_toml()


def source(kind: str, folder: Path | None = None) -> str | None:
    """ "precompiled" or "toml": where ``kind`` was last loaded from for ``folder`` (default:
    the content folder); None if it was not loaded yet."""
    if folder is None:
        from limber.core.content import content_dir

        folder = content_dir()
    return _sources.get((os.fspath(folder), kind))


__all__ = ["FILE", "KINDS", "digest", "load", "loaders", "runtime_tag", "source", "write"]
