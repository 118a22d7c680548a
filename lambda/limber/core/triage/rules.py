"""The screen's rules: red_flags.toml (signs, questions, flags, sources) and triage_phrases.toml
(wording by locale), loaded into frozen objects and checked, so a content mistake fails at load
with where it is, never mid-screen. How the rules are used is explained at the top of
red_flags.toml.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from limber.core.triage import conditions, wording
from limber.core.triage.conditions import ID
from limber.core.triage.errors import TriageContentError
from limber.core.triage.model import (  # noqa: F401  (re-exported: the package's one place for them)
    ABOUT,
    ABOUT_SIGNS,
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
    Variant,
)

SYNONYM = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*(?: [A-Za-z]+(?:'[A-Za-z]+)*)*")
LOCALE_KEYS = ("emergency", "emergency_place", "urgent_help", "doctor", "book", "book_short",
               "maternity", "maternity_short", "maternity_routine", "labour", "wee", "poo", "pooing",
               "tummy")  # fmt: skip
SCREEN_KEYS = ("intro", "named_then", "question", "repeat", "reprompt", "unsure_ack", "unsure_split",
               "unsure_note", "cap_why", "stopped", "disclaimer", "self_care_told")  # fmt: skip
LONGEST_QUESTION = 230  # characters: one breath, understood on first hearing


# --- reading ------------------------------------------------------------------------------------


def _read(path: Path) -> dict:
    import tomllib  # here, not at the top: a bundle with precompiled content never needs it

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


def _ids(data: dict, key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and ID.fullmatch(v) for v in value):
        raise TriageContentError(f"{where}: field '{key}' must be a list of snake_case ids")
    return tuple(value)


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


def _question_text(text: str | None, where: str) -> None:
    if text is None:
        return
    if not text.rstrip().endswith("?") or text.count("?") != 1:
        raise TriageContentError(f"{where}: a question must end with its one question mark")
    if len(text) > LONGEST_QUESTION:
        raise TriageContentError(f"{where}: a question must be under {LONGEST_QUESTION} characters")


def _them(text: str | None, given: str | None, where: str) -> None:
    """A question about someone else is the person's question with they/their, unless written out."""
    if text is None or given is not None:
        return
    problem = wording.about_them_problem(text)
    if problem:
        raise TriageContentError(f"{where}: {problem}; write other_text")


