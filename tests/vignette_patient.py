"""A simulated patient for the red-flag screen: a person who knows their own story in words and
answers each question by what it ASKS, never by the engine's sign ids.

A vignette (tests/vignettes.toml) gives what the person says first (``says``) and what else is
true for them (``facts``), in plain words. Both are read into *concepts* here ("fell",
"takes a blood thinner", "72 years old") by this file's own word patterns; each question the
screen asks is read the same way, from its spoken text, into the concepts it asks about. The
patient says yes when they have one of those concepts, "not sure" when the vignette says they
would be unsure, and no otherwise. A question whose words this file can't read fails the test:
a new question must be understandable, not silently answered no.

``opening_signs`` is a stand-in for the hearing reader (core/hearing, another branch): it turns
the opening words into the engine's ``known`` signs, so the engine's use of what was already
said is tested here without waiting for that reader. When the real reader is importable, the
report also says which openings it recognises.
"""

# The word patterns below are data, one concept a line; wrapping them would hide them.
# ruff: noqa: E501
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

VIGNETTES = tomllib.loads((Path(__file__).parent / "vignettes.toml").read_text(encoding="utf-8"))["vignettes"]

# --- what people say, read into concepts --------------------------------------------------------
# Each concept: a pattern over one fact (lower case). Facts are short statements a person would
# make about themselves (or about the person they are asking for).
HE = r"(?:my|his|her|their)"
SAYS = {
    "saddle_numb": r"numb\w*[^.]*\b(?:bottom|bum|backside|groin|genitals|down there|saddle|inner thighs?|private)|"
    r"can'?t feel[^.]*\b(?:bottom|backside|toilet paper|down there|wip)|numb when (?:i|he|she) wipe|"
    r"\b(?:bottom|bum|backside|groin|genitals|down there|inner thighs?)[^.]*\bnumb",
    "bladder_new": r"\b(?:wet|wetting|peed|pooed|soiled) (?:myself|himself|herself|themselves)|can'?t (?:pee|wee)\b|"
    r"struggl\w* to (?:pee|wee|start)|lost control of \w+ (?:bladder|bowels)|can'?t feel (?:when )?(?:i|he|she) pee",
    "bladder_old": r"incontinen|\bleaks?\b[^.]*(?:for years|when (?:i|she|he) (?:cough|laugh|sneeze))|weak bladder",
    "sex_change": r"erection|erectile|impoten|during sex|climax|orgasm|ejaculat",
    "leg_pain": rf"sciatica|down (?:{HE}|the) (?:leg|thigh|buttock|calf)|into (?:{HE}|the) (?:leg|foot)|\bleg pain|"
    rf"pain in (?:{HE}) (?:leg|thigh)|tingl\w* in (?:{HE}) (?:leg|foot|toes)|shooting",
    "both_legs": r"both legs",
    "leg_weak": rf"(?:leg|foot|knee)s? (?:is |are |keeps )?(?:getting weaker|giving way|gave way|buckl|slapp|catch|drag)|"
    rf"foot drop|legs? (?:is |are |feels? |feel like |has been |have been )?(?:weak|jelly)|weak(?:ness)? in (?:{HE}) legs?|can'?t lift (?:{HE}) foot",
    "leg_numb": rf"(?:leg|foot|toes|calf|shin|thigh) (?:has |have )?(?:gone |went |is |are |feels? )?numb|"
    rf"numb(?:ness)? in (?:{HE}) (?:leg|foot|toes)|pins and needles in (?:{HE}) (?:leg|foot)",
    "sudden_severe": r"sudden\w*[^.]*(?:severe|agonis|worst|tearing|excruciating|terrible)|(?:severe|agonising|worst|tearing|terrible)[^.]*sudden|"
    r"out of nowhere[^.]*(?:severe|agonis|worst)",
    "faint": r"faint|clammy|pass(?:ed)? out|collaps|light-?headed|dizzy",
    "chest_pain": r"\bchest\b",
    "tummy_pain": r"stomach|tummy|belly|abdom|period pain|cramps",
    "cant_stand": r"can'?t (?:stand|walk|put (?:any )?weight|bear weight|get up)|unable to (?:stand|walk|put (?:any )?weight)|"
    r"won'?t (?:put (?:any )?weight|stand)",
    "leg_short_turned": r"shorter|turned (?:out|in)\b|looks twisted",
    "hip_replaced": r"hip replacement|new hip|replaced hip|artificial hip|hip (?:was|got) replaced",
    "hip_popped": r"popped|clunk|came out|went out of place",
    "fall": r"\bfell\b|\bfall(?:en)?\b|slipped|tripped|knock|\bbump(?:ed)?\b|accident|crash|hit by|tackled|came off",
    "high_energy": r"car (?:crash|accident)|motorbike|fell (?:off|from) (?:a |the )?(?:ladder|roof|height|horse|scaffold)|"
    r"down the stairs|hit by a car|knocked off",
    "fever": r"fever|temperature|hot and shivery|chills|shiver|feverish|\bflu\b",
    "very_unwell": r"confused|very unwell|can'?t get out of bed|really ill|drowsy|floppy|too ill|breathless|very sleepy",
    "hot_hip": r"hip[^.]*(?:\bred\b|\bhot\b|swollen)|(?:\bred\b|\bhot\b|swollen)[^.]*hip",
    "lump_back": r"\blump\b|bump on (?:my|his|her) spine|changed shape|hunched over more",
    "cancer": r"cancer|leuka?emia|lymphoma|myeloma|tumou?r",
    "immune_weak": r"chemo|\bhiv\b|immunosuppress|transplant|prednisolone|prednisone|steroid tablets|inject|methotrexate",
    "weight_loss": r"lost weight|losing weight|weight loss|clothes[^.]*loose",
    "night_pain": r"(?:wakes|woke|keeps) (?:me|him|her|them) (?:up|awake)|at night|when (?:i|he|she) (?:rest|lie)|lying still|constant",
    "cough_worse": r"(?:cough|sneez)\w* (?:makes|made) it (?:much )?worse|worse when (?:i|he|she) (?:cough|sneez)|"
    r"hurts? when (?:i|he|she) (?:cough|sneez)",
    "blood_thinner": r"warfarin|apixaban|rivaroxaban|edoxaban|dabigatran|blood thinner|eliquis|xarelto|anticoagul|coumadin",
    "fragile_bones": r"osteoporosis|thin bones|brittle bones|weak bones|prednisolone|prednisone|steroid tablets",
    "lifting": r"\blift\w*|carrying|moving (?:a |the )?(?:sofa|couch|furniture|fridge|wardrobe)|\bstrain",
    "bruise": r"bruise",
    "pregnant": r"pregnant|expecting a baby",
    "waves": r"waves|tighten|contraction|comes and goes every",
    "urinary_burning": r"burn\w* when (?:i|she) (?:pee|wee)|stings when|(?:pee|wee)\w* (?:a lot|all the time|more often)|"
    r"water infection|\buti\b|hurts to pee",
    "limping": r"limp|won'?t walk|not walking|hobbl",
    "long": r"for (?:the (?:last|past) )?(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many) (?:months|years)|"
    r"for years|(?:six|seven|eight|nine|ten|twelve|[6-9]|1\d) weeks|not getting better|isn'?t getting better|"
    r"not improving",
    "first_bout": r"first time|never had (?:back|hip) pain|first ever|never had anything like",
    "morning_stiff": r"stiff\w*[^.]*morning|morning stiffness",
}
SAYS = {concept: re.compile(pattern) for concept, pattern in SAYS.items()}
# When a bladder, sex or leg-weakness problem is new (it started, or changed, lately).
NEW = re.compile(r"since|this week|yesterday|today|days? ago|suddenly|just|last night|this morning|new|started|"
                 r"in the last|getting worse|worse and worse|getting weaker")  # fmt: skip
