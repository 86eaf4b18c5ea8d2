"""Monthly or yearly budgets per category, and spending against them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from macli.errors import Invalid, NotFound
from macli.expense import categories
from macli.expense.core import where
from macli.money import cents_text
from macli.store import Store
from macli.when import local_text, utc_text

COLUMNS = ["category", "period", "amount", "set_at", "set_by"]
REPORT_COLUMNS = ["category", "period", "budget", "spent", "remaining", "used"]


def put(
    store: Store, category: str, amount_cents: int, *, period: str, user: str, now: datetime
) -> dict:
    """Set (or replace) the monthly or yearly budget of an existing category."""
    if period not in ("monthly", "yearly"):
        raise Invalid("a budget is monthly or yearly")
    if amount_cents <= 0:
        raise Invalid("a budget must be more than 0.00 (use `budget remove` to drop one)")
    with store.write():
        row = categories.resolve(store, category)
        store.execute(
            "INSERT INTO expense_budgets (category_id, period, amount_cents, set_at, set_by) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (category_id) DO UPDATE SET "
            "period = excluded.period, amount_cents = excluded.amount_cents, "
            "set_at = excluded.set_at, set_by = excluded.set_by",
            [row["id"], period, amount_cents, utc_text(now), user],
        )
    return {"category": row["name"], "period": period, "amount": cents_text(amount_cents)}


def remove(store: Store, category: str) -> None:
    """Drop a category's budget."""
    with store.write():
        row = categories.resolve(store, category)
        if not store.execute(
            "DELETE FROM expense_budgets WHERE category_id = ?", [row["id"]]
        ).rowcount:
            raise NotFound(f"{row['name']} has no budget")


def listing(store: Store, *, tz: ZoneInfo) -> list[dict]:
    """Every budget, by category."""
    rows = store.query(
        "SELECT c.name AS category, b.period, b.amount_cents, b.set_at, b.set_by "
        "FROM expense_budgets b JOIN expense_categories c ON c.id = b.category_id "
        "ORDER BY c.name"
    )
    for row in rows:
        row["amount"] = cents_text(row.pop("amount_cents"))
        row["set_at"] = local_text(row["set_at"], tz)
    return rows


def report(store: Store, *, start: date, end: date) -> list[dict]:
    """Each budgeted category's spending from `start` to `end` against its budget.

    The budget for the period is the monthly figure times the calendar months the
    period touches, or the yearly figure times those months / 12 (to the cent, half
    up). A category's spending includes its subcategories. The last row totals all
    spending and the budgets of categories not inside another budgeted one.
    """
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    defined = store.query(
        "SELECT c.name, b.period, b.amount_cents FROM expense_budgets b "
        "JOIN expense_categories c ON c.id = b.category_id ORDER BY c.name"
    )
    clause, params = where(store, start=start, end=end)
    spent_by_category = {
        row["name"]: row["cents"]
        for row in store.query(
            "SELECT c.name, grouped.cents FROM (SELECT e.category_id, "
            f"sum(e.amount_cents) AS cents FROM expenses e {clause} GROUP BY e.category_id) "
            "AS grouped JOIN expense_categories c ON c.id = grouped.category_id",
            params,
        )
    }
    budgeted = {row["name"] for row in defined}
    rows, top_budget = [], 0
    for row in defined:
        prefix = row["name"] + ":"
        spent = sum(
            cents
            for name, cents in spent_by_category.items()
            if name == row["name"] or name.startswith(prefix)
        )
        if row["period"] == "monthly":
            budget = row["amount_cents"] * months
        else:
            budget = (row["amount_cents"] * months * 2 + 12) // 24
        if not any(parent in budgeted for parent in categories.ancestors(row["name"])):
            top_budget += budget
        rows.append(_row(row["name"], row["period"], budget, spent))
    rows.append(_row("total", "", top_budget, sum(spent_by_category.values())))
    return rows


def _row(category: str, period: str, budget: int, spent: int) -> dict:
    return {
        "category": category,
        "period": period,
        "budget": cents_text(budget),
        "spent": cents_text(spent),
        "remaining": cents_text(budget - spent),
        "used": f"{spent * 100 // budget}%" if budget else "",
    }
