"""What the front desk reads: appointment lists, the day sheet with its open gaps, the
week at a glance and the free-slot search. Views that name patients are audited."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Invalid, NotFound
from macli.patients import core as patients
from macli.patients import providers
from macli.schedule import catalog
from macli.schedule.hours import (
    MAX_MINUTES,
    get_hours,
    hours_text,
    working_intervals,
)
from macli.store import Store
from macli.when import WEEKDAYS, day_bounds, day_start, utc_text

LIST_COLUMNS = (
    "id",
    "date",
    "start",
    "end",
    "provider",
    "patient",
    "mrn",
    "type",
    "room",
    "status",
    "reason",
)
LIST_DATA_COLUMNS = (
    "id",
    "date",
    "start",
    "end",
    "minutes",
    "starts_at",
    "ends_at",
    "provider",
    "patient",
    "mrn",
    "type",
    "room",
    "status",
    "status_at",
    "series_id",
    "reason",
    "cancel_reason",
)
DAY_COLUMNS = ("start", "end", "id", "patient", "mrn", "type", "room", "status", "reason")
DAY_DATA_COLUMNS = (
    "provider",
    "kind",
    "date",
    *DAY_COLUMNS,
    "arrival",
    "minutes",
    "starts_at",
    "ends_at",
)
WEEK_COLUMNS = (
    "date",
    "day",
    "provider",
    "hours",
    "appointments",
    "booked_minutes",
    "open_minutes",
    "longest_open",
)
FREE_COLUMNS = ("date", "day", "provider", "start", "end", "minutes")
SMALLEST_GAP = timedelta(minutes=5)

_SELECT = (
    "SELECT a.id, a.patient_id, a.provider_id, a.starts_at, a.ends_at, a.status, a.status_at, a.room,"
    " a.reason, a.series_id, a.cancel_reason, pr.name AS provider, pa.name AS patient,"
    " pa.mrn, t.name AS type FROM appointments a"
    " JOIN providers pr ON pr.id = a.provider_id"
    " JOIN patients pa ON pa.id = a.patient_id"
    " LEFT JOIN appointment_types t ON t.id = a.type_id"
)


def appointments(
    store: Store,
    *,
    first: date | None,
    last: date | None,
    provider_ref: str | None = None,
    patient_ref: str | None = None,
    statuses: tuple[str, ...] = (),
    tz: ZoneInfo,
    user: str,
    now: datetime,
) -> list[dict]:
    """Appointments from `first` through `last` (local dates, either open), filtered;
    the listing is audited as one view."""
    clauses, params = [], []
    if first is not None:
        clauses.append("a.starts_at >= ?")
        params.append(utc_text(day_start(first, tz)))
    if last is not None:
        clauses.append("a.starts_at < ?")
        params.append(utc_text(day_start(last + timedelta(days=1), tz)))
    if first is not None and last is not None and last < first:
        raise Invalid(f"--to {last} is before --from {first}")
    if provider_ref:
        clauses.append("a.provider_id = ?")
        params.append(providers.resolve(store, provider_ref)["id"])
    patient = patients.resolve(store, patient_ref) if patient_ref else None
    if patient:
        clauses.append("a.patient_id = ?")
        params.append(patient["id"])
    if statuses:
        clauses.append(f"a.status IN ({', '.join('?' for _ in statuses)})")
        params.extend(statuses)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = [
        _appointment_row(row, tz)
        for row in store.iterate(f"{_SELECT}{where} ORDER BY a.starts_at, pr.name", params)
    ]
    audit.record(
        store,
        user=user,
        action="schedule.list",
        now=now,
        patient_id=patient["id"] if patient else None,
        detail=f"rows={len(rows)}",
    )
    return rows


def booked(store: Store, ids: list[int], *, tz: ZoneInfo) -> list[dict]:
    """The appointments just booked, as `schedule add` reads them back to the desk (the
    booking itself is the audited act)."""
    marks = ", ".join("?" for _ in ids)
    return [
        _appointment_row(row, tz)
        for row in store.query(f"{_SELECT} WHERE a.id IN ({marks}) ORDER BY a.starts_at", ids)
    ]


def booking_text(row: dict) -> str:
    """`Booked 5322: Grace Jones (P000393) with Dr. Maya Chen, Thu 2026-11-26 09:20-09:40,
    sick visit, Exam 4.`"""
    when = f"{date.fromisoformat(row['date']):%a} {row['date']} {row['start']}-{row['end']}"
    extra = "".join(f", {value}" for value in (row["type"], row["room"]) if value)
    return (
        f"Booked {row['id']}: {row['patient']} ({row['mrn']}) with {row['provider']},"
        f" {when}{extra}."
    )


# A visit not checked in this long after its start is "not arrived" rather than "late":
# the desk calls the patient, or marks the no-show.
NOT_ARRIVED_AFTER = timedelta(minutes=30)


def arrival(status: str, starts_at: str, now: datetime) -> str | None:
    """`late 25 min` for a visit past its start that nobody checked in, `not arrived`
    once it is NOT_ARRIVED_AFTER late; None when it is not due yet or was checked in."""
    if status != "scheduled":
        return None
    late = now - datetime.fromisoformat(starts_at)
    if late >= NOT_ARRIVED_AFTER:
        return "not arrived"
    minutes = int(late.total_seconds() // 60)
    return f"late {minutes} min" if minutes >= 1 else None


def _appointment_row(row: dict, tz: ZoneInfo) -> dict:
    starts = datetime.fromisoformat(row["starts_at"]).astimezone(tz)
    ends = datetime.fromisoformat(row["ends_at"]).astimezone(tz)
    return {
        **row,
        "date": f"{starts:%Y-%m-%d}",
        "start": f"{starts:%H:%M}",
        "end": f"{ends:%H:%M}",
        "minutes": int((ends - starts).total_seconds() // 60),
    }


@dataclass
class ProviderDay:
    """One provider's local day: working intervals, what is booked and what is open."""

    day: date
    provider: dict
    hours: dict
    intervals: list[tuple[datetime, datetime]]
    booked: list[dict] = field(default_factory=list)
    blocks: list[dict] = field(default_factory=list)
    gaps: list[tuple[datetime, datetime]] = field(default_factory=list)