OLD = re.compile(
    r"for years|always|long-?standing|long term|for ages|since (?:having|i had) (?:the )?(?:baby|kids)"
)
AGE = re.compile(
    r"\b(?:age|aged) (\d+)|\b(\d+) years? old|\bi'?m (\d+)\b|\bhe'?s (\d+)\b|\bshe'?s (\d+)\b|\b(\d+)-year-old"
)
ONSET = re.compile(
    r"(?:since|started|began)[^.]*?(?:(?:age|aged|at) (\d+)|(?:my|his|her) (teens|twenties|thirties|forties|fifties))"
)
DECADE = {"teens": 15, "twenties": 25, "thirties": 35, "forties": 45, "fifties": 55}


@dataclass
class Person:
    concepts: set[str]
    unsure: set[str]
    age: int | None


def read_fact(fact: str) -> tuple[set[str], int | None, int | None]:
    """(concepts, age, age their back pain began) in one statement."""
    text = fact.lower().replace("\u2019", "'")
    found = {c for c, pattern in SAYS.items() if pattern.search(text)}
    for concept, new_one in (("sex_change", "sex_new"), ("leg_weak", "leg_weaker")):
        if concept in found:
            found.discard(concept)
            found.add(new_one if NEW.search(text) and not OLD.search(text) else concept + "_old")
    if "long" in found and re.search(r"on and off|settles|every (?:winter|summer)|most summers|before", text):
        found.discard("long")  # it comes and goes: not six weeks without getting better
    if "bladder_new" in found and OLD.search(text):
        found.discard("bladder_new")
        found.add("bladder_old")
    age = next((int(g) for m in AGE.finditer(text) for g in m.groups() if g), None)
    onset = None
    for m in ONSET.finditer(text):
        onset = int(m.group(1)) if m.group(1) else DECADE[m.group(2)]
    if onset is not None:
        found.add("began_before_45" if onset < 45 else "began_45_plus")
    return found, age, onset


