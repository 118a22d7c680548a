"""In-process storage, for tests and local runs that should leave no file behind.

Profiles are kept as JSON text, as the other stores keep them, so a caller that mutates a
dict it loaded cannot change what is stored behind the adapter's back.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from limber.storage import UNVERSIONED, WRITTEN, ProgressAdapter, decode_profile

# One lock for every memory store: adapters sharing a store (two "devices") must check the
# version and write as one step, as a database transaction would.
_LOCK = threading.Lock()


def _stored_version(item: tuple[Any, str] | None) -> int:
    if item is None:
        return 0
    version = item[0]
    usable = isinstance(version, int) and not isinstance(version, bool) and version > 0
    return version if usable else UNVERSIONED


class MemoryAdapter(ProgressAdapter):
    """``store`` maps partition key to (version, JSON text); share it to share the data."""

    def __init__(self, store: dict[str, tuple[Any, str]] | None = None) -> None:
        super().__init__()
        self.store: dict[str, tuple[Any, str]] = {} if store is None else store

    def _read(self, key: str, timeout: float) -> tuple[Any, int] | None:
        with _LOCK:
            item = self.store.get(key)
        if item is None:
            return None
        return decode_profile(item[1]), _stored_version(item)

    def _write(
        self, key: str, profile: dict[str, Any], expected: int, version: int, timeout: float
    ) -> Any:
        text = json.dumps(profile, separators=(",", ":"))
        with _LOCK:
            item = self.store.get(key)
            if _stored_version(item) != expected:
                return None if item is None else (decode_profile(item[1]), _stored_version(item))
            self.store[key] = (version, text)
            return WRITTEN

    def _delete(self, key: str, timeout: float) -> None:
        with _LOCK:
            self.store.pop(key, None)