def _provider_days(
    store: Store,
    provider: dict,
    first: date,
    days: int,
    tz: ZoneInfo,
    *,
    people: bool,
    not_before: datetime | None = None,
) -> list[ProviderDay]:
    """`days` consecutive ProviderDays from `first`, with two queries for the whole span."""
    hours = get_hours(store, provider["id"])
    begin, end = day_start(first, tz), day_start(first + timedelta(days=days), tz)
    select = (
        _SELECT
        if people
        else "SELECT a.id, a.starts_at, a.ends_at FROM appointments a"
        " JOIN providers pr ON pr.id = a.provider_id"
    )
    booked = store.query(
        f"{select} WHERE a.provider_id = ? AND a.starts_at >= ? AND a.starts_at < ?"
        " AND a.status != 'cancelled' ORDER BY a.starts_at",
        [
            provider["id"],
            utc_text(begin - timedelta(minutes=MAX_MINUTES)),
            utc_text(end),
        ],
    )
    blocks = store.query(
        "SELECT id, starts_at, ends_at, reason FROM schedule_blocks"
        " WHERE provider_id = ? AND ends_at > ? AND starts_at < ? ORDER BY starts_at",
        [provider["id"], utc_text(begin), utc_text(end)],
    )
    for row in (*booked, *blocks):
        row["starts"] = datetime.fromisoformat(row["starts_at"])
        row["ends"] = datetime.fromisoformat(row["ends_at"])
    starts = [row["starts"] for row in booked]
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        lower, upper = day_bounds(day, tz)
        at = bisect_left(starts, lower - timedelta(minutes=MAX_MINUTES))
        todays = []
        while at < len(booked) and booked[at]["starts"] < upper:
            if booked[at]["ends"] > lower:
                todays.append(booked[at])
            at += 1
        sheet = ProviderDay(
            day=day,
            provider=provider,
            hours=hours,
            intervals=working_intervals(hours, day, tz),
            booked=[row for row in todays if row["starts"] >= lower],
            blocks=[row for row in blocks if row["ends"] > lower and row["starts"] < upper],
        )
        busy = sorted([(r["starts"], r["ends"]) for r in (*todays, *sheet.blocks)])
        sheet.gaps = _open(sheet.intervals, busy, not_before)
        out.append(sheet)
    return out


