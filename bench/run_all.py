"""Every benchmark in one run, so docs/performance.md holds one consistent set of figures
from one machine state, with a summary of every target at the top.

Measure the macli users get: a venv with only the runtime dependencies and a
non-editable install (an editable install and test-only packages add start-up cost
users do not pay). The scripts themselves run from the development venv (the reminder
bench needs aiosmtpd from the test extra; the expense bench needs the Debian packages
ledger and hledger):

    python3 -m venv bench/out/venv && bench/out/venv/bin/pip install .
    .venv/bin/python bench/run_all.py --python bench/out/venv/bin/python --rebuild

After changing macli, reinstall it there (`bench/out/venv/bin/pip install
--force-reinstall --no-deps .`); the run stops if the installed copy differs from the
checkout. --rebuild builds the large clinic and the demo store afresh first (about
three minutes). The machine may be shared: every comparison runs its commands in turns
and reports medians; nothing here is a pass/fail test.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic, harness  # noqa: E402

SCRIPTS = [
    "bench.bench_core",
    "bench.bench_schedule",
    "bench.bench_chart",
    "bench.bench_remind",
    "bench.bench_stock",
    "bench.bench_expense",
    "bench.bench_today",
    "bench.bench_speed",
    "bench.bench_qc",
]


def summary(results: list[dict], minutes: float) -> str:
    rows = [
        [
            result["area"],
            result["what"],
            result["figure"],
            result["target"],
            "met" if result["met"] else "**missed**",
        ]
        for result in results
    ]
    met = sum(result["met"] for result in results)
    return (
        f"### Every target ({met} of {len(results)} met)\n\n"
        + harness.table(["area", "what", "measured", "target", ""], rows)
        + f"\n\nAll sections below come from this one run of `bench/run_all.py`"
        f" ({minutes:.0f} minutes)."
    )


def main() -> None:
    options = harness.parser(__doc__)
    options.add_argument(
        "--rebuild", action="store_true", help="build the large clinic and the demo afresh"
    )
    parsed = harness.arguments(__doc__, options)
    started = time.perf_counter()
    if parsed.rebuild:
        clinic.large(rebuild=True)
        clinic.demo(rebuild=True)
    harness.measured_with()  # stops at once when the measured install is stale
    for name in SCRIPTS:
        print(f"== {name}", file=sys.stderr)
        importlib.import_module(name).main()
    harness.write_section("summary", summary(harness.RESULTS, (time.perf_counter() - started) / 60))


if __name__ == "__main__":
    main()
