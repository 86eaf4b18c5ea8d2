"""Expenses as plain-text accounting: a journal ledger and hledger both read, and a
beancount file that passes bean-check.

Each expense is one transaction: its category's account (`Expenses:Supplies:Medical`)
is debited and the account of how it was paid is credited. A void is its own
transaction with the opposite amount, so every tool's balances equal macli's report.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TextIO

from macli.expense import categories
from macli.expense.core import where
from macli.money import cents_text
from macli.store import Store

# Where the money came from, by payment method; no method (e.g. a stock receipt
# booked from a supplier's invoice) means it is still owed.
PAYMENT_ACCOUNTS = {
    "cash": "Assets:Cash",
    "card": "Liabilities:Card",
    "check": "Assets:Bank",
    "transfer": "Assets:Bank",
    None: "Liabilities:Payable",
}
FORMATS = ("ledger", "beancount")


def _rows(store: Store, start: date | None, end: date | None) -> Iterable[dict]:
    clause, params = where(store, start=start, end=end)
    return store.iterate(
        "SELECT e.id, e.spent_on, e.amount_cents, c.name AS category, e.vendor, e.memo, "
        "e.method, e.voids_id, e.void_reason FROM expenses e "
        f"JOIN expense_categories c ON c.id = e.category_id {clause} ORDER BY e.spent_on, e.id",
        params,
    )


def _accounts(store: Store, start: date | None, end: date | None) -> list[str]:
    clause, params = where(store, start=start, end=end)
    used = store.query(
        "SELECT DISTINCT c.name AS category, e.method FROM expenses e "
        f"JOIN expense_categories c ON c.id = e.category_id {clause}",
        params,
    )
    names = {categories.account(row["category"]) for row in used}
    names |= {PAYMENT_ACCOUNTS[row["method"]] for row in used}
    return sorted(names)


def write(
    store: Store,
    out: TextIO,
    *,
    kind: str,
    currency: str,
    title: str,
    start: date | None = None,
    end: date | None = None,
) -> int:
    """Write the expenses from `start` to `end` as a `kind` journal; returns how many."""
    if kind not in FORMATS:
        raise ValueError(kind)
    accounts = _accounts(store, start, end)
    if kind == "ledger":
        out.write(f"; {_line(title)}: expenses exported by macli, amounts in {currency}\n\n")
        # Declared so that `ledger --pedantic` and `hledger check --strict` accept it.
        out.write(f"commodity {currency}\ntag macli-expense\ntag void\n")
        for name in accounts:
            out.write(f"account {name}\n")
        entry = _ledger_entry
    else:
        out.write(f"option {_quote('title')} {_quote(title + ' expenses')}\n")
        out.write(f"option {_quote('operating_currency')} {_quote(currency)}\n\n")
        opened = _first_day(store, start, end)
        for name in accounts:
            out.write(f"{opened} open {name} {currency}\n")
        entry = _beancount_entry
    count = 0
    for row in _rows(store, start, end):
        out.write("\n")
        out.write(entry(row, currency))
        count += 1
    return count


def _first_day(store: Store, start: date | None, end: date | None) -> str:
    clause, params = where(store, start=start, end=end)
    return store.scalar(f"SELECT min(e.spent_on) FROM expenses e {clause}", params) or "2000-01-01"


def _line(text: str | None) -> str:
    """Text safe on one journal line: no comment markers or line breaks."""
    return " ".join((text or "").replace(";", ",").split())


def _description(row: dict) -> str:
    text = row["vendor"] or row["memo"] or f"expense {row['id']}"
    if row["voids_id"]:
        text = f"Void of expense {row['voids_id']}: {text}"
    # A leading ( would be read as a transaction code, * or ! as a status.
    return _line(text).lstrip("(*! ") or f"expense {row['id']}"


def _ledger_entry(row: dict, currency: str) -> str:
    lines = [f"{row['spent_on']} * {_description(row)}", f"    ; macli-expense: {row['id']}"]
    if row["memo"] and row["vendor"]:
        lines.append(f"    ; {_line(row['memo'])}")
    if row["void_reason"]:
        lines.append(f"    ; void: {_line(row['void_reason'])}")
    lines.append(
        f"    {categories.account(row['category'])}  {cents_text(row['amount_cents'])} {currency}"
    )
    lines.append(f"    {PAYMENT_ACCOUNTS[row['method']]}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    escaped = " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _beancount_entry(row: dict, currency: str) -> str:
    payee = row["vendor"] or ""
    narration = row["memo"] or ""
    if row["voids_id"]:
        narration = f"Void of expense {row['voids_id']}: {row['void_reason']}"
    lines = [f"{row['spent_on']} * {_quote(payee)} {_quote(narration)}"]
    lines.append(f"  macli_expense: {row['id']}")
    lines.append(
        f"  {categories.account(row['category'])}  {cents_text(row['amount_cents'])} {currency}"
    )
    lines.append(f"  {PAYMENT_ACCOUNTS[row['method']]}")
    return "\n".join(lines) + "\n"