def _open(intervals, busy, not_before: datetime | None) -> list[tuple[datetime, datetime]]:
    """The parts of the working intervals that no busy span covers, 5 minutes or longer."""
    gaps = []
    for begin, end in intervals:
        cursor = max(begin, not_before) if not_before else begin
        for busy_start, busy_end in busy:
            if busy_end <= cursor or busy_start >= end:
                continue
            if busy_start - cursor >= SMALLEST_GAP:
                gaps.append((cursor, busy_start))
            cursor = max(cursor, busy_end)
        if end - cursor >= SMALLEST_GAP:
            gaps.append((cursor, end))
    return gaps


def _providers_for(
    store: Store, provider_ref: str | None, first: date, last: date, tz: ZoneInfo
) -> list[dict]:
    """The provider asked for, else every active provider with hours plus anyone booked."""
    if provider_ref:
        return [providers.resolve(store, provider_ref)]
    begin, end = day_start(first, tz), day_start(last + timedelta(days=1), tz)
    return store.query(
        "SELECT id, name, active FROM providers WHERE (active = 1 AND id IN"
        " (SELECT provider_id FROM working_hours)) OR id IN (SELECT provider_id FROM appointments"
        " WHERE starts_at >= ? AND starts_at < ? AND status != 'cancelled') ORDER BY name",
        [utc_text(begin), utc_text(end)],
    )


def day_schedule(
    store: Store,
    day: date,
    provider_ref: str | None,
    *,
    tz: ZoneInfo,
    user: str,
    now: datetime,
) -> list[dict]:
    """Each provider's schedule for `day` (`macli schedule day`): appointments, blocks and
    open gaps in time order (the whole clinic's day sheet is `macli.today.core.day_sheet`).
    Returns sections {provider, hours, rows}; the view is audited."""
    sections = []
    count = 0
    for provider in _providers_for(store, provider_ref, day, day, tz):
        sheet = _provider_days(store, provider, day, 1, tz, people=True)[0]
        rows = [
            {
                **_appointment_row(row, tz),
                "kind": "appointment",
                "arrival": arrival(row["status"], row["starts_at"], now),
            }
            for row in sheet.booked
        ] + [_span_row("open", begin, end, tz) for begin, end in sheet.gaps]
        lower, upper = day_bounds(day, tz)
        if sheet.intervals:
            lower, upper = sheet.intervals[0][0], sheet.intervals[-1][1]
        for block in sheet.blocks:
            row = _span_row("blocked", max(block["starts"], lower), min(block["ends"], upper), tz)
            rows.append({**row, "id": block["id"], "reason": block["reason"]})
        rows.sort(key=lambda row: (row["starts_at"], row["kind"] != "blocked"))
        count += len(sheet.booked)
        sections.append(
            {
                "provider": provider["name"],
                "hours": _hours_of_day(sheet),
                "rows": [{**row, "provider": provider["name"], "date": f"{day}"} for row in rows],
            }
        )
    audit.record(
        store, user=user, action="schedule.day", now=now, detail=f"{day} appointments={count}"
    )
    return sections


def _hours_of_day(sheet: ProviderDay) -> str:
    """`thu 08:00-12:00,13:00-17:00` or `thu off`."""
    weekday = sheet.day.weekday()
    if weekday not in sheet.hours:
        return f"{WEEKDAYS[weekday]} off"
    return hours_text({weekday: sheet.hours[weekday]})


