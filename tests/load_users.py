"""Many simulated Alexa users against the real web host, with DynamoDB-compatible storage.

Shared by tests/test_load.py (small, bounded, run by default) and bench/load.py (bigger, prints
figures). Everything runs on 127.0.0.1:

* dynalite (npm) as the DynamoDB endpoint, with its data on disk, so it can be killed and
  restarted mid-load like a real endpoint coming back after an outage;
* the real skill with a ``DynamoDbAdapter`` behind ``limber.web.create_app`` with full Alexa
  verification, served by waitress; the signing chain comes from the test PKI
  (tests/alexa_test_certs.py) through a loopback stand-in for S3;
* one thread per simulated user. Each user has their own user id and Alexa session, waits for
  each answer before the next turn as a device does, and signs every request like Alexa does
  (its own RSA signature over its own body).

Why a Python driver rather than wrk: every Alexa request carries a ``Signature-256`` over its
exact body and a timestamp no older than 150 s, and each user's body depends on the previous
answer (session attributes). wrk sends fixed requests unless scripted in Lua, and its LuaJIT
has no RSA signing; a locust-like Python driver signs each request with the ``cryptography``
package and follows each user's own conversation.

Each user walks through one routine with a mix of next, back, repeat, pause/resume, hold
changes and questions, never finishing it, and now and then stops and comes back (launch,
"welcome back", resume: the place comes back from storage mid-load). The driver predicts
where every answer must leave them. Checked: every turn is HTTP 200, a response Alexa accepts
(alexa_rules), answered within Alexa's 8 seconds, and at the predicted place; at the end each
user's stored place (``DynamoDbAdapter.load``) is the place their own last answer left them
at: nothing lost, nothing mixed up between users. With ``kill_storage``, dynalite is killed
once the load is under way and restarted a few seconds later; every user then keeps talking
until they have had turns after the restart, so their place can be written again.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import boto3
import requests
from waitress.adjustments import Adjustments

from alexa_rules import check_response
from alexa_test_certs import (
    TEST_SKILL_ID,
    CertificateServer,
    encode,
    make_signing_pki,
    running_waitress,
    s3_url,
)
from dynamo_server import DYNALITE, FAKE_AWS_ENV, DynaliteServer
from limber.console.envelopes import envelope, intent_request, speech_text
from limber.core.coaching.session import QUICK
from limber.core.content import default_library
from limber.core.routine import steps_of
from limber.skill.builder import build_skill
from limber.storage import ProgressAdapter, partition_key
from limber.storage.dynamodb import DynamoDbAdapter
from limber.storage.memory import MemoryAdapter
from limber.web import create_app
from limber.web.certificates import CertificateCache

ALEXA_TURN_LIMIT = 8.0  # seconds Alexa waits for a skill's answer
TABLE = "limber-load"
COULD_NOT_SAVE = "couldn't save your place"
REQUEST_TIMEOUT = 15.0  # longer than the limit, so a slow answer is measured, not cut off
WAITRESS_CONNECTION_LIMIT = Adjustments.connection_limit  # what `waitress-serve` uses: 100
MAX_TURNS_AFTER_RESTART = 12  # bounds the extra turns a user takes to see storage back
LIBRARY = default_library()
STEP_COUNTS = {routine.id: len(steps_of(routine)) for routine in LIBRARY.routines}


@functools.lru_cache(maxsize=256)
def _intent(name: str, slots: tuple[tuple[str, str], ...]) -> dict:
    return intent_request(name, **dict(slots))


def intent(name: str, **slots: str) -> dict:
    """An IntentRequest body; cached, because intent_request rebuilds the voice model (~2 ms)
    and the driver's own CPU time would otherwise dominate what it measures."""
    return copy.deepcopy(_intent(name, tuple(sorted(slots.items()))))


def storage_key(user_id: str) -> str:
    """The partition key the skill stores a person under."""
    user = SimpleNamespace(user_id=user_id)
    return partition_key(SimpleNamespace(context=SimpleNamespace(system=SimpleNamespace(user=user))))


@dataclass
class Turn:
    user: int
    label: str
    started: float  # monotonic seconds
    seconds: float
    status: int
    problem: str | None = None
    said: str = ""


@dataclass
class UserResult:
    user_id: str
    routine_id: str
    turns: list[Turn] = field(default_factory=list)
    place: tuple[str, int] | None = None  # where the last answer left them
    stored: tuple[str, int] | None = None  # where storage has them at the end

    @property
    def unanswered(self) -> int:
        return sum(turn.status != 200 for turn in self.turns)


@dataclass
class Outage:
    killed_at: float | None = None
    back_at: float | None = None


