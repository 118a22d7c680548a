"""Routines and stretches, loaded from the TOML files in ``content/``.

The files are data that clinicians and writers edit, so every problem is reported with
the file, the stretch (or routine) and the field it concerns. Loading is pure: no ASK
SDK, no I/O beyond reading the folder it is given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

SIDE_WORDS = ("left", "right", "both")
CONTENT_HOLD_RANGE = (5, 120)  # what a content file may say; people choose 10-60 s
REP_RANGE = (1, 30)
MAX_CUE_WORDS = 12  # the cue is all a person who knows the stretch hears before the hold


STRETCH_FIELDS = {
    "id",
    "cue",
    "name",
    "purpose",
    "setup",
    "feel",
    "sides",
    "hold_seconds",
    "reps",
    "rep_seconds",
    "sets",
    "rest_seconds",
    "safety",
    "skip_if",
    "sources",
    "position",
    "setup_moves",
    "easier",
    "alternative",
}
EASIER_FIELDS = {"say", "hold_seconds", "reps", "sources"}
ROUTINE_FIELDS = {"id", "name", "summary", "synonyms", "stretches", "order", "starts_in", "quick"}
NO_FLOOR, QUICK = "no_floor", "quick"  # the derived versions of every routine: "<id>_no_floor"
QUICK_SIZE = (2, 4)  # stretches in a quick version
QUICK_HOLD, QUICK_REPS = 20, 6  # a quick version's longest hold and most reps: still a useful dose
DEFAULT_START = "standing"  # where a routine assumes the person is when it starts


class ContentError(ValueError):
    """A content file breaks the schema; the message names file, item and field."""


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Place:
    """A position a stretch is done in: its group ("up", "chair", "floor") and the move
    between its left and right side."""

    group: str
    switch: str


@dataclass(frozen=True)
class Movement:
    """``content/movement.toml``: seconds per move, and which move gets the body from one
    position to another."""

    moves: dict[str, float]
    places: dict[str, Place]
    transitions: tuple[tuple[frozenset[str], frozenset[str], str], ...]

    def between(self, before: str, after: str) -> str:
        """The move from position ``before`` to ``after`` (names of positions)."""
        if before == after:
            return "settle"
        for sources, targets, move in self.transitions:
            if before in sources and after in targets:
                return move
        for sources, targets, move in self.transitions:
            if self.places[before].group in sources and self.places[after].group in targets:
                return move
        return "settle"

    def seconds(self, move: str) -> float:
        return self.moves[move]


@dataclass(frozen=True)
class Easier:
    """An easier way to do a stretch: what to change, said before "Starting now", and
    optionally a shorter hold or fewer reps."""

    say: str
    hold_seconds: int | None
    reps: int | None
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Stretch:
    id: str
    name: str
    purpose: str
    setup: tuple[str, ...]  # spoken steps; "{side}" and "{other}" are filled per side
    feel: str
    sides: tuple[str, ...]  # ("left", "right") or ("both",)
    hold_seconds: int | None  # a timed hold ...
    reps: int | None  # ... or a rep count, never both
    rep_seconds: int
    sets: int
    rest_seconds: int
    safety: str
    skip_if: tuple[str, ...]
    sources: tuple[Source, ...]
    position: str = DEFAULT_START  # a name in movement.toml [positions]
    setup_moves: tuple[str, ...] = ()  # per set-up line: a move name, or "" for the usual pause
    easier: Easier | None = None
    alternative: str | None = None  # a chair or standing stretch's id, for one done on the floor
    alternative_stretch: Stretch | None = None  # that stretch, filled in by load_library
    cue: str = ""  # one key point, all a person who knows the stretch hears (required in files)

    @property
    def is_timed(self) -> bool:
        return self.hold_seconds is not None


@dataclass(frozen=True)
class Routine:
    id: str
    name: str
    summary: str
    synonyms: tuple[str, ...]
    stretches: tuple[Stretch, ...]
    order: int = 100  # where it comes in spoken lists; ties go by id
    starts_in: str = DEFAULT_START  # the position the person is in when it starts
    movement: Movement | None = None  # the pacing table, shared by every routine
    quick: tuple[str, ...] = ()  # stretch ids of its quick version, in order
    base: str | None = None  # for a derived version (no floor, quick): the routine it comes from

    def __hash__(self) -> int:
        # By id only: the generated hash walked every stretch's fields on each steps_of()
        # lookup, which cost more than the rest of a turn. Equality stays field by field.
        return hash(self.id)


@dataclass(frozen=True)
class Library:
    routines: tuple[Routine, ...]  # the ones Limber lists and people ask for by name
    stretches: dict[str, Stretch]
    movement: Movement | None = None
    variants: dict[str, Routine] = field(default_factory=dict)  # "<id>_no_floor", "<id>_quick"

    def routine(self, routine_id: str | None) -> Routine | None:
        found = next((r for r in self.routines if r.id == routine_id), None)
        if found is None and isinstance(routine_id, str):  # ids come from session data: maybe junk
            found = self.variants.get(routine_id)
        return found

    def variant(self, routine_id: str, kind: str) -> Routine | None:
        """The no-floor or quick version of a routine (of its base, for a variant)."""
        routine = self.routine(routine_id)
        if routine is None or kind not in (NO_FLOOR, QUICK):
            return None
        return self.variants.get(f"{routine.base or routine.id}_{kind}")

    def routine_names(self) -> list[str]:
        return [r.name for r in self.routines]


def _field(data: dict, key: str, kind: type | tuple, where: str, *, required: bool = True):
    if key not in data:
        if required:
            raise ContentError(f"{where}: field '{key}' is missing")
        return None
    value = data[key]
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ContentError(f"{where}: field '{key}' must be {expected}, not {value!r}")
    if isinstance(value, str) and not value.strip():
        raise ContentError(f"{where}: field '{key}' is empty")
    return value


def _strings(data: dict, key: str, where: str, *, required: bool = True, min_items: int = 1):
    items = _field(data, key, list, where, required=required)
    if items is None:
        return ()
    if len(items) < min_items:
        raise ContentError(f"{where}: field '{key}' needs at least {min_items} item(s)")
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise ContentError(f"{where}: field '{key}' item {i + 1} must be a non-empty string")
    return tuple(items)


def _int_in(data: dict, key: str, where: str, lo: int, hi: int, default: int | None = None):
    if key not in data and default is not None:
        return default
    value = _field(data, key, int, where, required=default is None)
    if value is not None and not lo <= value <= hi:
        raise ContentError(f"{where}: field '{key}' is {value}, outside {lo}..{hi}")
    return value


def _sources(data: dict, where: str) -> tuple[Source, ...]:
    items = _field(data, "sources", list, where)
    if not items:
        raise ContentError(f"{where}: field 'sources' needs at least one source")
    out = []
    for i, item in enumerate(items):
        spot = f"{where}: sources item {i + 1}"
        if not isinstance(item, dict):
            raise ContentError(f"{spot} must be a table with title and url")
        out.append(Source(_field(item, "title", str, spot), _field(item, "url", str, spot)))
    return tuple(out)


def _known_fields(data: dict, allowed: set[str], where: str) -> None:
    """A misspelt key would otherwise be ignored silently and its default used."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ContentError(f"{where}: field '{unknown[0]}' is not a known field")


