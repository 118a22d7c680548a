"""The "is this dangerous?" screen: red flags, a short yes/no/not-sure screen, and outcomes.

The clinical content (questions, flags, their sources) is ``content/red_flags.toml`` and the
spoken wording is ``content/triage_phrases.toml``; this module only walks those rules. It is
pure (stdlib only), so the voice layer, the console and the tests share one engine.

A screen's whole memory is a small JSON-safe ``state`` dict that the voice layer keeps in the
session attributes and hands back with each reply::

    {"v": 1, "named": "fever" | None, "answers": [["saddle_numbness", "n"], ...], "ask": "leg_symptoms"}

It holds rule ids and answers only, never free text, and nothing is stored anywhere else.

Use: ``step = start_screen(rules, named_flag, locale)``; while ``step`` is a ``QuestionStep``,
say ``step.text``, keep ``step.state``, and call ``answer(rules, state, "yes" | "no" | "unsure",
locale)``. An ``Outcome`` ends the screen. Phone numbers stay digits in the text; each step's
``numbers`` says how to speak them (for ``<sub alias>``). How the rules choose questions is
explained at the top of red_flags.toml.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEVELS = ("self_care", "soon", "urgent", "emergency")  # lowest to highest
RANK = {level: rank for rank, level in enumerate(LEVELS)}
REPLIES = {"yes": "y", "no": "n", "unsure": "u"}
STATE_VERSION = 1
CARD_PREFIXES = {
    "emergency": "Emergency",
    "urgent": "Urgent",
    "soon": "See a doctor",
    "self_care": "Self-care",
}
# Never said in an outcome: a reassurance the evidence can't give, or a diagnosis.
BANNED_IN_OUTCOMES = ("not dangerous", "nothing to worry", "nothing serious", "you have", "diagnos")
SYNONYM = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*(?: [A-Za-z]+(?:'[A-Za-z]+)*)*")
ID = re.compile(r"[a-z][a-z0-9_]*")
LOCALE_KEYS = ("emergency", "emergency_place", "urgent_help", "doctor", "book", "book_short")


class TriageContentError(ValueError):
    """red_flags.toml or triage_phrases.toml breaks the schema; the message says where."""


class TriageStateError(ValueError):
    """A screen state that these rules did not produce (tampered, or the rules changed)."""


# --- the rules ----------------------------------------------------------------------------------

# A condition is ("sign", id), ("all", (condition, ...)) or ("any", (condition, ...)).
Condition = tuple


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    organisation: str
    year: str
    url: str


@dataclass(frozen=True)
class Question:
    sign: str
    text: str
    child_text: str | None


@dataclass(frozen=True)
class Flag:
    id: str
    level: str
    when: Condition
    label: str
    why: str
    guards: str
    sources: tuple[Source, ...]
    synonyms: tuple[str, ...]
    reached: str  # "screen", or "named" when the cap keeps it out of the generic screen
    about: str  # "self", or "child": after naming it, questions use their child wording

    @property
    def signs(self) -> frozenset[str]:
        return _signs(self.when)

    @property
    def signs_required(self) -> frozenset[str]:
        """Signs that must be yes for the rule to hold: a named flag implies them."""
        return _required(self.when)


@dataclass(frozen=True)
class Locale:
    said: dict[str, str]
    written: dict[str, str]
    numbers: dict[str, str]  # digits as written -> how to say them


@dataclass(frozen=True)
class Rules:
    cap: int
    questions: tuple[Question, ...]  # the plan, in priority order
    flags: tuple[Flag, ...]
    sources: dict[str, Source]
    screen: dict[str, str]
    levels: dict[str, dict]
    locales: dict[str, Locale]

    def flag(self, flag_id: str) -> Flag:
        for flag in self.flags:
            if flag.id == flag_id:
                return flag
        raise KeyError(f"no red flag {flag_id!r}")

    def question(self, sign: str) -> Question:
        for question in self.questions:
            if question.sign == sign:
                return question
        raise KeyError(f"no question for sign {sign!r}")

    def synonyms(self) -> dict[str, list[str]]:
        """flag id -> how people name it, the slot value first (for the Symptom slot type)."""
        return {flag.id: list(flag.synonyms) for flag in self.flags}

    def locale(self, locale: str | None) -> Locale:
        """The locale's words; an unknown one gets "your local emergency number"."""
        if locale:
            for key, words in self.locales.items():
                if key.lower() == locale.replace("_", "-").lower():
                    return words
        return self.locales["default"]

    def stopped_text(self, locale: str | None) -> str:
        """What to say when someone stops a screen part-way: the emergency signs to watch for."""
        return _fill(self.screen["stopped"], self.locale(locale).said)