def _parse_signs_and_questions(data: dict) -> tuple[dict[str, Sign], tuple[Question, ...]]:
    signs: dict[str, Sign] = {}
    questions: list[Question] = []
    raw_questions = data.get("questions") or []
    for i, raw in enumerate(raw_questions):
        where = f"red_flags.toml: question {i + 1}"
        if "parts" in raw:
            continue
        sid = _text(raw, "sign", where)
        where = f"red_flags.toml: question '{sid}'"
        if not ID.fullmatch(sid) or sid in signs:
            raise TriageContentError(f"{where}: field 'sign' {sid!r} is not a new snake_case id")
        signs[sid] = Sign(sid, _text(raw, "meaning", where), True, _ids(raw, "implies", where))
    for i, raw in enumerate(data.get("context") or []):
        where = f"red_flags.toml: context {i + 1}"
        sid = _text(raw, "sign", where)
        if not ID.fullmatch(sid) or sid in signs or sid in ABOUT_SIGNS:
            raise TriageContentError(f"{where}: field 'sign' {sid!r} is not a new snake_case id")
        signs[sid] = Sign(sid, _text(raw, "meaning", f"red_flags.toml: context '{sid}'"), False,
                          _ids(raw, "implies", where))  # fmt: skip
    for sid, about in ABOUT_SIGNS.items():
        whom = "a child" if about == "child" else "another adult"
        signs[sid] = Sign(sid, f"set when the screen is about {whom}", False)
    for i, raw in enumerate(raw_questions):
        compound = "parts" in raw
        qid = _text(raw, "id" if compound else "sign", f"red_flags.toml: question {i + 1}")
        where = f"red_flags.toml: question '{qid}'"
        if compound:
            if not ID.fullmatch(qid) or qid in signs or any(q.id == qid for q in questions):
                raise TriageContentError(f"{where}: field 'id' must be a new snake_case id")
            parts = _ids(raw, "parts", where)
            if len(parts) < 2 or len(set(parts)) != len(parts):
                raise TriageContentError(f"{where}: field 'parts' must list two or more different signs")
            asked = {q.id for q in questions} | {s for s, sign in signs.items() if sign.asked}
            missing = [p for p in parts if p not in asked]
            if missing:
                raise TriageContentError(f"{where}: parts {missing} need a question of their own")
        else:
            parts = (qid,)
        text, child, other = (
            _text(raw, k, where, required=False) for k in ("text", "child_text", "other_text")
        )
        if text is None and child is None:
            raise TriageContentError(f"{where}: field 'text' (or 'child_text') is required")
        for t in (text, child, other):
            _question_text(t, where)
        _them(text, other, where)
        variants = []
        for v in raw.get("variants", []):
            when = _text(v, "if", where)
            if when not in signs:
                raise TriageContentError(f"{where}: variant 'if' {when!r} is not a sign")
            texts = [_text(v, k, where, required=False) for k in ("text", "child_text", "other_text")]
            for t in texts:
                _question_text(t, where)
            _them(texts[0], texts[2], where)
            variants.append(Variant(when, *texts))
        level = raw.get("level") if compound else None
        if compound and level is not None and level not in ("emergency", "urgent", "soon"):
            raise TriageContentError(f"{where}: field 'level' must be emergency, urgent or soon")
        label = _text(raw, "label", where) if level else None
        why = _text(raw, "why", where) if level else None
        advice = raw.get("advice") if level else None
        if advice is not None and not (isinstance(advice, str) and ID.fullmatch(advice)):
            raise TriageContentError(f"{where}: field 'advice' must name an [advice] table")
        questions.append(Question(qid, parts, text, child, other, tuple(variants), level, label, why, advice))
    if not questions:
        raise TriageContentError("red_flags.toml: no [[questions]]")
    for sign in signs.values():
        unknown = [s for s in sign.implies if s not in signs]
        if unknown:
            raise TriageContentError(f"red_flags.toml: sign '{sign.id}' implies unknown signs {unknown}")
    return signs, tuple(questions)


def _parse_flags(data: dict, sources: dict[str, Source], signs: dict[str, Sign]) -> tuple[Flag, ...]:
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
        when = conditions.parse(raw.get("when"), where)
        unknown = conditions.signs_of(when) - set(signs)
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
        about, advice = raw.get("about", "self"), raw.get("advice")
        if about not in ("self", "child"):
            raise TriageContentError(f"{where}: field 'about' must be self or child")
        if advice is not None and not (isinstance(advice, str) and ID.fullmatch(advice)):
            raise TriageContentError(f"{where}: field 'advice' must name an [advice] table")
        flags.append(Flag(
            id=fid, level=level, when=when, label=_text(raw, "label", where), why=_text(raw, "why", where),
            guards=_text(raw, "guards", where), sources=tuple(sources[s] for s in cited),
            synonyms=tuple(synonyms), about=about, advice=advice, instead_of=_ids(raw, "instead_of", where),
        ))  # fmt: skip
    ids = {f.id for f in flags}
    for flag in flags:
        if not set(flag.instead_of) <= ids:
            raise TriageContentError(
                f"red_flags.toml: flag '{flag.id}': field 'instead_of' names unknown flags"
            )
    return tuple(flags)


