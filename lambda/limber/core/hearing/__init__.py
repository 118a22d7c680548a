"""Hearing symptoms in people's own words: the symptom lexicon and the reader of raw slot words.

``read(words, routines=routine_phrases(library))`` says which warning signs the words name,
who they are about, and, when they are not a symptom, what was meant instead. Pure: no ASK SDK,
no storage, nothing logged.
"""

from limber.core.hearing.lexicon import Lexicon, LexiconError, default_lexicon, load_lexicon
from limber.core.hearing.reader import Heard, read, routine_phrases

__all__ = ["Heard", "Lexicon", "LexiconError", "default_lexicon", "load_lexicon", "read", "routine_phrases"]