# --- loading and checking -------------------------------------------------------------------------


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TriageContentError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise TriageContentError(f"{path.name}: not valid TOML: {err}") from None


def _text(data: dict, key: str, where: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise TriageContentError(f"{where}: field '{key}' must be non-empty text")
    return value


def _parse_condition(raw, where: str) -> Condition:
    if isinstance(raw, str) and ID.fullmatch(raw):
        return ("sign", raw)
    if isinstance(raw, dict) and len(raw) == 1:
        ((kind, items),) = raw.items()
        if kind in ("all", "any") and isinstance(items, list) and items:
            return (kind, tuple(_parse_condition(item, where) for item in items))
    raise TriageContentError(f"{where}: field 'when' must be a sign id or {{all|any = [...]}}, not {raw!r}")


def _signs(condition: Condition) -> frozenset[str]:
    kind, body = condition
    return frozenset({body}) if kind == "sign" else frozenset().union(*(_signs(c) for c in body))


def _required(condition: Condition) -> frozenset[str]:
    kind, body = condition
    if kind == "sign":
        return frozenset({body})
    parts = [_required(c) for c in body]
    return frozenset().union(*parts) if kind == "all" else frozenset.intersection(*parts)


def _evaluate(condition: Condition, known: dict[str, bool]) -> bool | None:
    """True, False, or None while the signs it needs are still unknown."""
    kind, body = condition
    if kind == "sign":
        return known.get(body)
    results = [_evaluate(c, known) for c in body]
    if kind == "all":
        return False if False in results else (True if all(results) else None)
    return True if True in results else (False if all(r is False for r in results) else None)


def _fill(template: str, words: dict[str, str], **extra) -> str:
    try:
        return template.format_map({**words, **extra})
    except (KeyError, IndexError, ValueError) as err:
        raise TriageContentError(f"bad placeholder in {template[:60]!r}: {err}") from None


def _parse_sources(data: dict) -> dict[str, Source]:
    sources = {}
    for sid, raw in (data.get("sources") or {}).items():
        where = f"red_flags.toml: source '{sid}'"
        if not isinstance(raw, dict):
            raise TriageContentError(f"{where} must be a table")
        url = _text(raw, "url", where)
        if not url.startswith("https://"):
            raise TriageContentError(f"{where}: field 'url' must start with https://")
        year = raw.get("year")
        if not isinstance(year, str | int) or isinstance(year, bool) or not str(year).strip():
            raise TriageContentError(f"{where}: field 'year' is missing")
        sources[sid] = Source(
            sid, _text(raw, "title", where), _text(raw, "organisation", where), str(year), url
        )
    return sources


def _parse_questions(data: dict) -> tuple[Question, ...]:
    questions, seen = [], set()
    for i, raw in enumerate(data.get("questions") or []):
        where = f"red_flags.toml: question {i + 1}"
        sign = _text(raw, "sign", where)
        if not ID.fullmatch(sign) or sign in seen:
            raise TriageContentError(f"{where}: field 'sign' {sign!r} is not a new snake_case id")
        seen.add(sign)
        texts = (_text(raw, "text", where), _text(raw, "child_text", where, required=False))
        for text in filter(None, texts):
            if not text.rstrip().endswith("?"):
                raise TriageContentError(f"{where} ({sign}): a question must end with a question mark")
        questions.append(Question(sign, *texts))
    if not questions:
        raise TriageContentError("red_flags.toml: no [[questions]]")
    return tuple(questions)


def _parse_flags(data: dict, sources: dict[str, Source], signs: set[str]) -> tuple[Flag, ...]:
    flags: list[Flag] = []
    said_by: dict[str, str] = {}
    for i, raw in enumerate(data.get("flags") or []):
        fid = raw.get("id")
        where = f"red_flags.toml: flag '{fid}'" if isinstance(fid, str) else f"red_flags.toml: flag {i + 1}"
        fid = _text(raw, "id", where)
        if not ID.fullmatch(fid) or any(f.id == fid for f in flags):
            raise TriageContentError(f"{where}: field 'id' must be a new snake_case id")
        level = _text(raw, "level", where)
        if level not in ("emergency", "urgent", "soon"):
            raise TriageContentError(f"{where}: field 'level' must be emergency, urgent or soon")
        when = _parse_condition(raw.get("when"), where)
        unknown = _signs(when) - signs
        if unknown:
            raise TriageContentError(f"{where}: field 'when' uses signs with no question: {sorted(unknown)}")
        cited = raw.get("sources")
        if not isinstance(cited, list) or not cited or not all(s in sources for s in cited):
            raise TriageContentError(f"{where}: field 'sources' must list ids from [sources], got {cited!r}")
        synonyms = raw.get("synonyms")
        if not isinstance(synonyms, list) or not synonyms:
            raise TriageContentError(f"{where}: field 'synonyms' must be a non-empty list")
        for phrase in synonyms:
            if not isinstance(phrase, str) or not SYNONYM.fullmatch(phrase):
                raise TriageContentError(f"{where}: synonym {phrase!r} must be words and apostrophes only")
            key = phrase.lower().replace("'", "")
            if said_by.setdefault(key, fid) != fid:
                raise TriageContentError(f"{where}: synonym {phrase!r} already names '{said_by[key]}'")
        reached, about = raw.get("reached", "screen"), raw.get("about", "self")
        if reached not in ("screen", "named"):
            raise TriageContentError(f"{where}: field 'reached' must be screen or named")
        if about not in ("self", "child"):
            raise TriageContentError(f"{where}: field 'about' must be self or child")
        flags.append(
            Flag(
                id=fid,
                level=level,
                when=when,
                label=_text(raw, "label", where),
                why=_text(raw, "why", where),
                guards=_text(raw, "guards", where),
                sources=tuple(sources[s] for s in cited),
                synonyms=tuple(synonyms),
                reached=reached,
                about=about,
            )
        )
    return tuple(flags)


def _words(value, where: str, key: str) -> tuple[str, str]:
    if isinstance(value, str) and value.strip():
        return value, value
    if isinstance(value, dict) and set(value) == {"said", "written"}:
        return _text(value, "said", where), _text(value, "written", where)
    raise TriageContentError(f"{where}: field '{key}' must be text or {{said, written}}")


def _parse_locales(data: dict) -> dict[str, Locale]:
    locales = {}
    for name, raw in (data.get("locales") or {}).items():
        where = f"triage_phrases.toml: locale '{name}'"
        said, written = {}, {}
        for key in LOCALE_KEYS:
            said[key], written[key] = _words(raw.get(key), where, key)
        numbers = raw.get("numbers", {})
        if not isinstance(numbers, dict) or not all(isinstance(v, str) and v for v in numbers.values()):
            raise TriageContentError(f"{where}: field 'numbers' must map digits to how they are said")
        locales[name] = Locale(said, written, dict(numbers))
    if "default" not in locales:
        raise TriageContentError("triage_phrases.toml: [locales.default] is required")
    return locales


def _check_wording(rules: Rules) -> None:
    """Fill every template with every locale now, so a mistake fails at load, not mid-screen."""
    for name, words in rules.locales.items():
        for form in (words.said, words.written):
            for key in ("intro", "named_then", "question", "repeat", "reprompt", "unsure_ack"):
                _fill(rules.screen[key], form, cap=rules.cap, number=1, text="x")
            outcome = [
                _fill(rules.levels[lv][k], form)
                for lv in LEVELS
                for k in ("title", "opening", "action", "child_action")
            ]
            outcome += [_fill(f.why, form) for f in rules.flags]
            outcome += [
                _fill(rules.screen[k], form, labels="x") for k in ("unsure_note", "cap_why", "stopped")
            ]
            for text in outcome:
                bad = [b for b in BANNED_IN_OUTCOMES if b in text.lower()]
                if bad:
                    raise TriageContentError(f"locale '{name}': outcome text says {bad}: {text[:80]!r}")
                rest = text
                for digits in words.numbers:
                    rest = rest.replace(digits, "")
                if re.search(r"\d", rest):  # a number the voice layer would not know how to say
                    raise TriageContentError(f"locale '{name}': digits with no spoken form in {text[:80]!r}")
        for level in LEVELS:
            title = _fill(rules.levels[level]["title"], words.written)
            if not title.startswith(CARD_PREFIXES[level]):
                raise TriageContentError(
                    f"locale '{name}': {level} card title must start {CARD_PREFIXES[level]!r}"
                )


def load_rules(path: str | Path | None = None) -> Rules:
    """Load and check red_flags.toml (default: the content folder) and the triage_phrases.toml
    beside it."""
    if path is None:
        from limber.core.content import content_dir  # the content folder's one definition

        path = content_dir() / "red_flags.toml"
    path = Path(path)
    flags_data, phrases = _read(path), _read(path.with_name("triage_phrases.toml"))
    cap = flags_data.get("cap")
    if not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= 20:
        raise TriageContentError("red_flags.toml: field 'cap' must be a whole number from 1 to 20")
    sources = _parse_sources(flags_data)
    questions = _parse_questions(flags_data)
    flags = _parse_flags(flags_data, sources, {q.sign for q in questions})
    used = set().union(*(f.signs for f in flags))
    unused = [q.sign for q in questions if q.sign not in used]
    if unused:
        raise TriageContentError(f"red_flags.toml: questions no flag uses: {unused}")
    screen = {k: _text(phrases.get("screen", {}), k, "triage_phrases.toml: [screen]") for k in (
        "intro", "named_then", "question", "repeat", "reprompt", "unsure_ack", "unsure_note", "cap_why",
        "stopped")}  # fmt: skip
    levels = {}
    for level in LEVELS:
        raw = (phrases.get("levels") or {}).get(level) or {}
        where = f"triage_phrases.toml: [levels.{level}]"
        if not isinstance(raw.get("may_continue"), bool):
            raise TriageContentError(f"{where}: field 'may_continue' must be true or false")
        levels[level] = {k: _text(raw, k, where) for k in ("title", "opening", "action")}
        levels[level]["child_action"] = (
            _text(raw, "child_action", where, required=False) or levels[level]["action"]
        )
        levels[level]["may_continue"] = raw["may_continue"]
    rules = Rules(cap, questions, flags, sources, screen, levels, _parse_locales(phrases))
    _check_wording(rules)
    return rules


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    return load_rules()


# --- the screen ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionStep:
    """Ask this, keep ``state`` in the session, and pass the reply to ``answer``."""

    number: int  # 1 for the first question
    sign: str
    text: str  # everything to say now, ending with the question
    question: str  # the question alone, e.g. for a reprompt
    reprompt: str
    state: dict
    numbers: dict[str, str]  # phone numbers in ``text`` -> how to say them (<sub alias>)
    kind: str = "question"


@dataclass(frozen=True)
class Outcome:
    """The end of a screen: clear the state and say ``text``."""

    level: str  # "emergency" | "urgent" | "soon" | "self_care"
    flags: tuple[str, ...]  # the flag ids that set the level (the named one first)
    text: str  # plain text; the level is named in the first sentence
    card_title: str  # starts with Emergency, Urgent, See a doctor or Self-care
    card_text: str
    may_continue: bool  # whether the stretching routine may go on afterwards
    unsure: tuple[str, ...]  # signs answered "not sure" that were counted as yes
    numbers: dict[str, str]  # phone numbers in ``text`` -> how to say them (<sub alias>)
    kind: str = "outcome"


Step = QuestionStep | Outcome


@dataclass
class _Screen:
    named: Flag | None
    answers: list[tuple[str, str]]  # (sign, "y" | "n" | "u") in the order asked

    @property
    def known(self) -> dict[str, bool]:
        known = dict.fromkeys(self.named.signs_required, True) if self.named else {}
        known.update((sign, reply != "n") for sign, reply in self.answers)  # not sure counts as yes
        return known

    @property
    def for_child(self) -> bool:
        return self.named is not None and self.named.about == "child"


def _raised(rules: Rules, screen: _Screen) -> list[Flag]:
    known = screen.known
    raised = [f for f in rules.flags if _evaluate(f.when, known) is True and f is not screen.named]
    return [screen.named, *raised] if screen.named else raised


def _level(flags: list[Flag]) -> str:
    return max((f.level for f in flags), key=RANK.__getitem__, default="self_care")


def _next_question(rules: Rules, screen: _Screen, level: str) -> tuple[Question | None, str | None]:
    """The question that could raise the level highest (ties in plan order), and that height."""
    known, raised = screen.known, {f.id for f in _raised(rules, screen)}
    asked = {sign for sign, _ in screen.answers}
    best, best_rank = None, RANK[level]
    for question in rules.questions:
        if question.sign in asked or question.sign in known:
            continue
        if screen.for_child and question.child_text is None:
            continue
        for flag in rules.flags:
            if (
                RANK[flag.level] > best_rank
                and flag.id not in raised
                and question.sign in flag.signs
                and _evaluate(flag.when, known) is not False
            ):
                best, best_rank = question, RANK[flag.level]
    return best, (LEVELS[best_rank] if best else None)


def _state(screen: _Screen, ask: str) -> dict:
    return {
        "v": STATE_VERSION,
        "named": screen.named.id if screen.named else None,
        "answers": [[sign, reply] for sign, reply in screen.answers],
        "ask": ask,
    }


def _question_text(screen: _Screen, question: Question) -> str:
    return question.child_text if screen.for_child else question.text


def _outcome(rules: Rules, screen: _Screen, locale: str | None, *, cap_hit: bool = False) -> Outcome:
    words = rules.locale(locale)
    raised = _raised(rules, screen)
    level = "emergency" if cap_hit else _level(raised)
    setting = [f for f in raised if f.level == level]
    unsure = [
        sign for sign, reply in screen.answers if reply == "u" and any(sign in f.signs for f in setting)
    ]
    doubtful = [f for f in setting if f.signs & set(unsure)]

    def render(form: dict[str, str]) -> str:
        parts = [_fill(rules.levels[level]["opening"], form)]
        parts += [_fill(f.why, form) for f in setting[:2]]
        if cap_hit:
            parts.append(_fill(rules.screen["cap_why"], form))
        if doubtful:
            labels = " and ".join(f.label for f in doubtful[:2])
            parts.append(_fill(rules.screen["unsure_note"], form, labels=labels))
        parts.append(_fill(rules.levels[level]["child_action" if screen.for_child else "action"], form))
        return " ".join(parts)

    text = render(words.said)
    return Outcome(
        level=level,
        flags=tuple(f.id for f in setting),
        text=text,
        card_title=_fill(rules.levels[level]["title"], words.written),
        card_text=render(words.written),
        may_continue=rules.levels[level]["may_continue"],
        unsure=tuple(unsure),
        numbers=_numbers(words, text),
    )


def _numbers(words: Locale, text: str) -> dict[str, str]:
    return {digits: said for digits, said in words.numbers.items() if digits in text}


def _step(rules: Rules, screen: _Screen, locale: str | None, preface: list[str]) -> Step:
    raised = _raised(rules, screen)
    level = _level(raised)
    if level == "emergency":
        return _outcome(rules, screen, locale)
    question, could_reach = _next_question(rules, screen, level)
    if question is None:
        return _outcome(rules, screen, locale)
    if len(screen.answers) >= rules.cap:
        # Out of questions: an emergency sign still open is treated like "not sure".
        return _outcome(rules, screen, locale, cap_hit=could_reach == "emergency")
    number = len(screen.answers) + 1
    asked = _question_text(screen, question)
    words = rules.locale(locale)
    text = " ".join([*preface, _fill(rules.screen["question"], words.said, number=number, text=asked)])
    return QuestionStep(
        number=number,
        sign=question.sign,
        text=text,
        question=asked,
        reprompt=_fill(rules.screen["reprompt"], words.said, text=asked),
        state=_state(screen, question.sign),
        numbers=_numbers(words, text),
    )


def start_screen(rules: Rules, named_flag: str | None = None, locale: str | None = None) -> Step:
    """Begin a screen, optionally with the red flag the person named (a Symptom slot id).

    A named emergency is answered at once. A named lower-level flag gets its advice first,
    then only the questions that could make it more urgent."""
    named = rules.flag(named_flag) if named_flag else None
    screen = _Screen(named, [])
    said = rules.locale(locale).said
    if named is None:
        return _step(rules, screen, locale, [_fill(rules.screen["intro"], said, cap=rules.cap)])
    if named.level == "emergency":
        return _outcome(rules, screen, locale)
    advice = [_fill(rules.levels[named.level]["opening"], said), _fill(named.why, said)]
    return _step(rules, screen, locale, [*advice, _fill(rules.screen["named_then"], said)])


def _restore(rules: Rules, state) -> _Screen:
    """The screen a state describes, after checking these rules would have asked ``ask`` next."""
    if not isinstance(state, dict) or state.get("v") != STATE_VERSION:
        raise TriageStateError("not a screen state of this version")
    named_id, answers, ask = state.get("named"), state.get("answers"), state.get("ask")
    try:
        named = rules.flag(named_id) if named_id is not None else None
    except (KeyError, TypeError):
        raise TriageStateError(f"unknown named flag {named_id!r}") from None
    if not isinstance(answers, list) or not all(
        isinstance(a, list) and len(a) == 2 and a[1] in REPLIES.values() for a in answers
    ):
        raise TriageStateError("answers must be [sign, 'y' | 'n' | 'u'] pairs")
    if len(answers) >= rules.cap:
        raise TriageStateError("a state never holds a full set of answers")
    # Replay: each answer must be to the question these rules would have asked at that point,
    # so an answer can never be applied to a question the person did not hear.
    screen = _Screen(named, [])
    for sign, reply in [*answers, [ask, None]]:
        expected, _ = _next_question(rules, screen, _level(_raised(rules, screen)))
        if expected is None or expected.sign != sign:
            raise TriageStateError("the state does not match these rules (was the content changed?)")
        if reply is not None:
            screen.answers.append((sign, reply))
    return screen


def answer(rules: Rules, state: dict, reply: str, locale: str | None = None) -> Step:
    """Apply "yes", "no" or "unsure" to the question in ``state``; the next step."""
    if reply not in REPLIES:
        raise ValueError(f"reply must be one of {sorted(REPLIES)}, not {reply!r}")
    screen = _restore(rules, state)
    screen.answers.append((state["ask"], REPLIES[reply]))
    preface = [_fill(rules.screen["unsure_ack"], rules.locale(locale).said)] if reply == "unsure" else []
    return _step(rules, screen, locale, preface)


def repeat_question(rules: Rules, state: dict, locale: str | None = None) -> QuestionStep:
    """The current question again, with the same state."""
    screen = _restore(rules, state)
    question = rules.question(state["ask"])
    asked = _question_text(screen, question)
    said = rules.locale(locale).said
    number = len(screen.answers) + 1
    text = _fill(rules.screen["repeat"], said, number=number, text=asked)
    return QuestionStep(
        number=number,
        sign=question.sign,
        text=text,
        question=asked,
        reprompt=_fill(rules.screen["reprompt"], said, text=asked),
        state=_state(screen, question.sign),
        numbers=_numbers(rules.locale(locale), text),
    )