def person(vignette: dict) -> Person:
    concepts: set[str] = set()
    age = vignette.get("age")
    for fact in [vignette["says"], *vignette.get("facts", [])]:
        found, said_age, _ = read_fact(fact)
        concepts |= found
        age = age if age is not None else said_age
    if age is not None:
        concepts |= {"age_50"} if age >= 50 else set()
        concepts |= {"age_65"} if age >= 65 else set()
    if "first_bout" in concepts and age is not None and age >= 50:
        concepts.add("first_bout_50")
    if {"morning_stiff", "began_before_45"} <= concepts:
        concepts.add("inflammatory")
    if "leg_weaker" in concepts or "leg_numb" in concepts or "both_legs" in concepts:
        concepts.add("leg_pain")  # weakness, numbness or symptoms in a leg are symptoms in a leg
    return Person(concepts, set(vignette.get("unsure", [])), age)


# --- what a question asks, read into concepts ---------------------------------------------------
PRONOUN = r"(?:your|their)"
ASKS = [
    ("first_bout_50", r"fifty or over,? and (?:is this|getting pain like this for) the first time"),
    ("inflammatory", r"before (?:you were|they were) forty-five, and is it stiff"),
    ("bladder_new", rf"trouble with {PRONOUN} (?:bladder|wee|pee)[^?]*start, or get worse"),
    ("sex_new", r"change with sex start, or get worse"),
    ("leg_weaker", rf"weakness in {PRONOUN} leg start, or get worse"),
    ("sudden_severe", r"(?:tummy|stomach) pain come on suddenly"),
    ("saddle_numb", rf"numb\w*(?: or tingling)? around {PRONOUN} (?:bottom|genitals)"),
    ("bladder_new", r"trouble peeing|leaking pee|(?:wee|pee) or poop? accidents|lost control of (?:your|their) bowels"),
    ("sex_new", r"during sex|with sex|erection|climax"),
    (
        "leg_pain",
        rf"spread from {PRONOUN} back or hip down into either leg|tingling, numbness or weakness in either leg",
    ),
    ("both_legs", r"both legs|one leg to both"),
    ("leg_weaker", r"getting weaker|giving way"),
    ("leg_numb", r"numbness or pins and needles in a leg"),
    (
        "sudden_severe",
        rf"suddenly,? with severe pain|suddenly with severe pain|severe pain in {PRONOUN} back or",
    ),
    ("faint", r"faint|clammy|collapsed|passed out"),
    ("chest_pain", r"chest"),
    ("cant_stand", r"unable to stand|put (?:any )?weight on"),
    ("leg_short_turned", r"shorter|turned (?:in or )?out"),
    ("hip_popped", r"replaced hip"),
    ("high_energy", r"serious accident"),
    ("fall", r"after a fall, a knock(?: or|,) an accident"),
    ("fever", r"fever|high temperature|hot and shivery"),
    ("very_unwell", r"very unwell"),
    ("hot_hip", r"hips? (?:look )?red|hips? (?:is |are )?red|red, hot or swollen|hip look red"),
    ("lump_back", r"lump or swelling on"),
    ("cancer", r"ever had cancer"),
    ("immune_weak", r"immune system|inject drugs"),
    ("weight_loss", r"lost weight"),
    ("night_pain", r"just as bad when|worse at night|wake them at night"),
    ("cough_worse", r"coughing|sneezing"),
    ("blood_thinner", r"blood thinners"),
    ("fragile_bones", r"bones are thin|osteoporosis|steroid tablets[^?]*most days"),
    ("lifting", r"lifting something heavy|hard strain|heavy lifting"),
    ("bruise", r"bruise"),
    ("waves", r"in waves|bump tighten"),
    ("urinary_burning", r"burn or hurt when"),
    ("limping", r"limping|not walking"),
    ("long", r"six weeks or more"),
    ("first_bout", r"first time"),
    ("morning_stiff", r"stiff for more than half an hour"),
    ("began_before_45", r"before (?:you were|they were) forty-five"),
    ("age_65", r"sixty-five or older"),
    ("age_50", r"fifty or older"),
]
ASKS = [(concept, re.compile(pattern)) for concept, pattern in ASKS]
# A conjunction ("fifty or over, and the first time") is one concept; its words aren't read again.
WHOLE = {"first_bout_50": {"first_bout", "age_50"}, "inflammatory": {"morning_stiff", "began_before_45"}}