def _id_matches_file(value: str, filename: str, where: str) -> None:
    stem = filename.rsplit("/", 1)[-1].removesuffix(".toml")
    if value != stem:
        raise ContentError(f"{where}: field 'id' must match the file name '{stem}'")


REASON_OPENING_WORDS = 6  # two reasons opening alike ("you have had a hip replacement ...") say one thing


def _no_repeated_reasons(reasons: tuple[str, ...], where: str) -> None:
    """Each reason is read aloud in one list, so none may repeat another, even in part."""
    seen: dict[str, int] = {}
    for i, reason in enumerate(reasons, start=1):
        opening = " ".join(reason.lower().split()[:REASON_OPENING_WORDS])
        if opening in seen:
            raise ContentError(
                f"{where}: field 'skip_if' items {seen[opening]} and {i} both begin '{opening}'; "
                "say it once, joining the two"
            )
        seen[opening] = i


def parse_stretch(data: dict, filename: str, movement: Movement | None = None) -> Stretch:
    sid = data.get("id")
    where = f"{filename}: stretch '{sid}'" if isinstance(sid, str) else f"{filename}: stretch"
    _known_fields(data, STRETCH_FIELDS, where)
    sid = _field(data, "id", str, where)
    _id_matches_file(sid, filename, where)
    sides = _strings(data, "sides", where)
    if sides not in (("left", "right"), ("both",)):
        raise ContentError(f'{where}: field \'sides\' must be ["left", "right"] or ["both"]')
    hold = _int_in(data, "hold_seconds", where, *CONTENT_HOLD_RANGE) if "hold_seconds" in data else None
    reps = _int_in(data, "reps", where, *REP_RANGE) if "reps" in data else None
    if (hold is None) == (reps is None):
        raise ContentError(f"{where}: field 'hold_seconds' or 'reps' is required (exactly one)")
    setup = _strings(data, "setup", where)
    for key in ("name", "purpose", "feel", "safety"):
        if "{" in str(data.get(key, "")):
            raise ContentError(f"{where}: field '{key}' cannot use placeholders; only 'setup' can")
    for step in setup:
        if ("{side}" in step or "{other}" in step) and sides == ("both",):
            raise ContentError(f"{where}: field 'setup' uses {{side}} but the stretch has no sides")
        try:
            step.format(side="left", other="right")
        except (KeyError, IndexError, ValueError) as err:
            raise ContentError(f"{where}: field 'setup' has a bad placeholder: {err}") from None
    if sides == ("left", "right") and not any("{side}" in step for step in setup):
        raise ContentError(f"{where}: field 'setup' must say which side with {{side}}")
    skip_if = _strings(data, "skip_if", where)
    _no_repeated_reasons(skip_if, where)
    cue = _cue(data, where, sides)
    position, setup_moves = _pacing(data, where, len(setup), movement)
    easier = _easier(data, where, required=movement is not None)
    alternative = _field(data, "alternative", str, where, required=False)
    if movement is not None and movement.places[position].group == "floor" and alternative is None:
        raise ContentError(
            f"{where}: field 'alternative' is missing: a floor stretch needs a chair or standing one"
        )
    return Stretch(
        id=sid,
        name=_field(data, "name", str, where),
        purpose=_field(data, "purpose", str, where),
        setup=setup,
        feel=_field(data, "feel", str, where),
        sides=sides,
        hold_seconds=hold,
        reps=reps,
        rep_seconds=_int_in(data, "rep_seconds", where, 2, 6, default=3),
        sets=_int_in(data, "sets", where, 1, 5, default=1),
        rest_seconds=_int_in(data, "rest_seconds", where, 0, 60, default=0),
        safety=_field(data, "safety", str, where),
        skip_if=skip_if,
        sources=_sources(data, where),
        position=position,
        setup_moves=setup_moves,
        easier=easier,
        alternative=alternative,
        cue=cue,
    )


