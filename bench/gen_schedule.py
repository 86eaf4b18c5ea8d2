"""Schedule rows for the large clinic: appointment types, rooms, working hours, a
vacation week per provider and year, and about 1.2 million appointments over ten years
(through two weeks ahead), filled by the same day filler as the demo."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from macli.schedule.demo import INSERT, ROOMS, TYPES, Desk, appointment_rows, kinds
from macli.schedule.hours import parse_hours
from macli.when import utc_text

YEARS = 10
BATCH = 50_000
# Two hour patterns so that about 1.2 million appointments fill ten years.
HOURS = ["mon-fri 08:00-12:00,12:30-17:30", "mon-fri 08:30-12:30,13:00-18:00; sat 09:00-12:00"]


def generate(store, rng, now, zone) -> None:
    today = now.astimezone(zone).date()
    first = today.replace(year=today.year - YEARS)
    last = today + timedelta(days=14)
    with store.write():
        store.conn.executemany(
            "INSERT INTO appointment_types (name, duration_minutes, active) VALUES (?, ?, 1)",
            [(name, minutes) for name, minutes, _, _ in TYPES],
        )
        store.conn.executemany(
            "INSERT INTO rooms (name, active) VALUES (?, 1)",
            [(room,) for room in ROOMS] + [(f"Exam {n}",) for n in range(5, 21)],
        )
        type_ids = {
            r["name"]: r["id"] for r in store.query("SELECT id, name FROM appointment_types")
        }
        staff = []
        provider_ids = [r["id"] for r in store.query("SELECT id FROM providers ORDER BY id")]
        for index, provider_id in enumerate(provider_ids):
            hours = parse_hours(HOURS[index % len(HOURS)])
            store.conn.executemany(
                "INSERT INTO working_hours (provider_id, weekday, starts, ends) VALUES (?, ?, ?, ?)",
                [
                    (provider_id, day, f"{begin:%H:%M}", f"{end:%H:%M}")
                    for day, spans in hours.items()
                    for begin, end in spans
                ],
            )
            staff.append((provider_id, hours, f"Exam {index + 1}"))
        desk = Desk(
            providers=staff,
            patients=[r["id"] for r in store.query("SELECT id FROM patients")],
            types=kinds(type_ids),
            fill=0.97,
        )
        blocks = []
        for provider_id, _, _ in staff:
            for year in range(first.year, last.year + 1):
                monday = datetime(year, 1, 1) + timedelta(weeks=rng.randint(4, 48))
                monday -= timedelta(days=monday.weekday())
                ends = monday + timedelta(days=5)
                blocks.append(
                    (
                        provider_id,
                        utc_text(monday.replace(tzinfo=zone)),
                        utc_text(ends.replace(tzinfo=zone)),
                        "vacation",
                        utc_text(now),
                        "bench",
                    )
                )
                for offset in range(5):
                    day = (monday + timedelta(days=offset)).date()
                    desk.taken[(provider_id, day)] = [
                        (datetime.combine(day, time(0)), datetime.combine(day, time(23, 59)))
                    ]
        store.conn.executemany(
            "INSERT INTO schedule_blocks (provider_id, starts_at, ends_at, reason, created_at,"
            " created_by) VALUES (?, ?, ?, ?, ?, ?)",
            blocks,
        )
        batch = []
        for row in appointment_rows(desk, rng, first, last, zone, now):
            batch.append(row)
            if len(batch) == BATCH:
                store.conn.executemany(INSERT, batch)
                batch = []
        store.conn.executemany(INSERT, batch)
