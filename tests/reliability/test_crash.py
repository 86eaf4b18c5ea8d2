"""A writer killed with SIGKILL at any moment: the store stays sound, everything that was
acknowledged is there, and a multi-row write is either wholly there or not at all."""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import time
from pathlib import Path

from tests.reliability.harness import MACLI, assert_clean, assert_sound, macli, pick, rows


def write_import(path: Path, prefix: str, count: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "dob", "phone", "email", "consent"])
        for i in range(count):
            writer.writerow(
                [
                    f"{prefix}{i} Imported",
                    f"19{40 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    f"617-555-01{i % 100:02d}",
                    f"{prefix.lower()}{i}@example.org",
                    "sms,email",
                ]
            )


def wal_written(db: Path) -> bool:
    try:
        return os.stat(f"{db}-wal").st_size > 0
    except FileNotFoundError:
        return False


def import_and_kill(db: Path, csv_path: Path, rng: random.Random, mode: str, budget: float):
    """Start an import and SIGKILL it: at a random moment, or once it writes to the WAL."""
    process = subprocess.Popen(
        [MACLI, "patient", "import", str(csv_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    if mode == "anytime":
        deadline = started + rng.uniform(0, budget)
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.002)
    else:  # "writing": the transaction is under way; kill within a few milliseconds
        while not wal_written(db) and process.poll() is None:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.02))
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    stdout, stderr = process.communicate()
    return process.returncode, stdout, stderr


def test_sigkill_during_a_large_import_is_all_or_nothing(db_path, tmp_path):
    size, kills = pick(8_000, 30_000), pick(6, 20)
    rng = random.Random(2026)
    earlier = {}
    for name in ("Before Kill One", "Before Kill Two"):
        outcome = macli("patient", "add", name, "--dob", "1960-06-06")
        assert outcome.ok, str(outcome)
        earlier[outcome.stdout.strip()] = name
    # One import run to the end tells how long a whole one takes on this machine.
    write_import(tmp_path / "warmup.csv", "Warmup", size)
    warm = macli("patient", "import", str(tmp_path / "warmup.csv"))
    assert warm.stdout == f"Imported {size} patients.\n", str(warm)
    budget = warm.finished - warm.started

    results = {"cut": 0, "completed": 0, "retried": 0}
    for attempt in range(kills):
        prefix = f"Batch{attempt}x"
        write_import(tmp_path / "batch.csv", prefix, size)
        before = rows(db_path, "SELECT COUNT(*) FROM patients")[0][0]
        mode = "anytime" if attempt % 2 else "writing"
        code, stdout, stderr = import_and_kill(db_path, tmp_path / "batch.csv", rng, mode, budget)
        assert "Traceback" not in stderr
        imported = rows(db_path, "SELECT COUNT(*) FROM patients WHERE name LIKE ?", [prefix + "%"])
        after = rows(db_path, "SELECT COUNT(*) FROM patients")[0][0]
        assert imported[0][0] in (0, size), f"partial import visible after a kill ({mode})"
        assert after == before + imported[0][0]
        if code == 0:
            assert stdout == f"Imported {size} patients.\n"
            assert imported[0][0] == size  # acknowledged means stored
        results["completed" if imported[0][0] else "cut"] += 1
        audited = rows(
            db_path,
            "SELECT COUNT(*) FROM audit a JOIN patients p ON p.id = a.patient_id"
            " WHERE a.action = 'patient.import' AND p.name LIKE ?",
            [prefix + "%"],
        )
        assert audited[0][0] == imported[0][0]
        assert_sound()
        if not imported[0][0] and not results["retried"]:
            # Nothing half-done stands in the way: the same file imports cleanly now.
            results["retried"] = 1
            again = macli("patient", "import", str(tmp_path / "batch.csv"))
            assert_clean(again)
            assert again.stdout == f"Imported {size} patients.\n", str(again)
    assert results["cut"] > 0, results
    stored = dict(rows(db_path, "SELECT mrn, name FROM patients WHERE name LIKE 'Before Kill%'"))
    assert stored == earlier
