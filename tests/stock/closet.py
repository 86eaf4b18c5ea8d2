"""Helpers for stock tests: the clock, the clinic zone and core-function shortcuts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from macli.stock import core, items

TZ = ZoneInfo("America/New_York")
# 2026-11-26 09:00 in New York, the same instant the CLI tests run at (MACLI_NOW).
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


def at(days: int = 0, hours: int = 0) -> datetime:
    """The test clock moved by some days and hours."""
    return NOW + timedelta(days=days, hours=hours)


class Closet:
    """Core-function shortcuts with the test's user, clock and zone filled in."""

    def __init__(self, store):
        self.store = store

    def item(self, sku, **fields):
        fields = {"name": sku.title(), "unit": "box", **fields}
        return items.add(self.store, sku, fields, now=NOW)

    def receive(self, sku, quantity, now=NOW, **options):
        return core.receive(self.store, sku, quantity, user="tester", now=now, tz=TZ, **options)

    def use(self, sku=None, quantity=None, now=NOW, **options):
        return core.use(self.store, sku, quantity, user="tester", now=now, tz=TZ, **options)

    def count(self, sku, counted, now=NOW, **options):
        options.setdefault("reason", "monthly count")
        return core.count(self.store, sku, counted, user="tester", now=now, tz=TZ, **options)

    def discard(self, sku, quantity, now=NOW, **options):
        return core.discard(self.store, sku, quantity, user="tester", now=now, tz=TZ, **options)

    def lots(self, sku):
        """{lot: on_hand} for every lot of an item."""
        return {
            row["lot"]: row["on_hand"]
            for row in self.store.query(
                "SELECT l.lot, l.on_hand FROM stock_lots l JOIN stock_items i"
                " ON i.id = l.item_id WHERE i.sku = ? ORDER BY l.id",
                [sku],
            )
        }

    def ledger_count(self):
        return self.store.scalar("SELECT COUNT(*) FROM stock_ledger")
