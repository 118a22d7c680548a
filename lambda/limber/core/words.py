"""Small helpers for spoken English."""

from __future__ import annotations


def spoken_list(items: list[str], conjunction: str = "and") -> str:
    """ "a, b, and c" (or "or"), as a list is said aloud."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f", {conjunction} " + items[-1]
