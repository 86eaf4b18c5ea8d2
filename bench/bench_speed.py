"""Issue 23's table, each row beside its reference in one run, the commands taking turns:
start-up against `python3 -c pass`, big listings and exports against the sqlite3 shell
(with peak memory), the day sheet on the large clinic against the demo per visit shown,
and the 60,000-row import against `sqlite-utils insert --csv` on tmpfs.

    python bench/bench_speed.py [--python VENV/bin/python]

Writes the `speed` section of docs/performance.md. `expense report` against hledger and
`remind send` against plain smtplib are bench_expense.py's and bench_remind.py's.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic  # noqa: E402
from bench.harness import (  # noqa: E402
    alternate,
    arguments,
    env_for,
    macli_path,
    ms,
    python_path,
    table,
    verdict,
    write_section,
)
from macli import exports  # noqa: E402
from macli.expense.core import _LIST_SELECT  # noqa: E402
from macli.store import Store  # noqa: E402
from macli.when import localize, utc_text, zone  # noqa: E402

STARTUP_ROUNDS = 15
TODAY_ROUNDS = 9
LISTING_ROUNDS = 5
IMPORT_ROUNDS = 3


def run(argv: list[str], env: dict | None = None, stdin=None) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of one run of argv, output thrown away."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {process.stderr.read().decode()[-400:]}")
    process.stderr.close()
    return elapsed, usage.ru_maxrss


def paired(runs: dict, rounds: int) -> tuple[dict, dict]:
    """Median seconds and largest peak RSS of each command, the commands taking turns."""
    seconds: dict = {label: [] for label in runs}
    peaks: dict = {label: 0 for label in runs}
    for index in range(rounds + 1):
        for label, argv_env in runs.items():
            elapsed, peak = run(*argv_env)
            if index:
                seconds[label].append(elapsed)
                peaks[label] = max(peaks[label], peak)
    return {k: statistics.median(v) for k, v in seconds.items()}, peaks


def startup(demo: Path) -> str:
    python, macli = python_path(), macli_path()
    env = env_for(demo)
    median = alternate(
        {
            "pass": lambda: run([python, "-c", "pass"])[0],
            "click": lambda: run([python, "-c", "import click"])[0],
            "list": lambda: run([macli, "patient", "list"], env)[0],
            "limit": lambda: run([macli, "patient", "list", "--limit", "20"], env)[0],
            "today": lambda: run([macli, "today"], env)[0],
            "help": lambda: run([macli, "--help"], env)[0],
        },
        STARTUP_ROUNDS,
    )
    store = Store(demo)
    patients = store.scalar("SELECT COUNT(*) FROM patients")
    store.close()
    base = median["pass"]
    rows = [
        ["`python3 -c pass`", ms(base), "1.0x", "", ""],
        [
            "`python3 -c 'import click'` (the floor: the CLI library alone)",
            ms(median["click"]),
            f"{median['click'] / base:.1f}x",
            "",
            "",
        ],
    ]
    for key, label in (
        ("list", f"`macli patient list` (demo, {patients:,} patients)"),
        ("limit", "`macli patient list --limit 20`"),
        ("today", "`macli today` (demo)"),
        ("help", "`macli --help`"),
    ):
        ratio = median[key] / base
        met = verdict("speed", label, f"{ratio:.1f}x", "6x", ratio <= 6)
        above = (median[key] - median["click"]) / base
        rows.append(
            [label, ms(median[key]), f"{ratio:.1f}x", "6x", f"{met} ({above:.1f}x above click)"]
        )
    return (
        f"### Start-up against `python3 -c pass` (median of {STARTUP_ROUNDS}, taking turns)\n\n"
        + table(["command", "median", "vs pass", "target", ""], rows)
    )


def _sqlite(mode: str, db: Path, sql: str) -> list[str]:
    return [shutil.which("sqlite3") or "sqlite3", f"-{mode}", "-header", str(db), sql]


def listings(large: Path) -> str:
    macli = macli_path()
    env = env_for(large)
    since = utc_text(localize(datetime(2025, 3, 1), zone(clinic.ZONE)))
    spec = exports.EXPORTS["appointments"]
    export_sql = (
        spec.sql.format(where=f"WHERE {spec.since} >= '{since}'") + f" ORDER BY {spec.order}"
    )
    expense_sql = _LIST_SELECT + " ORDER BY e.spent_on, e.id"
    patient_sql = (
        "SELECT mrn, name, dob, sex, phone, email, prefers FROM patients ORDER BY search_name, id"
    )
    store = Store(large)
    counts = {
        "export": store.scalar(f"SELECT COUNT(*) FROM ({export_sql})"),
        "expense": store.scalar("SELECT COUNT(*) FROM expenses"),
        "patient": store.scalar("SELECT COUNT(*) FROM patients"),
    }
    store.close()
    cases = [
        (
            "export",
            f"`export appointments --since 2025-03-01` ({counts['export']:,} rows, CSV)",
            [macli, "export", "appointments", "--since", "2025-03-01"],
            "`sqlite3 -csv` of the same SELECT",
            _sqlite("csv", large, export_sql),
        ),
        (
            "expense",
            f"`expense list` ({counts['expense']:,} rows, table)",
            [macli, "expense", "list"],
            "`sqlite3 -column` of the same SELECT",
            _sqlite("column", large, expense_sql),
        ),
        (
            "patient",
            f"`patient list` ({counts['patient']:,} rows, table)",
            [macli, "patient", "list"],
            "`sqlite3 -column` of the same SELECT",
            _sqlite("column", large, patient_sql),
        ),
    ]
    rows = []
    for _key, label, ours, reference_label, reference in cases:
        median, peaks = paired({"ours": (ours, env), "theirs": (reference, None)}, LISTING_ROUNDS)
        ratio = median["ours"] / median["theirs"]
        met = verdict("speed", label, f"{ratio:.2f}x", "2x", ratio <= 2)
        rows.append(
            [
                label,
                f"{median['ours']:.2f} s",
                f"{peaks['ours'] / 1024:.0f} MiB",
                reference_label,
                f"{median['theirs']:.2f} s",
                f"{peaks['theirs'] / 1024:.0f} MiB",
                f"{ratio:.2f}x",
                met,
            ]
        )
    return (
        f"### Listings and exports against the sqlite3 shell (large clinic, median of"
        f" {LISTING_ROUNDS}, taking turns, output to /dev/null)\n\n"
        + table(
            ["macli", "median", "peak RSS", "reference", "median", "peak RSS", "ratio", "≤ 2x"],
            rows,
        )
        + "\n\nPeak RSS is the process's high-water mark (`wait4`), Python and its imports"
        " included. A table past 2,000 rows is laid out from every row with the rows waiting"
        " in an anonymous temporary file, so memory stays flat at any length."
    )


def _day(db: Path) -> dict[str, int]:
    """Visits on the sheet of NOW's day, per provider (from `macli today -f json`)."""
    import json

    shown = subprocess.run(
        [macli_path(), "today", "-f", "json"], env=env_for(db), capture_output=True, check=True
    )
    counts: dict[str, int] = {}
    for row in json.loads(shown.stdout)["appointments"]:
        counts[row["provider"]] = counts.get(row["provider"], 0) + 1
    return counts


