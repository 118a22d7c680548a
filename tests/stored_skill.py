"""The real skill on a real SQLite store, driven through the Lambda entry point: the fixtures
``store`` (the adapter) and ``stored_talk`` (``stored_talk(**options)`` gives a
``Conversation``) for tests about what is saved; conftest.py registers them as a plugin."""

from __future__ import annotations

import pytest

from alexa import Conversation
from limber.skill.builder import build_skill
from limber.skill.entry import handle_event
from limber.storage import partition_key
from limber.storage.sqlite import SqliteAdapter


@pytest.fixture
def store(tmp_path):
    return SqliteAdapter(tmp_path / "progress.sqlite3")


@pytest.fixture
def stored_talk(store):
    skill = build_skill(skill_id=None, persistence_adapter=store)
    handler = lambda event, context: handle_event(skill, event, context)  # noqa: E731
    return lambda **options: Conversation(handler, **options)


def key_of(person) -> str:
    """The storage key of a ``Conversation``'s person, as the adapter derives it."""

    class Envelope:  # the adapter keys by context.system.user.user_id
        class context:
            class system:
                class user:
                    user_id = person.user_id

    return partition_key(Envelope)


def stored(store, person) -> dict:
    return store.load(key_of(person))
