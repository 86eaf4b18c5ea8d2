"""What was spent, summed by month, category or vendor with subtotals and a grand total.
Sums are SQL aggregates in cents."""

from __future__ import annotations

from datetime import date

from macli.errors import Invalid
from macli.expense import categories
from macli.expense.core import where
from macli.money import cents_text
from macli.store import Store

GROUPINGS = ("month", "category", "vendor")
NO_VENDOR = "(no vendor)"


def columns(by: str) -> list[str]:
    """The stable columns of a report grouped `by`."""
    return [by, "entries", "amount", "kind"]


def report(
    store: Store,
    *,
    by: str = "category",
    depth: int | None = None,
    start: date | None = None,
    end: date | None = None,
    category: str | None = None,
    vendor: str | None = None,
) -> list[dict]:
    """Rows of `by` (kind ``), their subtotals (kind `subtotal`) and the `total`.

    By category, each parent category is a subtotal row printed before its parts;
    by month, each year's subtotal follows its months; vendors have no subtotals.
    """
    if by not in GROUPINGS:
        raise Invalid(f"report by one of: {', '.join(GROUPINGS)}")
    if depth is not None and by != "category":
        raise Invalid("--depth applies to a report by category")
    if depth is not None and depth < 1:
        raise Invalid("--depth must be 1 or more")
    clause, params = where(store, start=start, end=end, category=category, vendor=vendor)
    if by == "month":
        # Days first, along the date index; then the few thousand days into months.
        sums = store.query(
            "SELECT substr(day, 1, 7) AS key, sum(entries) AS entries, sum(cents) AS cents "
            "FROM (SELECT e.spent_on AS day, count(*) AS entries, sum(e.amount_cents) AS cents "
            f"FROM expenses e {clause} GROUP BY e.spent_on) GROUP BY key ORDER BY key",
            params,
        )
        rows = _by_month(sums)
    elif by == "vendor":
        sums = store.query(
            "SELECT coalesce(e.vendor, '') AS key, count(*) AS entries, "
            f"sum(e.amount_cents) AS cents FROM expenses e {clause} "
            "GROUP BY key COLLATE NOCASE ORDER BY key COLLATE NOCASE",
            params,
        )
        rows = [_row("vendor", s["key"] or NO_VENDOR, s["entries"], s["cents"], "") for s in sums]
    else:
        sums = store.query(
            "SELECT c.name AS key, grouped.entries, grouped.cents FROM ("
            "SELECT e.category_id, count(*) AS entries, sum(e.amount_cents) AS cents "
            f"FROM expenses e {clause} GROUP BY e.category_id) AS grouped "
            "JOIN expense_categories c ON c.id = grouped.category_id",
            params,
        )
        rows = _by_category(sums, depth)
    rows.append(
        _row(
            by,
            "total",
            sum(s["entries"] for s in sums),
            sum(s["cents"] for s in sums),
            "total",
        )
    )
    for row in rows:
        row.pop("_cents")
    return rows


def _row(by: str, key: str, entries: int, cents: int, kind: str) -> dict:
    return {by: key, "entries": entries, "amount": cents_text(cents), "kind": kind, "_cents": cents}


def _by_month(sums: list[dict]) -> list[dict]:
    rows: list[dict] = []
    year, entries, cents = None, 0, 0
    for s in sums:
        if year is not None and s["key"][:4] != year:
            rows.append(_row("month", year, entries, cents, "subtotal"))
            entries, cents = 0, 0
        year = s["key"][:4]
        entries += s["entries"]
        cents += s["cents"]
        rows.append(_row("month", s["key"], s["entries"], s["cents"], ""))
    if year is not None:
        rows.append(_row("month", year, entries, cents, "subtotal"))
    return rows


def _by_category(sums: list[dict], depth: int | None) -> list[dict]:
    # Every category a sum rolls into, up to `depth`, gets the sum: parents become the
    # subtotals of their parts (ledger's tree), and their own direct expenses count too.
    totals: dict[str, list[int]] = {}
    direct: set[str] = set()
    for s in sums:
        name = categories.truncate(s["key"], depth)
        direct.add(name)
        for key in [*categories.ancestors(name), name]:
            entry = totals.setdefault(key, [0, 0])
            entry[0] += s["entries"]
            entry[1] += s["cents"]
    has_parts = {parent for name in totals for parent in categories.ancestors(name)}
    rows = []
    for name in sorted(totals, key=lambda n: n.split(":")):
        entries, cents = totals[name]
        kind = "subtotal" if name in has_parts else ""
        rows.append(_row("category", name, entries, cents, kind))
    return rows