def today(demo: Path, large: Path) -> str:
    macli = macli_path()
    demo_day, large_day = _day(demo), _day(large)
    all_demo, all_large = sum(demo_day.values()), sum(large_day.values())
    demo_provider, demo_count = max(demo_day.items(), key=lambda item: item[1])
    # The large clinic's provider whose day is closest in length to the demo's busiest.
    large_provider, large_count = min(
        large_day.items(), key=lambda item: (abs(item[1] - demo_count), item[0])
    )
    runs = {
        "demo": ([macli, "today"], env_for(demo)),
        "large": ([macli, "today"], env_for(large)),
        "demo_one": ([macli, "today", "--provider", demo_provider], env_for(demo)),
        "large_one": ([macli, "today", "--provider", large_provider], env_for(large)),
    }
    median, _ = paired(runs, TODAY_ROUNDS)
    whole = median["large"] / median["demo"]
    per_visit = (median["large"] / all_large) / (median["demo"] / all_demo)
    one = median["large_one"] / median["demo_one"]
    met = verdict(
        "speed", "`today`, one provider's day, large vs demo", f"{one:.2f}x", "1.2x", one <= 1.2
    )
    rows = [
        [
            "whole sheet",
            f"{ms(median['demo'])} ({all_demo} visits)",
            f"{ms(median['large'])} ({all_large} visits)",
            f"{whole:.2f}x",
            f"{per_visit:.2f}x",
            "",
        ],
        [
            "the busiest provider's day (`--provider`)",
            f"{ms(median['demo_one'])} ({demo_count} visits)",
            f"{ms(median['large_one'])} ({large_count} visits)",
            f"{one:.2f}x",
            f"{(median['large_one'] / large_count) / (median['demo_one'] / demo_count):.2f}x",
            met,
        ],
    ]
    return (
        f"### `macli today`, large clinic against the demo (median of {TODAY_ROUNDS}, taking"
        " turns)\n\n"
        + table(["sheet", "demo", "large", "large / demo", "per visit shown", "≤ 1.2x"], rows)
        + "\n\nA longer day is not a slower one: the per-visit column divides each time by"
        " the visits the sheet shows; the provider row compares two days of similar length."
    )


