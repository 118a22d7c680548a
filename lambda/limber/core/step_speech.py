"""The spoken text of one step of a routine: position, set-up, timed hold, what next.

What people need once is said once. Who should skip a stretch comes before its first side
and first set only, and not when the same step is heard again (``again``: a repeat or a
resume). A second side gets only the set-up lines that change (the ones naming a side), a
later set none. A skip reason already explained earlier in the routine is said the second
time without its explanation. Cues rotate through small sets of wordings, picked by the
step's index, so consecutive steps never say the same sentence and a step's speech stays a
pure function of its arguments, which is what lets it be cached.

Progressive disclosure: a stretch the person knows (``familiar``: met in earlier runs) gets
its heading, its one-line cue and the quiet the body needs to get into position (every move
the full set-up would have paused for), then "Starting now". No skip list (one line at the
routine's start covers it), no what-to-feel: "how do I do this" gives the full version.
"""

from __future__ import annotations

from functools import lru_cache

from limber.core.content import Routine, Stretch
from limber.core.routine import Step, hold_for, is_last, step_at, steps_of
from limber.core.ssml import Speech
from limber.core.timing import hold_speech, number_word, pick, reps_speech, rest_speech
from limber.core.words import spoken_list

SETUP_PAUSE_SECONDS = 1.5  # between set-up lines when content has no movement table
GET_READY_SECONDS = 2.0  # time to settle into position before the hold starts
SLOWER_RATE = 0.85  # "slower please": prosody at 85 % ...
SLOWER_GAPS = 1.5  # ... and half as long again between set-up lines and before the hold

SKIP_LEADS = ("Skip this one if", "Leave this one out if", "Skip it if")
FEEL_LEADS = ("You should feel", "Aim to feel", "Look for")
NEXT_STRETCH = (
    "Say next for {name}.", "Next is {name}. Say next when ready.", "Say next for {name} when ready."
)
LATER_SET = ("Same again.", "Same as before.", "Just as before.")
REPROMPTS = {
    "side": ("Say next for the {side} side, or repeat to do this side again.",
             "Ready for the {side} side? Say next. Or say repeat for this side again."),
    "set": ("Say next for set {set}, or stop to finish for now.",
            "Say next when you're ready for set {set}."),
    "stretch": ("Say next to carry on, repeat to do that one again, or stop to finish for now.",
                "Say next to move on, or repeat to do it again.",
                "Say next when you're ready, or stop to finish for now."),
    "last": ("Say next to finish, or repeat to do that one again.",),
}
# "explanation" in a skip reason: "you are over sixteen weeks pregnant, as lying flat ..."
REASON_SEPARATOR = ", as "


def side_phrase(side: str) -> str:
    """ "left side", "right side", or nothing for a stretch done in one position."""
    return "" if side == "both" else f"{side} side"


def heading(routine: Routine, step: Step) -> str:
    """The exact opening of every step: "Stretch 2 of 6: name, left side." (the side only
    where there are two)."""
    side = side_phrase(step.side)
    return (
        f"Stretch {step.stretch_number} of {len(routine.stretches)}: "
        f"{step.stretch.name}{', ' + side if side else ''}."
    )


def exact_place(routine: Routine, step: Step) -> str:
    """ "stretch 3 of 7, right side, set two of three": the place, exactly, mid-sentence."""
    where = f"stretch {step.stretch_number} of {len(routine.stretches)}"
    if side_phrase(step.side):
        where += f", {side_phrase(step.side)}"
    if step.stretch.sets > 1:
        where += f", set {number_word(step.set_number)} of {number_word(step.stretch.sets)}"
    return where


def setup_lines(step: Step) -> list[str]:
    """Every set-up line for this side (what a screen shows, and "how do I do this")."""
    other = {"left": "right", "right": "left"}.get(step.side, "")
    return [line.format(side=step.side, other=other) for line in step.stretch.setup]


def _spoken_line_numbers(step: Step) -> list[int]:
    if step.set_number > 1:
        return []
    raw = step.stretch.setup
    return [i for i, line in enumerate(raw) if step.side != "right" or "{" in line]


def spoken_setup(step: Step) -> list[str]:
    """The set-up said aloud: all of it for the first side's first set; for the second side
    only the lines that name a side (what changes); for a later set, nothing."""
    lines = setup_lines(step)
    return [lines[i] for i in _spoken_line_numbers(step)]


def previous_position(routine: Routine, step: Step) -> str:
    """Where the body is before this stretch: the last stretch's position, or the routine's start."""
    if step.stretch_number == 1:
        return routine.starts_in
    return routine.stretches[step.stretch_number - 2].position


