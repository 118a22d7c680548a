"""The real skill on a real SQLite store, driven through the Lambda entry point: the fixtures
``store`` (the adapter) and ``stored_talk`` (``stored_talk(**options)`` gives a
``Conversation``) for tests about what is saved; conftest.py registers them as a plugin."""

from __future__ import annotations

import pytest

from alexa import Conversation
from limber.skill.builder import build_skill
from limber.skill.entry import handle_event
from limber.storage.sqlite import SqliteAdapter


@pytest.fixture
def store(tmp_path):
    return SqliteAdapter(tmp_path / "progress.sqlite3")


@pytest.fixture
def stored_talk(store):
    skill = build_skill(skill_id=None, persistence_adapter=store)
    handler = lambda event, context: handle_event(skill, event, context)  # noqa: E731
    return lambda **options: Conversation(handler, **options)
