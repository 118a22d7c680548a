"""Speech as words the reader can compare: lower case, contractions spelt out, numbers as digits.

Alexa hands a skill words, not audio, but typed text and transcriptions differ in small ways
("can't" / "can not", "five" / "5", "light-headed" / "light headed"); both sides of every
comparison (the lexicon and what was said) go through ``tokens`` so those differences vanish.
A comma or full stop stays as a "," token: it ends a clause, which bounds a negation.
"""

from __future__ import annotations

import re

CONTRACTIONS = (
    (r"\bcan't\b|\bcant\b|\bcan not\b", "cannot"),
    (r"\bwon't\b|\bwont\b", "will not"),
    (r"\bshan't\b", "shall not"),
    (r"\bain't\b", "is not"),
    (r"n't\b", " not"),
    (r"\b(i)m\b", r"\1 am"),
    (r"'m\b", " am"),
    (r"'re\b", " are"),
    (r"'ve\b", " have"),
    (r"'ll\b", " will"),
    (r"'d\b", " would"),
    (r"'s\b", " is"),  # "my leg's gone numb", "my son's limping"; a possessive reads the same
    (r"\bgonna\b", "going to"),
    (r"\bwanna\b", "want to"),
    (r"\bgotta\b", "got to"),
    (r"\bdont\b", "do not"),
    (r"\bdidnt\b", "did not"),
    (r"\bdoesnt\b", "does not"),
    (r"\bisnt\b", "is not"),
    (r"\bhavent\b", "have not"),
    (r"\bcouldnt\b", "could not"),
)
CLAUSE_MARK = ","
UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()  # fmt: skip
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}  # fmt: skip
# Hesitations that carry nothing ("um, I'm dizzy").
HESITATIONS = frozenset("um uh er erm uhm hmm ah oh".split())
# Little words that cue lists leave out ("pain down my leg" is "pain down the leg").
LITTLE = frozenset("my the a an his her their your our some any its".split())


def _numbers(words: list[str]) -> list[str]:
    """ "sixty five" -> "65", "six" -> "6": a run of number words becomes one number."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in TENS:
            value = TENS[word]
            if i + 1 < len(words) and words[i + 1] in UNITS[1:10]:
                value += UNITS.index(words[i + 1])
                i += 1
            out.append(str(value))
        elif word in UNITS:
            out.append(str(UNITS.index(word)))
        else:
            out.append(word)
        i += 1
    return out


def tokens(text: str) -> list[str]:
    """The words of ``text`` in the reader's form (see the module docstring)."""
    text = (text or "").lower().replace("’", "'").replace("‘", "'").replace("&", " and ")
    text = re.sub(r"(?<=[a-z])-(?=[a-z])|[-_/]", " ", text)
    text = re.sub(r"[,.;:!?]+", f" {CLAUSE_MARK} ", text)
    for pattern, spelt in CONTRACTIONS:
        text = re.sub(pattern, spelt, text)
    text = re.sub(r"(\d)\s*(st|nd|rd|th)\b", r"\1", text)
    words = re.sub(r"[^a-z0-9, ]", " ", text).split()
    return _numbers([w for w in words if w not in HESITATIONS])


def content(words: list[str]) -> list[str]:
    """``words`` without LITTLE words: what cues are compared with."""
    return [w for w in words if w not in LITTLE]
