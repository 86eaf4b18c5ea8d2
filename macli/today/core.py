"""The day sheet: what is on today, from every area, in one read."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from macli import audit
from macli.expense import budgets
from macli.lab import results as lab_results
from macli.patients import providers
from macli.phone import core as phone
from macli.procedure import prep as procedure_prep
from macli.qc import due as qc_due
from macli.remind import history as remind_history
from macli.remind.history import INTERPRETER_SQL
from macli.schedule import hours as schedule_hours
from macli.schedule import sheets as schedule_sheets
from macli.stock import reports as stock_reports
from macli.store import Store
from macli.when import day_bounds_text, day_start, local_text, utc_text

# Vitals older than this are due again at the visit.
VITALS_DUE_AFTER = timedelta(days=365)
EXPIRING_WITHIN_DAYS = 30


def appointments(
    store: Store, day: date, provider_id: int | None, *, tz: ZoneInfo, now: datetime
) -> list[dict]:
    """The day's appointments (not cancelled) per provider with the flags the desk needs:
    late or not arrived (by `now`), new patient, allergies not recorded, vitals due."""
    start, end = day_bounds_text(day, tz)
    vitals_since = utc_text(datetime.fromisoformat(end.replace("Z", "+00:00")) - VITALS_DUE_AFTER)
    # ?1 is the vitals cut-off used in the select list; the filters are numbered after it.
    clauses = ["a.starts_at >= ?", "a.starts_at < ?", "a.status != 'cancelled'"]
    params = [vitals_since, start, end]
    if provider_id is not None:
        clauses.append("a.provider_id = ?")
        params.append(provider_id)
    rows = store.query(
        "SELECT a.id, a.starts_at, a.ends_at, v.name AS provider, p.mrn, p.name AS patient,"
        " t.name AS type, a.status, a.room,"
        " NOT EXISTS (SELECT 1 FROM appointments past WHERE past.patient_id = a.patient_id"
        "   AND past.status = 'completed' AND past.starts_at < a.starts_at) AS new_patient,"
        " (SELECT CASE WHEN SUM(e.kind = 'allergy') > 0 THEN 'recorded'"
        "   WHEN COUNT(*) > 0 THEN 'none known' ELSE 'not recorded' END"
        "   FROM chart_current e WHERE e.patient_id = a.patient_id"
        "   AND e.kind IN ('allergy', 'no-allergies')) AS allergies,"
        f" {INTERPRETER_SQL} AS interpreter,"
        " (SELECT MAX(e.at) FROM chart_entries e WHERE e.patient_id = a.patient_id"
        "   AND e.kind = 'vitals' AND e.at >= ?1) AS last_vitals_at"
        " FROM appointments a JOIN patients p ON p.id = a.patient_id"
        " JOIN providers v ON v.id = a.provider_id"
        " LEFT JOIN appointment_types t ON t.id = a.type_id"
        f" WHERE {' AND '.join(clauses)}"
        " ORDER BY v.name, a.starts_at, a.id",
        params,
    )
    for row in rows:
        row["arrival"] = schedule_sheets.arrival(row["status"], row["starts_at"], now)
        row["time"] = local_text(row.pop("starts_at"), tz)[11:]
        row["ends"] = local_text(row.pop("ends_at"), tz)[11:]
        row["new_patient"] = bool(row["new_patient"])
        row["vitals_due"] = row.pop("last_vitals_at") is None
        row["flags"] = ", ".join(
            flag
            for flag, on in (
                (row["arrival"], row["arrival"] is not None),
                ("new patient", row["new_patient"]),
                ("allergies not recorded", row["allergies"] == "not recorded"),
                ("vitals due", row["vitals_due"]),
                (row["interpreter"], row["interpreter"]),
            )
            if on
        )
    return rows


def _sheet_now(day: date, now: datetime, tz: ZoneInfo) -> datetime:
    """The clock for what is due on `day`: now, or that day's start if it is another day."""
    return now if now.astimezone(tz).date() == day else day_start(day, tz)


def day_sheet(
    store: Store,
    day: date,
    provider_ref: str | None,
    *,
    tz: ZoneInfo,
    user: str,
    now: datetime,
) -> dict:
    """Every section of the day sheet for `day`; the view is audited as one row."""
    provider = providers.resolve(store, provider_ref) if provider_ref else None
    provider_id = provider["id"] if provider else None
    month_start = day.replace(day=1)
    working = schedule_hours.working_on(store, day, provider_id)
    following = None if working else schedule_hours.next_working_day(store, day, provider_id)
    sheet = {
        "date": day.isoformat(),
        "provider": provider["name"] if provider else None,
        "hours": working,
        "next_open": following.isoformat() if following else None,
        "appointments": appointments(store, day, provider_id, tz=tz, now=now),
        "reminders": remind_history.outcomes_since_yesterday(store, day, tz=tz),
        "calls": remind_history.call_list(store, day=day, tz=tz, provider_id=provider_id),
        "messages": phone.overdue_by_person(store, provider_id=provider_id, now=now),
        "supplies": {
            "low": stock_reports.low(store, today=day),
            "expiring": stock_reports.expiring(store, today=day, within_days=EXPIRING_WITHIN_DAYS)[
                "rows"
            ],
        },
        "results": lab_results.day_summary(store, now=now, tz=tz),
        "procedures": procedure_prep.warnings_of_day(
            store, day, now=now, tz=tz, provider_id=provider_id
        ),
        "lab": qc_due.due(store, now=_sheet_now(day, now, tz), tz=tz),
        "spending": {
            "from": month_start.isoformat(),
            "to": day.isoformat(),
            "budgets": budgets.report(store, start=month_start, end=day),
        },
    }
    for row in sheet["messages"]:
        row["due"] = local_text(row["due_at"], tz)
    audit.record(
        store,
        user=user,
        action="today.view",
        now=now,
        detail=f"{day} appointments={len(sheet['appointments'])} calls={len(sheet['calls'])}"
        f" messages={len(sheet['messages'])}",
    )
    return sheet