def _cue(data: dict, where: str, sides: tuple[str, ...]) -> str:
    """One key point, said right after the heading ("Stretch 3 of 7: name, left side.") to a
    person who knows the stretch: short, whole sentences, and only a two-sided stretch may name
    the side with {side} and {other}."""
    cue = _field(data, "cue", str, where).strip()
    words = len(cue.split())
    if words > MAX_CUE_WORDS:
        raise ContentError(f"{where}: field 'cue' has {words} words, at most {MAX_CUE_WORDS}")
    if not cue.endswith("."):
        raise ContentError(f"{where}: field 'cue' must end with a full stop")
    if not cue.isascii() or any(ch.isdigit() for ch in cue):
        raise ContentError(f"{where}: field 'cue' must be plain ASCII words, no digits")
    if ("{side}" in cue or "{other}" in cue) and sides == ("both",):
        raise ContentError(f"{where}: field 'cue' uses {{side}} but the stretch has no sides")
    try:
        cue.format(side="left", other="right")
    except (KeyError, IndexError, ValueError) as err:
        raise ContentError(f"{where}: field 'cue' has a bad placeholder: {err}") from None
    return cue


def _easier(data: dict, where: str, *, required: bool) -> Easier | None:
    table = _field(data, "easier", dict, where, required=required)
    if table is None:
        return None
    spot = f"{where}: easier"
    _known_fields(table, EASIER_FIELDS, spot)
    say = _field(table, "say", str, spot)
    if "{" in say or not say.endswith("."):
        raise ContentError(f"{spot}: field 'say' must be plain sentences ending with a full stop")
    hold = _int_in(table, "hold_seconds", spot, *CONTENT_HOLD_RANGE) if "hold_seconds" in table else None
    reps = _int_in(table, "reps", spot, *REP_RANGE) if "reps" in table else None
    if hold is not None and reps is not None:
        raise ContentError(f"{spot}: give 'hold_seconds' or 'reps', not both")
    return Easier(say, hold, reps, _sources(table, spot))


def _pacing(data: dict, where: str, lines: int, movement: Movement | None) -> tuple[str, tuple[str, ...]]:
    """The stretch's position, and a move (or "") for each set-up line, checked against movement.toml."""
    position = _field(data, "position", str, where, required=movement is not None) or DEFAULT_START
    if movement is not None and position not in movement.places:
        known = ", ".join(sorted(movement.places))
        raise ContentError(f"{where}: field 'position' is '{position}', not one of: {known}")
    moves = _field(data, "setup_moves", list, where, required=False) or []
    if moves and len(moves) != lines:
        raise ContentError(f"{where}: field 'setup_moves' has {len(moves)} items for {lines} set-up lines")
    for i, move in enumerate(moves, start=1):
        if not isinstance(move, str) or (move and movement is not None and move not in movement.moves):
            raise ContentError(f"{where}: field 'setup_moves' item {i} is {move!r}, not a move")
    return position, tuple(moves)


