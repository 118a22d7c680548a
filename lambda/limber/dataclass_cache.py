"""Dataclass methods compiled at build time, so a cold start does not compile them again.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and, when
frozen, ``__setattr__``/``__delattr__`` as source text and compiles it with ``exec`` when the class
is defined. Limber defines a few dozen dataclasses, so at Lambda's init that is over a hundred
compilations (about 25 ms on one core here, the largest single part of Limber's import beyond a
hello-world skill), and Lambda's read-only code folder can't cache them as it can't cache any
bytecode. ``scripts/build.py`` runs the bundle once with ``record`` on, which keeps every text
``dataclasses`` compiled and the code object it became, and writes them beside this module
(``dataclass_methods.<cache tag>.marshal``, stamped with the interpreter's bytecode magic number).

``install()`` (the first thing ``lambda_function`` does) hands ``dataclasses`` an ``exec`` that
looks the text up and runs the stored code object instead of compiling the text. Nothing
else changes: the code object is what compiling that exact text gives (the same ``compile``
call ``exec`` makes: file name ``<string>``, no inherited ``__future__`` flags — which is also why
this module must not import any), a text not in the file is compiled as before, and a file of
another Python version, or none (the development tree), leaves ``dataclasses`` untouched.
"""

import builtins
import marshal
import os
import sys

FILE = os.path.join(os.path.dirname(__file__), f"dataclass_methods.{sys.implementation.cache_tag}.marshal")

hits = 0  # counted for tests and the bench: texts answered from the file
misses = 0  # texts compiled at run time after all


def _magic() -> bytes:
    from importlib.util import MAGIC_NUMBER  # already imported by the SDK's dependencies

    return MAGIC_NUMBER


def _compile(source: str):
    return compile(source, "<string>", "exec", dont_inherit=True)  # as exec(str) in dataclasses


def install(path: str = FILE) -> bool:
    """Use the file's code objects for ``dataclasses``' exec; False if there is no usable file."""
    try:
        with open(path, "rb") as file:
            magic, codes = marshal.loads(file.read())
    except (OSError, ValueError, EOFError, TypeError):
        return False
    if magic != _magic() or not isinstance(codes, dict):
        return False
    import dataclasses

    def cached_exec(source, globals=None, locals=None):
        global hits, misses
        code = codes.get(source) if isinstance(source, str) else None
        if code is None:
            misses += 1
            code = _compile(source) if isinstance(source, str) else source
        else:
            hits += 1
        return builtins.exec(code, globals, locals)

    dataclasses.exec = cached_exec  # the name dataclasses' _create_fn looks up, before builtins
    return True


def record() -> dict:
    """From now on keep every text ``dataclasses`` compiles; returns the dict that fills."""
    import dataclasses

    seen: dict = {}

    def recording_exec(source, globals=None, locals=None):
        code = _compile(source)
        seen[source] = code
        return builtins.exec(code, globals, locals)

    dataclasses.exec = recording_exec
    return seen


def write(seen: dict, path: str = FILE) -> str:
    with open(path, "wb") as file:
        file.write(marshal.dumps((_magic(), seen)))
    return path