def _check_compounds(questions: tuple[Question, ...], flags: tuple[Flag, ...]) -> None:
    """A compound question's yes reaches its level with its own reason, so each part alone must
    raise a flag at that level: the parts share a level (and so an action)."""
    for q in questions:
        if q.compound and q.level:
            for part in q.signs:
                if not any(f.level == q.level and part in f.signs for f in flags):
                    raise TriageContentError(
                        f"red_flags.toml: question '{q.id}': part '{part}' raises no {q.level} flag"
                    )


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
        for form in (said, written):  # "their midwife": the same words about someone else
            form.update({f"their_{key}": wording.about_them(form[key]) for key in LOCALE_KEYS})
        numbers = raw.get("numbers", {})
        if not isinstance(numbers, dict) or not all(isinstance(v, str) and v for v in numbers.values()):
            raise TriageContentError(f"{where}: field 'numbers' must map digits to how they are said")
        locales[name] = Locale(said, written, dict(numbers))
    if "default" not in locales:
        raise TriageContentError("triage_phrases.toml: [locales.default] is required")
    return locales


def _parse_levels(phrases: dict) -> tuple[dict, dict]:
    levels = {}
    for level in LEVELS:
        raw = (phrases.get("levels") or {}).get(level) or {}
        where = f"triage_phrases.toml: [levels.{level}]"
        if not isinstance(raw.get("may_continue"), bool):
            raise TriageContentError(f"{where}: field 'may_continue' must be true or false")
        words = {k: _text(raw, k, where) for k in ("title", "opening", "action")}
        for audience in ("child", "other"):
            for k in ("title", "opening", "action"):
                words[f"{audience}_{k}"] = _text(raw, f"{audience}_{k}", where, required=False) or words[k]
        words["may_continue"] = raw["may_continue"]
        words["variants"] = []
        for v in raw.get("variants", []):
            when = _text(v, "if", where)
            action = _text(v, "action", where)
            other = _text(v, "other_action", where, required=False) or action
            child = _text(v, "child_action", where, required=False) or other
            words["variants"].append(
                {"if": when, "action": action, "other_action": other, "child_action": child}
            )
        levels[level] = words
    advice = {name: raw for name, raw in (phrases.get("advice") or {}).items()}
    return levels, advice


def _advice_tables(raw_advice: dict, levels: dict, users: dict[str, set[str]]) -> dict[str, dict]:
    """Each [advice.NAME] as a whole level table: what it leaves out comes from the one level its
    flags are at (a "call now" opening keeps the emergency title and actions). A parent and a
    proxy hear its `other_*` words when it gives them."""
    advice = {}
    for name, raw in raw_advice.items():
        where = f"triage_phrases.toml: [advice.{name}]"
        used_at = users.get(name, set())
        if len(used_at) != 1:
            raise TriageContentError(f"{where}: must be used at one level, is used at {sorted(used_at)}")
        level = next(iter(used_at))
        base = levels[level]
        words = {"level": level, "may_continue": base["may_continue"]}
        for k in ("title", "opening", "action"):
            own, other = (_text(raw, key, where, required=False) for key in (k, f"other_{k}"))
            if own is None and other is not None:
                raise TriageContentError(f"{where}: 'other_{k}' needs '{k}'")
            words[k] = own or base[k]
            words[f"other_{k}"] = other or own or base[f"other_{k}"]
            words[f"child_{k}"] = other or own or base[f"child_{k}"]
        advice[name] = words
    return advice


