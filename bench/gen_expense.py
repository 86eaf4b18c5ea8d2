"""Expenses for the large clinic: 100,000 over ten years (about 27 a day), across 18
categories and 60 vendors, every payment method, refunds, voids and some rows still
uncategorized from statement imports; monthly budgets set from the last year's spending."""

from __future__ import annotations

from datetime import date, timedelta

from macli.expense import budgets, categories
from macli.when import utc_text

EXPENSES = 100_000
YEARS = 10
# Budgeted categories: each gets its average month of the last year, rounded up to $100.
BUDGETED = ["supplies", "supplies:medical", "services", "services:lab", "utilities", "maintenance"]
# category, typical low and high in dollars, relative frequency, usual method
CATEGORIES = [
    ("supplies:medical:exam", 20, 600, 14, "card"),
    ("supplies:medical:wound-care", 15, 300, 8, "card"),
    ("supplies:medical:injectables", 80, 2400, 6, "card"),
    ("supplies:medical:ppe", 25, 450, 8, "card"),
    ("supplies:office", 5, 250, 10, "card"),
    ("supplies:linens", 40, 400, 4, "card"),
    ("supplies:cleaning", 10, 160, 4, "cash"),
    ("services:lab", 150, 2500, 6, "check"),
    ("services:cleaning", 450, 900, 3, "transfer"),
    ("services:waste", 120, 300, 3, "transfer"),
    ("services:it", 60, 1200, 3, "card"),
    ("services:laundry", 80, 350, 3, "transfer"),
    ("utilities:electric", 150, 700, 2, "transfer"),
    ("utilities:water", 30, 140, 2, "transfer"),
    ("utilities:internet", 90, 250, 2, "transfer"),
    ("maintenance:equipment", 60, 3000, 3, "check"),
    ("maintenance:building", 40, 1800, 2, "check"),
    ("uncategorized", 3, 150, 2, "card"),
]
VENDOR_WORDS = [
    "Northgate",
    "Bayside",
    "Harbor",
    "Crestline",
    "Eastside",
    "Lakeview",
    "Summit",
    "Riverbend",
    "Maple",
    "Granite",
]
VENDOR_KINDS = ["Medical Supply", "Office Supply", "Services", "Labs", "Co-op", "& Sons"]


def generate(store, rng, now, zone) -> None:
    today = now.astimezone(zone).date()
    first = date(today.year - YEARS, today.month, 1)
    span = (today - first).days + 1
    vendors = [f"{w} {k}" for w in VENDOR_WORDS for k in VENDOR_KINDS]
    with store.write():
        ids = {name: categories.ensure(store, name)["id"] for name, *_ in CATEGORIES}
        weights = [row[3] for row in CATEGORIES]
        stamp = utc_text(now)
        rows = []
        for index in range(1, EXPENSES + 1):
            name, low, high, _, method = rng.choices(CATEGORIES, weights)[0]
            day = first + timedelta(days=rng.randrange(span))
            cents = rng.randint(low * 100, high * 100)
            if rng.random() < 0.01:
                cents = -cents  # a refund
            rows.append(
                [
                    index,
                    day.isoformat(),
                    cents,
                    ids[name],
                    rng.choice(vendors) if name != "uncategorized" else None,
                    "STATEMENT ROW" if name == "uncategorized" else None,
                    method if rng.random() < 0.9 else rng.choice(["cash", "card", "check"]),
                    None,
                    stamp,
                ]
            )
        # One in two hundred is voided by a reversing row a few days later (part of
        # the 100,000, so the last rows become those voids).
        voided = rng.sample(range(EXPENSES - EXPENSES // 200), EXPENSES // 200)
        for slot, original in zip(range(EXPENSES - EXPENSES // 200, EXPENSES), voided, strict=True):
            source = rows[original]
            day = min(date.fromisoformat(source[1]) + timedelta(days=rng.randint(0, 20)), today)
            rows[slot] = [slot + 1, day.isoformat(), -source[2], *source[3:7], original + 1, stamp]
        store.conn.executemany(
            "INSERT INTO expenses (id, spent_on, amount_cents, category_id, vendor, memo, method,"
            " voids_id, void_reason, created_at, created_by) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? IS NULL THEN NULL ELSE 'entered twice' END,"
            " ?, 'bench')",
            [[*row[:8], row[7], row[8]] for row in rows],
        )
        year_ago = date(today.year - 1, today.month, 1).isoformat()
        for name in BUDGETED:
            spent = store.scalar(
                "SELECT SUM(e.amount_cents) FROM expenses e"
                " JOIN expense_categories c ON c.id = e.category_id"
                " WHERE (c.name = ? OR c.name LIKE ? || ':%') AND e.spent_on >= ?"
                " AND e.spent_on < ?",
                [name, name, year_ago, date(today.year, today.month, 1).isoformat()],
            )
            monthly = -(-spent // 12 // 10000) * 10000
            budgets.put(store, name, monthly, period="monthly", user="bench", now=now)
