"""Persistence adapters for progress profiles: memory, SQLite and DynamoDB.

Every adapter is an ask-sdk-core ``AbstractPersistenceAdapter``, so the SDK's
``AttributesManager`` works unchanged. On top of that interface they share one behaviour,
implemented here once (``ProgressAdapter``) over three small backend primitives:

* ``get_attributes`` returns a repaired profile (``limber.core.progress.migrate``) plus three
  bookkeeping keys that start with an underscore: ``_version`` (the stored version it was
  read at; 0 when nothing is stored), ``_repairs`` (what ``migrate`` had to fix, so the skill
  can say a sentence) and ``_basis`` (a digest of the profile as stored, to skip writes that
  change nothing). Keep them with the profile, including in session attributes.
* ``save_attributes`` writes only when the profile differs from ``_basis``. The write is
  conditional on ``_version``; if someone else saved in between, it re-reads, merges
  (``progress.merge``; the backends hand back the stored record with the conflict, so no
  extra read) and retries, after a short random pause, until it succeeds or the
  turn's storage time runs out (merging loses nothing, so there is no reason to give up
  sooner: under contention some writer wins every round). Afterwards the attributes
  dict is updated IN PLACE to what is now stored (merged profile, new ``_version``), so later
  saves in the same session need no extra read. If the record was deleted since it was read
  (DeleteMyDataIntent, SkillDisabled), nothing is written: deleted data never comes back.
* ``delete_attributes`` removes everything stored for the person.
* Every backend failure surfaces as ``StorageUnavailable``.

One deadline per turn: every storage call made for one request envelope (the SDK hands the
same object to each call of a turn) shares ``TURN_SECONDS`` in total, counted from the
turn's first call. A call that would run past it is cut short and reported as
``StorageUnavailable``, so a store that accepts connections and never answers costs a turn
at most that long, and the person hears one short line instead of silence. Calls through
the plain API (``load``, ``save``, ``remove``) get ``TURN_SECONDS`` each, or share a
``Deadline`` passed in.

Counters (``adapter.counters``) record backend round trips for tests and benchmarks.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from limber.core import household, progress

VERSION_KEY = "_version"
REPAIRS_KEY = "_repairs"
BASIS_KEY = "_basis"
# Set on a view that is one speaker's part of a household's record (see save_view).
HOUSEHOLD_KEY = "_household"
# A stored record whose version field is missing or not a number (written by something else).
UNVERSIONED = -1
# Everyone's data goes 13 months after their last save: DynamoDB's TTL, SQLite's expiry.
TTL_SECONDS = 396 * 24 * 3600
# All storage calls of one turn together; Alexa allows 8 s per turn and people notice
# far less, so a failing store costs at most this, and the turn still answers within 3 s.
TURN_SECONDS = 2.0
# Pause before retrying after a conflict: random up to 5 ms, doubling per conflict to 80 ms,
# so writers that collided do not collide again in lockstep.
CONFLICT_PAUSE_SECONDS = (0.005, 0.08)


class _Outcome:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


WRITTEN = _Outcome("WRITTEN")  # _write stored the profile
NOT_KNOWN = _Outcome("NOT_KNOWN")  # _write conflicted and did not learn what is stored


class StorageError(PersistenceException):
    """Base of the storage errors; an ASK SDK PersistenceException for generic handlers."""


class StorageUnavailable(StorageError):
    """The store could not be read or written in time: down, throttled, locked or contended."""


class StorageConfigError(StorageError, ValueError):
    """LIMBER_STORE (or the adapter's settings) cannot be used; the message says why."""


class Deadline:
    """A point in time (monotonic) by which storage calls must be done."""

    def __init__(self, seconds: float = TURN_SECONDS) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def check(self) -> float:
        """Seconds left; StorageUnavailable when there are none."""
        left = self.remaining()
        if left <= 0:
            raise StorageUnavailable(f"out of storage time for this turn ({self.seconds:g} s)")
        return left


class _TurnDeadlines:
    """The deadline of each request envelope still alive: a turn's calls share one.

    Keyed by identity (SDK models are unhashable) with a weak reference, so an entry goes
    away with its envelope and a new object reusing the address never inherits a deadline.
    """

    def __init__(self) -> None:
        # Re-entrant: a garbage collection inside ``of`` may run ``_forget`` on this thread.
        self._lock = threading.RLock()
        self._entries: dict[int, tuple[weakref.ref, Deadline]] = {}

    def of(self, request_envelope: Any) -> Deadline:
        key = id(request_envelope)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0]() is request_envelope:
                return entry[1]
            deadline = Deadline()
            try:
                reference = weakref.ref(request_envelope, lambda _, key=key: self._forget(key))
            except TypeError:  # cannot be weakly referenced: this call gets its own deadline
                return deadline
            self._entries[key] = (reference, deadline)
            return deadline

    def _forget(self, key: int) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0]() is None:
                del self._entries[key]


