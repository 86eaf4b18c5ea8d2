"""Lab benchmarks: importing 10,000 HL7 result messages (about 50,000 analytes) into the
10-year clinic, and `lab pending`, `lab inbox`, `chart show` there against the demo.

    python bench/bench_lab.py

Writes the `lab` section of docs/performance.md. Targets: the three listings at most
1.2x their time on the demo store.
"""

from __future__ import annotations

import random
import shutil
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic, gen_lab  # noqa: E402
from bench.bench_stock import side_by_side  # noqa: E402
from bench.harness import (  # noqa: E402
    OUT,
    arguments,
    env_for,
    macli_path,
    ms,
    table,
    time_run,
    verdict,
    write_section,
)
from macli.lab import demo as lab_demo  # noqa: E402
from macli.store import Store  # noqa: E402
from macli.when import parse_now, utc_text, zone  # noqa: E402

MESSAGES = 10_000
IMPORT_TESTS = ["CBC", "Basic metabolic panel", "Lipid panel", "Basic metabolic panel", "TSH"]
# 4, 8, 4, 8, 1 analytes: 5 a message, 50,000 in all (the "about 50,000")


def with_lab(path: Path) -> Path:
    """The large clinic, with the lab generator's rows added if it was built before them."""
    return clinic.with_generated(path, "lab_tests", gen_lab, seed=15)


def counts(path: Path) -> str:
    store = Store(path)
    try:
        return (
            f"{store.scalar('SELECT COUNT(*) FROM lab_orders'):,} orders, "
            f"{store.scalar('SELECT COUNT(*) FROM lab_results'):,} results, "
            f"{store.scalar('SELECT COUNT(*) FROM lab_observations'):,} analytes"
        )
    finally:
        store.close()


def _lab_patient(path: Path) -> str:
    store = Store(path)
    try:
        return store.scalar(
            "SELECT p.mrn FROM lab_results r JOIN patients p ON p.id = r.patient_id"
            " ORDER BY r.id DESC LIMIT 1"
        )
    finally:
        store.close()


def listings(demo: Path, large: Path) -> str:
    rows = []
    for args, big_args in (
        (["lab", "pending"], None),
        (["lab", "inbox"], None),
        (["chart", "show", _lab_patient(demo)], ["chart", "show", _lab_patient(large)]),
    ):
        small, big = _pair(args, big_args or args, demo, large)
        label = f"`macli {' '.join(args[:2])}`"
        met = verdict(
            "lab",
            label + " on the 10-year clinic vs demo",
            f"{big / small:.2f}x",
            "1.2x",
            big / small <= 1.2,
        )
        rows.append([label, ms(small), ms(big), f"{big / small:.2f}x", "1.2x", met])
    return (
        "### Listings, whole command\n\n"
        "Each a new process, the two stores taking turns; median of 21 runs. `chart show`"
        " is of a patient with lab results in each store.\n\n"
        f"Demo: {counts(demo)}. Large clinic: {counts(large)}.\n\n"
        + table(["command", "demo", "10-year clinic", "ratio", "target", ""], rows)
    )


def _pair(args, big_args, demo, large, repeat=21):
    if args == big_args:
        return side_by_side(args, demo, large, repeat=repeat)
    import statistics

    small, big = [], []
    for index in range(repeat + 1):
        first = time_run([macli_path(), *args], env=env_for(demo), repeat=1, warmup=0)
        second = time_run([macli_path(), *big_args], env=env_for(large), repeat=1, warmup=0)
        if index:
            small.append(first)
            big.append(second)
    return statistics.median(small), statistics.median(big)


def import_run(large: Path) -> str:
    """10,000 messages for 10,000 orders drawn yesterday, imported in one command."""
    target = OUT / "lab-import.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copy(large, target)
    tz = zone(clinic.ZONE)
    now = parse_now(clinic.NOW, tz)
    rng = random.Random(1510)
    store = Store(target)
    messages = []
    analytes = 0
    try:
        tests = {r["name"]: r for r in store.query("SELECT * FROM lab_tests")}
        patients = store.query(
            "SELECT id, mrn, name, dob, sex FROM patients ORDER BY random() LIMIT ?", [MESSAGES]
        )
        first = (store.scalar("SELECT MAX(id) FROM lab_orders") or 0) + 1
        drawn = now - timedelta(hours=20)
        with store.write():
            for offset, patient in enumerate(patients):
                order_id = first + offset
                test = IMPORT_TESTS[offset % len(IMPORT_TESTS)]
                store.execute(
                    "INSERT INTO lab_orders (id, patient_id, provider_id, ordered_at, ordered_by)"
                    " VALUES (?, ?, 1, ?, 'bench')",
                    [order_id, patient["id"], utc_text(drawn)],
                )
                store.execute(
                    "INSERT INTO lab_order_items (order_id, test_id, due_at) VALUES (?, ?, ?)",
                    [order_id, tests[test]["id"], utc_text(now)],
                )
                visit = {**patient}
                messages.append(
                    lab_demo._message(
                        _Context(store, rng, tz),
                        visit,
                        f"LO{order_id:06d}",
                        test,
                        now - timedelta(hours=1),
                    )
                )
                analytes += len(lab_demo.PANELS[test])
    finally:
        store.close()
    path = OUT / "results-10000.hl7"
    path.write_text("".join(messages), newline="")
    argv = [macli_path(), "lab", "import", str(path)]
    first_run = time_run(argv, env=env_for(target), repeat=1, warmup=0)
    again = time_run(argv, env=env_for(target), repeat=1, warmup=0)
    return (
        "### Import\n\n"
        f"`macli lab import` of one file of {MESSAGES:,} ORU^R01 messages ({analytes:,}"
        f" analytes, {path.stat().st_size / 1e6:.1f} MB) into a copy of the 10-year clinic,"
        " one run each:\n\n"
        + table(
            ["run", "time", "per message"],
            [
                ["first import (all attached)", f"{first_run:.1f} s", ms(first_run / MESSAGES)],
                ["the same file again (all duplicates)", f"{again:.1f} s", ms(again / MESSAGES)],
            ],
        )
    )


class _Context:
    def __init__(self, store, rng, tz):
        self.store, self.rng, self.zone = store, rng, tz


def main() -> None:
    arguments(__doc__)
    import os

    demo, large = clinic.demo(), with_lab(clinic.large())
    load = os.getloadavg()[0]
    sections = [listings(demo, large), import_run(large)]
    sections.append(
        f"Load average when the listings began: {load:.1f} on {os.cpu_count()} cores (the"
        " machine is shared); read the ratios, which pair each run with its reference."
    )
    write_section("lab", "## Lab\n\n" + "\n\n".join(sections))


if __name__ == "__main__":
    main()