@dataclass
class LoadResult:
    users: list[UserResult]
    seconds: float
    outage: Outage | None

    @property
    def turns(self) -> list[Turn]:
        return [turn for user in self.users for turn in user.turns]

    @property
    def latencies(self) -> list[float]:
        return sorted(turn.seconds for turn in self.turns)

    def percentile(self, fraction: float) -> float:
        values = self.latencies
        return values[min(len(values) - 1, int(fraction * len(values)))]

    @property
    def throughput(self) -> float:
        return len(self.turns) / self.seconds

    @property
    def problems(self) -> list[str]:
        return [f"user {turn.user} {turn.label}: {turn.problem}" for turn in self.turns if turn.problem]

    @property
    def mismatches(self) -> list[str]:
        """Users whose stored place is not where their own conversation left them.

        Only users whose every turn was answered: when an answer is lost (the driver gave up
        waiting), the host may still have stored a move the user never heard about, as it
        would for a real device whose answer came too late."""
        return [
            f"{user.user_id}: conversation at {user.place}, storage has {user.stored}"
            for user in self.users
            if not user.unanswered and user.place != user.stored
        ]

    @property
    def unverifiable(self) -> list[UserResult]:
        return [user for user in self.users if user.unanswered]

    def during_outage(self) -> list[Turn]:
        if not self.outage or self.outage.killed_at is None:
            return []
        end = self.outage.back_at or float("inf")
        return [t for t in self.turns if self.outage.killed_at <= t.started < end]

    def after_restart(self, user: UserResult) -> list[Turn]:
        back = self.outage.back_at if self.outage else None
        return [t for t in user.turns if back is not None and t.started >= back]

    def summary(self) -> str:
        lines = [
            f"{len(self.users)} users, {len(self.turns)} turns in {self.seconds:.1f} s: "
            f"{self.throughput:.0f} turns/s",
            f"latency p50 {self.percentile(0.50) * 1000:.0f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.0f} ms, max {self.latencies[-1] * 1000:.0f} ms "
            f"(mean {statistics.fmean(self.latencies) * 1000:.0f} ms)",
            f"turn problems: {len(self.problems)}; users whose stored place differs from their "
            f"conversation: {len(self.mismatches)} of {len(self.users) - len(self.unverifiable)} "
            f"(not checked: {len(self.unverifiable)} with an unanswered turn)",
        ]
        if self.outage and self.outage.killed_at is not None:
            during = self.during_outage()
            slowest = max((t.seconds for t in during), default=0.0)
            apologies = sum(COULD_NOT_SAVE in t.said for t in self.turns)
            lines.append(
                f"storage down {self.outage.back_at - self.outage.killed_at:.1f} s: {len(during)} "
                f"turns answered meanwhile (slowest {slowest * 1000:.0f} ms), "
                f'{apologies} "couldn\'t save" lines'
            )
        return "\n".join(lines)


# --- one simulated person ------------------------------------------------------------------


