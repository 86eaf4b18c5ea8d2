"""Stock reports: on hand with value, low, expiring, order, history, usage and lot trace.

Each is one SQL aggregate over the per-lot balances (or the ledger's indexes); money
comes back as exact decimal text. A lot's unit cost is what its costed receipts paid
per unit; value is on-hand units at that cost, rounded to the cent per lot.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from macli import audit
from macli.errors import NotFound
from macli.money import cents_text
from macli.stock import items
from macli.stock.usable import NOT_HELD_SQL
from macli.store import Store
from macli.when import local_text

LIST_COLUMNS = (
    "sku",
    "name",
    "unit",
    "on_hand",
    "expired",
    "reorder_at",
    "avg_unit_cost",
    "value",
    "location",
    "category",
)
LOT_COLUMNS = ("sku", "name", "lot", "expires", "status", "on_hand", "unit", "unit_cost", "value")
LOW_COLUMNS = ("sku", "name", "unit", "usable", "reorder_at", "reorder_qty", "supplier", "location")
EXPIRING_COLUMNS = (
    "sku",
    "name",
    "lot",
    "expires",
    "status",
    "on_hand",
    "unit",
    "unit_cost",
    "value_at_risk",
)
ORDER_COLUMNS = (
    "supplier",
    "sku",
    "name",
    "unit",
    "usable",
    "reorder_at",
    "suggested",
    "basis",
    "last_unit_cost",
    "estimated_cost",
)
HISTORY_COLUMNS = (
    "at",
    "kind",
    "lot",
    "expires",
    "change",
    "on_hand",
    "patient",
    "kit",
    "cost",
    "invoice",
    "expense",
    "reason",
    "note",
    "user",
)
USAGE_COLUMNS = ("month", "sku", "name", "unit", "used", "discarded")
TRACE_COLUMNS = (
    "at",
    "sku",
    "lot",
    "expires",
    "kind",
    "change",
    "patient",
    "patient_name",
    "user",
    "reason",
    "note",
)
USAGE_DAYS_FOR_ORDER = 90

# The value of a lot's on-hand units at its unit cost, rounded half up to the cent.
_LOT_VALUE = (
    "CASE WHEN l.costed_quantity > 0 THEN"
    " (2 * l.on_hand * l.cost_cents + l.costed_quantity) / (2 * l.costed_quantity) END"
)


def _money(cents: int | None) -> str | None:
    return None if cents is None else cents_text(cents)


def _per_unit(cents: int | None, units: int | None) -> str | None:
    if cents is None or not units:
        return None
    return cents_text((2 * cents + units) // (2 * units))


def stock_list(
    store: Store, *, today: date, category: str | None = None, lots: bool = False
) -> list[dict]:
    """On hand per item (or per lot) with units expired, average unit cost and value."""
    if lots:
        return _lot_list(store, today=today, category=category)
    where, params = "", [today.isoformat()]
    if category:
        where = "WHERE i.category = ?"
        params.append(category.strip().lower())
    rows = store.query(
        "SELECT i.sku, i.name, i.unit, i.category, i.location, i.reorder_at,"
        " coalesce(SUM(l.on_hand), 0) AS on_hand,"
        " coalesce(SUM(CASE WHEN l.expires < ?1 THEN l.on_hand END), 0) AS expired,"
        f" SUM({_LOT_VALUE}) AS value_cents,"
        " SUM(CASE WHEN l.costed_quantity > 0 THEN l.on_hand END) AS costed_units"
        " FROM stock_items i"
        " LEFT JOIN stock_lots l ON l.item_id = i.id AND l.on_hand > 0"
        f" {where} GROUP BY i.id ORDER BY i.sku COLLATE NOCASE",
        params,
    )
    for row in rows:
        row["avg_unit_cost"] = _per_unit(row["value_cents"], row.pop("costed_units"))
        row["value"] = _money(row.pop("value_cents"))
    return rows


def _lot_list(store: Store, *, today: date, category: str | None) -> list[dict]:
    where, params = "", [today.isoformat()]
    if category:
        where = "AND i.category = ?"
        params.append(category.strip().lower())
    rows = store.query(
        "SELECT i.sku, i.name, l.lot, l.expires,"
        f" CASE WHEN NOT {NOT_HELD_SQL} THEN 'held'"
        " WHEN l.expires < ?1 THEN 'expired' ELSE 'ok' END AS status,"
        " l.on_hand, i.unit, l.cost_cents, l.costed_quantity,"
        f" {_LOT_VALUE} AS value_cents"
        " FROM stock_lots l JOIN stock_items i ON i.id = l.item_id"
        f" WHERE l.on_hand > 0 {where}"
        " ORDER BY i.sku COLLATE NOCASE, l.expires IS NULL, l.expires, l.id",
        params,
    )
    return [_costed(row) for row in rows]


def _costed(row: dict, value_key: str = "value") -> dict:
    row["unit_cost"] = _per_unit(row.pop("cost_cents"), row.pop("costed_quantity"))
    row[value_key] = _money(row.pop("value_cents"))
    return row


def _usable_sql() -> str:
    # The SQL form of stock.usable's rule: not expired and not held.
    return (
        "coalesce(SUM(CASE WHEN (l.expires IS NULL OR l.expires >= :today)"
        f" AND {NOT_HELD_SQL} THEN l.on_hand END), 0)"
    )


# Also the `low_stock` canned query of `macli browse`, hence the named parameter.
LOW_SQL = (
    f"SELECT i.sku, i.name, i.unit, {_usable_sql()} AS usable, i.reorder_at,"
    " i.reorder_qty, i.supplier, i.location"
    " FROM stock_items i LEFT JOIN stock_lots l ON l.item_id = i.id AND l.on_hand > 0"
    " WHERE i.reorder_at IS NOT NULL"
    " GROUP BY i.id HAVING usable <= i.reorder_at ORDER BY i.sku COLLATE NOCASE"
)


def low(store: Store, *, today: date) -> list[dict]:
    """Items whose usable (unexpired) stock is at or below their reorder point."""
    return store.query(LOW_SQL, {"today": today.isoformat()})


def expiring(store: Store, *, today: date, within_days: int) -> dict:
    """Lots with stock that expire within `within_days` or already have, with value at risk."""
    limit = today + timedelta(days=within_days)
    rows = store.query(
        "SELECT i.sku, i.name, l.lot, l.expires, l.on_hand, i.unit,"
        f" l.cost_cents, l.costed_quantity, {_LOT_VALUE} AS value_cents"
        " FROM stock_lots l JOIN stock_items i ON i.id = l.item_id"
        " WHERE l.on_hand > 0 AND l.expires <= ?"
        " ORDER BY l.expires, i.sku COLLATE NOCASE, l.id",
        [limit.isoformat()],
    )
    total = 0
    for row in rows:
        total += row["value_cents"] or 0
        row["status"] = _expiry_status(date.fromisoformat(row["expires"]), today)
        _costed(row, "value_at_risk")
    return {"rows": rows, "value_at_risk": cents_text(total)}


def _expiry_status(expires: date, today: date) -> str:
    days = (expires - today).days
    if days < 0:
        return f"expired {-days} day{'s' if days != -1 else ''} ago"
    if days == 0:
        return "expires today"
    return f"{days} day{'s' if days != 1 else ''} left"


def order(store: Store, *, today: date) -> list[dict]:
    """A purchase list: items at or below their reorder point, with a suggested quantity.

    The suggestion is the item's reorder quantity; without one, enough to bring usable
    stock back to the reorder point plus a month of use at the last 90 days' rate.
    """
    since = (today - timedelta(days=USAGE_DAYS_FOR_ORDER)).isoformat()
    used = {
        row["item_id"]: row["used"]
        for row in store.query(
            "SELECT item_id, -SUM(quantity) AS used FROM stock_ledger"
            " WHERE kind = 'use' AND day > ? GROUP BY item_id",
            [since],
        )
    }
    rows = store.query(
        f"SELECT i.id, i.sku, i.name, i.unit, {_usable_sql()} AS usable, i.reorder_at,"
        " i.reorder_qty, i.supplier,"
        " (SELECT (2 * g.cost_cents + g.quantity) / (2 * g.quantity) FROM stock_ledger g"
        "   WHERE g.item_id = i.id AND g.kind = 'receive' AND g.cost_cents IS NOT NULL"
        "   ORDER BY g.id DESC LIMIT 1) AS unit_cents"
        " FROM stock_items i LEFT JOIN stock_lots l ON l.item_id = i.id AND l.on_hand > 0"
        " WHERE i.reorder_at IS NOT NULL"
        " GROUP BY i.id HAVING usable <= i.reorder_at",
        {"today": today.isoformat()},
    )
    out = []
    for row in rows:
        if row["reorder_qty"]:
            suggested, basis = row["reorder_qty"], "reorder quantity"
        else:
            monthly = -(-used.get(row["id"], 0) * 30 // USAGE_DAYS_FOR_ORDER)
            suggested = max(1, row["reorder_at"] - row["usable"] + monthly)
            basis = f"{USAGE_DAYS_FOR_ORDER}-day usage"
        unit_cents = row["unit_cents"]
        out.append(
            {
                "supplier": row["supplier"],
                "sku": row["sku"],
                "name": row["name"],
                "unit": row["unit"],
                "usable": row["usable"],
                "reorder_at": row["reorder_at"],
                "suggested": suggested,
                "basis": basis,
                "last_unit_cost": _money(unit_cents),
                "estimated_cost": _money(None if unit_cents is None else unit_cents * suggested),
            }
        )
    out.sort(key=lambda row: ((row["supplier"] or "~").lower(), row["sku"].lower()))
    return out


def _audit_patients(store: Store, rows: list[dict], *, action: str, detail: str, user, now):
    """One audit entry per patient shown (no write at all when none is)."""
    patient_ids = sorted({row["patient_id"] for row in rows if row.get("patient_id")})
    if patient_ids:
        audit.record_many(
            store,
            user=user,
            action=action,
            now=now,
            entries=[(patient_id, detail) for patient_id in patient_ids],
        )


def history(
    store: Store,
    sku: str,
    *,
    since: date | None = None,
    until: date | None = None,
    tz,
    user: str,
    now: datetime,
) -> list[dict]:
    """Every movement of one item, oldest first, with the on-hand after each row."""
    item = items.get(store, sku)
    clauses, params = [], [item["id"]]
    if since is not None:
        clauses.append("day >= ?")
        params.append(since.isoformat())
    if until is not None:
        clauses.append("day <= ?")
        params.append(until.isoformat())
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = store.query(
        "SELECT * FROM (SELECT g.id, g.at, g.day, g.kind, l.lot, l.expires,"
        " g.quantity AS change, SUM(g.quantity) OVER (ORDER BY g.id) AS on_hand,"
        " g.patient_id, p.mrn AS patient, g.kit, g.cost_cents, g.invoice, g.expense_id AS expense,"
        " g.reason, g.note,"
        " g.user FROM stock_ledger g JOIN stock_lots l ON l.id = g.lot_id"
        " LEFT JOIN patients p ON p.id = g.patient_id WHERE g.item_id = ?)"
        f" {where} ORDER BY id",
        params,
    )
    _audit_patients(
        store, rows, action="stock.history", detail=f"item {item['sku']}", user=user, now=now
    )
    for row in rows:
        row["at"] = local_text(row["at"], tz)
        row["cost"] = _money(row.pop("cost_cents"))
    return rows


def usage(store: Store, *, since: date, until: date, sku: str | None = None) -> list[dict]:
    """Units used and discarded per item per month (local dates)."""
    clauses, params = (
        ["g.kind IN ('use', 'discard')", "g.day >= ?", "g.day <= ?"],
        [
            since.isoformat(),
            until.isoformat(),
        ],
    )
    if sku is not None:
        clauses.append("g.item_id = ?")
        params.append(items.get(store, sku)["id"])
    return store.query(
        "SELECT substr(g.day, 1, 7) AS month, i.sku, i.name, i.unit,"
        " -SUM(CASE WHEN g.kind = 'use' THEN g.quantity ELSE 0 END) AS used,"
        " -SUM(CASE WHEN g.kind = 'discard' THEN g.quantity ELSE 0 END) AS discarded"
        " FROM stock_ledger g JOIN stock_items i ON i.id = g.item_id"
        f" WHERE {' AND '.join(clauses)}"
        " GROUP BY month, g.item_id ORDER BY month, i.sku COLLATE NOCASE",
        params,
    )


def lot_trace(store: Store, lot: str, *, tz, user: str, now: datetime) -> dict:
    """Where a lot went, patients included (for a recall); the view is audited."""
    lots = store.query(
        "SELECT l.id, i.sku, i.name, i.unit, l.lot, l.expires, l.on_hand,"
        " (SELECT SUM(quantity) FROM stock_ledger WHERE lot_id = l.id AND kind = 'receive')"
        "   AS received,"
        " (SELECT -SUM(quantity) FROM stock_ledger WHERE lot_id = l.id AND kind = 'use')"
        "   AS used,"
        " (SELECT -SUM(quantity) FROM stock_ledger WHERE lot_id = l.id AND kind = 'discard')"
        "   AS discarded,"
        " (SELECT COUNT(DISTINCT patient_id) FROM stock_ledger WHERE lot_id = l.id"
        "   AND kind = 'use') AS patients"
        " FROM stock_lots l JOIN stock_items i ON i.id = l.item_id"
        " WHERE l.lot = ? COLLATE NOCASE ORDER BY i.sku COLLATE NOCASE",
        [lot.strip()],
    )
    if not lots:
        raise NotFound(f"no lot {lot.strip()!r} has been received")
    marks = ", ".join("?" for _ in lots)
    rows = store.query(
        "SELECT g.at, i.sku, l.lot, l.expires, g.kind, g.quantity AS change, g.patient_id,"
        " p.mrn AS patient, p.name AS patient_name, g.user, g.reason, g.note"
        " FROM stock_ledger g JOIN stock_lots l ON l.id = g.lot_id"
        " JOIN stock_items i ON i.id = g.item_id LEFT JOIN patients p ON p.id = g.patient_id"
        f" WHERE g.lot_id IN ({marks}) ORDER BY g.id",
        [row["id"] for row in lots],
    )
    _audit_patients(
        store, rows, action="stock.lot", detail=f"lot {lots[0]['lot']}", user=user, now=now
    )
    for row in rows:
        row["at"] = local_text(row["at"], tz)
    for row in lots:
        row.pop("id")
        row["used"] = row["used"] or 0
        row["discarded"] = row["discarded"] or 0
    return {"lots": lots, "rows": rows}