def _check_wording(rules: Rules) -> None:
    """Fill every template with every locale now, so a mistake fails at load, not mid-screen."""
    for name, words in rules.locales.items():
        for form in (words.said, words.written):
            for key in (
                "intro",
                "named_then",
                "question",
                "repeat",
                "reprompt",
                "unsure_ack",
                "unsure_split",
            ):
                wording.fill(rules.screen[key], form, cap=rules.cap, number=1, text="x")
            for q in rules.questions:  # questions and labels are said in the locale's words too
                for t in (q.text, q.child_text, q.other_text, q.label,
                          *(t for v in q.variants for t in (v.text, v.child_text, v.other_text))):
                    if t:
                        wording.fill(t, form)
            for f in rules.flags:
                wording.fill(f.label, form)
            tables = [*rules.levels.values(), *rules.advice.values()]
            outcome = [
                wording.fill(t[k], form)
                for t in tables
                for k in ("title", "opening", "action")
                for k in (k, f"child_{k}", f"other_{k}")
            ]
            outcome += [wording.fill(v[k], form) for t in rules.levels.values() for v in t["variants"]
                        for k in ("action", "child_action", "other_action")]  # fmt: skip
            whys = [f.why for f in rules.flags] + [q.why for q in rules.questions if q.why]
            outcome += [wording.fill(w, form) for w in whys]
            outcome += [wording.fill(wording.about_them(w), form) for w in whys]
            for w in whys:  # a reason is said about "them" to a parent or a proxy
                if wording.about_them_problem(w):
                    raise TriageContentError(
                        f"red_flags.toml: reason {w[:60]!r}: {wording.about_them_problem(w)}"
                    )
            outcome += [
                wording.fill(rules.screen[k], form, labels="x")
                for k in ("unsure_note", "cap_why", "stopped", "disclaimer", "self_care_told")
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
            titles = [wording.fill(rules.levels[level][k], words.written)
                      for k in ("title", "child_title", "other_title")]  # fmt: skip
            if not all(title.startswith(CARD_PREFIXES[level]) for title in titles):
                raise TriageContentError(
                    f"locale '{name}': {level} card title must start {CARD_PREFIXES[level]!r}"
                )
        for advice_name, advice in rules.advice.items():
            level = advice["level"]
            titles = [wording.fill(advice[k], words.written) for k in ("title", "other_title", "child_title")]
            if not all(title.startswith(CARD_PREFIXES[level]) for title in titles):
                raise TriageContentError(
                    f"locale '{name}': [advice.{advice_name}] card title must start {CARD_PREFIXES[level]!r}"
                )
    if DISCLAIMER not in rules.screen["disclaimer"]:
        raise TriageContentError(f"triage_phrases.toml: [screen] disclaimer must say {DISCLAIMER!r}")


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
    signs, questions = _parse_signs_and_questions(flags_data)
    flags = _parse_flags(flags_data, sources, signs)
    _check_compounds(questions, flags)
    used = set().union(*(f.signs for f in flags))
    used |= {v.when for q in questions for v in q.variants} | {
        s for sign in signs.values() for s in sign.implies
    }
    unused = [s for s in signs if s not in used and s not in ABOUT_SIGNS]
    if unused:
        raise TriageContentError(f"red_flags.toml: signs no flag uses: {unused}")
    screen = {k: _text(phrases.get("screen", {}), k, "triage_phrases.toml: [screen]") for k in SCREEN_KEYS}
    levels, raw_advice = _parse_levels(phrases)
    for level, table in levels.items():
        unknown = [v["if"] for v in table["variants"] if v["if"] not in signs]
        if unknown:
            raise TriageContentError(f"triage_phrases.toml: [levels.{level}] variant 'if': {unknown} unknown")
    users: dict[str, set[str]] = {}
    for reason in [*flags, *(q for q in questions if q.advice)]:
        if reason.advice:
            users.setdefault(reason.advice, set()).add(reason.level)
    missing = set(users) - set(raw_advice)
    if missing:
        raise TriageContentError(f"triage_phrases.toml: no [advice.{sorted(missing)[0]}]")
    advice = _advice_tables(raw_advice, levels, users)
    rules = Rules(cap, signs, questions, flags, sources, screen, levels, advice, _parse_locales(phrases))
    _check_wording(rules)
    return rules


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    from limber.core.compiled import load  # the bundle's precompiled content, if it is current
    from limber.core.content import content_dir

    folder = content_dir()
    return load("rules", folder, lambda: load_rules(folder / "red_flags.toml"))
