"""Stock benchmarks: reports on the 10-year clinic (500 items, ~300,000 ledger rows)
against the demo closet.

    python bench/bench_stock.py

Writes the `stock` section of docs/performance.md. Target: `stock list` and
`stock low` at most 1.2x their time on the demo store.
"""

from __future__ import annotations

import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic, gen_stock  # noqa: E402
from bench.harness import (  # noqa: E402
    env_for,
    macli_path,
    ms,
    query_plan,
    table,
    time_macli,
    time_query,
    time_run,
    write_section,
)
from macli.stock import reports  # noqa: E402
from macli.store import Store  # noqa: E402
from macli.when import parse_now, zone  # noqa: E402

TODAY = "2026-11-26"
TARGETED = {("stock", "list"), ("stock", "low")}


def with_stock(path: Path) -> Path:
    """The large clinic, with the stock generator's rows added if it was built before them."""
    store = Store(path)
    try:
        if not store.scalar("SELECT COUNT(*) FROM stock_items"):
            tz = zone(clinic.ZONE)
            gen_stock.generate(store, random.Random(6), parse_now(clinic.NOW, tz), tz)
            store.conn.execute("ANALYZE")
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return path
    finally:
        store.close()


def counts(path: Path) -> str:
    store = Store(path)
    try:
        return (
            f"{store.scalar('SELECT COUNT(*) FROM stock_items')} items, "
            f"{store.scalar('SELECT COUNT(*) FROM stock_lots'):,} lots, "
            f"{store.scalar('SELECT COUNT(*) FROM stock_ledger'):,} ledger rows"
        )
    finally:
        store.close()


def commands(demo: Path, large: Path) -> str:
    store = Store(large)
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
        small, big = side_by_side(args, demo, large)
        target = "1.2x" if tuple(args) in TARGETED else ""
        rows.append(
            [f"`macli {' '.join(args)}`", ms(small), ms(big), f"{big / small:.2f}x", target]
        )
    history = time_macli(["stock", "history", "BENCH-0001"], large)
    trace = time_macli(["stock", "lot", lot], large)
    rows.append(["`macli stock history BENCH-0001` (~600 rows)", "", ms(history), "", ""])
    rows.append([f"`macli stock lot {lot}`", "", ms(trace), "", ""])
    return (
        "### Reports, whole command (median of 11 runs, alternating the two stores)\n\n"
        f"Demo closet: {counts(demo)}. Large clinic: {counts(large)}.\n\n"
        + table(["command", "demo", "10-year clinic", "ratio", "target"], rows)
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


def queries(demo: Path, large: Path) -> str:
    list_sql, low_sql = _captured_sql()
    rows = []
    for label, (sql, params) in (("stock list", list_sql), ("stock low", low_sql)):
        rows.append([label, ms(time_query(demo, sql, params)), ms(time_query(large, sql, params))])
    plan = query_plan(large, *list_sql)
    return (
        "### The report queries alone (in process, median of 50)\n\n"
        + table(["query", "demo", "10-year clinic"], rows)
        + "\n\nBoth read only the lots that still hold something, through the partial index"
        " `stock_lots_open` (the ledger is never scanned for on-hand). Plan of `stock list`:\n\n"
        + "```\n"
        + plan
        + "\n```"
    )


def _captured_sql():
    """The SQL the two reports run, captured from the core functions themselves."""
    captured = []

    class Recorder:
        def query(self, sql, params=()):
            captured.append((sql, list(params)))
            return []

    from datetime import date

    reports.stock_list(Recorder(), today=date.fromisoformat(TODAY))
    reports.low(Recorder(), today=date.fromisoformat(TODAY))
    return captured[0], captured[1]


if __name__ == "__main__":
    demo, large = clinic.demo(), with_stock(clinic.large())
    write_section("stock", "\n\n".join([commands(demo, large), queries(demo, large)]))
