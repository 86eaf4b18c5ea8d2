"""Foundation benchmarks: start-up, 60,000-patient CSV import, patient look-up.

    python bench/bench_core.py [--python VENV/bin/python]

Writes the `core` section of docs/performance.md. Start-up is measured with the macli
(and the `python -c pass`) of the venv given with --python: measure a venv with only the
runtime dependencies and a non-editable install, as users have it (bench/run_all.py).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic  # noqa: E402
from bench.harness import (  # noqa: E402
    OUT,
    alternate,
    arguments,
    env_for,
    macli_path,
    ms,
    once,
    python_path,
    table,
    verdict,
    write_section,
)
from macli.migrations import open_store  # noqa: E402
from macli.patients.core import resolve  # noqa: E402

STARTUP_RATIO = 6
STARTUP_ROUNDS = 31


def startup(demo: Path) -> str:
    python, macli = python_path(), macli_path()
    store = open_store(demo)
    try:
        patients = store.scalar("SELECT COUNT(*) FROM patients")
    finally:
        store.close()
    median = alternate(
        {
            "pass": lambda: once([python, "-c", "pass"]),
            "click": lambda: once([python, "-c", "import click"]),
            "help": lambda: once([macli, "--help"], env_for(demo)),
            "list": lambda: once([macli, "patient", "list"], env_for(demo)),
            "limit": lambda: once([macli, "patient", "list", "--limit", "20"], env_for(demo)),
        },
        STARTUP_ROUNDS,
    )
    rows = [
        ["`python -c pass`", ms(median["pass"]), "1.0x", "", ""],
        [
            "`python -c 'import click'` (the CLI library alone, for scale)",
            ms(median["click"]),
            f"{median['click'] / median['pass']:.1f}x",
            "",
            "",
        ],
    ]
    for key, label, targeted in (
        ("help", "`macli --help`", True),
        ("list", f"`macli patient list` (the demo's {patients:,} patients)", True),
        ("limit", "`macli patient list --limit 20` (a short table)", False),
    ):
        ratio = median[key] / median["pass"]
        met = (
            verdict("core", label, f"{ratio:.1f}x", "6x", ratio <= STARTUP_RATIO)
            if targeted
            else ""
        )
        rows.append([label, ms(median[key]), f"{ratio:.1f}x", "6x" if targeted else "", met])
    return (
        f"### Start-up (median of {STARTUP_ROUNDS}, the commands taking turns)\n\n"
        + table(["command", "median", "vs `python -c pass`", "target", ""], rows)
        + "\n\nImporting click alone (second row) is most of what `macli --help` costs. A listing"
        " also loads sqlite3, zoneinfo, hashlib (the audit chain) and tabulate, opens the"
        " store, checks its schema is current, writes its audit row and draws the table;"
        " `python -X importtime -m macli patient list` shows each import. What a command"
        " does not use is not imported: csv, getpass and difflib load only where they are"
        " needed, and each area's code only when its command runs. The plain listing also"
        " draws a table of every patient in the demo; `--limit 20` is the same start-up"
        " with a short table."
    )


def import_csv() -> str:
    path = clinic.patients_csv()
    sqlite_utils = Path(python_path()).with_name("sqlite-utils")
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
    label = "`macli patient import` (every row validated, E.164 phones, audit rows)"
    met = verdict("core", label, f"{mine / base:.2f}x", "2x", mine / base <= 2)
    rows = [
        ["`sqlite-utils insert --csv` (no validation)", f"{base:.2f} s", "1.0x", "", ""],
        [label, f"{mine:.2f} s", f"{mine / base:.2f}x", "2x", met],
    ]
    return "### Importing 60,000 patients from CSV (the two taking turns)\n\n" + table(
        ["command", "median of 3", "ratio", "target", ""], rows
    )


def lookup(large: Path) -> str:
    store = open_store(large)
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
            median = statistics.median(samples)
            met = verdict("core", f"look-up by {label}", ms(median), "20 ms", median < 0.020)
            rows.append([label, ms(median), "20 ms", met])
    finally:
        store.close()
    return "### Patient look-up on the 60,000-patient store (query time, in process)\n\n" + table(
        ["look-up", "median", "target", ""], rows
    )


def main() -> None:
    demo, large = clinic.demo(), clinic.large()
    write_section("core", "\n\n".join([startup(demo), import_csv(), lookup(large)]))


if __name__ == "__main__":
    arguments(__doc__)
    main()
