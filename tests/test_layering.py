"""The core stays pure, and no import runs back up the layers."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lambda" / "limber"
FRAMEWORKS = ("ask_sdk", "boto3", "botocore", "flask", "werkzeug", "pyttsx3", "yaml")
# Which layers each layer may import (besides the standard library and itself).
ALLOWED = {
    "core": {"core"},
    "skill": {"core", "skill"},
    "storage": {"core", "storage"},
    "console": {"core", "skill", "storage", "console", "interaction_model", "app"},
    "web": {"core", "skill", "storage", "web", "app"},
}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_framework():
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(n for n in imports_of(path) if n.startswith(FRAMEWORKS))
        for path in (PACKAGE / "core").glob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_layers_only_import_downwards():
    wrong = []
    for layer, allowed in ALLOWED.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in imports_of(path):
                if name.startswith("limber."):
                    target = name.split(".")[1]
                    if target not in allowed:
                        wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not wrong