class SimulatedUser:
    """One person on one device: their own user id, session and signed requests."""

    def __init__(self, number: int, rig: LoadRig, rng: random.Random) -> None:
        self.number, self.rig, self.rng = number, rig, rng
        self.routine = rng.choice(LIBRARY.routines)
        self.steps = STEP_COUNTS[self.routine.id]
        self.result = UserResult(f"amzn1.ask.account.LOAD{number:04d}-{uuid.uuid4().hex}", self.routine.id)
        self.http = requests.Session()  # keep-alive, as Alexa's front end holds connections
        self.attributes: dict = {}
        self.new = True
        self.session_id = ""
        self.expected: tuple[str, int] | None = None

    # The driver's model of the skill: where each kind of turn leaves the person.
    def next_move(self, may_cycle: bool) -> str:
        step = self.expected[1]
        roll = self.rng.random()
        if may_cycle and roll < 0.06:
            return "stop_and_come_back"
        if roll < 0.60 and step + 1 < self.steps:
            return "AMAZON.NextIntent"
        if roll < 0.70:
            return "AMAZON.PreviousIntent"
        return self.rng.choice(
            [
                "AMAZON.RepeatIntent",
                "HowManyLeftIntent",
                "AMAZON.HelpIntent",
                "SetHoldTimeIntent",
                "AMAZON.PauseIntent",
                "DescribeStretchIntent",
            ]
        )

    def expect_after(self, move: str) -> tuple[str, int]:
        routine, step = self.expected
        if move == "AMAZON.NextIntent":
            return routine, step + 1
        if move == "AMAZON.PreviousIntent":
            return routine, max(step - 1, 0)
        return routine, step

    def send(self, request: dict, label: str) -> dict | None:
        if self.new:
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        event = envelope(
            request,
            session_attributes=self.attributes,
            new=self.new,
            user_id=self.result.user_id,
            session_id=self.session_id,
            skill_id=TEST_SKILL_ID,
        )
        body = encode(event)
        headers = {
            "Content-Type": "application/json",
            "SignatureCertChainUrl": s3_url("valid"),
            "Signature-256": self.rig.pki.sign(body),
        }
        started = time.monotonic()
        turn = Turn(self.number, label, started, 0.0, 0)
        try:
            answer = self.http.post(self.rig.url, data=body, headers=headers, timeout=REQUEST_TIMEOUT)
            turn.seconds, turn.status = time.monotonic() - started, answer.status_code
            response = check_response(answer.json()) if answer.status_code == 200 else None
        except Exception as error:  # noqa: BLE001 - every failure is a finding, recorded
            turn.seconds = time.monotonic() - started
            turn.problem = f"{type(error).__name__}: {str(error)[:200]}"
            response = None
        self.result.turns.append(turn)
        self.rig.count_turn()
        if response is None:
            turn.problem = turn.problem or f"HTTP {turn.status}"
            return None
        if turn.seconds >= ALEXA_TURN_LIMIT:
            turn.problem = f"answered in {turn.seconds:.1f} s, over Alexa's {ALEXA_TURN_LIMIT:g} s"
        turn.said = speech_text(response)
        self.attributes = response.get("sessionAttributes") or {}
        self.new = response["response"].get("shouldEndSession") is not False
        if self.new:
            self.attributes = {}
        return response

    def place_in(self, response: dict | None) -> tuple[str, int] | None:
        position = ((response or {}).get("sessionAttributes") or {}).get("position")
        return (position["routine"], position["step"]) if position else None

    def expect(self, response: dict | None, label: str, where: tuple[str, int] | None) -> None:
        turn = self.result.turns[-1]
        if response is not None and turn.problem is None and self.place_in(response) != where:
            turn.problem = f"expected place {where}, answer left {self.place_in(response)}"

    def stop_and_come_back(self) -> None:
        """Stop, relaunch and resume: the place must come back from storage."""
        self.send(intent("AMAZON.StopIntent"), "stop")
        launch = self.send({"type": "LaunchRequest"}, "launch again")
        if launch is not None and "Welcome back" not in speech_text(launch):
            self.result.turns[-1].problem = f"no welcome back: {speech_text(launch)[:120]}"
        resumed = self.send(intent("AMAZON.ResumeIntent"), "resume from storage")
        self.expect(resumed, "resume from storage", self.expected)

    def start(self) -> None:
        # Not "something quick": that asks for the routine's five-minute version.
        synonym = self.rng.choice([s for s in self.routine.synonyms if not QUICK.search(s)])
        started = self.send(intent("StartRoutineIntent", routine=synonym), "start")
        if started is not None:
            self.expected = (self.routine.id, 0)
            self.expect(started, "start", self.expected)

    def turn(self, may_cycle: bool) -> None:
        if self.expected is None:  # the start went unanswered: say it again, as a person would
            self.start()
            return
        move = self.next_move(may_cycle)
        if move == "stop_and_come_back":
            self.stop_and_come_back()
            return
        slots = {"seconds": str(self.rng.choice([15, 20, 30, 45]))} if move == "SetHoldTimeIntent" else {}
        response = self.send(intent(move, **slots), move)
        if response is None:
            return
        self.expected = self.expect_after(move)
        self.expect(response, move, self.expected)
        if move == "AMAZON.PauseIntent" and self.result.turns[-1].problem is None:
            resumed = self.send(intent("AMAZON.ResumeIntent"), "AMAZON.ResumeIntent")
            self.expect(resumed, "AMAZON.ResumeIntent", self.expected)

    def run(self, turns: int, may_cycle: bool, outage: Outage | None, deadline: float) -> None:
        self.send({"type": "LaunchRequest"}, "launch")
        self.start()
        while len(self.result.turns) < turns and time.monotonic() < deadline:
            self.turn(may_cycle)
        if outage is not None:
            # Storage must see this person again once it is back: wait for the restart, then
            # talk until two turns have been answered with storage up.
            while outage.back_at is None and time.monotonic() < deadline:
                time.sleep(0.05)
            for _ in range(MAX_TURNS_AFTER_RESTART):
                if outage.back_at is None or self.turns_since(outage.back_at) >= 2:
                    break
                self.turn(may_cycle=False)
        self.result.place = self.place_in({"sessionAttributes": self.attributes})
        self.http.close()

    def turns_since(self, moment: float) -> int:
        return sum(turn.started >= moment for turn in self.result.turns)


# --- the rig: storage, web host, certificate server -----------------------------------------


