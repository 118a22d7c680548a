"""Shared fixtures. The skill under test is the real ``lambda_function.lambda_handler``."""

from __future__ import annotations

import os

import pytest

# Tests never touch a developer's own progress file or AWS unless a test says so.
os.environ["LIMBER_STORE"] = "memory"
os.environ.pop("LIMBER_SKILL_ID", None)

# ``store`` and ``stored_talk``: the real skill on a SQLite store (tests/stored_skill.py).
pytest_plugins = ["stored_skill"]


@pytest.fixture(scope="session")
def lambda_handler():
    import lambda_function

    return lambda_function.lambda_handler


@pytest.fixture
def talk(lambda_handler):
    """``talk()`` starts a new person talking to the skill (a fresh user id)."""
    from alexa import Conversation

    return lambda **options: Conversation(lambda_handler, **options)