def import_csv() -> str:
    source = clinic.patients_csv()
    tmpfs = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    folder = Path(tempfile.mkdtemp(dir=tmpfs, prefix="macli-bench-"))
    try:
        csv_copy = folder / "patients.csv"
        shutil.copy(source, csv_copy)
        sqlite_utils = str(Path(python_path()).with_name("sqlite-utils"))
        ours_db, theirs_db = folder / "macli.db", folder / "sqlite-utils.db"

        def fresh(path: Path) -> None:
            for suffix in ("", "-wal", "-shm", ".lock"):
                Path(str(path) + suffix).unlink(missing_ok=True)

        seconds = {"ours": [], "theirs": []}
        peaks = {"ours": 0, "theirs": 0}
        for _ in range(IMPORT_ROUNDS):
            fresh(ours_db)
            subprocess.run(
                [macli_path(), "init"], env=env_for(ours_db), check=True, capture_output=True
            )
            elapsed, peak = run(
                [macli_path(), "patient", "import", str(csv_copy)], env_for(ours_db)
            )
            seconds["ours"].append(elapsed)
            peaks["ours"] = max(peaks["ours"], peak)
            fresh(theirs_db)
            argv = [sqlite_utils, "insert", str(theirs_db), "patients", str(csv_copy), "--csv"]
            elapsed, peak = run(argv)
            seconds["theirs"].append(elapsed)
            peaks["theirs"] = max(peaks["theirs"], peak)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    mine, base = statistics.median(seconds["ours"]), statistics.median(seconds["theirs"])
    label = "`patient import`, 60,000 validated rows (tmpfs)"
    met = verdict("speed", label, f"{mine / base:.2f}x", "1.5x", mine / base <= 1.5)
    rows = [
        [
            "`sqlite-utils insert --csv` (no validation)",
            f"{base:.2f} s",
            f"{peaks['theirs'] / 1024:.0f} MiB",
            "1.0x",
            "",
        ],
        [label, f"{mine:.2f} s", f"{peaks['ours'] / 1024:.0f} MiB", f"{mine / base:.2f}x", met],
    ]
    return (
        f"### Importing 60,000 patients (median of {IMPORT_ROUNDS}, taking turns, on tmpfs)\n\n"
        + table(["command", "median", "peak RSS", "ratio", "≤ 1.5x"], rows)
    )


def main() -> None:
    demo, large = clinic.demo(), clinic.large()
    parts = [startup(demo), listings(large), today(demo, large), import_csv()]
    note = (
        "The machine was shared with other agents' work while these ran: every figure is a"
        " median of runs taken in turns with its reference, and the ratios are what to read."
    )
    write_section("speed", "\n\n".join([note, *parts]))


if __name__ == "__main__":
    arguments(__doc__)
    main()
