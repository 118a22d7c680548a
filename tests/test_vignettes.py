"""The red-flag screen against the clinical vignettes: people who say what's wrong in their own
words, then answer every question from their own story (tests/vignette_patient.py).

Drives the pure engine (limber.core.triage) for all of them, and prints a report with
`pytest -s` (or `python tests/test_vignettes.py`): emergency sensitivity, accuracy, under- and
over-triage, questions asked, per category and locale. The same people are also run through
the real lambda_handler in tests/test_screening_conversation.py.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import vignette_patient as patient
from limber.core import triage  # noqa: E402

RULES = triage.default_rules()
RANK = {"self_care": 0, "soon": 1, "urgent": 2, "emergency": 3}
LOCALES = ["en-US", "en-CA", "en-GB", "en-AU", "en-IN"]
EMERGENCY_NUMBER = {"en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "000", "en-IN": "112"}
# Questions no parent may be asked about a child (adult-only subjects).
ADULT_ONLY = (
    "erection",
    "sex",
    "climax",
    "pregnan",
    "bump",
    "fifty",
    "sixty-five",
    "forty-five",
    "blood thinners",
)


class Run:
    def __init__(self, vignette):
        self.vignette = vignette
        self.who = patient.person(vignette)
        self.known = patient.opening_signs(vignette)
        self.asked: list[str] = []
        self.replies: list[str] = []
        locale = vignette["locale"]
        step = triage.start_screen(RULES, None, locale, known=self.known, about=vignette["about"])
        self.first_text = step.text
        while step.kind == "question":
            self.asked.append(step.question)
            reply = patient.reply(self.who, step.question)
            self.replies.append(reply)
            step = triage.answer(RULES, json.loads(json.dumps(step.state)), reply, locale)
        self.outcome = step

    @property
    def level(self) -> str:
        return self.outcome.level


@cache
def runs() -> tuple[Run, ...]:
    return tuple(Run(v) for v in patient.VIGNETTES)


def report() -> dict:
    results = runs()
    total = len(results)
    right = [r for r in results if r.level == r.vignette["expected"]]
    emergencies = [r for r in results if r.vignette["expected"] == "emergency"]
    under = [r for r in results if RANK[r.level] < RANK[r.vignette["expected"]]]
    over = [r for r in results if RANK[r.level] > RANK[r.vignette["expected"]]]
    asked = [len(r.asked) for r in results]
    by_category = defaultdict(list)
    for r in results:
        by_category[r.vignette["category"]].append(r)
    return {
        "total": total,
        "accuracy": len(right) / total,
        "emergency_sensitivity": sum(r.level == "emergency" for r in emergencies) / len(emergencies),
        "under": under,
        "over": over,
        "questions_mean": sum(asked) / total,
        "questions_max": max(asked),
        "emergency_questions_max": max(len(r.asked) for r in emergencies),
        "low_to_emergency": [
            r for r in over if r.level == "emergency" and r.vignette["expected"] in ("soon", "self_care")
        ],
        "by_category": by_category,
        "confusion": Counter((r.vignette["expected"], r.level) for r in results),
    }


def print_report(out=print) -> None:
    figures = report()
    out(f"\nvignettes: {figures['total']} people, engine driven directly")
    out(f"  emergency sensitivity  {figures['emergency_sensitivity']:.0%}")
    out(f"  accuracy               {figures['accuracy']:.1%}")
    out(f"  under-triaged          {len(figures['under'])}   over-triaged {len(figures['over'])}")
    out(f"  soon/self-care sent to the emergency number: {len(figures['low_to_emergency'])}")
    out(
        f"  questions              mean {figures['questions_mean']:.2f}, max {figures['questions_max']},"
        f" max before an emergency {figures['emergency_questions_max']}"
    )
    for (expected, got), n in sorted(figures["confusion"].items()):
        out(f"    expected {expected:9} got {got:9} x{n}")
    out("  by category (right/all, mean questions):")
    for category, rs in sorted(figures["by_category"].items()):
        ok = sum(r.level == r.vignette["expected"] for r in rs)
        mean = sum(len(r.asked) for r in rs) / len(rs)
        out(f"    {category:14} {ok:3}/{len(rs):<3} {mean:4.1f}")
    by_locale = Counter(r.vignette["locale"] for r in runs())
    right_by_locale = Counter(r.vignette["locale"] for r in runs() if r.level == r.vignette["expected"])
    per_locale = (f"{loc} {right_by_locale[loc]}/{n}" for loc, n in sorted(by_locale.items()))
    out("  by locale: " + ", ".join(per_locale))
    for r in figures["under"] + figures["over"]:
        out(f"  miss: {r.vignette['id']}: expected {r.vignette['expected']}, got {r.level}")
    try:
        from limber.core.hearing import read  # the hearing branch's reader, once merged
    except ImportError:
        out("  openings recognised: (limber.core.hearing not available on this branch)")
    else:
        # A plain "is this dangerous?" names nothing; a goal ("my hips are tight from cycling")
        # is heard as meant (issue #12): both count as heard.
        heard = [v for v in patient.VIGNETTES if not v["says"].startswith("is ")]
        missed = [v["id"] for v in heard if read(v["says"]).kind not in ("symptom", "goal")]
        out(f"  openings heard by the hearing reader: {len(heard) - len(missed)}/{len(heard)} {missed[:5]}")


# --- the vignettes themselves --------------------------------------------------------------------


def test_the_vignettes_are_many_varied_and_sourced():
    vignettes = patient.VIGNETTES
    ids = [v["id"] for v in vignettes]
    assert len(ids) == len(set(ids)) >= 150
    levels = Counter(v["expected"] for v in vignettes)
    assert min(levels[lv] for lv in RANK) >= 20, levels
    assert set(LOCALES) <= {v["locale"] for v in vignettes}
    about = Counter(v["about"] for v in vignettes)
    assert about["child"] >= 10 and about["other"] >= 20
    categories = {v["category"] for v in vignettes}
    assert {"cauda_equina", "vascular", "hip", "trauma", "anticoagulant", "infection", "cancer",
            "fragile_bones", "pregnancy", "soon", "child", "proxy", "self_care",
            "narrowed"} <= categories  # fmt: skip
    for v in vignettes:
        assert v["says"] and all(isinstance(f, str) and f for f in v["facts"]), v["id"]
        assert v["expected"] in RANK and v["about"] in ("self", "child", "other"), v["id"]
        assert v["basis"] and all(b in RULES.sources for b in v["basis"]), v["id"]


def test_every_question_asked_is_understood_by_the_patient():
    # A question the patient can't read would fail in Run; every vignette ran to an outcome.
    assert all(r.outcome.kind == "outcome" for r in runs())


# --- the targets ----------------------------------------------------------------------------------


def test_every_emergency_comes_out_as_an_emergency():
    missed = [
        r.vignette["id"] for r in runs() if r.vignette["expected"] == "emergency" and r.level != "emergency"
    ]
    assert missed == []


def test_no_soon_or_self_care_case_is_sent_to_the_emergency_number():
    for r in runs():
        if r.vignette["expected"] in ("soon", "self_care"):
            assert r.level != "emergency", r.vignette["id"]
            number = EMERGENCY_NUMBER[r.vignette["locale"]]
            assert not r.outcome.card_title.startswith("Emergency") and number not in r.outcome.card_title


def test_accuracy_is_at_least_95_percent(capsys):
    with capsys.disabled():
        print_report()
    assert report()["accuracy"] >= 0.95


def test_screens_are_short():
    figures = report()
    assert figures["questions_max"] <= 12
    assert figures["questions_mean"] <= 6
    assert figures["emergency_questions_max"] <= 4


# --- what each person hears -------------------------------------------------------------------------


@pytest.mark.parametrize("run", runs(), ids=lambda r: r.vignette["id"])
def test_each_outcome_fits_the_person(run):
    v, outcome = run.vignette, run.outcome
    text, card = outcome.text, outcome.card_text
    assert triage.DISCLAIMER in card
    lowered = (text + " " + card).lower()
    for banned in (*triage.BANNED_IN_OUTCOMES, "save your life"):
        assert banned not in lowered, (v["id"], banned)
    if outcome.level == "emergency":
        assert f"call {EMERGENCY_NUMBER[v['locale']]}" in text.split(".")[0]
    if "y" in run.known.values() or {"yes", "unsure"} & set(run.replies):
        assert "no warning signs" not in lowered, v["id"]  # never about something they told us
    if v["about"] == "child":
        assert not [q for q in run.asked if any(word in q.lower() for word in ADULT_ONLY)], v["id"]
        assert outcome.level != "self_care"
        assert "stretches" not in text
    if v["about"] == "other":
        assert all(" you " not in f" {q} " and "your" not in q for q in run.asked), v["id"]
    if "pregnant" in run.who.concepts and outcome.level == "urgent":
        assert "maternity" in text or "midwife" in text or "labor" in text or "obstetrician" in text, v["id"]
    for q in run.asked:  # what they told us first is never asked again
        assert not (patient.asked_concepts(q) and patient.asked_concepts(q) <= _said(run)), (v["id"], q)


def _said(run) -> set[str]:
    found, age, _ = patient.read_fact(run.vignette["says"])
    if age is not None:
        found |= {"age_50", "age_65"} if age >= 65 else {"age_50"} if age >= 50 else set()
    return found


def test_a_compound_not_sure_asks_its_parts_one_at_a_time():
    unsure_runs = [r for r in runs() if r.vignette.get("unsure")]
    assert unsure_runs
    for r in unsure_runs:
        if r.level == "emergency" and r.vignette["expected"] == "emergency":
            assert "weren't sure" in r.outcome.text, r.vignette["id"]
            assert r.outcome.flags and all(f in {x.id for x in RULES.flags} for f in r.outcome.flags), (
                r.vignette["id"]
            )


def test_an_emergency_patient_who_is_only_ever_not_sure_is_still_an_emergency():
    """The same people, answering "not sure" wherever they would have said yes: not sure counts
    as yes, a compound's "not sure" asks its parts, and the outcome says what was counted."""
    for vignette in patient.VIGNETTES:
        if vignette["expected"] != "emergency":
            continue
        who, locale = patient.person(vignette), vignette["locale"]
        step = triage.start_screen(RULES, None, locale, known=patient.opening_signs(vignette),
                                   about=vignette["about"])  # fmt: skip
        asked = 0
        while step.kind == "question":
            reply = patient.reply(who, step.question)
            step = triage.answer(RULES, step.state, "unsure" if reply == "yes" else reply, locale)
            asked += 1
        assert step.level == "emergency", vignette["id"]
        assert asked == 0 or "weren't sure" in step.text, vignette["id"]


if __name__ == "__main__":
    print_report()
