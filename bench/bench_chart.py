"""Chart benchmarks: `chart show` and `chart vitals --list` on the 10-year clinic (about
3 million vital-sign values) against the demo store, and ICD-10-CM look-up query times.

    python bench/bench_chart.py

Writes the `chart` section of docs/performance.md.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic  # noqa: E402
from bench.harness import (  # noqa: E402
    arguments,
    median_call,
    ms,
    query_plan,
    table,
    time_macli,
    verdict,
    write_section,
)
from macli.chart import icd  # noqa: E402
from macli.errors import Invalid  # noqa: E402
from macli.migrations import open_store  # noqa: E402

RUNS = 21
LAST_VITALS_SQL = (
    "SELECT e.id FROM chart_entries e WHERE e.patient_id = ? AND e.kind = 'vitals'"
    " AND e.voided = 0 AND NOT EXISTS (SELECT 1 FROM chart_entries later"
    " WHERE later.amends = e.id) ORDER BY e.at DESC, e.id DESC LIMIT 1"
)


def typical_patient(db: Path) -> tuple[str, int]:
    """The MRN of a patient with the median number of vitals sets, and that number."""
    store = open_store(db)
    try:
        counts = store.query(
            "SELECT p.mrn, COUNT(e.id) AS sets FROM patients p JOIN chart_entries e"
            " ON e.patient_id = p.id AND e.kind = 'vitals' GROUP BY p.id ORDER BY sets, p.id"
        )
    finally:
        store.close()
    if not counts:
        raise SystemExit(f"{db} has no vitals: rebuild it with python bench/clinic.py --rebuild")
    middle = counts[len(counts) // 2]
    return middle["mrn"], middle["sets"]


def commands(demo: Path, large: Path) -> str:
    demo_patient, demo_sets = typical_patient(demo)
    large_patient, large_sets = typical_patient(large)
    store = open_store(large)
    try:
        values = store.scalar("SELECT COUNT(*) FROM chart_vital_values")
        sets = store.scalar("SELECT COUNT(*) FROM chart_entries WHERE kind = 'vitals'")
        entries = store.scalar("SELECT COUNT(*) FROM chart_entries")
    finally:
        store.close()
    rows = []
    for label, args in (
        ("`chart show`", ["chart", "show"]),
        ("`chart vitals --list`", ["chart", "vitals", "--list"]),
    ):
        # Alternate the two stores run by run, so load from other work on a shared
        # machine falls on both sides alike.
        small_runs, big_runs = [], []
        for _ in range(RUNS):
            small_runs.append(time_macli([*args[:2], demo_patient, *args[2:]], demo, repeat=1))
            big_runs.append(time_macli([*args[:2], large_patient, *args[2:]], large, repeat=1))
        small, big = statistics.median(small_runs), statistics.median(big_runs)
        met = verdict(
            "chart",
            label + " on the 10-year clinic vs demo",
            f"{big / small:.2f}x",
            "1.2x",
            big / small <= 1.2,
        )
        rows.append([label, ms(small), ms(big), f"{big / small:.2f}x", "1.2x", met])
    plan = query_plan(large, LAST_VITALS_SQL, [1])
    return (
        f"### `chart show` and `chart vitals --list`: demo store against the 10-year clinic\n\n"
        f"The large store holds {values:,} vital-sign values in {sets:,} sets "
        f"({entries:,} chart entries) for 60,000 patients. Each command is run for a patient "
        f"with the median number of sets ({demo_patient}: {demo_sets} on the demo, "
        f"{large_patient}: {large_sets} on the large store); median of {RUNS} runs, alternating "
        "the stores, each run a new process that also writes its audit row.\n\n"
        + table(["command", "demo", "10-year clinic", "ratio", "target", ""], rows)
        + "\n\nThe last-vitals query of `chart show` uses the index:\n\n```\n"
        + plan
        + "\n```"
    )


def refused(store, code):
    def check():
        try:
            icd.check_billable(store, code)
        except Invalid:
            pass

    return check


def lookups(large: Path) -> str:
    store = open_store(large)
    try:
        icd.ensure_loaded(store)
        cases = [
            ("`chart icd search diabetes` (25 codes)", lambda: icd.search(store, "diabetes")),
            ("search `type 2 diabetes`", lambda: icd.search(store, "type 2 diabetes")),
            ("search by code start `E11.6`", lambda: icd.search(store, "E11.6")),
            ("check billable `E11.9`", lambda: icd.check_billable(store, "E11.9")),
            ("check header `E11` (refused, 87 billable codes listed)", refused(store, "E11")),
            ("check unknown `E11.99X` (refused, nearest code)", refused(store, "E11.99X")),
        ]
        rows = []
        for label, function in cases:
            seconds = median_call(function, repeat=50)
            met = verdict("chart", label, ms(seconds), "< 100 ms", seconds < 0.1)
            rows.append([label, ms(seconds), "100 ms", met])
    finally:
        store.close()
    return (
        "### ICD-10-CM look-ups (query time in process, the code set already loaded)\n\n"
        + table(["look-up", "median", "target", ""], rows)
        + "\n\nLoading the shipped code set into a new store happens once, on first use; "
        "it takes about a second."
    )


def main() -> None:
    demo, large = clinic.demo(), clinic.large()
    write_section("chart", "\n\n".join([commands(demo, large), lookups(large)]))


if __name__ == "__main__":
    arguments(__doc__)
    main()
