"""`macli export`: any area's data for scripts, streamed row by row.

Each exportable table is one SELECT whose column names match that area's listing.
Rows are read with a cursor and written as they come, so memory stays flat however
large the store. Exports that contain patient data are written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from macli import audit
from macli.errors import Invalid
from macli.money import sql_cents_text
from macli.store import Store
from macli.when import day_start, utc_text


@dataclass(frozen=True)
class Export:
    sql: str  # a SELECT without WHERE/ORDER BY; `{where}` marks where the filter goes
    since: str | None  # column compared with --since
    since_is_date: bool = False  # the column holds local dates, not UTC instants
    patient_data: bool = True
    order: str = "id"


def _chart(detail: str, columns: str) -> Export:
    """One kind of chart entry with its details; `current` is 0 for amended or voided ones."""
    return Export(
        f"SELECT e.id, p.mrn, e.at, {columns}, e.amends, e.reason AS amend_reason, e.voided,"
        " NOT e.voided AND NOT EXISTS (SELECT 1 FROM chart_entries later"
        " WHERE later.amends = e.id) AS current, e.recorded_at, e.recorded_by"
        f" FROM chart_entries e JOIN {detail} d ON d.entry_id = e.id"
        " JOIN patients p ON p.id = e.patient_id {where}",
        since="e.recorded_at",
        order="e.id",
    )


EXPORTS: dict[str, Export] = {
    "patients": Export(
        "SELECT p.id, p.mrn, p.name, p.dob, p.sex, p.phone, p.email, p.prefers, p.address,"
        " p.insurance, p.created_at, p.updated_at FROM patients p {where}",
        since="p.updated_at",
        order="p.id",
    ),
    "consents": Export(
        "SELECT c.id, p.mrn, c.channel, CASE c.granted WHEN 1 THEN 'given' ELSE 'withdrawn' END"
        " AS consent, c.at, c.source, c.user FROM patient_consents c"
        " JOIN patients p ON p.id = c.patient_id {where}",
        since="c.at",
        order="c.id",
    ),
    "providers": Export(
        "SELECT id, name, title, color, npi, active FROM providers {where}",
        since=None,
        patient_data=False,
    ),
    "audit": Export(
        "SELECT a.id, a.at, a.user, a.action, p.mrn, a.detail, a.prev_hash, a.hash FROM audit a"
        " LEFT JOIN patients p ON p.id = a.patient_id {where}",
        since="a.at",
        order="a.id",
    ),
    "appointments": Export(
        "SELECT a.id, a.starts_at, a.ends_at, v.name AS provider, p.name AS patient, p.mrn,"
        " t.name AS type, a.room, a.status, a.status_at, a.series_id, a.reason,"
        " a.cancel_reason, a.created_at, a.updated_at FROM appointments a"
        " JOIN patients p ON p.id = a.patient_id JOIN providers v ON v.id = a.provider_id"
        " LEFT JOIN appointment_types t ON t.id = a.type_id {where}",
        since="a.updated_at",
        order="a.id",
    ),
    "vitals": _chart(
        "chart_vital_values",
        "d.loinc, d.value, d.unit, d.entered, d.derived_from",
    ),
    "problems": _chart("chart_problems", "d.code, d.description, d.onset, d.note"),
    "medications": _chart("chart_medications", "d.name, d.dose, d.route, d.frequency, d.start"),
    "allergies": _chart("chart_allergies", "d.substance, d.reaction, d.severity"),
    "results": _chart("chart_results", "d.test, d.value, d.unit, d.low, d.high, d.loinc"),
    "notes": _chart("chart_notes", "d.text"),
    "reminders": Export(
        "SELECT r.id, r.appointment_id, r.starts_at, p.mrn, r.channel, r.due_at, r.status,"
        " r.attempts, r.sent_at, r.transport_id, r.error, r.recipient, r.updated_at"
        " FROM reminders r JOIN patients p ON p.id = r.patient_id {where}",
        since="r.updated_at",
        order="r.id",
    ),
    "stock_items": Export(
        "SELECT i.sku, i.name, i.unit, i.category, i.reorder_at, i.reorder_qty, i.supplier,"
        " i.location, i.perishable, (SELECT coalesce(SUM(l.on_hand), 0) FROM stock_lots l"
        " WHERE l.item_id = i.id) AS on_hand, i.updated_at FROM stock_items i {where}",
        since="i.updated_at",
        patient_data=False,
        order="i.sku",
    ),
    "stock_ledger": Export(
        "SELECT g.id, g.at, g.day, g.kind, i.sku, l.lot, l.expires, g.quantity AS change,"
        " g.counted, " + sql_cents_text("g.cost_cents") + " AS cost, g.supplier, g.invoice,"
        " g.expense_id AS expense, p.mrn AS patient, g.kit, g.reason, g.note, g.user"
        " FROM stock_ledger g JOIN stock_items i ON i.id = g.item_id"
        " JOIN stock_lots l ON l.id = g.lot_id LEFT JOIN patients p ON p.id = g.patient_id"
        " {where}",
        since="g.day",
        since_is_date=True,
        order="g.id",
    ),
    "expenses": Export(
        "SELECT e.id, e.spent_on AS date, " + sql_cents_text("e.amount_cents") + " AS amount,"
        " c.name AS category, e.vendor, e.method, e.memo, e.receipt_name AS receipt, e.source,"
        " e.source_id, e.voids_id AS voids, e.void_reason, e.created_at, e.created_by"
        " FROM expenses e JOIN expense_categories c ON c.id = e.category_id {where}",
        since="e.spent_on",
        since_is_date=True,
        patient_data=False,
        order="e.id",
    ),
    "claims": Export(
        "SELECT c.id AS claim, c.version, c.parent_id AS corrects, c.appointment_id AS"
        " appointment, c.service_date, p.mrn, p.name AS patient, v.name AS provider,"
        " c.payer_name AS payer, c.member_id, c.status, c.status_at, "
        + sql_cents_text("c.charge_cents")
        + " AS charges, c.created_at FROM bill_claims c JOIN patients p ON p.id = c.patient_id"
        " JOIN providers v ON v.id = c.provider_id {where}",
        since="c.service_date",
        since_is_date=True,
        order="c.id",
    ),
}


def names() -> list[str]:
    return sorted(EXPORTS)


def rows(
    store: Store, table: str, *, since: date | None, tz, user: str, now: datetime
) -> tuple[list[str], Iterator[tuple]]:
    """The column names of one export and its rows as tuples, read as they are iterated;
    an export with patient data is audited when its first row is asked for, so an export
    whose file cannot be opened changes nothing."""
    if table not in EXPORTS:
        raise Invalid(f"unknown table {table!r}; tables: {', '.join(names())}, or all")
    spec = EXPORTS[table]
    where, params = "", []
    if since is not None:
        if spec.since is None:
            raise Invalid(f"{table} has no dates to filter on; export it without --since")
        where = f"WHERE {spec.since} >= ?"
        params.append(since.isoformat() if spec.since_is_date else utc_text(day_start(since, tz)))
    sql = spec.sql.format(where=where) + f" ORDER BY {spec.order}"
    columns = [column[0] for column in store.tuples(sql + " LIMIT 0", params).description]
    if not spec.patient_data:
        return columns, _read(store, sql, params)
    detail = f"table={table}" + (f" since={since}" if since else "")
    return columns, _audited(store, sql, params, user=user, now=now, detail=detail)


def _read(store: Store, sql: str, params: list) -> Iterator[tuple]:
    yield from store.tuples(sql, params)


def _audited(store: Store, sql: str, params: list, *, user, now, detail) -> Iterator[tuple]:
    audit.record(store, user=user, action="export", now=now, detail=detail)
    yield from store.tuples(sql, params)
