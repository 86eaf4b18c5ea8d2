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
CONTESTED = ["--provider", "Dr Contested", "--at", "2026-11-27 10:00", "--duration", "20", "-q"]
BOOKING_REFUSED = r"^Error: cannot book the appointment:"


def clinic(run, workers: int) -> None:
    """What the crowd needs before it arrives: providers, an expense category, supplies."""
    for name in ("Dr First", "Dr Contested", *(f"Dr Writer{w}" for w in range(workers))):
        run(["provider", "add", name])
    run("expense category add supplies:office")
    run("stock item add GLV --name Gloves --unit box")
    run(f"stock receive GLV {STOCKED} --expires 2027-06 --no-expense")


STOCKED = 40  # fewer than the mix wants, so some uses find the shelf empty
SHELF_EMPTY = r"^Error: cannot use 1 box of GLV: none usable"


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
        self.spent: list[int] = []  # cents of the expenses that were acknowledged
        self.twin_outcome = None
        self.contested_outcome = None

    def __call__(self):
        twin_at = self.rng.randrange(self.commands)
        contested_at = self.rng.randrange(self.commands)
        for step in range(self.commands):
            if step == twin_at:
                self.twin_outcome = self.processes.run(TWIN)
                assert_clean(self.twin_outcome, r"^Error: Shared Twin, born 1970-01-01, is already")
                continue
            if step == contested_at and self.added:
                # Every writer books the same slot once: one appointment, the rest refused.
                mrn = self.rng.choice(sorted(self.added))
                self.contested_outcome = self.processes.run(["schedule", "add", mrn, *CONTESTED])
                assert_clean(self.contested_outcome, BOOKING_REFUSED)
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
            ["add", "consent", "edit", "provider", "invalid", "vitals", "expense", "book", "use"],
            weights=[4, 1, 1, 1, 1, 2, 2, 2, 3],
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
        if kind == "vitals":
            mrn = self.rng.choice(sorted(self.added))
            bp = f"{self.rng.randint(95, 150)}/{self.rng.randint(60, 95)}"
            return ["chart", "vitals", mrn, "--bp", bp, "--pulse", "72"], None
        if kind == "expense":
            cents = self.rng.randint(1, 99_999)
            amount = f"{cents // 100}.{cents % 100:02d}"
            return ["expense", "add", amount, "-c", "supplies:office", "--memo", f"s{step}"], None
        if kind == "book":
            # Each writer books its own provider, one slot per step: never a clash.
            mrn = self.rng.choice(sorted(self.added))
            at = f"2026-11-26 {10 + step // 12}:{step % 12 * 5:02d}"
            provider = f"Dr Writer{self.number}"
            return [
                "schedule",
                "add",
                mrn,
                "--provider",
                provider,
                "--at",
                at,
                "--duration",
                "5",
            ], None
        if kind == "use":
            mrn = self.rng.choice(sorted(self.added))
            return ["stock", "use", "GLV", "1", "--patient", mrn], SHELF_EMPTY
        return FUTURE, r"^Error: date of birth 2999-01-01 is in the future$"

    def succeeded(self, kind: str, args: list[str], outcome) -> None:
        if kind == "add":
            self.added[outcome.stdout.strip()] = args[2]
        elif kind == "edit":
            self.phone[args[2]] = "+1" + args[4].replace("-", "")
        elif kind == "expense":
            whole, cents = args[2].split(".")
            self.spent.append(int(whole) * 100 + int(cents))


def reader(processes: Processes, stop: threading.Event) -> dict[str, list[int]]:
    """Read `macli today` and the patient list in a loop until the writers are done;
    every read must succeed."""
    counts = {"patients": [], "today": []}
    while True:
        done = stop.is_set()  # the last round starts after every writer has finished
        today = processes.run(["today", "-f", "json"])
        assert today.ok, str(today)
        counts["today"].append(len(json.loads(today.stdout)["appointments"]))
        patients = processes.run(["patient", "list", "-f", "json"])
        assert patients.ok, str(patients)
        counts["patients"].append(len(json.loads(patients.stdout)))
        if done:
            return counts