def setup_moves(routine: Routine, index: int) -> list[tuple[str, float]]:
    """(move, seconds of quiet) after each spoken set-up line. The first line moves the body
    into place (from the last stretch, or to the other side); a stretch may name a move for
    any line; every other line gets the usual short pause."""
    step = steps_of(routine)[index]
    stretch, movement = step.stretch, routine.movement
    numbers = _spoken_line_numbers(step)
    if movement is None:  # content built by hand without a movement table
        return [("between_lines", SETUP_PAUSE_SECONDS) for _ in numbers]
    if step.side == "right":
        entry = movement.places[stretch.position].switch
    else:
        entry = movement.between(previous_position(routine, step), stretch.position)
    out = []
    for n, line in enumerate(numbers):
        named = stretch.setup_moves[line] if stretch.setup_moves else ""
        candidates = ([entry] if n == 0 else []) + [named or "between_lines"]  # ties: the entry move
        move = max(candidates, key=movement.seconds)
        out.append((move, movement.seconds(move)))
    return out


def feel_sentence(feel: str, variant: int = 0) -> str:
    """Content writes what to feel as a phrase: "A gentle pull across the hip." """
    return f"{pick(FEEL_LEADS, variant)} {feel[0].lower()}{feel[1:]}"


def skip_reasons(routine: Routine, stretch: Stretch) -> list[str]:
    """Who should skip ``stretch``, each reason once; a reason already explained for an earlier
    stretch of ``routine`` loses its explanation (", as ...") the second time."""
    earlier = set()
    for other in routine.stretches:
        if other.id == stretch.id:  # by id: equal routines from another load share caches
            break
        earlier.update(other.skip_if)
    out: list[str] = []
    for reason in dict.fromkeys(stretch.skip_if):
        if reason in earlier and REASON_SEPARATOR in reason:
            reason = reason.split(REASON_SEPARATOR, 1)[0]
        out.append(reason)
    return list(dict.fromkeys(out))


def skip_sentence(routine: Routine, stretch: Stretch, variant: int = 0) -> str:
    return f"{pick(SKIP_LEADS, variant)} {spoken_list(skip_reasons(routine, stretch), 'or')}."


def what_next(routine: Routine, index: int) -> str:
    """The closing line telling the person what to say to move on."""
    if is_last(routine, index):
        return "That was the last one. Say next to finish."
    current, following = step_at(routine, index), step_at(routine, index + 1)
    if following.stretch_number == current.stretch_number:
        if following.side == current.side:
            return f"Say next for set {number_word(following.set_number)}."
        return f"Say next for the {following.side} side."
    return pick(NEXT_STRETCH, current.stretch_number).format(name=following.stretch.name)


def step_reprompt(routine: Routine, index: int) -> str:
    """What to say if the person is quiet after a step, fitting the moment (another side, the
    next set, the next stretch, or the finish) and varied from one step to the next."""
    if is_last(routine, index):
        return pick(REPROMPTS["last"], index)
    current, following = step_at(routine, index), step_at(routine, index + 1)
    if following.stretch_number == current.stretch_number:
        if following.side == current.side:
            return pick(REPROMPTS["set"], index).format(set=number_word(following.set_number))
        return pick(REPROMPTS["side"], index).format(side=following.side)
    return pick(REPROMPTS["stretch"], index)


def is_first_time(step: Step) -> bool:
    """The step where a stretch begins: its first side, first set."""
    return step.set_number == 1 and step.side in ("left", "both")


def cue_line(step: Step) -> str:
    """The one key point a familiar stretch gets, for this side."""
    other = {"left": "right", "right": "left"}.get(step.side, "")
    cue = step.stretch.cue or step.stretch.setup[-1]
    return cue.format(side=step.side, other=other)


LONG_HOLD = 30  # seconds: a hold this long may carry one line of pain education
HOLD_LINE_AT = 3.0  # seconds into the hold, once the person has settled


def hold_line_step(routine: Routine, hold_preference: int | None) -> int | None:
    """The one step of a run whose hold may carry a line about back pain: the first long hold
    after the opening stretch (people are still settling in during the first)."""
    for i, step in enumerate(steps_of(routine)):
        hold = hold_for(step.stretch, hold_preference)
        if step.stretch_number > 1 and hold is not None and hold >= LONG_HOLD:
            return i
    return None


