"""The "is this dangerous?" screen: red flags, a short yes/no/not-sure screen, and outcomes.

The clinical content (signs, questions, flags, their sources) is ``content/red_flags.toml`` and
the spoken wording is ``content/triage_phrases.toml``; this package only walks those rules. It
is pure (stdlib only), so the voice layer, the console and the tests share one engine:

- ``model``      the rules as objects, and the shared constants
- ``rules``      loading and checking the two files
- ``conditions`` when a flag holds, over yes / no / not-yet-known
- ``choice``     what is known, which flags that raises, and the next question
- ``wording``    templates, and questions about "them"
- ``outcomes``   an outcome's words and card
- ``screen``     start_screen / answer / repeat_question and the session state

Use: ``step = start_screen(rules, named, locale, known={...}, about="self")``; while ``step``
is a ``QuestionStep``, say ``step.text``, keep ``step.state``, and call ``answer(rules, state,
"yes" | "no" | "unsure", locale)``. An ``Outcome`` ends the screen. Phone numbers stay digits
in the text; each step's ``numbers`` says how to speak them (for ``<sub alias>``).
"""

from limber.core.triage.errors import TriageContentError, TriageStateError
from limber.core.triage.outcomes import Outcome
from limber.core.triage.rules import (
    BANNED_IN_OUTCOMES,
    CARD_PREFIXES,
    DISCLAIMER,
    LEVELS,
    RANK,
    Flag,
    Locale,
    Question,
    Rules,
    Sign,
    Source,
    default_rules,
    load_rules,
)
from limber.core.triage.screen import (
    REPLIES,
    STATE_VERSION,
    QuestionStep,
    Step,
    answer,
    repeat_question,
    start_screen,
)

__all__ = [
    "BANNED_IN_OUTCOMES", "CARD_PREFIXES", "DISCLAIMER", "LEVELS", "RANK", "REPLIES", "STATE_VERSION",
    "Flag", "Locale", "Outcome", "Question", "QuestionStep", "Rules", "Sign", "Source", "Step",
    "TriageContentError", "TriageStateError", "answer", "default_rules", "load_rules",
    "repeat_question", "start_screen",
]  # fmt: skip
