"""Expense benchmarks: `macli expense report` beside ledger and hledger reading the
exported journal of the large clinic's 100,000 expenses over ten years.

    python bench/bench_expense.py

Checks first that all three agree on the total to the cent, then writes the `expense`
section of docs/performance.md. Target: macli's reports at least 5x faster than
`ledger balance` on the same expenses.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic  # noqa: E402
from bench.harness import (  # noqa: E402
    OUT,
    arguments,
    env_for,
    macli_path,
    ms,
    table,
    time_macli,
    time_run,
    verdict,
    write_section,
)

TARGET = 5.0
ROUNDS = 5


def cents(text: str) -> int:
    return int(Decimal(text.replace("USD", "").replace(",", "").strip()) * 100)


def macli_total(db: Path) -> int:
    result = subprocess.run(
        [macli_path(), "expense", "report", "--by", "category", "-f", "json"],
        env=env_for(db),
        capture_output=True,
        check=True,
    )
    return cents(json.loads(result.stdout)[-1]["amount"])


def tool_total(argv: list[str]) -> int:
    result = subprocess.run(argv, capture_output=True, text=True, check=True)
    return cents(result.stdout.strip().splitlines()[-1].split(",")[-1].strip('"'))


def report_in_process(db: Path, by: str, repeat: int = 20) -> float:
    """Median seconds of `macli.expense.report.report` on an open store."""
    from macli.expense.report import report
    from macli.migrations import open_store

    store = open_store(db)
    try:
        report(store, by=by)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            report(store, by=by)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)
    finally:
        store.close()


def main() -> None:
    ledger, hledger = shutil.which("ledger"), shutil.which("hledger")
    if not ledger or not hledger:
        sys.exit("ledger and hledger are needed (apt-get install ledger hledger)")
    db = clinic.large()
    count = int(
        subprocess.run(
            [macli_path(), "sql", "SELECT count(*) AS n FROM expenses", "-f", "csv"],
            env=env_for(db),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-1]
    )
    journal = OUT / "expenses.journal"
    export = time_macli(["expense", "export", "--ledger", "-o", str(journal)], db, repeat=3)

    total = macli_total(db)
    ledger_total = tool_total(
        [
            ledger,
            "-f",
            str(journal),
            "balance",
            "^Expenses",
            "--depth",
            "1",
            "--balance-format",
            "%(quantity(scrub(display_total)))\n",
        ]
    )
    # The last CSV row is "total","1234.56 USD".
    hledger_total = tool_total([hledger, "-f", str(journal), "balance", "^Expenses", "-O", "csv"])
    if not total == ledger_total == hledger_total:
        sys.exit(f"totals differ: macli {total}, ledger {ledger_total}, hledger {hledger_total}")

    # Rounds run every command once, in turn, so that load from others on a shared
    # machine falls on all of them alike; the medians are compared.
    commands = {
        "by_category": [macli_path(), "expense", "report", "--by", "category"],
        "by_month": [macli_path(), "expense", "report", "--by", "month"],
        "ledger_balance": [ledger, "-f", str(journal), "balance"],
        "ledger_monthly": [
            ledger,
            "-f",
            str(journal),
            "register",
            "^Expenses",
            "--monthly",
            "--collapse",
        ],
        "hledger_balance": [hledger, "-f", str(journal), "balance"],
        "hledger_monthly": [hledger, "-f", str(journal), "balance", "-M"],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(ROUNDS + 1):
        for name, argv in commands.items():
            seconds = time_run(argv, env=env_for(db), repeat=1, warmup=0)
            if round_number:  # the first round warms the caches
                samples[name].append(seconds)
    median = {name: statistics.median(values) for name, values in samples.items()}
    by_category, by_month = median["by_category"], median["by_month"]
    ledger_balance, ledger_monthly = median["ledger_balance"], median["ledger_monthly"]
    hledger_balance, hledger_monthly = median["hledger_balance"], median["hledger_monthly"]

    in_process = {by: report_in_process(db, by) for by in ("category", "month")}

    def versus(seconds: float, reference: float) -> str:
        return f"{reference / seconds:.1f}x"

    rows = [
        [
            "`macli expense report --by category`",
            ms(by_category),
            versus(by_category, ledger_balance),
            f">= {TARGET:.0f}x",
            verdict(
                "expense",
                "`macli expense report --by category` vs `ledger balance`",
                versus(by_category, ledger_balance) + " faster",
                f">= {TARGET:.0f}x faster",
                ledger_balance / by_category >= TARGET,
            ),
        ],
        [
            "`macli expense report --by month`",
            ms(by_month),
            versus(by_month, ledger_balance),
            f">= {TARGET:.0f}x",
            verdict(
                "expense",
                "`macli expense report --by month` vs `ledger balance`",
                versus(by_month, ledger_balance) + " faster",
                f">= {TARGET:.0f}x faster",
                ledger_balance / by_month >= TARGET,
            ),
        ],
        ["`ledger balance`", ms(ledger_balance), "1.0x", "", ""],
        [
            "`ledger register ^Expenses --monthly --collapse`",
            ms(ledger_monthly),
            versus(ledger_monthly, ledger_balance),
            "",
            "",
        ],
        ["`hledger balance`", ms(hledger_balance), versus(hledger_balance, ledger_balance), "", ""],
        [
            "`hledger balance -M`",
            ms(hledger_monthly),
            versus(hledger_monthly, ledger_balance),
            "",
            "",
        ],
    ]
    text = (
        f"### Reports on {count:,} expenses over ten years\n\n"
        f"Median wall time of {ROUNDS} runs of the whole command (start-up included), the "
        "commands taking turns; macli reads the large "
        "clinic's store, ledger and hledger read the journal `macli expense export --ledger` "
        f"wrote from it (exported in {export:.2f} s). All three give the same total, "
        f"{total / 100:,.2f} USD, checked before timing. The speed-up is `ledger balance`'s "
        "time over each command's.\n\n"
        + table(["command", "median", "vs ledger balance", "target", ""], rows)
        + "\n\nThe report function alone, in process (SQL aggregates and subtotals): by "
        f"category {ms(in_process['category'])}, by month {ms(in_process['month'])}; the rest "
        "of macli's time is Python start-up and rendering.\n\n"
        "Reproduce: `python bench/bench_expense.py` (builds `bench/out/clinic-10y.db` on "
        "first use)."
    )
    write_section("expense", text)


if __name__ == "__main__":
    arguments(__doc__)
    main()
