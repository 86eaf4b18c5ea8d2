"""Stock for the 10-year benchmark clinic: 500 items and about 300,000 ledger rows.

Each item is simulated on its own, first-expiring-first, so every lot's balance stays
at or above zero as the ledger trigger keeps `stock_lots.on_hand`; rows go in with
executemany, one item after another.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from macli.store import Store
from macli.when import utc_text

ITEMS = 500
YEARS = 10
UNITS = ("box", "each", "pack", "pair", "vial", "dose", "bottle", "roll")
CATEGORIES = ("medical", "medical", "medical", "lab", "exam room", "office", "vaccines")
SUPPLIERS = ("Harbor Medical Supply", "Apex Vaccines", "Bay State Office Supply", "Northwind Lab")


def generate(store: Store, rng: random.Random, now: datetime, zone: ZoneInfo) -> None:
    """Add the items, lots and ledger rows (about 600 rows per item)."""
    today = now.astimezone(zone).date()
    start = today - timedelta(days=365 * YEARS)
    stamp = utc_text(now)
    patients = store.scalar("SELECT MAX(id) FROM patients") or 0
    with store.write():
        store.conn.executemany(
            "INSERT INTO stock_items (id, sku, name, unit, category, reorder_at, reorder_qty,"
            " supplier, location, perishable, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_item(index, rng, stamp) for index in range(1, ITEMS + 1)],
        )
        next_lot, next_row = 1, 1
        for item in store.query("SELECT id, category, reorder_at, reorder_qty FROM stock_items"):
            lots, rows = _simulate(item, rng, start, today, zone, patients, next_lot, next_row)
            store.conn.executemany(
                "INSERT INTO stock_lots (id, item_id, lot, expires, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                lots,
            )
            store.conn.executemany(
                "INSERT INTO stock_ledger (id, op, at, day, kind, item_id, lot_id, quantity,"
                " cost_cents, patient_id, reason, user) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            next_lot += len(lots)
            next_row += len(rows)


def _item(index: int, rng: random.Random, stamp: str) -> tuple:
    category = rng.choice(CATEGORIES)
    reorder_at = rng.choice((2, 4, 6, 10, 20, 50))
    return (
        index,
        f"BENCH-{index:04d}",
        f"Bench supply {index:04d}",
        rng.choice(UNITS),
        category,
        reorder_at,
        reorder_at * rng.choice((8, 12, 20)),
        rng.choice(SUPPLIERS),
        f"Closet {rng.choice('ABCD')}",
        int(category != "office"),
        stamp,
        stamp,
    )


def _simulate(item, rng, start, today, zone, patients, next_lot, next_row):
    """One item's lots and ledger rows: weekly-ish use, reorders, counts and discards."""
    lots, rows, held = [], [], []  # held: [lot_id, expires, on_hand]
    unit_cost = rng.randint(10, 5000)
    per_use = max(1, item["reorder_at"] // 4)
    perishable = item["category"] != "office"
    vaccine = item["category"] == "vaccines"

    def row(day, kind, lot_id, quantity, **extra):
        nonlocal next_row
        moment = datetime.combine(day, time(8 + len(rows) % 9, rng.randint(0, 59)), zone)
        rows.append(
            (
                next_row,
                next_row,
                utc_text(moment),
                day.isoformat(),
                kind,
                item["id"],
                lot_id,
                quantity,
                extra.get("cost"),
                extra.get("patient"),
                extra.get("reason"),
                "bench",
            )
        )
        next_row += 1

    def receive(day):
        lot_id = next_lot + len(lots)
        expires = day + timedelta(days=rng.randint(200, 1500)) if perishable else None
        if perishable and item["id"] % 20 == 5 and (today - day).days < 60:
            # A short-dated delivery: on the day sheet as expiring (or just expired).
            expires = max(day + timedelta(days=1), today + timedelta(days=rng.randint(-6, 29)))
        lots.append((lot_id, item["id"], f"L{lot_id:06d}", expires and expires.isoformat(), "x"))
        quantity = item["reorder_qty"]
        held.append([lot_id, expires, quantity])
        row(day, "receive", lot_id, quantity, cost=quantity * unit_cost)

    day = start
    receive(day)
    while day < today:
        day += timedelta(days=rng.choice((3, 5, 7, 10)))
        if day >= today:
            break
        usable = [lot for lot in held if lot[2] > 0 and (lot[1] is None or lot[1] >= day)]
        wanted = per_use * rng.randint(1, 3)
        patient = rng.randint(1, patients) if vaccine and patients else None
        for lot in sorted(usable, key=lambda lot: (lot[1] is None, lot[1] or day)):
            if wanted == 0:
                break
            taken = min(wanted, lot[2])
            lot[2] -= taken
            wanted -= taken
            row(day, "use", lot[0], -taken, patient=patient)
        for lot in held:
            if lot[2] > 0 and lot[1] is not None and lot[1] < day and rng.random() < 0.5:
                row(day, "discard", lot[0], -lot[2], reason="expired")
                lot[2] = 0
        if rng.random() < 0.01 and usable and usable[0][2] > 0:
            row(day, "count", usable[0][0], -1, reason="monthly count")
            usable[0][2] -= 1
        held[:] = [lot for lot in held if lot[2] > 0]
        still = sum(lot[2] for lot in held if lot[1] is None or lot[1] >= day)
        # A tenth of the items were not reordered in the last month: they show as low.
        late = (today - day).days < 30 and item["id"] % 10 == 0
        if still <= item["reorder_at"] and not late:
            receive(day)
    return lots, rows