class NotUnderstood(AssertionError):
    pass


def asked_concepts(question: str) -> set[str]:
    text = question.lower().replace("\u2019", "'")
    found: set[str] = set()
    covered: set[str] = set()
    for concept, pattern in ASKS:
        if concept in covered:
            continue
        if pattern.search(text):
            found.add(concept)
            covered |= WHOLE.get(concept, set())
    if not found:
        raise NotUnderstood(f"the patient can't tell what this asks: {question!r}")
    return found


def reply(who: Person, question: str) -> str:
    asked = asked_concepts(question)
    if asked & who.concepts:
        return "yes"
    if asked & who.unsure:
        return "unsure"
    return "no"


# --- the opening, as the hearing reader would pass it to the engine -------------------------------
CONCEPT_SIGNS = {
    "saddle_numb": ["saddle_numbness"], "bladder_new": ["bladder_bowel_change"],
    "bladder_old": ["bladder_bowel_symptom"], "sex_new": ["sexual_change"], "sex_change_old": ["sexual_symptom"],
    "leg_pain": ["leg_symptoms"], "both_legs": ["both_legs_affected"], "leg_weaker": ["leg_weakness_getting_worse"],
    "leg_weak_old": ["leg_weakness_symptom"], "leg_numb": ["leg_numbness_new"],
    "sudden_severe": ["sudden_severe_pain"], "faint": ["faint_or_clammy"], "chest_pain": ["chest_pain"],
    "tummy_pain": ["tummy_pain"], "cant_stand": ["cannot_bear_weight"], "leg_short_turned": ["leg_shortened_or_turned"],
    "hip_replaced": ["hip_replacement"], "hip_popped": ["replaced_hip_sudden_pain"], "fall": ["recent_injury"],
    "high_energy": ["recent_injury", "serious_accident"], "fever": ["fever"], "very_unwell": ["very_unwell"],
    "hot_hip": ["hot_swollen_hip"], "lump_back": ["back_lump_or_shape_change"], "cancer": ["cancer_history"],
    "immune_weak": ["weakened_immunity_or_injected_drugs"], "weight_loss": ["unexplained_weight_loss"],
    "night_pain": ["night_or_rest_pain"], "cough_worse": ["cough_sneeze_worse"], "blood_thinner": ["anticoagulants"],
    "fragile_bones": ["osteoporosis_or_steroids"], "lifting": ["heavy_lifting"], "bruise": ["large_bruise"],
    "pregnant": ["pregnant"], "waves": ["pain_in_waves"], "urinary_burning": ["urinary_symptoms"],
    "limping": ["child_limping"], "long": ["not_improving_6_weeks"], "morning_stiff": ["morning_stiffness"],
}  # fmt: skip


def opening_signs(vignette: dict) -> dict[str, str]:
    """The engine's ``known`` from the opening words only (what the person said first)."""
    found, age, _ = read_fact(vignette["says"])
    if "leg_weaker" in found or "leg_numb" in found or "both_legs" in found:
        found.add("leg_pain")
    known = {sign: "y" for concept in sorted(found) for sign in CONCEPT_SIGNS.get(concept, [])}
    if "hip_popped" in found and "hip_replaced" not in found:
        known.pop("replaced_hip_sudden_pain", None)  # "it popped" about a hip that wasn't replaced
    if age is not None:
        known["age_50_plus"] = "y" if age >= 50 else "n"
        known["age_65_plus"] = "y" if age >= 65 else "n"
    return known
