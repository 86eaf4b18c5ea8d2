"""Demo schedule: appointment types, rooms, working hours, blocks, a few recurring
series, a year of history and two weeks ahead. The day filler is shared with the
benchmark generator (bench/gen_schedule.py), which uses it for ten years."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from macli.schedule.hours import Hours, parse_hours

# name, minutes, weight among bookings, typical reasons (all synthetic)
TYPES = [
    ("new patient", 40, 2, ["establish care", "new to the area", "transfer of care"]),
    ("follow-up", 20, 8, ["blood pressure check", "diabetes follow-up", "lab results", "asthma"]),
    ("physical", 30, 3, ["annual physical", "sports physical", "pre-employment physical"]),
    ("vaccine", 10, 2, ["flu shot", "tetanus booster", "shingles vaccine", "allergy shot"]),
    ("procedure", 45, 1, ["mole removal", "joint injection", "ingrown toenail", "wart removal"]),
    ("sick visit", 20, 4, ["cough", "sore throat", "back pain", "rash", "ear pain"]),
]
ROOMS = ["Exam 1", "Exam 2", "Exam 3", "Exam 4", "Procedure room"]
PROCEDURE_ROOM = "Procedure room"
DEMO_HOURS = {
    "Dr. Maya Chen": ("mon-fri 08:00-12:00,13:00-17:00", "Exam 1"),
    "Dr. Samuel Okafor": ("mon-thu 09:00-13:00,14:00-18:00; sat 09:00-12:00", "Exam 2"),
    "Priya Natarajan": ("tue-fri 08:30-12:00,12:30-16:30", "Exam 3"),
}
# status weights for visits that are over
PAST_STATUSES = (
    ["completed", "no-show", "cancelled", "left-without-visit"],
    [86, 6, 7, 1],
)
COLUMNS = (
    "patient_id, provider_id, type_id, starts_at, ends_at, room, reason, status, status_at,"
    " series_id, cancel_reason, created_at, created_by, updated_at"
)
INSERT = f"INSERT INTO appointments ({COLUMNS}) VALUES ({', '.join('?' * 14)})"
GAPS = (10, 10, 10, 20, 30, 40, 60)  # minutes left open when a slot stays free
CANCEL_REASONS = ["patient called", "feeling better", "schedule conflict", "weather", None]


@dataclass
class Desk:
    """What the day filler needs: who works when, who can be booked, what is taken."""

    providers: Sequence[tuple[int, Hours, str]]  # id, working hours, usual room
    patients: Sequence[int]
    types: Sequence[tuple[int, int, int, list[str], bool]]  # id, minutes, weight, reasons, proc
    taken: dict = field(default_factory=dict)  # (provider_id, date) -> [(start, end) local]
    fill: float = 0.8


def _stamp(local: datetime, offset: timedelta) -> str:
    return (local - offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def appointment_rows(desk: Desk, rng, first: date, last: date, tz, now: datetime) -> Iterator:
    """Rows for INSERT: every provider's working days from `first` through `last` filled
    to about `desk.fill`, never double-booking a provider, a patient or a room."""
    weights = [kind[2] for kind in desk.types]
    now_text = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    today = now.astimezone(tz).date()
    day = first
    while day <= last:
        # The coming days are booked less the further off they are, as in a real clinic.
        ahead = (day - today).days
        fill = desk.fill * max(0.3, 1 - ahead / 16) if ahead > 0 else desk.fill
        # Clinic hours never touch a DST change (2 a.m.), so one offset serves the day.
        offset = datetime.combine(day, time(12)).replace(tzinfo=tz).utcoffset()
        patients_today: set[int] = set()
        procedure_room: list[tuple[datetime, datetime]] = []
        for provider_id, hours, room in desk.providers:
            taken = desk.taken.get((provider_id, day), [])
            for begin, end in hours.get(day.weekday(), []):
                cursor = datetime.combine(day, begin)
                closing = datetime.combine(day, end)
                while cursor < closing:
                    kind = rng.choices(desk.types, weights)[0]
                    length = timedelta(minutes=kind[1])
                    ends = cursor + length
                    clash = next((t for t in taken if t[0] < ends and t[1] > cursor), None)
                    if clash:
                        cursor = max(cursor + timedelta(minutes=10), clash[1])
                        continue
                    if ends > closing:
                        break
                    if rng.random() > fill:
                        cursor += timedelta(minutes=rng.choice(GAPS))
                        continue
                    where = room
                    if kind[4]:
                        if any(b < ends and e > cursor for b, e in procedure_room):
                            cursor += timedelta(minutes=10)
                            continue
                        procedure_room.append((cursor, ends))
                        where = PROCEDURE_ROOM
                    patient = rng.choice(desk.patients)
                    while patient in patients_today:
                        patient = rng.choice(desk.patients)
                    patients_today.add(patient)
                    yield _row(
                        rng, patient, provider_id, kind, cursor, ends, where, offset, now_text
                    )
                    cursor = ends
        day += timedelta(days=1)


def _row(rng, patient, provider_id, kind, starts, ends, room, offset, now_text) -> tuple:
    starts_at, ends_at = _stamp(starts, offset), _stamp(ends, offset)
    created = _stamp(starts - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 8)), offset)
    created = min(created, now_text)
    reason = rng.choice(kind[3])
    cancel_reason = None
    if ends_at <= now_text:
        status = rng.choices(*PAST_STATUSES)[0]
    elif starts_at <= now_text:
        status = "in-room"
    else:
        status = "cancelled" if rng.random() < 0.04 else "scheduled"
    if status == "completed":
        status_at = ends_at
    elif status in ("no-show", "left-without-visit"):
        status_at = _stamp(starts + timedelta(minutes=20), offset)
    elif status == "in-room":
        status_at = starts_at
    elif status == "cancelled":
        status_at = min(_stamp(starts - timedelta(hours=rng.randint(2, 72)), offset), now_text)
        status_at = max(status_at, created)
        cancel_reason = rng.choice(CANCEL_REASONS)
    else:
        status_at = created
    updated = max(created, status_at)
    return (
        patient,
        provider_id,
        kind[0],
        starts_at,
        ends_at,
        room,
        reason,
        status,
        status_at,
        None,
        cancel_reason,
        created,
        "front desk",
        updated,
    )


def populate(context) -> None:
    """Types, rooms, hours, blocks, series and a year of appointments for the demo."""
    store, rng, tz, today = context.store, context.rng, context.zone, context.today
    store.conn.executemany(
        "INSERT INTO appointment_types (name, duration_minutes, active) VALUES (?, ?, 1)",
        [(name, minutes) for name, minutes, _, _ in TYPES],
    )
    store.conn.executemany("INSERT INTO rooms (name, active) VALUES (?, 1)", [(r,) for r in ROOMS])
    type_ids = {
        row["name"]: row["id"] for row in store.query("SELECT id, name FROM appointment_types")
    }
    staff = []
    for row in store.query("SELECT id, name FROM providers ORDER BY id"):
        spec, room = DEMO_HOURS.get(row["name"], ("mon-fri 09:00-17:00", "Exam 4"))
        hours = parse_hours(spec)
        store.conn.executemany(
            "INSERT INTO working_hours (provider_id, weekday, starts, ends) VALUES (?, ?, ?, ?)",
            [
                (row["id"], day, f"{begin:%H:%M}", f"{end:%H:%M}")
                for day, intervals in hours.items()
                for begin, end in intervals
            ],
        )
        staff.append((row["id"], hours, room))
    patients = [row["id"] for row in store.query("SELECT id FROM patients ORDER BY id")]
    desk = Desk(
        providers=staff,
        patients=patients[20:],
        types=[
            (type_ids[name], minutes, weight, reasons, name == "procedure")
            for name, minutes, weight, reasons in TYPES
        ],
    )
    first, last = today - timedelta(days=365), today + timedelta(days=14)
    _blocks(context, staff, desk, first)
    _series(context, staff, desk, patients[:20], type_ids)
    store.conn.executemany(INSERT, appointment_rows(desk, rng, first, last, tz, context.now))


def _blocks(context, staff, desk: Desk, first: date) -> None:
    """A past vacation and an upcoming training afternoon; nothing is booked inside."""
    tz, today = context.zone, context.today
    now_text = context.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    provider_id = staff[0][0]
    vacation = first + timedelta(days=150)
    vacation -= timedelta(days=vacation.weekday())
    spans = [(vacation, vacation + timedelta(days=5), time(0), time(0), "vacation")]
    training = today + timedelta(days=(2 - today.weekday()) % 7 + 7)  # Wednesday next week
    spans.append((training, training, time(13), time(17), "training"))
    for begin_day, end_day, begin, end, reason in spans:
        starts = datetime.combine(begin_day, begin)
        ends = datetime.combine(end_day, end)
        context.store.insert(
            "schedule_blocks",
            {
                "provider_id": provider_id,
                "starts_at": _utc(starts, tz),
                "ends_at": _utc(ends, tz),
                "reason": reason,
                "created_at": min(_utc(starts - timedelta(days=30), tz), now_text),
                "created_by": context.user,
            },
        )
        day = begin_day
        while day <= end_day:
            day_begin = max(starts, datetime.combine(day, time(0)))
            day_end = min(ends, datetime.combine(day + timedelta(days=1), time(0)))
            desk.taken.setdefault((provider_id, day), []).append((day_begin, day_end))
            day += timedelta(days=1)


def _series(context, staff, desk: Desk, patients: list[int], type_ids: dict) -> None:
    """A few weekly and monthly series around today, for patients kept out of the filler."""
    store, tz, today = context.store, context.zone, context.today
    plans = [  # provider index, patient, type, weekday, time, step days, count, weeks back
        (0, patients[0], "vaccine", 1, time(8, 0), 7, 8, 4),
        (0, patients[1], "follow-up", 3, time(16, 0), 28, 6, 12),
        (1, patients[2], "follow-up", 0, time(9, 0), 14, 6, 4),
        (2, patients[3], "physical", 4, time(8, 30), 91, 4, 26),
    ]
    now_text = context.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for index, patient, kind, weekday, at, step, count, weeks_back in plans:
        provider_id, _, room = staff[index % len(staff)]
        minutes = next(m for name, m, _, _ in TYPES if name == kind)
        day = today - timedelta(weeks=weeks_back)
        day += timedelta(days=(weekday - day.weekday()) % 7)
        series_id = None
        for number in range(count):
            starts = datetime.combine(day + timedelta(days=step * number), at)
            ends = starts + timedelta(minutes=minutes)
            if (provider_id, starts.date()) in desk.taken:
                continue  # a block that day: the series simply skips it
            starts_at, ends_at = _utc(starts, tz), _utc(ends, tz)
            past = ends_at <= now_text
            created = _utc(datetime.combine(day, time(8)) - timedelta(days=7), tz)
            created = min(created, now_text)
            row_id = store.insert(
                "appointments",
                {
                    "patient_id": patient,
                    "provider_id": provider_id,
                    "type_id": type_ids[kind],
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "room": room,
                    "reason": "allergy shot" if kind == "vaccine" else "chronic care",
                    "status": "completed" if past else "scheduled",
                    "status_at": ends_at if past else created,
                    "series_id": series_id,
                    "created_at": created,
                    "created_by": context.user,
                    "updated_at": ends_at if past else created,
                },
            )
            if series_id is None:
                series_id = row_id
                store.execute(
                    "UPDATE appointments SET series_id = ? WHERE id = ?", [row_id, row_id]
                )
            desk.taken.setdefault((provider_id, starts.date()), []).append((starts, ends))


def _utc(local: datetime, tz) -> str:
    return local.replace(tzinfo=tz).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
