"""`macli export`: any area's data for scripts, streamed row by row.

Each exportable table is one SELECT whose column names match that area's listing.
Rows are read with a cursor and written as they come, so memory stays flat however
large the store. Exports that contain patient data are written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from macli import audit
from macli.errors import Invalid
from macli.store import Store
from macli.when import localize, utc_text


@dataclass(frozen=True)
class Export:
    sql: str  # a SELECT without WHERE/ORDER BY; `{where}` marks where the filter goes
    since: str | None  # column compared with --since
    since_is_date: bool = False  # the column holds local dates, not UTC instants
    patient_data: bool = True
    order: str = "id"


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
}


def names() -> list[str]:
    return sorted(EXPORTS)


def rows(
    store: Store, table: str, *, since: date | None, tz, user: str, now: datetime
) -> Iterator[dict]:
    """The rows of one export, as an iterator; an export with patient data is audited when
    its first row is read, so an export whose file cannot be opened changes nothing."""
    if table not in EXPORTS:
        raise Invalid(f"unknown table {table!r}; tables: {', '.join(names())}, or all")
    spec = EXPORTS[table]
    where, params = "", []
    if since is not None:
        if spec.since is None:
            raise Invalid(f"{table} has no dates to filter on; export it without --since")
        where = f"WHERE {spec.since} >= ?"
        params.append(
            since.isoformat()
            if spec.since_is_date
            else utc_text(localize(datetime.combine(since, time()), tz))
        )
    sql = spec.sql.format(where=where) + f" ORDER BY {spec.order}"
    if not spec.patient_data:
        return store.iterate(sql, params)
    detail = f"table={table}" + (f" since={since}" if since else "")
    return _audited(store, sql, params, user=user, now=now, detail=detail)


def _audited(store: Store, sql: str, params: list, *, user, now, detail) -> Iterator[dict]:
    audit.record(store, user=user, action="export", now=now, detail=detail)
    yield from store.iterate(sql, params)
