"""The two ways the screen's inputs can be wrong: its content files, or a state handed back."""

from __future__ import annotations


class TriageContentError(ValueError):
    """red_flags.toml or triage_phrases.toml breaks the schema; the message says where."""


class TriageStateError(ValueError):
    """A screen state that these rules did not produce (tampered, or the rules changed)."""
