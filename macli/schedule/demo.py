"""Demo schedule: appointment types, rooms, working hours, blocks, a few recurring
series, a year of history and two weeks ahead, booked for the patients' needs: a
newcomer's first visit is a "new patient" one, chronic problems bring follow-ups, a
physical once a year, a flu shot once a season. The day filler is shared with the
benchmark generator (bench/gen_schedule.py), which uses it for ten years."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from macli.patients.demo import RECENT_DAYS as RECENT_NEWCOMER_DAYS
from macli.schedule.hours import Hours, parse_hours
from macli.schedule.panel import Anyone, Panel
from macli.when import from_utc_text, utc_text

# name, minutes, weight among bookings, typical reasons (all synthetic). A follow-up of
# a patient with a chronic problem takes its reason from FOLLOW_UPS instead.
TYPES = [
    ("new patient", 40, 2, ["establish care", "new to the area", "transfer of care"]),
    ("follow-up", 20, 8, ["lab results", "recheck", "medication review"]),
    ("physical", 30, 3, ["annual physical", "sports physical", "pre-employment physical"]),
    ("vaccine", 10, 2, ["flu shot", "Tdap booster"]),
    ("procedure", 45, 1, ["mole removal", "joint injection", "ingrown toenail", "wart removal"]),
    ("sick visit", 20, 4, ["cough", "sore throat", "back pain", "rash", "ear pain"]),
    ("injection", 10, 0, ["allergy shot"]),  # booked only as a weekly series
]
# The chart's chronic problems (ICD-10-CM) and what their follow-ups are booked as.
FOLLOW_UPS = {
    "I10": "blood pressure check",
    "E11.9": "diabetes follow-up",
    "E78.5": "cholesterol follow-up",
    "J45.909": "asthma check",
    "F41.1": "anxiety follow-up",
    "E03.9": "thyroid follow-up",
    "K21.9": "reflux follow-up",
    "G43.909": "migraine follow-up",
    "J30.9": "allergy follow-up",
}
# Standing series, each for an established patient with the chronic problem whose
# follow-up reason comes first: that reason, type, reason booked, provider index,
# weekday, time, days between visits, visits, weeks back from today to the first.
SERIES = [
    ("allergy follow-up", "injection", "allergy shot", 0, 1, time(8, 0), 7, 8, 4),
    ("anxiety follow-up", "follow-up", "anxiety follow-up", 0, 3, time(16, 0), 28, 6, 12),
    ("blood pressure check", "follow-up", "blood pressure check", 1, 0, time(9, 0), 14, 6, 4),
    ("diabetes follow-up", "follow-up", "diabetes follow-up", 2, 4, time(8, 30), 91, 4, 26),
]
ROOMS = ["Exam 1", "Exam 2", "Exam 3", "Exam 4", "Procedure room"]
PROCEDURE_ROOM = "Procedure room"
DEMO_HOURS = {
    "Dr. Maya Chen": ("mon-fri 08:00-12:00,13:00-17:00", "Exam 1"),
    "Dr. Samuel Okafor": ("mon-thu 09:00-13:00,14:00-18:00; sat 09:00-12:00", "Exam 2"),
    "Priya Natarajan": ("tue-fri 08:30-12:00,12:30-16:30", "Exam 3"),
}
# How much of the open time gets booked: a small practice with room for walk-ins.
DEMO_FILL = 0.55
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


class Kind(NamedTuple):
    id: int
    minutes: int
    weight: int
    reasons: list[str]
    procedure: bool
    name: str


def kinds(type_ids: dict[str, int]) -> list[Kind]:
    """The TYPES as the day filler uses them, with their ids in the store."""
    return [
        Kind(type_ids[name], minutes, weight, reasons, name == "procedure", name)
        for name, minutes, weight, reasons in TYPES
    ]


@dataclass
class Desk:
    """What the day filler needs: who works when, who can be booked, what is taken."""

    providers: Sequence[tuple[int, Hours, str]]  # id, working hours, usual room
    patients: Sequence[int]
    types: Sequence[Kind]
    taken: dict = field(default_factory=dict)  # (provider_id, date) -> [(start, end) local]
    fill: float = 0.8
    panel: Panel | Anyone | None = None  # default: Anyone

    def __post_init__(self):
        if self.panel is None:
            self.panel = Anyone(self.patients)


def _stamp(local: datetime, offset: timedelta) -> str:
    return (local - offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def appointment_rows(desk: Desk, rng, first: date, last: date, tz, now: datetime) -> Iterator:
    """Rows for INSERT: every provider's working days from `first` through `last` filled
    to about `desk.fill`, never double-booking a provider, a patient or a room."""
    weights = [kind.weight for kind in desk.types]
    now_text = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    today = now.astimezone(tz).date()
    panel = desk.panel
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
                    length = timedelta(minutes=kind.minutes)
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
                    if kind.procedure:
                        if any(b < ends and e > cursor for b, e in procedure_room):
                            cursor += timedelta(minutes=10)
                            continue
                    chosen = panel.pick(rng, day, kind, patients_today)
                    if chosen is None:
                        cursor += timedelta(minutes=rng.choice(GAPS))
                        continue
                    patient, reason = chosen
                    if kind.procedure:
                        procedure_room.append((cursor, ends))
                        where = PROCEDURE_ROOM
                    patients_today.add(patient)
                    row = _row(
                        rng,
                        (patient, provider_id, kind, reason, where),
                        cursor,
                        ends,
                        offset,
                        now_text,
                        panel.registered.get(patient),
                    )
                    panel.went(patient, kind, day, row[7])
                    yield row
                    cursor = ends
        day += timedelta(days=1)


def _row(rng, booking, starts, ends, offset, now_text, registered=None, happens=False) -> tuple:
    """An appointment row; its status drawn as the clinic's days go (`happens`: it is
    not cancelled nor missed), booked up to 40 days ahead but not before `registered`."""
    patient, provider_id, kind, reason, room = booking
    starts_at, ends_at = _stamp(starts, offset), _stamp(ends, offset)
    created = _stamp(starts - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 8)), offset)
    created = min(max(created, registered or created), now_text)
    cancel_reason = None
    if happens:
        status = "completed" if ends_at <= now_text else "in-room" if starts_at <= now_text else ""
        status = status or "scheduled"
    elif ends_at <= now_text:
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
        kind.id,
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
    first, last = today - timedelta(days=365), today + timedelta(days=14)
    panel, series_patients, recent = _panel(context, first)
    patients = [row["id"] for row in store.query("SELECT id FROM patients ORDER BY id")]
    desk = Desk(
        providers=staff,
        patients=patients,
        types=kinds(type_ids),
        fill=DEMO_FILL,
        panel=panel,
    )
    _blocks(context, staff, desk, first)
    _series(context, staff, desk, series_patients, type_ids)
    # The year before: only each regular's last visit then is on record, so none of them
    # looks new, and those not back since are due for vitals.
    panel.once = True
    before = first - timedelta(days=365)
    store.conn.executemany(
        INSERT, appointment_rows(desk, rng, before, first - timedelta(days=1), tz, context.now)
    )
    panel.once = False
    _first_visits(context, desk, recent)
    store.conn.executemany(INSERT, appointment_rows(desk, rng, first, last, tz, context.now))


def _panel(context, first: date) -> tuple[Panel, dict, list]:
    """The demo's patients as the schedule sees them: visits a year from age and chronic
    problems, follow-up reasons, and the newcomers of the year waiting for a first visit."""
    store, rng, today = context.store, context.rng, context.today
    chronic: dict[int, list[str]] = {}
    for row in store.query(
        "SELECT e.patient_id, p.code FROM chart_current e JOIN chart_problems p"
        " ON p.entry_id = e.id WHERE e.kind = 'problem' ORDER BY e.patient_id, e.id"
    ):
        if row["code"] in FOLLOW_UPS:
            chronic.setdefault(row["patient_id"], []).append(FOLLOW_UPS[row["code"]])
    history = _utc(datetime.combine(first, time()), context.zone)
    rates, ages, newcomers, recent = {}, {}, [], []
    series_patients: dict[str, int] = {}
    for row in store.query("SELECT id, dob, created_at FROM patients ORDER BY id"):
        patient = row["id"]
        born = date.fromisoformat(row["dob"])
        age = (today - born).days // 365
        ages[patient] = age
        if chronic.get(patient):
            rates[patient] = min(6, 3 + len(chronic[patient]))
        elif age < 2:
            rates[patient] = 4  # well-baby checks
        elif age >= 65:
            rates[patient] = 3
        else:
            rates[patient] = 1 if age >= 18 and rng.random() < 0.4 else 2
        registered = from_utc_text(row["created_at"]).astimezone(context.zone).date()
        if row["created_at"] >= history:
            if (today - registered).days <= RECENT_NEWCOMER_DAYS:
                recent.append((registered, patient, row["created_at"]))
            else:
                ready = registered + timedelta(days=rng.randint(3, 14))
                newcomers.append((ready, patient, row["created_at"]))
        else:
            for reason, *_ in SERIES:
                if reason in chronic.get(patient, ()) and reason not in series_patients:
                    series_patients[reason] = patient
                    break
    held = {patient for _, patient, _ in recent} | set(series_patients.values())
    regulars = {patient for patient in rates if patient not in held} - {p for _, p, _ in newcomers}
    panel = Panel(
        [patient for patient in rates if patient not in held],
        rates=rates,
        follow_ups=chronic,
        ages=ages,
        newcomers=newcomers,
        near=today - timedelta(days=7),
    )
    panel.due_back = {p: first - timedelta(days=rng.randint(1, 365 // rates[p])) for p in regulars}
    return panel, series_patients, recent


def _first_visits(context, desk: Desk, recent: list) -> None:
    """A newcomer's first visit on every open day from three days back to ten ahead, so
    the day sheet around today always has a new patient to get ready for."""
    tz, rng, today = context.zone, context.rng, context.today
    now_text = utc_text(context.now)
    panel = desk.panel
    kind = next(k for k in desk.types if k.name == "new patient")
    waiting = sorted(recent)
    for ahead in range(-3, 11):
        day = today + timedelta(days=ahead)
        ready = [entry for entry in waiting if entry[0] <= day - timedelta(days=3)]
        if not ready:
            continue
        slot = _free_slot(desk, day, kind.minutes)
        if slot is None:
            continue
        provider_id, room, starts = slot
        registered, patient, stamp = ready[0]
        waiting.remove(ready[0])
        ends = starts + timedelta(minutes=kind.minutes)
        offset = datetime.combine(day, time(12)).replace(tzinfo=tz).utcoffset()
        row = _row(
            rng,
            (patient, provider_id, kind, rng.choice(kind.reasons), room),
            starts,
            ends,
            offset,
            now_text,
            stamp,
            happens=True,
        )
        context.store.conn.execute(INSERT, row)
        desk.taken.setdefault((provider_id, day), []).append((starts, ends))
        panel.registered[patient] = stamp
        panel.went(patient, kind, day, row[7])
    for registered, patient, stamp in waiting:
        panel.waits(patient, registered + timedelta(days=rng.randint(3, 14)), stamp)


def _free_slot(desk: Desk, day: date, minutes: int):
    """The day's last free time, with whoever works latest: a newcomer booked then is
    still ahead (not yet roomed, allergies and vitals to take) while the clinic is open."""
    working = [p for p in desk.providers if p[1].get(day.weekday())]
    working.sort(key=lambda p: p[1][day.weekday()][-1][1], reverse=True)
    length = timedelta(minutes=minutes)
    for provider_id, hours, room in working:
        taken = desk.taken.get((provider_id, day), [])
        for begin, end in reversed(hours[day.weekday()]):
            cursor = datetime.combine(day, end) - length
            while cursor >= datetime.combine(day, begin):
                if not any(b < cursor + length and e > cursor for b, e in taken):
                    return provider_id, room, cursor
                cursor -= timedelta(minutes=10)
    return None


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


def _series(context, staff, desk: Desk, patients: dict[str, int], type_ids: dict) -> None:
    """A few weekly and monthly series around today, for patients kept out of the filler."""
    store, tz, today = context.store, context.zone, context.today
    now_text = context.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for chronic, kind, reason, index, weekday, at, step, count, weeks_back in SERIES:
        if chronic not in patients:
            continue
        patient = patients[chronic]
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
            created = _utc(datetime.combine(day, time(8)) - timedelta(days=7), tz)
            created = min(created, now_text)
            if ends_at <= now_text:
                status, status_at = "completed", ends_at
            elif starts_at <= now_text:
                status, status_at = "in-room", starts_at
            else:
                status, status_at = "scheduled", created
            row_id = store.insert(
                "appointments",
                {
                    "patient_id": patient,
                    "provider_id": provider_id,
                    "type_id": type_ids[kind],
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "room": room,
                    "reason": reason,
                    "status": status,
                    "status_at": status_at,
                    "series_id": series_id,
                    "created_at": created,
                    "created_by": context.user,
                    "updated_at": max(created, status_at),
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