class Counters:
    """Backend round trips, thread-safe: reads, writes, deletes, conflicts, skipped writes."""

    NAMES = ("reads", "writes", "deletes", "conflicts", "skipped_writes")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            for name in self.NAMES:
                setattr(self, name, 0)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {name: getattr(self, name) for name in self.NAMES}


def partition_key(request_envelope: Any) -> str:
    """The storage key for the person behind a request.

    SHA-256 of the Alexa user id, so the raw id (a lasting identifier of the person's account
    with this skill) never appears in tables, files, backups or logs. The ids are long and
    random, so the hash cannot be reversed by guessing; no secret salt is needed, and none
    can be lost.
    """
    try:
        user_id = request_envelope.context.system.user.user_id
    except AttributeError:
        user_id = None
    if not isinstance(user_id, str) or not user_id:
        raise StorageError("the request carries no user id (context.system.user.user_id)")
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()


def person_key(request_envelope: Any) -> str | None:
    """The stored key of the person Alexa recognised as the speaker (a SHA-256 of
    context.System.person.personId), or None when it recognised nobody."""
    try:
        person_id = request_envelope.context.system.person.person_id
    except AttributeError:
        return None
    return household.person_key(person_id)


def _speaker_view(attributes: dict[str, Any], person: str | None, force: bool = False) -> dict[str, Any]:
    """Loaded attributes as one speaker sees them. Unchanged for an account with no people
    and nobody recognised; otherwise that speaker's part only, marked so that saving it
    goes through ``save_view`` and keeps everyone else's."""
    record = {k: v for k, v in attributes.items() if not k.startswith("_")}
    if person is None and not household.has_people(record) and not force:
        return attributes
    seen = household.view(record, person)
    repairs = attributes.get(REPAIRS_KEY) or []
    return {
        **seen,
        VERSION_KEY: attributes.get(VERSION_KEY, 0),
        REPAIRS_KEY: repairs,
        BASIS_KEY: None if repairs else profile_digest(seen),
        HOUSEHOLD_KEY: True,
    }