class LoadRig:
    """Storage + the verified web host on loopback; ``url`` is where Alexa would POST.

    ``storage``: "dynalite" (the DynamoDB adapter over HTTP; the real thing) or "memory" (the
    in-process store, a baseline that shows what storage costs)."""

    def __init__(
        self,
        data_dir: Path,
        waitress_threads: int = 8,
        storage: str = "dynalite",
        connection_limit: int = WAITRESS_CONNECTION_LIMIT,
    ) -> None:
        self.data_dir = data_dir
        self.waitress_threads = waitress_threads
        self.connection_limit = connection_limit
        self.pki = make_signing_pki()
        self.storage = DynaliteServer(data_dir / "dynalite") if storage == "dynalite" else None
        self.store: ProgressAdapter | None = None
        self.url = ""
        self._turns = 0
        self._lock = threading.Lock()

    def count_turn(self) -> None:
        with self._lock:
            self._turns += 1

    @property
    def turns_so_far(self) -> int:
        with self._lock:
            return self._turns

    @contextlib.contextmanager
    def running(self) -> Iterator[LoadRig]:
        certificates_server = CertificateServer(dict(self.pki.chains))
        try:
            with self._store():
                skill = build_skill(skill_id=TEST_SKILL_ID, persistence_adapter=self.store)
                certificates = CertificateCache(trust_roots=[self.pki.root], fetch=certificates_server.fetch)
                app = create_app(skill=skill, skill_id=TEST_SKILL_ID, verify=True, certificates=certificates)
                with running_waitress(
                    app, self.waitress_threads, connection_limit=self.connection_limit
                ) as base_url:
                    self.url = f"{base_url}/"
                    yield self
        finally:
            certificates_server.close()

    @contextlib.contextmanager
    def _store(self) -> Iterator[None]:
        if self.storage is None:
            self.store = MemoryAdapter()
            yield
            return
        if not DYNALITE.exists():
            raise RuntimeError("dynalite is not installed: run `npm ci` (make test does)")
        self.storage.start()
        try:
            with aws_environment(self.storage.url):
                import create_local_table  # scripts/, on the test path

                create_local_table.create_table(boto3.client("dynamodb"), TABLE)
                self.store = DynamoDbAdapter(TABLE)
                yield
        finally:
            if self.storage.running:
                self.storage.stop()

    def stored_place(self, user_id: str) -> tuple[str, int] | None:
        position = self.store.load(storage_key(user_id)).get("position")
        return (position["routine_id"], position["step"]) if position else None

    def run_users(
        self,
        users: int,
        turns: int,
        *,
        seed: int = 1,
        kill_storage: bool = False,
        outage_seconds: float = 3.0,
        time_limit: float = 120.0,
    ) -> LoadResult:
        """Every user talks at once; returns when all are done (or raises past ``time_limit``).

        With ``kill_storage`` (dynalite only), dynalite is killed once a fifth of the planned
        turns are done and started again ``outage_seconds`` later."""
        if kill_storage and self.storage is None:
            raise ValueError("kill_storage needs the dynalite store")
        rng = random.Random(seed)
        people = [SimulatedUser(n, self, random.Random(rng.random())) for n in range(users)]
        outage = Outage() if kill_storage else None
        started = time.monotonic()
        deadline = started + time_limit
        threads = [
            threading.Thread(target=person.run, args=(turns, not kill_storage, outage, deadline), daemon=True)
            for person in people
        ]
        for thread in threads:
            thread.start()
        if outage is not None:
            self._outage(outage, users * turns // 5, outage_seconds, deadline)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in threads):
            raise TimeoutError(f"load did not finish within {time_limit:g} s")
        seconds = time.monotonic() - started
        results = [person.result for person in people]
        for result in results:
            result.stored = self.stored_place(result.user_id)
        return LoadResult(results, seconds, outage)

    def _outage(self, outage: Outage, after_turns: int, seconds: float, deadline: float) -> None:
        while self.turns_so_far < after_turns and time.monotonic() < deadline:
            time.sleep(0.01)
        outage.killed_at = time.monotonic()
        self.storage.stop()
        time.sleep(seconds)
        self.storage.start()
        outage.back_at = time.monotonic()


@contextlib.contextmanager
def aws_environment(endpoint: str) -> Iterator[None]:
    """Dummy credentials and the loopback endpoint for boto3, restored afterwards."""
    wanted = {**FAKE_AWS_ENV, "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_load(users: int, turns: int, **options) -> LoadResult:
    """A whole run in a temporary folder: start everything, drive the users, stop everything."""
    rig_options = {
        name: options.pop(name)
        for name in ("waitress_threads", "storage", "connection_limit")
        if name in options
    }
    with tempfile.TemporaryDirectory(prefix="limber-load-") as folder:
        rig = LoadRig(Path(folder), **rig_options)
        with rig.running():
            return rig.run_users(users, turns, **options)
