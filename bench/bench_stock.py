"""Stock benchmarks: reports on the 10-year clinic (500 items, ~300,000 ledger rows)
against the demo closet.

    python bench/bench_stock.py

Writes the `stock` section of docs/performance.md. Target: `stock list` and
`stock low` at most 1.2x their time on the demo store.
"""

from __future__ import annotations

import io
import statistics
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic, gen_stock  # noqa: E402
from bench.harness import (  # noqa: E402
    arguments,
    env_for,
    macli_path,
    median_call,
    ms,
    table,
    time_run,
    verdict,
    write_section,
)
from macli.migrations import open_store  # noqa: E402
from macli.output import render  # noqa: E402
from macli.stock import reports  # noqa: E402

TODAY = "2026-11-26"
TARGETED = {("stock", "list"), ("stock", "low")}


def with_stock(path: Path) -> Path:
    """The large clinic, with the stock generator's rows added if it was built before them."""
    return clinic.with_generated(path, "stock_items", gen_stock, seed=6)


def counts(path: Path) -> str:
    store = open_store(path)
    try:
        return (
            f"{store.scalar('SELECT COUNT(*) FROM stock_items')} items, "
            f"{store.scalar('SELECT COUNT(*) FROM stock_lots'):,} lots, "
            f"{store.scalar('SELECT COUNT(*) FROM stock_ledger'):,} ledger rows"
        )
    finally:
        store.close()


def commands(demo: Path, large: Path) -> str:
    store = open_store(large)
    try:
        lot = store.scalar("SELECT lot FROM stock_lots ORDER BY id DESC LIMIT 1")
    finally:
        store.close()
    cases = [
        ["stock", "list"],
        ["stock", "low"],
        ["stock", "list", "--lots"],
        ["stock", "expiring"],
        ["stock", "order"],
        ["stock", "usage"],
    ]
    rows = []
    for args in cases:
        targeted = tuple(args) in TARGETED
        small, big = side_by_side(args, demo, large, repeat=21 if targeted else 11)
        label = f"`macli {' '.join(args)}`"
        met = ""
        if targeted:
            met = verdict(
                "stock",
                label + " on the 10-year clinic vs demo",
                f"{big / small:.2f}x",
                "1.2x",
                big / small <= 1.2,
            )
        rows.append(
            [label, ms(small), ms(big), f"{big / small:.2f}x", "1.2x" if targeted else "", met]
        )
    history = time_run([macli_path(), "stock", "history", "BENCH-0001"], env=env_for(large))
    trace = time_run([macli_path(), "stock", "lot", lot], env=env_for(large))
    rows.append(["`macli stock history BENCH-0001` (~600 rows)", "", ms(history), "", "", ""])
    rows.append([f"`macli stock lot {lot}`", "", ms(trace), "", "", ""])
    return (
        "### Reports, whole command\n\n"
        "Each a new process, the two stores taking turns; median of 21 runs for the two"
        " targeted reports, 11 for the rest.\n\n"
        f"Demo closet: {counts(demo)}. Large clinic: {counts(large)}.\n\n"
        + table(["command", "demo", "10-year clinic", "ratio", "target", ""], rows)
    )


def side_by_side(args: list[str], demo: Path, large: Path, repeat: int = 11):
    """Median seconds on each store, runs interleaved so a busy machine hits both alike."""
    argv = [macli_path(), *args]
    small, big = [], []
    for index in range(repeat + 1):
        first = time_run(argv, env=env_for(demo), repeat=1, warmup=0)
        second = time_run(argv, env=env_for(large), repeat=1, warmup=0)
        if index:  # the first pair warms the file cache
            small.append(first)
            big.append(second)
    return statistics.median(small), statistics.median(big)


def in_process(demo: Path, large: Path) -> str:
    """Where the time of the two targeted reports goes: the query, then the table."""
    today = date.fromisoformat(TODAY)
    rows = []
    for label, report, columns in (
        ("stock list", reports.stock_list, reports.LIST_COLUMNS),
        ("stock low", reports.low, reports.LOW_COLUMNS),
    ):
        cells = [f"`{label}`"]
        for path in (demo, large):
            store = open_store(path)
            try:
                fetched = report(store, today=today)
                query = median_call(lambda: report(store, today=today), repeat=30)  # noqa: B023
                drawing = median_call(
                    lambda: render(fetched, "table", columns=columns, out=io.StringIO()),  # noqa: B023
                    repeat=30,
                )
            finally:
                store.close()
            cells += [len(fetched), ms(query), ms(drawing)]
        rows.append(cells)
    header = ["report", "demo rows", "query", "table", "10-year rows", "query", "table"]
    return (
        "### Inside the command (in process, median of 30)\n\n"
        + table(header, rows)
        + "\n\nOn-hand comes from `stock_lots.on_hand`, the per-lot ledger sum a trigger keeps"
        " (a property test checks it against the ledger), read through the partial index"
        " `stock_lots_open` of lots that still hold something: the 300,000-row ledger is not"
        " read. What grows with the clinic is the table printed: 500 items instead of 24."
    )


def main() -> None:
    demo, large = clinic.demo(), with_stock(clinic.large())
    write_section("stock", "\n\n".join([commands(demo, large), in_process(demo, large)]))


if __name__ == "__main__":
    arguments(__doc__)
    main()