def test_twenty_writers_and_a_reader_lose_nothing(run, db_path):
    clinic(run, 20)
    processes = Processes()
    workers = [Worker(number, pick(10, 50), processes) for number in range(20)]
    stop = threading.Event()
    read_counts: dict[str, list[int]] = {}

    def read():
        read_counts.update(reader(processes, stop))

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
    contested = [w.contested_outcome for w in workers if w.contested_outcome is not None]
    assert sum(outcome.ok for outcome in contested) == 1
    assert tally["invalid", "ok"] == 0 and tally["invalid", "error"] > 0
    for kind in ("add", "consent", "edit", "provider", "vitals", "expense", "book"):
        assert tally[kind, "error"] == 0, kind
    # The shelf: every unit used once, never below zero, the rest refused cleanly.
    assert tally["use", "ok"] == min(STOCKED, tally["use", "ok"] + tally["use", "error"])
    on_hand = rows(db_path, "SELECT SUM(quantity) FROM stock_ledger")[0][0]
    assert on_hand == STOCKED - tally["use", "ok"] >= 0

    stored = dict(rows(db_path, "SELECT mrn, name FROM patients WHERE name != 'Shared Twin'"))
    assert stored == added
    assert rows(db_path, "SELECT COUNT(*) FROM patients WHERE name = 'Shared Twin'") == [(1,)]
    assert rows(db_path, "SELECT COUNT(*) FROM providers") == [(22 + tally["provider", "ok"],)]
    vitals = rows(db_path, "SELECT COUNT(*) FROM chart_entries WHERE kind = 'vitals'")
    assert vitals == [(tally["vitals", "ok"],)]
    spent = [cents for worker in workers for cents in worker.spent]
    assert rows(db_path, "SELECT COUNT(*), TOTAL(amount_cents) FROM expenses") == [
        (len(spent), float(sum(spent)))
    ]
    booked = rows(db_path, "SELECT COUNT(*) FROM appointments WHERE status = 'scheduled'")
    assert booked == [(tally["book", "ok"] + 1,)]
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
    assert actions["chart.vitals"] == tally["vitals", "ok"]
    used_for = rows(db_path, "SELECT COUNT(*) FROM stock_ledger WHERE kind = 'use' AND patient_id")
    assert used_for == [(tally["use", "ok"],)]
    assert actions["schedule.add"] == tally["book", "ok"] + 1
    assert actions["patient.list"] == len(read_counts["patients"])
    # Reads are snapshots taken one after another: counts never go backwards.
    for counts in read_counts.values():
        assert counts == sorted(counts)
    assert read_counts["today"][-1] == tally["book", "ok"]
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


def test_eight_processes_booking_one_slot_make_one_appointment(run, db_path):
    clinic(run, 0)
    mrns = [
        run(["patient", "add", f"Contender{n} Lima", "--dob", "1980-01-01"]).stdout.strip()
        for n in range(8)
    ]
    processes = Processes()
    outcomes = in_parallel(
        [lambda mrn=mrn: processes.run(["schedule", "add", mrn, *CONTESTED]) for mrn in mrns]
    )
    winners = [outcome for outcome in outcomes if outcome.ok]
    assert len(winners) == 1
    appointment = winners[0].stdout.strip()
    for outcome in outcomes:
        if not outcome.ok:
            assert_clean(outcome, BOOKING_REFUSED)
            assert outcome.code == 1 and outcome.stdout == ""
            assert f"Dr Contested already has appointment {appointment} " in outcome.stderr
    assert rows(db_path, "SELECT COUNT(*) FROM appointments") == [(1,)]
    assert rows(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'schedule.add'") == [(1,)]


def test_processes_using_the_last_units_of_a_lot_never_take_more_than_it_holds(run, db_path):
    run("stock item add VAX --name Vaccine --unit dose")
    processes = Processes()
    for round_number in range(pick(4, 25)):
        units = 1 + round_number % 3
        run(f"stock receive VAX {units} --expires 2027-0{1 + round_number % 9} --no-expense")
        # Two processes each want the whole lot; then more want one unit each.
        wants = [units, units, 1, 1, 1]
        outcomes = in_parallel(
            [lambda n=n: processes.run(["stock", "use", "VAX", str(n)]) for n in wants]
        )
        for outcome in outcomes:
            assert_clean(outcome, r"^Error: cannot use \d+ dose of VAX: (only \d+|none) usable")
        taken = sum(n for n, outcome in zip(wants, outcomes, strict=True) if outcome.ok)
        assert taken <= units
        assert rows(db_path, "SELECT SUM(quantity) FROM stock_ledger")[0][0] == units - taken
        # No lot ever holds fewer than zero units, at any point of its ledger.
        assert (
            rows(
                db_path,
                "SELECT MIN(running) FROM (SELECT SUM(quantity) OVER (PARTITION BY lot_id"
                " ORDER BY id) AS running FROM stock_ledger)",
            )[0][0]
            >= 0
        )
        run(f"stock use VAX {units - taken}", expect=None)  # empty the shelf for the next round
    assert_sound()