def step_speech(
    routine: Routine,
    index: int,
    hold_preference: int | None,
    *,
    again: bool = False,
    slower: bool = False,
    familiar: bool = False,
    brief: bool = False,
    full: bool = False,
    hold_line: str | None = None,
) -> Speech:
    """A fresh copy of the step's speech: callers may add to it. ``again`` is for a step heard
    before (repeat, resume): who should skip it is not said a second time. ``slower`` is for
    "slower please": slower speech and wider gaps, holds still exactly as long. ``familiar``:
    the person knows this stretch (the short cue). ``brief``: they asked for less talking, but
    don't know it yet: the short cue, and still who should skip it and its safety line.
    ``full``: "how do I do this": every set-up line for this side, what to feel and the safety
    line, on any side or set. ``hold_line``: one line said early in the hold, in place of
    silence (only where it fits before the first cue)."""
    key = (routine, index, hold_preference, again, slower, familiar and not full, brief and not full, full)
    return _step_speech(*key, hold_line).copy()


@lru_cache(maxsize=1024)
def _step_speech(
    routine: Routine,
    index: int,
    hold_preference: int | None,
    again: bool,
    slower: bool,
    familiar: bool,
    brief: bool,
    full: bool,
    hold_line: str | None,
) -> Speech:
    # A step's words depend only on these arguments: built once.
    step = steps_of(routine)[index]
    stretch = step.stretch
    rate, gaps = (SLOWER_RATE, SLOWER_GAPS) if slower else (1.0, 1.0)
    speech = Speech(rate).say(heading(routine, step))
    if stretch.sets > 1:
        speech.say(f"Set {number_word(step.set_number)} of {number_word(stretch.sets)}.")
    first_time = is_first_time(step)
    if step.set_number > 1:
        speech.say(pick(LATER_SET, index))
    moves = setup_moves(routine, index)
    short = familiar or brief
    if first_time and not again and not familiar:  # before getting into position: who should skip it
        speech.say(skip_sentence(routine, stretch, step.stretch_number))
    if short:
        # One key point, and the quiet every move of the set-up still takes.
        if step.set_number == 1 and (first_time or "{" in (stretch.cue or stretch.setup[-1])):
            speech.say(cue_line(step))
        speech.pause(sum(seconds for _move, seconds in moves) * gaps)
    elif full:  # every line, the quiet of the moves this side takes spread after them
        lines = setup_lines(step)
        usual = routine.movement.seconds("between_lines") if routine.movement else SETUP_PAUSE_SECONDS
        quiet = [seconds for _move, seconds in moves] + [usual] * len(lines)
        for n, line in enumerate(lines):
            speech.say(line).pause(max(quiet[n], usual) * gaps)
    else:
        for line, (_move, seconds) in zip(spoken_setup(step), moves, strict=True):
            speech.say(line).pause(seconds * gaps)
    hold = hold_for(stretch, hold_preference)
    # What to feel and the safety cue come before "Starting now": said inside the hold, a long
    # sentence would make the hold's length hang on the voice's speed (espeak is much faster).
    if (first_time or full) and not short:
        speech.say(feel_sentence(stretch.feel, step.stretch_number))
    if (first_time or full) and not familiar:
        speech.say(stretch.safety)
    speech.pause(GET_READY_SECONDS * gaps).say("Starting now.").mark("hold_start")
    if hold is not None and hold_line and hold >= LONG_HOLD:
        speech.extend(hold_speech(hold, index, rate, opening=(HOLD_LINE_AT, hold_line)))
    elif hold is not None:
        speech.extend(hold_speech(hold, index, rate))
    else:
        speech.extend(reps_speech(stretch.reps, stretch.rep_seconds, rate))
    speech.mark("hold_end").say("Release.")
    if stretch.rest_seconds and step.set_number < stretch.sets:
        speech.say(f"Rest for {stretch.rest_seconds} seconds.").mark("rest_start")
        speech.extend(rest_speech(stretch.rest_seconds, index, rate)).mark("rest_end").say("Rest over.")
    return speech.say(what_next(routine, index))


# --- a way for every body: the easier version of a step, or its chair or standing alternative ---

EASIER_LEADS = ("An easier way.", "Let's make it easier.")
ALTERNATIVE_LEAD = "Here's a version off the floor."
OTHER_SIDE = "Now the other side."


def has_alternative(routine: Routine, index: int) -> bool:
    return steps_of(routine)[index].stretch.alternative_stretch is not None


def variant_speech(
    routine: Routine, index: int, hold_preference: int | None, variant: str = "easier"
) -> Speech | None:
    """The step at ``index`` done another way, as one response: ``"easier"`` (the content's
    easier version: what to change, then a hold or reps that may be shorter) or
    ``"alternative"`` (the chair or standing stretch content gives for a floor or kneeling one,
    with its own skip list, set-up and safety cue). None when the stretch has no such version.
    The person stays at the same place in the routine: the closing line is the step's own."""
    step = steps_of(routine)[index]
    if variant == "easier":
        return _easier_speech(routine, index, hold_preference) if step.stretch.easier else None
    if variant == "alternative":
        if not has_alternative(routine, index):
            return None
        return _alternative_speech(routine, index, hold_preference)
    raise ValueError(f"variant must be 'easier' or 'alternative', not {variant!r}")


