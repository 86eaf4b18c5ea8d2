"""`macli backup` taken while others write: the copy is sound, holds every row committed
before it began, and restoring it the way docs/operations.md says gives a working store."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading

from tests.reliability.harness import (
    Processes,
    assert_sound,
    in_parallel,
    macli,
    pick,
    rows,
)


def test_backup_under_load_holds_everything_committed_before_it(db_path, tmp_path):
    assert macli("provider", "add", "Dr First").ok
    processes = Processes()
    stop = threading.Event()
    rounds = pick(2, 8)
    acknowledged: list = []  # (finished, mrn, name) of adds that reported success
    backups: list = []  # (started, path)

    def writer(number):
        def work():
            step = 0
            while not stop.is_set():
                name = f"Loaded{number} Patient{step}"
                outcome = processes.run(["patient", "add", name, "--dob", "1988-08-08"])
                assert outcome.ok, str(outcome)
                acknowledged.append((outcome.finished, outcome.stdout.strip(), name))
                step += 1

        return work

    def back_up():
        try:
            for number in range(rounds):
                # Let the writers commit a few rows first, so the copy has something to hold.
                while len(acknowledged) < 5 * (number + 1):
                    stop.wait(0.05)
                path = tmp_path / f"backup-{number}.db"
                outcome = processes.run(["backup", str(path)])
                assert outcome.ok and outcome.stderr == f"Backed up to {path}.\n", str(outcome)
                backups.append((outcome.started, path))
        finally:
            stop.set()

    # A long-lived reader (as `macli browse` is) keeps the WAL from being folded back into
    # the main file when the last writer exits: recent commits live only in the WAL.
    browsing = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    browsing.execute("SELECT COUNT(*) FROM patients").fetchone()
    try:
        in_parallel([back_up, *(writer(number) for number in range(4))])
    finally:
        browsing.close()

    for started, path in backups:
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert_sound(db=path)
        held = dict(rows(path, "SELECT mrn, name FROM patients"))
        before = {mrn: name for finished, mrn, name in acknowledged if finished < started}
        assert before, "no write was acknowledged before the backup began"
        assert before.items() <= held.items()
        # The copy is one moment: each row it holds came with its audit row.
        assert rows(path, "SELECT COUNT(*) FROM audit WHERE action = 'patient.add'") == [
            (len(held),)
        ]

    # Restore as docs/operations.md says: nobody using macli, check the copy, copy it over
    # the store, remove the old WAL files.
    started, latest = backups[-1]
    held = dict(rows(latest, "SELECT mrn, name FROM patients"))
    shutil.copyfile(latest, db_path)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{db_path}{suffix}"):
            os.remove(f"{db_path}{suffix}")
    assert_sound()
    assert dict(rows(db_path, "SELECT mrn, name FROM patients")) == held
    after = macli("patient", "add", "After Restore", "--dob", "1999-09-09")
    assert after.ok, str(after)
    assert after.stdout.strip() == f"P{max(int(mrn[1:]) for mrn in held) + 1:06d}"
    assert macli("audit", "verify").ok
