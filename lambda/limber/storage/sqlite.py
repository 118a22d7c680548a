"""Progress in a local SQLite file: the store of the console and the self-hosted web service.

One connection per thread, kept open (closing the last connection to a WAL file
checkpoints and removes the WAL, which made every write ten times slower); several
processes (a console and a web host) can use the same file. WAL lets readers go on while
one writer writes; a write checks the stored version and replaces the row inside one
``BEGIN IMMEDIATE`` transaction, so two writers cannot both succeed from the same version.
A writer that finds the file locked waits as long as the turn's storage time allows (at
most ``busy_seconds``) and then reports StorageUnavailable.

Rows expire as DynamoDB items do: every write sets ``expires_at`` to 13 months ahead
(``TTL_SECONDS``), and a row past it counts as absent at once (read, written over, and
swept from the file when an adapter opens it and then at most hourly, on writes). A file
from before expiry gets the column on open, each row expiring 13 months after it was
last written.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from limber.storage import (
    TTL_SECONDS,
    UNVERSIONED,
    WRITTEN,
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
    written_at REAL NOT NULL,   -- epoch seconds, for people inspecting the file
    expires_at REAL             -- epoch seconds; past it the row is gone (13 months unused)
)
"""
_UPSERT = """
INSERT INTO progress (id, version, profile, written_at, expires_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    version = excluded.version, profile = excluded.profile,
    written_at = excluded.written_at, expires_at = excluded.expires_at
"""
# A row counts while it has not expired (a NULL expiry, written by something else, never does).
_LIVE = "(expires_at IS NULL OR expires_at > ?)"
SWEEP_EVERY_SECONDS = 3600.0


def _stored_version(row: tuple[Any, ...] | None) -> int:
    if row is None:
        return 0
    version = row[0]
    return version if isinstance(version, int) and version > 0 else UNVERSIONED


class SqliteAdapter(ProgressAdapter):
    def __init__(
        self,
        path: str | Path,
        busy_seconds: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.busy_seconds = busy_seconds
        self.clock = clock  # epoch seconds; tests move it to see rows expire
        self._local = threading.local()
        self._next_sweep = 0.0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = self._connection()
            connection.execute("PRAGMA journal_mode=WAL")  # stays set in the file
            connection.execute(_SCHEMA)
            self._add_expiry(connection)
            self.sweep()
        except (OSError, sqlite3.Error) as error:
            self._drop_connection()
            raise StorageConfigError(f"cannot use SQLite file {self.path}: {error}") from error

    @staticmethod
    def _add_expiry(connection: sqlite3.Connection) -> None:
        """Files written before rows expired: add the column, counting from the last write."""
        columns = {row[1] for row in connection.execute("PRAGMA table_info(progress)")}
        if "expires_at" in columns:
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            if "expires_at" not in {row[1] for row in connection.execute("PRAGMA table_info(progress)")}:
                connection.execute("ALTER TABLE progress ADD COLUMN expires_at REAL")
                connection.execute("UPDATE progress SET expires_at = written_at + ?", (TTL_SECONDS,))
            connection.execute("COMMIT")
        except sqlite3.Error:
            connection.execute("ROLLBACK")
            raise

    def sweep(self) -> int:
        """Delete expired rows now; returns how many went. Housekeeping only (expired rows
        already count as absent), so a locked file just means trying again later."""
        now = self.clock()
        self._next_sweep = now + SWEEP_EVERY_SECONDS
        try:
            cursor = self._connection().execute(
                "DELETE FROM progress WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
            )
        except sqlite3.OperationalError:
            return 0
        return cursor.rowcount

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # isolation_level=None: transactions are begun and ended explicitly below.
            connection = sqlite3.connect(self.path, timeout=self.busy_seconds, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL
            self._local.connection = connection
        return connection

    def _bounded_connection(self, timeout: float) -> sqlite3.Connection:
        """This thread's connection, waiting on a locked file no longer than ``timeout``."""
        connection = self._connection()
        wait_ms = max(1, int(min(self.busy_seconds, timeout) * 1000))
        connection.execute(f"PRAGMA busy_timeout = {wait_ms}")
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

    def _read(self, key: str, timeout: float) -> tuple[Any, int] | None:
        try:
            row = (
                self._bounded_connection(timeout)
                .execute(
                    f"SELECT version, profile FROM progress WHERE id = ? AND {_LIVE}", (key, self.clock())
                )
                .fetchone()
            )
        except sqlite3.Error as error:
            self._drop_connection()
            raise StorageUnavailable(f"SQLite read failed: {error}") from error
        if row is None:
            return None
        return decode_profile(row[1]), _stored_version(row)

    def _write(
        self, key: str, profile: dict[str, Any], expected: int, version: int, timeout: float
    ) -> Any:
        text = json.dumps(profile, separators=(",", ":"))
        now = self.clock()
        try:
            connection = self._bounded_connection(timeout)
            connection.execute("BEGIN IMMEDIATE")
            row = connection.execute(
                f"SELECT version, profile FROM progress WHERE id = ? AND {_LIVE}", (key, now)
            ).fetchone()
            if _stored_version(row) != expected:
                connection.execute("ROLLBACK")
                return None if row is None else (decode_profile(row[1]), _stored_version(row))
            connection.execute(_UPSERT, (key, version, text, now, now + TTL_SECONDS))
            connection.execute("COMMIT")
            if now >= self._next_sweep:
                self.sweep()
            return WRITTEN
        except sqlite3.Error as error:
            self._drop_connection()  # closing also rolls back an unfinished transaction
            raise StorageUnavailable(f"SQLite write failed: {error}") from error

    def _delete(self, key: str, timeout: float) -> None:
        try:
            self._bounded_connection(timeout).execute("DELETE FROM progress WHERE id = ?", (key,))
        except sqlite3.Error as error:
            self._drop_connection()
            raise StorageUnavailable(f"SQLite delete failed: {error}") from error
