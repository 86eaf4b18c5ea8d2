"""A year of made-up office expenses (fictional vendors), monthly budgets, a card
statement import with a few rows left to file, and a void. The supply closet's
deliveries book their own expenses (stock demo), under the same vendors."""

from __future__ import annotations

from datetime import date, timedelta

from macli.expense import budgets, categories, core, statement

# category, vendor, method, payments per month (low, high), amount range in dollars.
# Closet supplies are not here: each stock receipt books its own expense (stock demo).
RECURRING = [
    ("supplies:office", "Bayside Office Supply", "card", (1, 3), (15, 120)),
    ("supplies:linens", "Crestline Linen & Gown", "card", (0, 2), (60, 320)),
    ("services:lab", "Harbor Reference Lab", "check", (1, 1), (420, 1250)),
    ("services:cleaning", "BrightClean Janitorial", "transfer", (1, 1), (650, 650)),
    ("services:waste", "SafeSharps Disposal", "transfer", (1, 1), (165, 195)),
    ("utilities:electric", "Eastside Power Co-op", "transfer", (1, 1), (210, 480)),
    ("utilities:water", "City Water Department", "transfer", (1, 1), (45, 90)),
    ("utilities:internet", "Lakeview Fiber", "transfer", (1, 1), (129, 129)),
]
BUDGETS = {
    "supplies:medical": 900_00,
    "supplies:office": 300_00,
    "supplies:linens": 350_00,
    "services:lab": 1000_00,
    "services:cleaning": 650_00,
    "services:waste": 200_00,
    "utilities": 800_00,
}
RULES = b"""pattern,vendor,category
NORTHGATE MED,Northgate Medical Supply,supplies:medical
BAYSIDE OFFICE,Bayside Office Supply,supplies:office
CARD PAYMENT,,skip
"""


def populate(context) -> None:
    store, rng, today = context.store, context.rng, context.today
    for name in [row[0] for row in RECURRING] + list(BUDGETS):
        categories.ensure(store, name)
    # Twelve whole months up to this one.
    month = date(today.year - 1 + today.month // 12, today.month % 12 + 1, 1)
    ids = []
    while month <= today:
        for category, vendor, method, (low, high), (least, most) in RECURRING:
            for _ in range(rng.randint(low, high)):
                day = month + timedelta(days=rng.randrange(0, 28))
                if day > today:
                    continue
                cents = rng.randint(least * 100, most * 100)
                if least == most:
                    cents = least * 100
                ids.append(
                    core.add(
                        store,
                        amount_cents=cents,
                        category=category,
                        spent_on=day,
                        vendor=vendor,
                        method=method,
                        memo=f"invoice {rng.randint(10000, 99999)}" if method == "check" else None,
                        user=context.user,
                        now=context.now,
                    )
                )
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    core.add(
        store,
        amount_cents=-4799,
        category="supplies:office",
        spent_on=today - timedelta(days=40),
        vendor="Bayside Office Supply",
        method="card",
        memo="refund: returned toner",
        receipt=_receipt("Bayside Office Supply", "Returned toner cartridge", "-47.99"),
        receipt_name="bayside-refund.txt",
        user=context.user,
        now=context.now,
    )
    core.add(  # equipment, not closet stock: booked by hand with its receipt
        store,
        amount_cents=18450,
        category="supplies:medical",
        spent_on=today - timedelta(days=12),
        vendor="Northgate Medical Supply",
        method="card",
        memo="blood pressure cuffs, adult and large adult",
        receipt=_receipt(
            "Northgate Medical Supply", "BP cuff, adult x2; BP cuff, large adult x1", "184.50"
        ),
        receipt_name="northgate-order.txt",
        user=context.user,
        now=context.now,
    )
    duplicate = core.add(
        store,
        amount_cents=12900,
        category="utilities:internet",
        spent_on=today - timedelta(days=20),
        vendor="Lakeview Fiber",
        method="transfer",
        user=context.user,
        now=context.now,
    )
    core.void(  # caught the next day
        store,
        duplicate,
        reason="entered twice",
        on=today - timedelta(days=19),
        user=context.user,
        now=context.now,
    )
    for name, cents in BUDGETS.items():
        budgets.put(store, name, cents, period="monthly", user=context.user, now=context.now)
    budgets.put(store, "supplies", 30000_00, period="yearly", user=context.user, now=context.now)
    _import_statement(context)


def _receipt(vendor: str, line: str, total: str) -> bytes:
    return f"{vendor}\n(synthetic demo receipt)\n\n{line}\nTOTAL {total} USD\n".encode()


def _import_statement(context) -> None:
    today = context.today
    lines = ["Date,Description,Amount"]
    rows = [
        (3, "NORTHGATE MED SUPPLY #2231", "212.40"),
        (5, "BAYSIDE OFFICE 0042", "38.15"),
        (6, "CARD PAYMENT - THANK YOU", "-1500.00"),
        (8, "QUICKPRINT SIGNS", "96.00"),
        (9, "DOWNTOWN PARKING 17", "18.00"),
        (11, "COFFEE CORNER CATERING", "64.75"),
    ]
    for days_ago, description, amount in rows:
        lines.append(f"{(today - timedelta(days=days_ago)).isoformat()},{description},{amount}")
    statement.import_statement(
        context.store,
        ("\n".join(lines) + "\n").encode(),
        file_name="card-statement.csv",
        date_col="Date",
        amount_col="Amount",
        desc_col="Description",
        rules=statement.parse_rules(context.store, RULES),
        user=context.user,
        now=context.now,
    )