def parse_routine(
    data: dict, filename: str, stretches: dict[str, Stretch], movement: Movement | None = None
) -> Routine:
    rid = data.get("id")
    where = f"{filename}: routine '{rid}'" if isinstance(rid, str) else f"{filename}: routine"
    _known_fields(data, ROUTINE_FIELDS, where)
    rid = _field(data, "id", str, where)
    _id_matches_file(rid, filename, where)
    ids = _strings(data, "stretches", where)
    if not 5 <= len(ids) <= 8:
        raise ContentError(f"{where}: field 'stretches' has {len(ids)} items, needs 5 to 8")
    missing = [s for s in ids if s not in stretches]
    if missing:
        raise ContentError(f"{where}: field 'stretches' names unknown stretch(es) {missing}")
    return Routine(
        id=rid,
        name=_field(data, "name", str, where),
        summary=_field(data, "summary", str, where),
        synonyms=_strings(data, "synonyms", where),
        stretches=tuple(stretches[s] for s in ids),
        order=_int_in(data, "order", where, 0, 1000, default=100),
        starts_in=_starts_in(data, where, movement),
        movement=movement,
        quick=_quick(data, where, ids),
    )


def _quick(data: dict, where: str, ids: tuple[str, ...]) -> tuple[str, ...]:
    quick = _strings(data, "quick", where, required=False)
    if not quick:
        return ()
    if not QUICK_SIZE[0] <= len(quick) <= QUICK_SIZE[1]:
        low, high = QUICK_SIZE
        raise ContentError(f"{where}: field 'quick' has {len(quick)} items, needs {low} to {high}")
    strays = [q for q in quick if q not in ids]
    if strays:
        raise ContentError(f"{where}: field 'quick' names {strays}, not in the routine's stretches")
    return quick


def _starts_in(data: dict, where: str, movement: Movement | None) -> str:
    value = _field(data, "starts_in", str, where, required=False) or DEFAULT_START
    if movement is not None and value not in movement.places:
        raise ContentError(f"{where}: field 'starts_in' is '{value}', not a position in movement.toml")
    return value


def parse_movement(data: dict, filename: str = "movement.toml") -> Movement:
    moves = _field(data, "moves", dict, filename)
    for name, seconds in moves.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= 20:
            raise ContentError(f"{filename}: moves: '{name}' must be seconds from 0 to 20, not {seconds!r}")
    for needed in ("between_lines", "settle"):
        if needed not in moves:
            raise ContentError(f"{filename}: moves: '{needed}' is missing")
    places = {}
    for name, place in _field(data, "positions", dict, filename).items():
        spot = f"{filename}: positions: '{name}'"
        if not isinstance(place, dict):
            raise ContentError(f"{spot} must be a table with group and switch")
        group, switch = _field(place, "group", str, spot), _field(place, "switch", str, spot)
        if switch not in moves:
            raise ContentError(f"{spot}: field 'switch' is '{switch}', not a move")
        places[name] = Place(group, switch)
    groups = {p.group for p in places.values()}
    transitions = []
    for i, item in enumerate(_field(data, "transitions", list, filename), start=1):
        spot = f"{filename}: transitions item {i}"
        if not isinstance(item, dict):
            raise ContentError(f"{spot} must be a table with from, to and move")
        ends = [frozenset(_strings(item, key, spot)) for key in ("from", "to")]
        for names in ends:
            unknown = sorted(names - set(places) - groups)
            if unknown:
                raise ContentError(f"{spot}: '{unknown[0]}' is neither a position nor a group")
        move = _field(item, "move", str, spot)
        if move not in moves:
            raise ContentError(f"{spot}: field 'move' is '{move}', not a move")
        transitions.append((ends[0], ends[1], move))
    return Movement({k: float(v) for k, v in moves.items()}, places, tuple(transitions))


def _read_toml(path: Path) -> dict:
    import tomllib  # here, not at the top: a bundle with precompiled content never needs it

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ContentError(f"{path.parent.name}/{path.name}: not valid TOML: {err}") from None


