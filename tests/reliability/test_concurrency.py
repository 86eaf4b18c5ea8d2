"""Many macli processes writing one store at once: every command succeeds or fails with
its clear error, nothing is lost, and nobody ever sees "database is locked"."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter

from tests.reliability.harness import (
    Processes,
    assert_clean,
    assert_sound,
    in_parallel,
    macli,
    pick,
    rows,
)

TWIN = ["patient", "add", "Shared Twin", "--dob", "1970-01-01"]
FUTURE = ["patient", "add", "Not Born Yet", "--dob", "2999-01-01"]


class Worker:
    """One writer: a seeded sequence of mixed commands, each judged as it returns."""

    def __init__(self, number: int, commands: int, processes: Processes):
        self.number = number
        self.commands = commands
        self.processes = processes
        self.rng = random.Random(number)
        self.added: dict[str, str] = {}  # MRN -> name, for adds that reported success
        self.phone: dict[str, str] = {}  # MRN -> the last phone this worker set
        self.tally: Counter = Counter()  # (kind, "ok" | "error") -> count
        self.twin_outcome = None

    def __call__(self):
        twin_at = self.rng.randrange(self.commands)
        for step in range(self.commands):
            if step == twin_at:
                self.twin_outcome = self.processes.run(TWIN)
                assert_clean(self.twin_outcome, r"^Error: Shared Twin, born 1970-01-01, is already")
                continue
            kind = self.choose()
            args, expected_error = self.command(kind, step)
            outcome = self.processes.run(args)
            assert_clean(outcome, expected_error)
            self.tally[kind, "ok" if outcome.ok else "error"] += 1
            if outcome.ok:
                self.succeeded(kind, args, outcome)
        return self

    def choose(self) -> str:
        if not self.added:
            return "add"
        return self.rng.choices(
            ["add", "consent", "edit", "provider", "invalid"], weights=[4, 2, 2, 1, 1]
        )[0]

    def command(self, kind: str, step: int) -> tuple[list[str], str | None]:
        if kind == "add":
            name = f"Writer{self.number} Patient{step}"
            return ["patient", "add", name, "--dob", "1980-05-17", "--consent", "sms"], None
        if kind == "consent":
            mrn = self.rng.choice(sorted(self.added))
            return ["patient", "consent", mrn, "--give", "email"], None
        if kind == "edit":
            mrn = self.rng.choice(sorted(self.added))
            return ["patient", "edit", mrn, "--phone", f"617-555-01{step % 100:02d}"], None
        if kind == "provider":
            return ["provider", "add", f"Dr Writer{self.number} Step{step}"], None
        return FUTURE, r"^Error: date of birth 2999-01-01 is in the future$"

    def succeeded(self, kind: str, args: list[str], outcome) -> None:
        if kind == "add":
            self.added[outcome.stdout.strip()] = args[2]
        elif kind == "edit":
            self.phone[args[2]] = "+1" + args[4].replace("-", "")


def reader(processes: Processes, stop: threading.Event) -> list[int]:
    """List patients in a loop until the writers are done; every read must succeed."""
    counts = []
    while not stop.is_set() or not counts:
        outcome = processes.run(["patient", "list", "-f", "json"])
        assert outcome.ok, str(outcome)
        counts.append(len(json.loads(outcome.stdout)))
    return counts


def test_twenty_writers_and_a_reader_lose_nothing(db_path):
    macli("provider", "add", "Dr First")  # the store exists before the crowd arrives
    processes = Processes()
    workers = [Worker(number, pick(8, 50), processes) for number in range(20)]
    stop = threading.Event()
    read_counts: list[int] = []

    def read():
        read_counts.extend(reader(processes, stop))

    def write():
        try:
            return in_parallel(workers)
        finally:
            stop.set()

    in_parallel([read, write])

    tally = sum((worker.tally for worker in workers), Counter())
    added = {mrn: name for worker in workers for mrn, name in worker.added.items()}
    twins = [worker.twin_outcome for worker in workers]
    # The same patient registered by 20 processes at once: exactly one registration.
    assert sum(outcome.ok for outcome in twins) == 1
    assert tally["invalid", "ok"] == 0 and tally["invalid", "error"] > 0
    for kind in ("add", "consent", "edit", "provider"):
        assert tally[kind, "error"] == 0, kind

    stored = dict(rows(db_path, "SELECT mrn, name FROM patients WHERE name != 'Shared Twin'"))
    assert stored == added
    assert rows(db_path, "SELECT COUNT(*) FROM patients WHERE name = 'Shared Twin'") == [(1,)]
    assert rows(db_path, "SELECT COUNT(*) FROM providers") == [(1 + tally["provider", "ok"],)]
    consents = dict(rows(db_path, "SELECT channel, COUNT(*) FROM patient_consents GROUP BY 1"))
    assert consents == {"sms": tally["add", "ok"], "email": tally["consent", "ok"]}
    for worker in workers:
        for mrn, phone in worker.phone.items():
            assert rows(db_path, "SELECT phone FROM patients WHERE mrn = ?", [mrn]) == [(phone,)]
    # Each change and its audit row were committed together.
    actions = dict(rows(db_path, "SELECT action, COUNT(*) FROM audit GROUP BY action"))
    assert actions["patient.add"] == tally["add", "ok"] + 1
    assert actions.get("patient.consent", 0) == tally["consent", "ok"]
    assert actions.get("patient.edit", 0) == tally["edit", "ok"]
    assert actions["patient.list"] == len(read_counts)
    # Reads are snapshots taken one after another: the count never goes backwards.
    assert read_counts == sorted(read_counts)
    assert_sound()


def test_writers_killed_mid_command_lose_nothing_they_acknowledged(db_path):
    macli("provider", "add", "Dr First")
    processes = Processes()
    rng = random.Random(7)
    per_worker = pick(12, 60)
    stop = threading.Event()
    killed = []

    def writer(number):
        def work():
            outcomes = []
            for step in range(per_worker):
                name = f"Killable{number} Patient{step}"
                outcomes.append(processes.run(["patient", "add", name, "--dob", "1975-02-03"]))
            return outcomes

        return work

    def killer():
        while not stop.is_set():
            stop.wait(rng.uniform(0.05, 0.4))
            if processes.kill_one(rng):
                killed.append(1)

    def write():
        try:
            return in_parallel([writer(number) for number in range(6)])
        finally:
            stop.set()

    results, _ = in_parallel([write, killer])
    outcomes = [outcome for worker in results for outcome in worker]
    acknowledged = {}
    for outcome in outcomes:
        if outcome.code < 0:
            continue  # killed: it may or may not have committed, but never half
        assert_clean(outcome)
        assert outcome.ok, str(outcome)
        acknowledged[outcome.stdout.strip()] = outcome.args[2]
    cut = sum(outcome.code < 0 for outcome in outcomes)
    assert cut > 0, "the killer never hit a running command"

    stored = dict(rows(db_path, "SELECT mrn, name FROM patients"))
    assert acknowledged.items() <= stored.items()
    assert len(stored) <= len(acknowledged) + cut
    # No patient without its audit row, no audit row without its patient.
    assert rows(
        db_path,
        "SELECT COUNT(*) FROM patients p JOIN audit a"
        " ON a.patient_id = p.id AND a.action = 'patient.add'",
    ) == [(len(stored),)]
    assert rows(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'patient.add'") == [
        (len(stored),)
    ]
    assert_sound()
    assert macli("patient", "add", "After Kill", "--dob", "1990-01-01").ok
