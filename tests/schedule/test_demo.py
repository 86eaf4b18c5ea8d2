"""The demo schedule is realistic and obeys the rules bookings obey."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from macli.migrations import open_store
from macli.schedule.hours import get_hours, within_hours

OVERLAP = """
SELECT COUNT(*) FROM appointments a JOIN appointments b
  ON b.{column} = a.{column} AND b.id != a.id
 AND b.starts_at >= a.starts_at AND b.starts_at < a.ends_at
WHERE a.status != 'cancelled' AND b.status != 'cancelled'
"""


def test_demo_schedule_never_double_books_and_keeps_to_hours(demo_db):
    store = open_store(demo_db)
    try:
        for column in ("provider_id", "patient_id", "room"):
            assert store.scalar(OVERLAP.format(column=column)) == 0, column
        statuses = dict(
            store.conn.execute("SELECT status, COUNT(*) FROM appointments GROUP BY status")
        )
        past = statuses["completed"] + statuses["no-show"] + statuses["cancelled"]
        assert statuses["completed"] > 0.8 * past
        assert statuses["no-show"] > 0 and statuses["scheduled"] > 0
        assert store.scalar("SELECT COUNT(DISTINCT series_id) FROM appointments") >= 3
        assert store.scalar("SELECT COUNT(*) FROM appointment_types") >= 5
        tz = ZoneInfo("America/New_York")
        for provider_id in [row[0] for row in store.conn.execute("SELECT id FROM providers")]:
            hours = get_hours(store, provider_id)
            assert hours
            for starts_at, ends_at in store.conn.execute(
                "SELECT starts_at, ends_at FROM appointments WHERE provider_id = ?", [provider_id]
            ):
                assert within_hours(hours, starts_at, ends_at, tz), starts_at
            blocked = store.scalar(
                "SELECT COUNT(*) FROM appointments a JOIN schedule_blocks b"
                " ON b.provider_id = a.provider_id AND a.starts_at < b.ends_at"
                " AND a.ends_at > b.starts_at WHERE a.provider_id = ?",
                [provider_id],
            )
            assert blocked == 0
    finally:
        store.close()
