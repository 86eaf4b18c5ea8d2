"""Recording expenses: add, list, show, void (a reversing entry), file uncategorized
rows, receipts by content hash, budgets, and the entry point other areas book through."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from macli import blobs
from macli.errors import Conflict, Invalid, NotFound
from macli.expense import categories
from macli.expense.schema import METHODS
from macli.money import cents_text, sql_cents_text
from macli.store import Store
from macli.text import clean as clean_input
from macli.when import local_text, parse_date, utc_text

# A scan or photo of a receipt is well under this; anything larger is a wrong file.
MAX_RECEIPT_BYTES = 25 * 1024 * 1024

LIST_COLUMNS = [
    "id",
    "date",
    "amount",
    "category",
    "vendor",
    "method",
    "memo",
    "receipt",
    "source",
    "voids",
    "voided_by",
]

_SELECT = """
    SELECT e.id, e.spent_on AS date, e.amount_cents, c.name AS category, e.vendor,
           e.method, e.memo, e.receipt_name, e.receipt_sha256, e.source, e.source_id,
           e.import_id, e.voids_id, e.void_reason, e.created_at, e.created_by,
           v.id AS voided_by
    FROM expenses e
    JOIN expense_categories c ON c.id = e.category_id
    LEFT JOIN expenses v ON v.voids_id = e.id
