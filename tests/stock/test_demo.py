"""The demo supply closet gives every stock report something to show."""

from __future__ import annotations

from datetime import date

from macli.lab.demo import KITS as LAB_KITS
from macli.migrations import open_store
from macli.procedure.demo import KITS as PROCEDURE_KITS
from macli.stock import items, reports
from macli.stock.demo import KITS as STOCK_KITS

from .closet import NOW, TZ


def test_demo_closet_has_a_year_of_history_and_something_in_every_report(demo_db):
    store = open_store(demo_db)
    try:
        today = date(2026, 11, 26)
        assert store.scalar("SELECT COUNT(*) FROM stock_items") >= 20
        first, last = store.one(
            "SELECT MIN(day) AS first, MAX(day) AS last FROM stock_ledger"
        ).values()
        # Up to the doses given this morning (the clock is 09:00), never in the future.
        assert first == "2025-12-01" and last <= today.isoformat()
        assert store.scalar("SELECT MAX(at) FROM stock_ledger") <= "2026-11-26T14:00:00Z"
        # Written in time order, as a real closet's ledger would be. The lab demo's
        # point-of-care kits are a second simulation written after the closet's year, so
        # each simulation is held to time order on its own.
        lab_kits = [sku for sku, *_ in LAB_KITS]
        marks = ", ".join("?" for _ in lab_kits)
        for side in ("NOT IN", "IN"):
            assert (
                store.scalar(
                    "WITH rows AS (SELECT l.id, l.at, LAG(l.at) OVER (ORDER BY l.id) AS before"
                    " FROM stock_ledger l JOIN stock_items i ON i.id = l.item_id"
                    f" WHERE i.sku {side} ({marks}))"
                    " SELECT COUNT(*) FROM rows WHERE at < before",
                    lab_kits,
                )
                == 0
            ), side
        assert store.scalar("SELECT COUNT(*) FROM stock_ledger WHERE patient_id IS NOT NULL") > 50
        # Every receipt that cost something is an expense pointing back at it.
        assert (
            store.scalar(
                "SELECT COUNT(*) FROM stock_ledger g JOIN expenses e ON e.id = g.expense_id"
                " AND e.source = 'stock_receipt' AND e.source_id = g.id"
            )
            == store.scalar("SELECT COUNT(*) FROM stock_ledger WHERE cost_cents > 0")
            > 50
        )
        assert (
            store.scalar(
                "SELECT COUNT(*) FROM stock_lots l WHERE on_hand !="
                " (SELECT SUM(quantity) FROM stock_ledger WHERE lot_id = l.id)"
            )
            == 0
        )

        expiring = reports.expiring(store, today=today, within_days=30)["rows"]
        expired = [row for row in expiring if row["status"].startswith("expired")]
        assert len(expired) == 1
        assert len(expiring) > len(expired)
        assert len(reports.low(store, today=today)) >= 3
        assert reports.order(store, today=today)
        kits = {row["kit"] for row in items.kits(store, today_text=today.isoformat())}
        assert kits == set(STOCK_KITS) | set(PROCEDURE_KITS)  # the closet's and the trays
        usage = reports.usage(store, since=date(2025, 12, 1), until=today)
        assert len({row["month"] for row in usage}) == 12
        flu_lot = store.scalar(
            "SELECT l.lot FROM stock_lots l JOIN stock_items i ON i.id = l.item_id"
            " WHERE i.sku = 'FLU-QIV' ORDER BY l.id LIMIT 1"
        )
        trace = reports.lot_trace(store, flu_lot, tz=TZ, user="tester", now=NOW)
        assert any(row["patient"] for row in trace["rows"])
    finally:
        store.close()