def _span_row(kind: str, begin: datetime, end: datetime, tz: ZoneInfo) -> dict:
    minutes = int((end - begin).total_seconds() // 60)
    label = {"open": f"(open {minutes} min)", "blocked": "(blocked)"}[kind]
    return {
        "kind": kind,
        "starts_at": utc_text(begin),
        "ends_at": utc_text(end),
        "start": f"{begin.astimezone(tz):%H:%M}",
        "end": f"{end.astimezone(tz):%H:%M}",
        "minutes": minutes,
        "patient": label,
    }


def week(store: Store, day: date, provider_ref: str | None, *, tz: ZoneInfo) -> list[dict]:
    """The week (Monday to Sunday) around `day`: per provider and day, how much is
    booked and how much is open. Names no patient."""
    monday = day - timedelta(days=day.weekday())
    rows = []
    for provider in _providers_for(store, provider_ref, monday, monday + timedelta(days=6), tz):
        for sheet in _provider_days(store, provider, monday, 7, tz, people=False):
            open_spans = [end - begin for begin, end in sheet.gaps]
            rows.append(
                {
                    "date": f"{sheet.day}",
                    "day": WEEKDAYS[sheet.day.weekday()],
                    "provider": provider["name"],
                    "hours": _hours_of_day(sheet).split(" ", 1)[1],
                    "appointments": len(sheet.booked),
                    "booked_minutes": sum(
                        int((row["ends"] - row["starts"]).total_seconds() // 60)
                        for row in sheet.booked
                    ),
                    "open_minutes": int(sum(open_spans, timedelta()).total_seconds() // 60),
                    "longest_open": int(max(open_spans, default=timedelta()).total_seconds() // 60),
                }
            )
    return rows


# Without --provider, how many of each provider's first open stretches are listed.
FIRST_OPEN_PER_PROVIDER = 3


def free(
    store: Store,
    provider_ref: str | None,
    first: date,
    *,
    minutes: int | None = None,
    type_ref: str | None = None,
    days: int = 1,
    tz: ZoneInfo,
    now: datetime,
) -> list[dict]:
    """Open time of at least the asked length inside a provider's working hours, from
    `first` for `days` days, never before now. Without a provider: the first few open
    stretches of each provider who has working hours."""
    if not 1 <= days <= 366:
        raise Invalid("--days must be between 1 and 366")
    if minutes is None and type_ref is None:
        raise Invalid("give --duration MINUTES or --type TYPE")
    if minutes is None:
        minutes = catalog.resolve_type(store, type_ref)["duration_minutes"]
    length = timedelta(minutes=catalog.check_minutes(minutes))
    if provider_ref is None:
        rows = []
        for provider in _providers_for(store, None, first, first, tz):
            if provider["active"] and get_hours(store, provider["id"]):
                found = _free_of(store, provider, first, days, length, tz=tz, now=now)
                rows += found[:FIRST_OPEN_PER_PROVIDER]
        return rows
    provider = providers.resolve(store, provider_ref)
    if not get_hours(store, provider["id"]):
        raise Invalid(
            f"{provider['name']} has no working hours; set them first, e.g."
            f" macli schedule hours {provider['id']} --set 'mon-fri 08:00-17:00'"
        )
    return _free_of(store, provider, first, days, length, tz=tz, now=now)


def _free_of(store, provider, first, days, length, *, tz, now) -> list[dict]:
    # Open time starts on the next five-minute mark: nobody books 09:03.
    not_before = now + timedelta(minutes=-now.minute % 5, seconds=-now.second)
    rows = []
    for sheet in _provider_days(
        store, provider, first, days, tz, people=False, not_before=not_before
    ):
        for begin, end in sheet.gaps:
            if end - begin >= length:
                rows.append(
                    {
                        "date": f"{sheet.day}",
                        "day": WEEKDAYS[sheet.day.weekday()],
                        "provider": provider["name"],
                        "start": f"{begin.astimezone(tz):%H:%M}",
                        "end": f"{end.astimezone(tz):%H:%M}",
                        "minutes": int((end - begin).total_seconds() // 60),
                    }
                )
    return rows


def show(store: Store, appointment_id: int, *, tz: ZoneInfo, user: str, now: datetime) -> dict:
    """One appointment with names and times; the view is audited."""
    row = store.one(f"{_SELECT} WHERE a.id = ?", [appointment_id])
    if row is None:
        raise NotFound(f"no appointment with id {appointment_id}")
    audit.record(
        store,
        user=user,
        action="schedule.view",
        now=now,
        patient_id=row["patient_id"],
        detail=f"appointment {appointment_id}",
    )
    record = _appointment_row(row, tz)
    return {column: record[column] for column in LIST_DATA_COLUMNS}