def _timed_part(speech: Speech, stretch: Stretch, hold: int | None, reps: int | None, variant: int) -> None:
    speech.pause(GET_READY_SECONDS).say("Starting now.").mark("hold_start")
    if hold is not None:
        speech.extend(hold_speech(hold, variant))
    else:
        speech.extend(reps_speech(reps, stretch.rep_seconds))
    speech.mark("hold_end").say("Release.")


def _easier_speech(routine: Routine, index: int, hold_preference: int | None) -> Speech:
    step = steps_of(routine)[index]
    stretch, easier = step.stretch, step.stretch.easier
    speech = Speech().say(heading(routine, step), pick(EASIER_LEADS, index), easier.say)
    usual = hold_for(stretch, hold_preference)
    hold = min(easier.hold_seconds, usual) if easier.hold_seconds and usual else usual
    reps = easier.reps or stretch.reps
    _timed_part(speech, stretch, hold, reps if hold is None else None, index + 1)
    return speech.say(what_next(routine, index))


def _alternative_speech(routine: Routine, index: int, hold_preference: int | None) -> Speech:
    step = steps_of(routine)[index]
    alternative = step.stretch.alternative_stretch
    # A one-position stretch swapped for a two-sided one does both sides here, so none is missed.
    if alternative.sides == ("left", "right"):
        sides = [step.side] if step.side != "both" else ["left", "right"]
    else:
        sides = ["both"]
    speech = Speech().say(ALTERNATIVE_LEAD)
    hold = hold_for(alternative, hold_preference)
    for n, side in enumerate(sides):
        alt_step = Step(step.stretch_number, alternative, side, 1)
        if n == 0:
            speech.say(heading(routine, alt_step), skip_sentence(routine, alternative, step.stretch_number))
            lines = setup_lines(alt_step)
            entry = (routine.movement.between(step.stretch.position, alternative.position)
                     if routine.movement else "between_lines")
        else:
            speech.say(OTHER_SIDE)
            lines = spoken_setup(Step(step.stretch_number, alternative, "right", 1))
            movement = routine.movement
            entry = movement.places[alternative.position].switch if movement else "between_lines"
        for k, line in enumerate(lines):
            move = entry if k == 0 else "between_lines"
            seconds = routine.movement.seconds(move) if routine.movement else SETUP_PAUSE_SECONDS
            speech.say(line).pause(seconds)
        if n == 0:
            speech.say(feel_sentence(alternative.feel, step.stretch_number), alternative.safety)
        _timed_part(speech, alternative, hold, alternative.reps, index + n)
    return speech.say(what_next(routine, index))


def same_place(from_routine: Routine, index: int, to_routine: Routine) -> int:
    """Where step ``index`` of one version of a routine is in another (its no-floor or quick
    version, or back): the same stretch (stretch for stretch between a routine and its
    no-floor version, by id for a quick one), on the same side where it has one; a stretch the
    other version leaves out goes to the next one it does; past its end, its last step."""
    step = steps_of(from_routine)[index]
    target = steps_of(to_routine)
    if len(from_routine.stretches) == len(to_routine.stretches):
        hits = [i for i, c in enumerate(target) if c.stretch_number == step.stretch_number]
    else:
        hits = [i for i, c in enumerate(target) if c.stretch.id == step.stretch.id]
    if hits:
        same_side = [i for i in hits if target[i].side == step.side and target[i].set_number == 1]
        return (same_side or hits)[0]
    later = [s.id for s in from_routine.stretches[step.stretch_number:]]
    following = [i for i, c in enumerate(target) if c.stretch.id in later]
    return following[0] if following else len(target) - 1


def routine_seconds(
    routine: Routine,
    hold_preference: int | None = None,
    *,
    familiar: frozenset[str] = frozenset(),
    slower: bool = False,
    first: int = 0,
) -> float:
    """How long the routine takes from step ``first`` to the end, every step's speech and
    silence, from its own estimate, as this person will hear it."""
    steps = steps_of(routine)
    return sum(
        step_speech(
            routine, i, hold_preference, slower=slower, familiar=steps[i].stretch.id in familiar
        ).estimated_seconds
        for i in range(first, len(steps))
    )


def routine_minutes(
    routine: Routine,
    hold_preference: int | None = None,
    *,
    familiar: frozenset[str] = frozenset(),
    slower: bool = False,
) -> int:
    seconds = routine_seconds(routine, hold_preference, familiar=familiar, slower=slower)
    return max(1, round(seconds / 60))