"""


def period(
    *,
    month: str | None = None,
    year: str | None = None,
    start: str | None = None,
    end: str | None = None,
    today: date | None = None,
) -> tuple[date | None, date | None]:
    """The dates `--month YYYY-MM`, `--year YYYY` or `--from/--to` cover (inclusive)."""
    if sum(bool(x) for x in (month, year, start or end)) > 1:
        raise Invalid("give one of --month, --year or --from/--to")
    if month:
        if not re.fullmatch(r"\d{4}-\d{2}", month.strip()) or not 1 <= int(month[5:7]) <= 12:
            raise Invalid(f"cannot read month {month!r} (use YYYY-MM)")
        first = parse_date(f"{month.strip()}-01")  # parse_date keeps it in the calendar
        return first, _month_end(first)
    if year:
        if not re.fullmatch(r"\d{4}", year.strip()):
            raise Invalid(f"cannot read year {year!r} (use YYYY)")
        return parse_date(f"{year.strip()}-01-01"), parse_date(f"{year.strip()}-12-31")
    first = parse_date(start, today) if start else None
    last = parse_date(end, today) if end else None
    if first and last and last < first:
        raise Invalid(f"--to {last} is before --from {first}")
    return first, last


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def where(
    store: Store,
    *,
    start: date | None = None,
    end: date | None = None,
    category: str | None = None,
    vendor: str | None = None,
    uncategorized: bool = False,
) -> tuple[str, list]:
    """A WHERE clause over `expenses e` for the usual filters, and its parameters."""
    clauses, params = [], []
    if start:
        clauses.append("e.spent_on >= ?")
        params.append(start.isoformat())
    if end:
        clauses.append("e.spent_on <= ?")
        params.append(end.isoformat())
    if category:
        ids = categories.subtree_ids(store, category)
        clauses.append(f"e.category_id IN ({', '.join('?' for _ in ids)})")
        params.extend(ids)
    if uncategorized:
        clauses.append("e.category_id = ?")
        params.append(categories.find(store, categories.UNCATEGORIZED)["id"])
    if vendor:
        clauses.append("e.vendor LIKE ? ESCAPE '\\'")
        params.append("%" + re.sub(r"([%_\\])", r"\\\1", vendor.strip()) + "%")
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def add(
    store: Store,
    *,
    amount_cents: int,
    category: str,
    spent_on: date,
    vendor: str | None = None,
    memo: str | None = None,
    method: str | None = None,
    receipt: bytes | None = None,
    receipt_name: str | None = None,
    new_category: bool = False,
    today: date | None = None,
    confirm: bool = False,
    user: str,
    now: datetime,
) -> int:
    """Record one expense; an unknown category is refused unless `new_category`, and a
    date after `today` (a mistyped year, most often) unless `confirm`."""
    if today is not None and spent_on > today and not confirm:
        raise Invalid(
            f"the expense is dated {spent_on}, after today ({today}); check the date, or add"
            " --confirm to record it"
        )
    if method is not None and method not in METHODS:
        raise Invalid(f"unknown payment method {method!r}; use one of {', '.join(METHODS)}")
    with store.write():
        category_row = categories.resolve(store, category, create=new_category)
        sha256 = _keep_receipt(store, receipt) if receipt is not None else None
        return _insert(
            store,
            amount_cents=amount_cents,
            category_id=category_row["id"],
            spent_on=spent_on,
            vendor=vendor,
            memo=memo,
            method=method,
            receipt_sha256=sha256,
            receipt_name=receipt_name if sha256 else None,
            user=user,
            now=now,
        )


def record_from_source(
    store: Store,
    *,
    amount_cents: int,
    category: str,
    vendor: str | None,
    spent_on: date,
    memo: str | None,
    source: str,
    source_id: int,
    user: str,
    now: datetime,
) -> int:
    """Book an expense another area owns (e.g. a stock receipt); returns its id.

    Runs inside the caller's transaction; the category is created if missing. One
    source row books at most one expense.
    """
    if not re.fullmatch(r"[a-z][a-z_]*", source or ""):
        raise Invalid(f"source {source!r} must be a lower-case word such as stock_receipt")
    with store.write():
        booked = store.scalar(
            "SELECT id FROM expenses WHERE source = ? AND source_id = ?", [source, source_id]
        )
        if booked is not None:
            raise Conflict(f"{_source_text(source, source_id)} is already expense {booked}")
        category_row = categories.ensure(store, category)
        return _insert(
            store,
            amount_cents=amount_cents,
            category_id=category_row["id"],
            spent_on=spent_on,
            vendor=vendor,
            memo=memo,
            source=source,
            source_id=int(source_id),
            user=user,
            now=now,
        )


def _insert(store: Store, *, amount_cents: int, spent_on: date, user: str, now, **row) -> int:
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise Invalid("an amount must be a whole number of cents")
    if amount_cents == 0:
        raise Invalid("an expense of 0.00 records nothing")
    for key in ("vendor", "memo"):
        if row.get(key) is not None:
            row[key] = " ".join(clean_input(str(row[key]), f"the {key}").split()) or None
    return store.insert(
        "expenses",
        {
            "spent_on": spent_on.isoformat(),
            "amount_cents": amount_cents,
            **row,
            "created_at": utc_text(now),
            "created_by": user,
        },
    )


def _keep_receipt(store: Store, data: bytes) -> str:
    """Keep receipt bytes (once per content, in the store's blobs); returns the SHA-256."""
    return blobs.keep(store, data, limit=MAX_RECEIPT_BYTES, what="the receipt file")


def attach_receipt(store: Store, expense_id: int, data: bytes, name: str) -> dict:
    """Keep a receipt for an expense that has none yet."""
    with store.write():
        row = get(store, expense_id)
        if row["receipt_sha256"]:
            raise Conflict(f"expense {expense_id} already has a receipt ({row['receipt_name']})")
        sha256 = _keep_receipt(store, data)
        store.execute(
            "UPDATE expenses SET receipt_sha256 = ?, receipt_name = ? WHERE id = ?",
            [sha256, name, expense_id],
        )
    return get(store, expense_id)


def receipt(store: Store, expense_id: int) -> dict:
    """The receipt kept for an expense: name, sha256, size and data."""
    row = get(store, expense_id)
    if not row["receipt_sha256"]:
        raise NotFound(f"expense {expense_id} has no receipt")
    sha256 = row["receipt_sha256"]
    data = blobs.read(store, sha256)
    return {"name": row["receipt_name"], "sha256": sha256, "size": len(data), "data": data}


def get(store: Store, expense_id: int) -> dict:
    """One expense row with its category name (NotFound if there is none)."""
    row = store.one(_SELECT + " WHERE e.id = ?", [expense_id])
    if row is None:
        raise NotFound(f"no expense {expense_id}")
    return row


def show(store: Store, expense_id: int, *, tz: ZoneInfo) -> dict:
    """One expense with everything known about it, for people and scripts."""
    row = get(store, expense_id)
    record = {
        "id": row["id"],
        "date": row["date"],
        "amount": cents_text(row["amount_cents"]),
        "category": row["category"],
        "vendor": row["vendor"],
        "method": row["method"],
        "memo": row["memo"],
        "receipt": row["receipt_name"],
        "receipt_sha256": row["receipt_sha256"],
        "source": _source_text(row["source"], row["source_id"]) if row["source"] else None,
        "imported_from": store.scalar(
            "SELECT file_name FROM expense_imports WHERE id = ?", [row["import_id"]]
        ),
        "recorded_at": local_text(row["created_at"], tz),
        "recorded_by": row["created_by"],
    }
    # The void's who/when/why, on the voided expense and on its reversing entry alike.
    void = get(store, row["voided_by"]) if row["voided_by"] else row if row["voids_id"] else None
    record.update(
        {
            "voids": row["voids_id"],
            "voided_by": row["voided_by"],
            "void_date": void["date"] if void else None,
            "void_user": void["created_by"] if void else None,
            "void_reason": void["void_reason"] if void else None,
        }
    )
    return record


# LIST_COLUMNS computed by SQLite, so a listing of any length is read as plain tuples.
_LIST_SELECT = (
    "SELECT e.id, e.spent_on, " + sql_cents_text("e.amount_cents") + ", c.name, e.vendor,"
    " e.method, e.memo, coalesce(nullif(e.receipt_name, ''),"
    " CASE WHEN e.receipt_sha256 <> '' THEN 'yes' END),"
    " CASE WHEN e.source <> '' THEN replace(e.source, '_', ' ') || ' ' || e.source_id END,"
    " e.voids_id, v.id FROM expenses e JOIN expense_categories c ON c.id = e.category_id"
    " LEFT JOIN expenses v ON v.voids_id = e.id"
)


def listing(store: Store, *, limit: int = 0, **filters) -> Iterator[dict]:
    """Expenses by date (oldest first) matching the filters of `where`."""
    for row in listing_rows(store, limit=limit, **filters):
        yield dict(zip(LIST_COLUMNS, row, strict=True))


def listing_rows(store: Store, *, limit: int = 0, **filters) -> Iterator[tuple]:
    """`listing` as tuples in LIST_COLUMNS order, read as they are iterated."""
    clause, params = where(store, **filters)
    sql = _LIST_SELECT + f" {clause} ORDER BY e.spent_on, e.id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return store.tuples(sql, params)


def _source_text(source: str, source_id: int) -> str:
    return f"{source.replace('_', ' ')} {source_id}"


def void(
    store: Store,
    expense_id: int,
    *,
    reason: str,
    on: date,
    force: bool = False,
    user: str,
    now: datetime,
) -> dict:
    """Reverse an expense with an entry of the opposite amount dated `on`.

    An expense booked from another area (a stock receipt) is voided only with `force`,
    and the result names where it came from.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid("say why the expense is voided (--reason)")
    with store.write():
        row = get(store, expense_id)
        if row["voids_id"]:
            raise Conflict(f"expense {expense_id} is itself the void of {row['voids_id']}")
        if row["voided_by"]:
            reversal = get(store, row["voided_by"])
            raise Conflict(
                f"expense {expense_id} was already voided by {reversal['id']} on "
                f"{reversal['date']} ({reversal['created_by']}: {reversal['void_reason']})"
            )
        warning = None
        if row["source"]:
            origin = _source_text(row["source"], row["source_id"])
            if not force:
                raise Conflict(
                    f"expense {expense_id} was booked from {origin}; correct it there, "
                    "or pass --force to void the expense anyway"
                )
            warning = f"expense {expense_id} was booked from {origin}, which is unchanged"
        reversal_id = store.insert(
            "expenses",
            {
                "spent_on": on.isoformat(),
                "amount_cents": -row["amount_cents"],
                "category_id": store.scalar(
                    "SELECT category_id FROM expenses WHERE id = ?", [expense_id]
                ),
                "vendor": row["vendor"],
                "memo": row["memo"],
                "method": row["method"],
                "voids_id": expense_id,
                "void_reason": reason,
                "created_at": utc_text(now),
                "created_by": user,
            },
        )
    return {"id": reversal_id, "voids": expense_id, "warning": warning}


def categorize(
    store: Store,
    expense_ids: list[int],
    *,
    category: str,
    vendor: str | None = None,
    new_category: bool = False,
) -> int:
    """File uncategorized expenses under `category` (and a vendor); all or none."""
    if not expense_ids:
        raise Invalid("name at least one expense id")
    with store.write():
        target = categories.resolve(store, category, create=new_category)
        if target["name"] == categories.UNCATEGORIZED:
            raise Invalid("choose a category other than uncategorized")
        for expense_id in dict.fromkeys(expense_ids):
            row = get(store, expense_id)
            check_fileable(row)
            store.execute(
                "UPDATE expenses SET category_id = ?, vendor = coalesce(?, vendor) WHERE id = ?",
                [target["id"], " ".join(vendor.split()) if vendor else None, expense_id],
            )
    return len(dict.fromkeys(expense_ids))


def check_fileable(row: dict) -> None:
    if row["category"] != categories.UNCATEGORIZED:
        raise Conflict(
            f"expense {row['id']} is already filed under {row['category']}; "
            "void it and record it again to change that"
        )
    if row["voids_id"] or row["voided_by"]:
        raise Conflict(f"expense {row['id']} is voided or a void; it stays uncategorized")
