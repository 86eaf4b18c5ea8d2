"""When a callback is due: by the end of the business day when a message is taken before
the cut-off, else by noon of the next open day; an urgent one within the hour.

"Open" comes from the schedule: a day is open when an active provider has working hours
on its weekday and is not blocked (time off, a holiday) for the whole of them. A clinic
that has not set any working hours yet is taken to work Monday to Friday, 08:00-17:00.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from macli import settings
from macli.errors import Invalid
from macli.store import Store
from macli.when import localize, parse_duration, parse_time, utc_text

NOON = time(12, 0)
DEFAULT_HOURS = (time(8, 0), time(17, 0))  # Monday to Friday, when none are set
LOOK_AHEAD_DAYS = 60


def business_hours(store: Store, day, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The clinic's opening and closing instants on `day` (local), or None when closed."""
    rows = store.query(
        "SELECT w.provider_id, MIN(w.starts) AS starts, MAX(w.ends) AS ends"
        " FROM working_hours w JOIN providers v ON v.id = w.provider_id"
        " WHERE w.weekday = ? AND v.active = 1 GROUP BY w.provider_id",
        [day.weekday()],
    )
    if not rows and not store.scalar("SELECT 1 FROM working_hours LIMIT 1"):
        if day.weekday() >= 5:
            return None
        return _span(day, *DEFAULT_HOURS, tz)
    spans = []
    for row in rows:
        span = _span(day, parse_time(row["starts"]), parse_time(row["ends"]), tz)
        blocked = store.scalar(
            "SELECT 1 FROM schedule_blocks WHERE provider_id = ? AND starts_at <= ?"
            " AND ends_at >= ? LIMIT 1",
            [row["provider_id"], utc_text(span[0]), utc_text(span[1])],
        )
        if not blocked:
            spans.append(span)
    if not spans:
        return None
    return min(start for start, _ in spans), max(end for _, end in spans)


def _span(day, starts: time, ends: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return _wall(day, starts, tz), _wall(day, ends, tz)


def _wall(day, clock: time, tz: ZoneInfo) -> datetime:
    naive = datetime.combine(day, clock)
    try:
        return localize(naive, tz)
    except Invalid:  # a DST gap or fold at that wall time: take the instant after it
        return (naive.replace(tzinfo=tz) + timedelta(hours=1)).astimezone(tz)


def next_open_noon(store: Store, now: datetime, tz: ZoneInfo) -> datetime:
    """Noon (or closing, if earlier) of the first open day after today."""
    today = now.astimezone(tz).date()
    for ahead in range(1, LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=ahead)
        hours = business_hours(store, day, tz)
        if hours:
            return min(max(_wall(day, NOON, tz), hours[0]), hours[1])
    return _wall(today + timedelta(days=1), NOON, tz)


def due_at(store: Store, *, now: datetime, tz: ZoneInfo, urgent: bool) -> datetime:
    """When a message taken `now` must be called back, by the clinic's rules."""
    if urgent:
        return now + parse_duration(settings.get(store, "phone.urgent_within"))
    local = now.astimezone(tz)
    cutoff = parse_time(settings.get(store, "phone.cutoff"))
    hours = business_hours(store, local.date(), tz)
    if hours and local.time() < cutoff and now < hours[1]:
        return hours[1]
    return next_open_noon(store, now, tz)
