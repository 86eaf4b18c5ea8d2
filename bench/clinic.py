"""The large synthetic clinic for benchmarks: 20 providers, 60,000 patients, 10 years,
and what each area adds (appointments, vitals, stock, expenses...).

    python bench/clinic.py            # build bench/out/clinic-10y.db once (reused after)
    python bench/clinic.py --rebuild

Rows go in with executemany inside one transaction per table, bypassing per-row
validation: this is a load generator, not an import path. Each area adds rows through
`bench/gen_<area>.py` with `generate(store, rng, now, zone)`, listed in GENERATORS.
"""

from __future__ import annotations

import argparse
import importlib
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import NOW, OUT, env_for, macli_path  # noqa: E402
from macli.identifiers import fold, mrn_for  # noqa: E402
from macli.migrations import open_store  # noqa: E402
from macli.patients.core import index_names  # noqa: E402
from macli.patients.demo import FIRST_NAMES as FIRST  # noqa: E402
from macli.patients.demo import LAST_NAMES as LAST  # noqa: E402
from macli.when import parse_now, utc_text, zone  # noqa: E402

LARGE = OUT / "clinic-10y.db"
DEMO = OUT / "demo.db"
ZONE = "America/New_York"
PROVIDERS = 20
PATIENTS = 60_000
YEARS = 10
# bench.gen_<area> modules, in the order they build on each other.
GENERATORS: list[str] = [
    "bench.gen_schedule",
    "bench.gen_chart",
    "bench.gen_expense",
    "bench.gen_remind",
    "bench.gen_stock",
    "bench.gen_phone",
]


def patient_rows(count: int, rng: random.Random, today: date):
    """Synthetic patient fields as the CSV import takes them (also used for import benches)."""
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(0, (today - date(1930, 1, 1)).days))
        yield {
            "name": f"{first} {last} {index:05d}",
            "dob": born.isoformat(),
            "sex": rng.choice(["female", "male"]),
            "phone": f"617-555-01{index % 100:02d}",
            "email": f"patient{index}@example.org",
            "prefers": rng.choice(["sms", "email", "phone", "none"]),
            "consent": "sms,email",
        }


def build_large(path: Path = LARGE, *, seed: int = 1) -> Path:
    """Create the 10-year clinic at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    rng = random.Random(seed)
    tz = zone(ZONE)
    now = parse_now(NOW, tz)
    today = now.astimezone(tz).date()
    store = open_store(path)
    stamp = utc_text(now)
    with store.write():
        store.conn.executemany(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)",
            [
                ("clinic.timezone", ZONE, stamp, "bench"),
                ("clinic.name", "Bench Family Practice", stamp, "bench"),
            ],
        )
        store.conn.executemany(
            "INSERT INTO providers (id, name, title, active, created_at) VALUES (?, ?, ?, 1, ?)",
            [(i, f"Dr. Provider {i:02d}", "MD", stamp) for i in range(1, PROVIDERS + 1)],
        )
        rows = []
        for index, fields in enumerate(patient_rows(PATIENTS, rng, today), start=1):
            rows.append(
                (
                    index,
                    mrn_for(index),
                    fields["name"],
                    fields["name"].split()[0],
                    fold(fields["name"]),
                    fields["dob"],
                    fields["sex"],
                    "+1617555" + fields["phone"][-4:],
                    fields["email"],
                    fields["prefers"],
                    stamp,
                    stamp,
                )
            )
        store.conn.executemany(
            "INSERT INTO patients (id, mrn, name, first_name, search_name, dob, sex, phone, email,"
            " prefers, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        store.conn.executemany(
            "INSERT INTO patient_consents (patient_id, channel, granted, at, source, user)"
            " VALUES (?, ?, 1, ?, 'registration', 'bench')",
            [(i, channel, stamp) for i in range(1, PATIENTS + 1) for channel in ("sms", "email")],
        )
        index_names(store, 1, PATIENTS)  # inserted here without insert_rows
    for name in GENERATORS:
        started = time.perf_counter()
        module = importlib.import_module(name)
        module.generate(store, rng, now, tz)
        print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    store.conn.execute("ANALYZE")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


def patients_csv(count: int = 60_000) -> Path:
    """A patient import file of `count` synthetic rows (made once, kept in bench/out)."""
    import csv

    path = OUT / f"patients-{count // 1000}k.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        rng = random.Random(7)
        with open(path, "w", newline="") as handle:
            writer = None
            for row in patient_rows(count, rng, date(2026, 11, 26)):
                if writer is None:
                    writer = csv.DictWriter(handle, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow(row)
    return path


def with_generated(path: Path, table: str, generator, seed: int) -> Path:
    """The store at `path` with `generator`'s rows added when it was built before them
    (its `table` still empty): a benchmark of an area added later reuses the large clinic."""
    store = open_store(path)
    try:
        if not store.scalar(f"SELECT COUNT(*) FROM {table}"):  # table: from code
            tz = zone(ZONE)
            generator.generate(store, random.Random(seed), parse_now(NOW, tz), tz)
            store.conn.execute("ANALYZE")
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return path
    finally:
        store.close()


def large(rebuild: bool = False) -> Path:
    """The large clinic, built on first use."""
    if rebuild or not LARGE.exists():
        started = time.perf_counter()
        build_large()
        print(f"built {LARGE} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return LARGE


def demo(rebuild: bool = False) -> Path:
    """The demo clinic (`macli demo`) at the benchmark clock."""
    if rebuild or not DEMO.exists():
        DEMO.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [macli_path(), "demo", "--db", str(DEMO)],
            env=env_for(DEMO),
            check=True,
            capture_output=True,
        )
    return DEMO


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    arguments = parser.parse_args()
    print(large(arguments.rebuild))
    print(demo(arguments.rebuild))
