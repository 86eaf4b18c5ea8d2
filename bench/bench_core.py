"""Foundation benchmarks: start-up, 60,000-patient CSV import, patient look-up.

    python bench/bench_core.py

Writes the `core` section of docs/performance.md.
"""

from __future__ import annotations

import csv
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic  # noqa: E402
from bench.harness import (  # noqa: E402
    OUT,
    env_for,
    macli_path,
    ms,
    table,
    time_macli,
    time_run,
    write_section,
)
from macli.patients.core import resolve  # noqa: E402
from macli.store import Store  # noqa: E402


def startup(demo: Path) -> str:
    python = time_run([sys.executable, "-c", "pass"], repeat=20)
    help_time = time_macli(["--help"], demo, repeat=20)
    listing = time_macli(["patient", "list"], demo, repeat=20)
    rows = [
        ["`python -c pass`", ms(python), "1.0x", ""],
        ["`macli --help`", ms(help_time), f"{help_time / python:.1f}x", "6x"],
        [
            "`macli patient list` (demo, 200 patients)",
            ms(listing),
            f"{listing / python:.1f}x",
            "6x",
        ],
    ]
    return "### Start-up\n\n" + table(["command", "median", "ratio", "target"], rows)


def import_csv() -> str:
    path = OUT / "patients-60k.csv"
    if not path.exists():
        rng = random.Random(7)
        with open(path, "w", newline="") as handle:
            writer = None
            for row in clinic.patient_rows(60_000, rng, clinic.date(2026, 11, 26)):
                if writer is None:
                    writer = csv.DictWriter(handle, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow(row)
    sqlite_utils = Path(sys.executable).with_name("sqlite-utils")
    ours, theirs = [], []
    for _ in range(3):
        for target, samples, argv in (
            (OUT / "import-macli.db", ours, [macli_path(), "patient", "import", str(path)]),
            (
                OUT / "import-sqlite-utils.db",
                theirs,
                [
                    str(sqlite_utils),
                    "insert",
                    str(OUT / "import-sqlite-utils.db"),
                    "patients",
                    str(path),
                    "--csv",
                ],
            ),
        ):
            for suffix in ("", "-wal", "-shm", ".lock"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            started = time.perf_counter()
            subprocess.run(argv, env=env_for(target), check=True, capture_output=True)
            samples.append(time.perf_counter() - started)
    mine, base = statistics.median(ours), statistics.median(theirs)
    rows = [
        ["`sqlite-utils insert --csv` (no validation)", f"{base:.2f} s", "1.0x", ""],
        [
            "`macli patient import` (every row validated, E.164 phones, audit rows)",
            f"{mine:.2f} s",
            f"{mine / base:.2f}x",
            "2x",
        ],
    ]
    return "### Importing 60,000 patients from CSV\n\n" + table(
        ["command", "median of 3", "ratio", "target"], rows
    )


def lookup(large: Path) -> str:
    store = Store(large)
    try:
        sample = store.one("SELECT mrn, name FROM patients WHERE id = 31415")
        fragment = sample["name"].split()[-1]
        cases = [
            (f"MRN `{sample['mrn']}`", sample["mrn"]),
            (f"full name `{sample['name']}`", sample["name"]),
            (f"name fragment `{fragment}`", fragment),
            ("accent-free fragment `muller` (ambiguous: lists candidates)", "muller"),
        ]
        rows = []
        for label, reference in cases:
            try:
                resolve(store, reference)
            except Exception as error:  # an ambiguous fragment still costs one query
                label += f" ({type(error).__name__})"
            samples = []
            for _ in range(30):
                started = time.perf_counter()
                try:
                    resolve(store, reference)
                except Exception:
                    pass
                samples.append(time.perf_counter() - started)
            rows.append([label, ms(statistics.median(samples)), "20 ms"])
    finally:
        store.close()
    return "### Patient look-up on the 60,000-patient store (query time, in process)\n\n" + table(
        ["look-up", "median", "target"], rows
    )


if __name__ == "__main__":
    demo, large = clinic.demo(), clinic.large()
    write_section("core", "\n\n".join([startup(demo), import_csv(), lookup(large)]))
