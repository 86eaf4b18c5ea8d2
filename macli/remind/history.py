"""What happened to reminders: the log, the staff's call list and its outcomes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Conflict, Invalid, NotFound
from macli.patients.core import resolve
from macli.remind.rules import before_text
from macli.remind.schema import STATUSES
from macli.store import Store
from macli.when import day_bounds_text, day_start, local_text, utc_text

LOG_COLUMNS = (
    "id",
    "appointment_at",
    "mrn",
    "channel",
    "before",
    "status",
    "attempts",
    "sent_at",
    "transport_id",
    "error",
    "recipient",
)
CALL_COLUMNS = (
    "id",
    "appointment_at",
    "mrn",
    "name",
    "phone",
    "provider",
    "status",
    "marked_by",
    "interpreter",
)
# How reminder outcomes are summed up (the day sheet).
OUTCOME_GROUPS = {
    "sent": ("sent", "reached", "voicemail"),
    "pending": ("queued", "sending", "deferred", "to-call", "no-answer"),
    "failed": ("failed", "unknown", "wrong-number"),
}
CALL_OUTCOMES = ("reached", "voicemail", "no-answer", "wrong-number")


def log(
    store: Store,
    *,
    tz: ZoneInfo,
    user: str,
    now: datetime,
    day: date | None = None,
    patient: str | None = None,
    status: str | None = None,
    channel: str | None = None,
) -> list[dict]:
    """Reminders with their outcome and transport id, newest last; the view is audited."""
    clauses, params = [], []
    patient_id = None
    if day is not None:
        clauses.append("r.updated_at >= ? AND r.updated_at < ?")
        params += day_bounds_text(day, tz)
    if patient:
        patient_id = resolve(store, patient)["id"]
        clauses.append("r.patient_id = ?")
        params.append(patient_id)
    if status:
        if status not in STATUSES:
            raise Invalid(f"unknown status {status!r} (use {', '.join(STATUSES)})")
        clauses.append("r.status = ?")
        params.append(status)
    if channel:
        clauses.append("r.channel = ?")
        params.append(channel)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = store.query(
        "SELECT r.id, r.starts_at, p.mrn, r.channel, u.before_seconds, r.status, r.attempts,"
        " r.sent_at, r.transport_id, r.error, r.recipient FROM reminders r"
        " JOIN patients p ON p.id = r.patient_id JOIN reminder_rules u ON u.id = r.rule_id"
        f" {where} ORDER BY r.updated_at, r.id",
        params,
    )
    for row in rows:
        row["appointment_at"] = local_text(row.pop("starts_at"), tz)
        row["before"] = before_text(row.pop("before_seconds"))
        row["sent_at"] = local_text(row["sent_at"], tz, seconds=True) if row["sent_at"] else None
    audit.record(
        store,
        user=user,
        action="remind.log",
        now=now,
        patient_id=patient_id,
        detail=f"rows={len(rows)}",
    )
    return rows


def calls(store: Store, *, day: date, tz: ZoneInfo, user: str, now: datetime) -> list[dict]:
    """The phone reminders for a day: due by then, for visits from that day on (audited)."""
    rows = call_list(store, day=day, tz=tz)
    audit.record(store, user=user, action="remind.calls", now=now, detail=f"rows={len(rows)}")
    return rows


# "interpreter: Spanish" for a patient who needs one (p is the patient), else NULL.
INTERPRETER_SQL = (
    "CASE WHEN p.interpreter THEN 'interpreter: ' || COALESCE("
    "(SELECT l.name FROM languages l WHERE l.code = p.language), p.language, 'language unknown')"
    " END"
)


def call_list(
    store: Store, *, day: date, tz: ZoneInfo, provider_id: int | None = None
) -> list[dict]:
    """The call list itself (of one provider's patients, if given), for callers that
    audit the view they are part of."""
    start, end = day_bounds_text(day, tz)
    rows = store.query(
        "SELECT r.id, r.starts_at, p.mrn, p.name, r.recipient AS phone, v.name AS provider,"
        " r.status, CASE WHEN r.status = 'to-call' THEN NULL ELSE r.updated_by END AS marked_by,"
        f" {INTERPRETER_SQL} AS interpreter"
        " FROM reminders r JOIN patients p ON p.id = r.patient_id"
        " JOIN appointments a ON a.id = r.appointment_id JOIN providers v ON v.id = a.provider_id"
        " WHERE r.channel = 'phone' AND r.due_at < ? AND r.starts_at >= ?"
        " AND r.status != 'withdrawn' AND a.starts_at = r.starts_at AND a.status = 'scheduled'"
        " AND (?3 IS NULL OR a.provider_id = ?3)"
        " ORDER BY r.starts_at, r.id",
        [end, start, provider_id],
    )
    for row in rows:
        row["appointment_at"] = local_text(row.pop("starts_at"), tz)
    return rows


def mark(store: Store, reminder_id: int, outcome: str, *, user: str, now: datetime) -> dict:
    """Record how a reminder call went (a correction overwrites the earlier outcome)."""
    if outcome not in CALL_OUTCOMES:
        raise Invalid(f"unknown call outcome {outcome!r} (use {', '.join(CALL_OUTCOMES)})")
    with store.write():
        row = store.one("SELECT * FROM reminders WHERE id = ?", [reminder_id])
        if row is None:
            raise NotFound(f"no reminder {reminder_id}")
        if row["channel"] != "phone":
            raise Conflict(f"reminder {reminder_id} is an {row['channel']} reminder, not a call")
        if row["status"] == "withdrawn":
            raise Conflict(f"reminder {reminder_id} was withdrawn ({row['error']}); no call needed")
        store.execute(
            "UPDATE reminders SET status = ?, attempts = attempts + 1, updated_at = ?,"
            " updated_by = ?, sent_at = CASE WHEN ? = 'reached' THEN ? ELSE sent_at END"
            " WHERE id = ?",
            [outcome, utc_text(now), user, outcome, utc_text(now), reminder_id],
        )
        audit.record(
            store,
            user=user,
            action="remind.mark",
            now=now,
            patient_id=row["patient_id"],
            detail=f"reminder {reminder_id} {outcome}",
        )
    return {"id": reminder_id, "status": outcome}


def outcomes_since_yesterday(store: Store, day: date, *, tz: ZoneInfo) -> dict:
    """Reminder outcomes from the start of the day before `day` to its end: counts per
    group (OUTCOME_GROUPS), failures listed (the day sheet's reminders section)."""
    since = utc_text(day_start(day - timedelta(days=1), tz))
    until = utc_text(day_start(day + timedelta(days=1), tz))
    counts = {group: 0 for group in OUTCOME_GROUPS}
    for row in store.query(
        "SELECT status, COUNT(*) AS n FROM reminders WHERE updated_at >= ? AND updated_at < ?"
        " GROUP BY status",
        [since, until],
    ):
        for group, statuses in OUTCOME_GROUPS.items():
            if row["status"] in statuses:
                counts[group] += row["n"]
    failed = store.query(
        "SELECT r.id, r.channel, r.starts_at, p.mrn, r.status, r.error FROM reminders r"
        " JOIN patients p ON p.id = r.patient_id"
        f" WHERE r.updated_at >= ? AND r.updated_at < ? AND r.status IN"
        f" ({', '.join('?' for _ in OUTCOME_GROUPS['failed'])}) ORDER BY r.id",
        [since, until, *OUTCOME_GROUPS["failed"]],
    )
    for row in failed:
        row["appointment_at"] = local_text(row.pop("starts_at"), tz)
    return {"since": local_text(since, tz), **counts, "failures": failed}