def load_library(folder: Path) -> Library:
    """Load and cross-check every stretch and routine under ``folder``."""
    if not (folder / "movement.toml").is_file():
        raise ContentError(f"{folder}: movement.toml is missing")
    movement = parse_movement(_read_toml(folder / "movement.toml"))
    stretches: dict[str, Stretch] = {}
    for path in sorted((folder / "stretches").glob("*.toml")):
        stretch = parse_stretch(_read_toml(path), f"stretches/{path.name}", movement)
        if stretch.id in stretches:
            raise ContentError(f"stretches/{path.name}: stretch '{stretch.id}': field 'id' is a duplicate")
        stretches[stretch.id] = stretch
    _check_alternatives(stretches, movement)
    stretches = {
        sid: replace(s, alternative_stretch=stretches[s.alternative]) if s.alternative else s
        for sid, s in stretches.items()
    }
    routines = []
    for path in sorted((folder / "routines").glob("*.toml")):
        routine = parse_routine(_read_toml(path), f"routines/{path.name}", stretches, movement)
        where = f"routines/{path.name}: routine '{routine.id}'"
        for other in routines:
            shared = {s.lower() for s in routine.synonyms} & {s.lower() for s in other.synonyms}
            if shared:
                raise ContentError(f"{where}: field 'synonyms' shares {sorted(shared)} with '{other.id}'")
        routines.append(routine)
    if not routines:
        raise ContentError(f"{folder}: no routines found under routines/")
    variants = {v.id: v for r in routines for v in derived_versions(r, stretches)}
    return Library(tuple(sorted(routines, key=lambda r: (r.order, r.id))), stretches, movement, variants)


def _check_alternatives(stretches: dict[str, Stretch], movement: Movement) -> None:
    for stretch in stretches.values():
        if stretch.alternative is None:
            continue
        where = f"stretches/{stretch.id}.toml: stretch '{stretch.id}'"
        other = stretches.get(stretch.alternative)
        if other is None:
            raise ContentError(f"{where}: field 'alternative' names unknown stretch '{stretch.alternative}'")
        if movement.places[other.position].group == "floor":
            raise ContentError(f"{where}: field 'alternative' '{other.id}' is on the floor too")


def _shortened(stretch: Stretch) -> Stretch:
    hold = min(stretch.hold_seconds, QUICK_HOLD) if stretch.hold_seconds else None
    reps = min(stretch.reps, QUICK_REPS) if stretch.reps else None
    return replace(stretch, sets=1, rest_seconds=0, hold_seconds=hold, reps=reps)


def derived_versions(routine: Routine, stretches: dict[str, Stretch]) -> list[Routine]:
    """The no-floor version (each floor stretch swapped for its alternative) and the quick
    version (the routine's ``quick`` stretches, one set each, no rests)."""
    movement = routine.movement
    where = f"routines/{routine.id}.toml: routine '{routine.id}'"
    swapped = tuple(
        s.alternative_stretch if s.alternative_stretch and movement.places[s.position].group == "floor" else s
        for s in routine.stretches
    )
    if len({s.id for s in swapped}) != len(swapped):
        raise ContentError(f"{where}: its no-floor version does a stretch twice; give distinct alternatives")
    no_floor = replace(
        routine, id=f"{routine.id}_{NO_FLOOR}", name=f"{routine.name} off the floor", synonyms=(),
        stretches=swapped, quick=(), base=routine.id,
        summary="The same routine without getting down to the floor: on a chair or standing.",
    )
    chosen = routine.quick or tuple(s.id for s in routine.stretches[: QUICK_SIZE[0]])
    short = tuple(_shortened(stretches[sid]) for sid in chosen)
    quick = replace(
        routine, id=f"{routine.id}_{QUICK}", name=f"Quick {routine.name[0].lower()}{routine.name[1:]}",
        synonyms=(), stretches=short, quick=(), base=routine.id,
        summary="A shorter version: fewer stretches and shorter holds.",
    )
    return [no_floor, quick]


def content_dir() -> Path:
    """Where content lives: $LIMBER_CONTENT_DIR, the Lambda bundle, or the repository."""
    explicit = os.environ.get("LIMBER_CONTENT_DIR")
    if explicit:
        return Path(explicit)
    package = Path(__file__).resolve().parents[1]  # lambda/limber
    for candidate in (package.parent / "content", package.parents[1] / "content"):
        if (candidate / "routines").is_dir():
            return candidate
    raise ContentError("content folder not found; set LIMBER_CONTENT_DIR")


@lru_cache(maxsize=1)
def default_library() -> Library:
    from limber.core import compiled  # the bundle's precompiled content, if it is current

    folder = content_dir()
    return compiled.load("library", folder, lambda: load_library(folder))
