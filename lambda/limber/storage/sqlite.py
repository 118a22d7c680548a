"""Progress in a local SQLite file: the store of the console and the self-hosted web service.

One connection per thread, kept open (closing the last connection to a WAL file
checkpoints and removes the WAL, which made every write ten times slower); several
processes (a console and a web host) can use the same file. WAL lets readers go on while
one writer writes; a write checks the stored version and replaces the row inside one
``BEGIN IMMEDIATE`` transaction, so two writers cannot both succeed from the same version.
A writer that finds the file locked waits ``busy_seconds`` and then reports
StorageUnavailable.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from limber.storage import (
    UNVERSIONED,
    ProgressAdapter,
    StorageConfigError,
    StorageUnavailable,
    decode_profile,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS progress (
    id TEXT PRIMARY KEY,        -- SHA-256 of the Alexa user id
    version INTEGER NOT NULL,   -- for conditional writes
    profile TEXT NOT NULL,      -- JSON, see limber.core.progress
    written_at REAL NOT NULL    -- epoch seconds, for people inspecting the file
)
"""
_UPSERT = """
INSERT INTO progress (id, version, profile, written_at) VALUES (?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    version = excluded.version, profile = excluded.profile, written_at = excluded.written_at
"""


def _stored_version(row: tuple[Any, ...] | None) -> int:
    if row is None:
        return 0
    version = row[0]
    return version if isinstance(version, int) and version > 0 else UNVERSIONED


class SqliteAdapter(ProgressAdapter):
    def __init__(self, path: str | Path, busy_seconds: float = 1.0) -> None:
        super().__init__()
        self.path = Path(path)
        self.busy_seconds = busy_seconds
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = self._connection()
            connection.execute("PRAGMA journal_mode=WAL")  # stays set in the file
            connection.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            self._drop_connection()
            raise StorageConfigError(f"cannot use SQLite file {self.path}: {error}") from error

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # isolation_level=None: transactions are begun and ended explicitly below.
            connection = sqlite3.connect(self.path, timeout=self.busy_seconds, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL
            self._local.connection = connection
        return connection

    def _drop_connection(self) -> None:
        """After an error, start the next operation on a fresh connection."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        self._drop_connection()

    def _read(self, key: str) -> tuple[Any, int] | None:
        try:
            row = (
                self._connection()
                .execute("SELECT version, profile FROM progress WHERE id = ?", (key,))
                .fetchone()
            )
        except sqlite3.Error as error:
            self._drop_connection()
            raise StorageUnavailable(f"SQLite read failed: {error}") from error
        if row is None:
            return None
        return decode_profile(row[1]), _stored_version(row)

    def _write(self, key: str, profile: dict[str, Any], expected: int, version: int) -> bool:
        text = json.dumps(profile, separators=(",", ":"))
        try:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            row = connection.execute("SELECT version FROM progress WHERE id = ?", (key,))
            if _stored_version(row.fetchone()) != expected:
                connection.execute("ROLLBACK")
                return False
            connection.execute(_UPSERT, (key, version, text, time.time()))
            connection.execute("COMMIT")
            return True
        except sqlite3.Error as error:
            self._drop_connection()  # closing also rolls back an unfinished transaction
            raise StorageUnavailable(f"SQLite write failed: {error}") from error

    def _delete(self, key: str) -> None:
        try:
            self._connection().execute("DELETE FROM progress WHERE id = ?", (key,))
        except sqlite3.Error as error:
            self._drop_connection()
            raise StorageUnavailable(f"SQLite delete failed: {error}") from error