def profile_digest(profile: dict[str, Any]) -> str:
    canonical = json.dumps(profile, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def next_version(expected: int) -> int:
    """The version a write stores: one more than before, and never below the clock in ms.

    Clock-based versions mean a record deleted and created again never repeats an old
    version, so a session that loaded the deleted record cannot overwrite the new one.
    """
    return max(expected + 1, int(time.time() * 1000))


def decode_profile(text: Any) -> Any:
    """A profile stored as JSON text; anything unreadable is passed on as it is, for
    ``progress.migrate`` to report as not a mapping and replace."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _bookkeeping_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class ProgressAdapter(AbstractPersistenceAdapter):
    """Versioned, merging persistence; subclasses supply three backend primitives."""

    def __init__(self) -> None:
        self.counters = Counters()
        self._turns = _TurnDeadlines()

    # Backend primitives. Each raises StorageUnavailable when the store fails, and gives up
    # after ``timeout`` seconds (or is cut short by ``_bounded`` after that long).
    def _read(self, key: str, timeout: float) -> tuple[Any, int] | None:
        """(stored profile value, version) or None when nothing is stored."""
        raise NotImplementedError

    def _write(
        self, key: str, profile: dict[str, Any], expected: int, version: int, timeout: float
    ) -> Any:
        """Store ``profile`` at ``version`` if the stored version is still ``expected``
        (0: nothing stored; UNVERSIONED: stored without a usable version).

        Returns WRITTEN; on a conflict, what is stored now as ``_read`` would return it when
        the backend learnt it on the way (saving a read), else NOT_KNOWN."""
        raise NotImplementedError

    def _delete(self, key: str, timeout: float) -> None:
        raise NotImplementedError

    def _bounded(self, deadline: Deadline, primitive, *args: Any) -> Any:
        """Run a primitive with the time left. Backends that can block past their own
        timeout (a network call) override this to stop waiting at the deadline."""
        return primitive(*args, deadline.check())

    # Plain API, for code that has a key rather than a request envelope.
    def load(self, key: str, deadline: Deadline | None = None) -> dict[str, Any]:
        """The attributes dict ``get_attributes`` returns, for a partition key."""
        deadline = deadline or Deadline()
        self.counters.add("reads")
        stored = self._bounded(deadline, self._read, key)
        if stored is None:
            profile, repairs, version = progress.new_profile(), [], 0
        else:
            raw, version = stored
            profile, repairs = progress.migrate(raw)
        attributes = dict(profile)
        attributes[VERSION_KEY] = version
        attributes[REPAIRS_KEY] = repairs
        # After a repair the stored record differs from the profile: let the next save write.
        attributes[BASIS_KEY] = None if repairs else profile_digest(profile)
        return attributes

    def save(self, key: str, attributes: dict[str, Any], deadline: Deadline | None = None) -> None:
        mine, _ = progress.migrate({k: v for k, v in attributes.items() if not k.startswith("_")})
        digest = profile_digest(mine)
        if attributes.get(BASIS_KEY) == digest:
            self.counters.add("skipped_writes")
            return
        expected = _bookkeeping_int(attributes.get(VERSION_KEY))
        if expected < 0:
            expected = UNVERSIONED
        stored = self._save_merging(key, mine, expected, deadline or Deadline())
        if stored is None:  # deleted elsewhere since it was read
            profile, version = progress.new_profile(), 0
        else:
            profile, version = stored
        attributes.clear()
        attributes.update(profile)
        attributes[VERSION_KEY] = version
        attributes[REPAIRS_KEY] = []
        # Written as is (no merge): its digest is the one already computed.
        attributes[BASIS_KEY] = digest if profile is mine else profile_digest(profile)

    def _save_merging(
        self, key: str, mine: dict[str, Any], expected: int, deadline: Deadline
    ) -> tuple[dict[str, Any], int] | None:
        """Write, and on each conflict re-read, merge and write again until it lands; only
        the deadline ends the loop (StorageUnavailable from the next call)."""
        conflicts = 0
        while True:
            version = next_version(max(expected, 0))
            self.counters.add("writes")
            stored = self._bounded(deadline, self._write, key, mine, expected, version)
            if stored is WRITTEN:
                return mine, version
            self.counters.add("conflicts")
            conflicts += 1
            if stored is NOT_KNOWN:
                self.counters.add("reads")
                stored = self._bounded(deadline, self._read, key)
            if stored is None:
                if expected != 0:
                    return None
                continue  # created and deleted meanwhile: try creating again
            raw, expected = stored
            theirs, _ = progress.migrate(raw)
            mine = progress.merge(mine, theirs)
            self._pause(conflicts, deadline)

    @staticmethod
    def _pause(conflicts: int, deadline: Deadline) -> None:
        first, most = CONFLICT_PAUSE_SECONDS
        limit = min(most, first * 2 ** (conflicts - 1))
        import random  # only here, in a conflict's pause: not at every cold start

        time.sleep(min(random.uniform(0, limit), max(deadline.remaining(), 0)))

    def remove(self, key: str, deadline: Deadline | None = None) -> None:
        self.counters.add("deletes")
        self._bounded(deadline or Deadline(), self._delete, key)

    # ask-sdk-core AbstractPersistenceAdapter: the calls of one turn share its deadline.
    # Each speaker sees their own part of the account's record (limber.core.household).
    def get_attributes(self, request_envelope: Any) -> dict[str, Any]:
        attributes = self.load(partition_key(request_envelope), self._turns.of(request_envelope))
        return _speaker_view(attributes, person_key(request_envelope))

    def save_attributes(self, request_envelope: Any, attributes: dict[str, Any]) -> None:
        key, person = partition_key(request_envelope), person_key(request_envelope)
        deadline = self._turns.of(request_envelope)
        if person is None and attributes.get(HOUSEHOLD_KEY) is not True:
            self.save(key, attributes, deadline)  # nobody recognised, nobody else stored: as ever
            if household.has_people(attributes):  # someone's profile arrived meanwhile
                seen = _speaker_view(attributes, None)
                attributes.clear()
                attributes.update(seen)
            return
        self.save_view(key, person, attributes, deadline)

    def save_view(
        self, key: str, person: str | None, attributes: dict[str, Any], deadline: Deadline | None = None
    ) -> None:
        """Save one speaker's view into the account's record: read it, merge the view in,
        write conditionally (merging again on a conflict). One read more than ``save``,
        because the session carries only this speaker's part of the record."""
        deadline = deadline or Deadline()
        mine, _ = progress.migrate({k: v for k, v in attributes.items() if not k.startswith("_")})
        mine.pop(household.PEOPLE, None)
        if attributes.get(BASIS_KEY) == profile_digest(mine):
            self.counters.add("skipped_writes")
            return
        seen_version = _bookkeeping_int(attributes.get(VERSION_KEY))
        self.counters.add("reads")
        stored = self._bounded(deadline, self._read, key)
        if stored is None and seen_version != 0:  # deleted elsewhere since it was read
            result = None
        else:
            raw, expected = stored if stored is not None else (None, 0)
            record, _ = progress.migrate(raw)
            result = self._save_merging(key, household.put(record, person, mine), expected, deadline)
        record, version = result if result is not None else (progress.new_profile(), 0)
        attributes.clear()
        stored_now = {**record, VERSION_KEY: version, REPAIRS_KEY: []}
        attributes.update(_speaker_view(stored_now, person, force=True))

    def delete_attributes(self, request_envelope: Any) -> None:
        self.remove(partition_key(request_envelope), self._turns.of(request_envelope))


# --- choosing an adapter ------------------------------------------------------------------


def default_sqlite_path(environ: dict[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME/limber/progress.sqlite3, or ~/.local/share/limber/progress.sqlite3."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "limber" / "progress.sqlite3"


def make_adapter(spec: str) -> ProgressAdapter:
    """Build an adapter from ``memory``, ``sqlite:PATH`` or ``dynamodb:TABLE``."""
    kind, _, argument = spec.strip().partition(":")
    kind = kind.strip().lower()
    argument = argument.strip()
    if kind == "memory" and not argument:
        from limber.storage.memory import MemoryAdapter

        return MemoryAdapter()
    if kind == "sqlite" and argument:
        from limber.storage.sqlite import SqliteAdapter

        return SqliteAdapter(Path(argument).expanduser())
    if kind == "dynamodb" and argument:
        from limber.storage.dynamodb import DynamoDbAdapter

        return DynamoDbAdapter(argument)
    raise StorageConfigError(
        f"LIMBER_STORE={spec!r} is not understood; use 'memory', 'sqlite:PATH' "
        "(a file) or 'dynamodb:TABLE' (an existing table)"
    )


def from_env(environ: dict[str, str] | None = None) -> ProgressAdapter:
    """The adapter LIMBER_STORE asks for; unset means SQLite in the user's data folder.

    On Lambda an unset LIMBER_STORE is an error: its disk is temporary, so progress there
    would silently vanish.
    """
    environ = os.environ if environ is None else environ
    spec = environ.get("LIMBER_STORE", "").strip()
    if spec:
        return make_adapter(spec)
    if environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        raise StorageConfigError("LIMBER_STORE is not set; on Lambda set it to dynamodb:TABLE")
    return make_adapter(f"sqlite:{default_sqlite_path(environ)}")
