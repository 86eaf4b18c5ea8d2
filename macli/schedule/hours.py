"""Working hours (a weekly pattern in local wall-clock time) and blocks (time off)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from macli.errors import Invalid, NotFound
from macli.patients import providers
from macli.store import Store
from macli.when import (
    WEEKDAYS,
    day_bounds,
    local_text,
    parse_date,
    parse_datetime,
    parse_time,
    utc_text,
    wall_instant,
)

Hours = dict[int, list[tuple[time, time]]]

# The longest appointment: with lengths capped, every overlap query gets a lower bound
# on starts_at and stays an index range scan however long the history grows.
MAX_MINUTES = 8 * 60

_DAY_NAMES = {
    **{name: index for index, name in enumerate(WEEKDAYS)},
    **{
        name: index
        for index, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_EXAMPLE = "e.g. 'mon-fri 08:00-12:00,13:00-17:00; sat 09:00-12:00'"


def parse_hours(text: str) -> Hours:
    """Read `mon-fri 08:00-12:00,13:00-17:00; sat 09:00-12:00` into weekday -> intervals."""
    hours: Hours = {}
    specs = [spec.strip() for spec in (text or "").split(";")]
    if not any(specs):
        raise Invalid(f"no working hours given ({_EXAMPLE})")
    for spec in specs:
        if not spec:
            continue
        parts = spec.split(None, 1)
        if len(parts) != 2:
            raise Invalid(f"cannot read {spec!r}: give days and times ({_EXAMPLE})")
        days = _parse_days(parts[0], spec)
        intervals = [_parse_interval(piece, spec) for piece in parts[1].split(",")]
        for day in days:
            hours.setdefault(day, []).extend(intervals)
    for day, intervals in hours.items():
        intervals.sort()
        for (_, first_end), (second_start, _) in zip(intervals, intervals[1:], strict=False):
            if second_start < first_end:
                raise Invalid(f"the hours given for {WEEKDAYS[day]} overlap")
    return dict(sorted(hours.items()))


def _parse_days(text: str, spec: str) -> list[int]:
    days: list[int] = []
    for item in text.lower().split(","):
        first, _, last = item.partition("-")
        if first not in _DAY_NAMES or (last and last not in _DAY_NAMES):
            raise Invalid(
                f"cannot read the days {text!r} in {spec!r} (use mon..sun, ranges like mon-fri)"
            )
        start = _DAY_NAMES[first]
        count = ((_DAY_NAMES[last] - start) % 7 + 1) if last else 1
        days.extend((start + offset) % 7 for offset in range(count))
    return days


def _parse_interval(text: str, spec: str) -> tuple[time, time]:
    match = re.fullmatch(r"\s*([\d:]+)\s*-\s*([\d:]+)\s*", text)
    if not match:
        raise Invalid(f"cannot read the times {text.strip()!r} in {spec!r} (use HH:MM-HH:MM)")
    try:
        starts, ends = parse_time(match[1]), parse_time(match[2])
    except Invalid as error:
        raise Invalid(
            f"cannot read the times {text.strip()!r} in {spec!r} ({error.message})"
        ) from error
    if ends <= starts:
        raise Invalid(f"{text.strip()!r} in {spec!r} ends before it starts")
    return starts, ends


def hours_text(hours: Hours) -> str:
    """The shortest spec that reads back to `hours`: `mon-fri 08:00-17:00; sat 09:00-12:00`."""
    specs, day = [], 0
    while day < 7:
        if day not in hours:
            day += 1
            continue
        last = day
        while last + 1 < 7 and hours.get(last + 1) == hours[day]:
            last += 1
        days = WEEKDAYS[day] if last == day else f"{WEEKDAYS[day]}-{WEEKDAYS[last]}"
        specs.append(f"{days} {_intervals_text(hours[day])}")
        day = last + 1
    return "; ".join(specs)


def _intervals_text(intervals) -> str:
    return ",".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in intervals)


def get_hours(store: Store, provider_id: int) -> Hours:
    """A provider's weekly working hours (empty when none are set)."""
    hours: Hours = {}
    for row in store.query(
        "SELECT weekday, starts, ends FROM working_hours WHERE provider_id = ?"
        " ORDER BY weekday, starts",
        [provider_id],
    ):
        hours.setdefault(row["weekday"], []).append(
            (time.fromisoformat(row["starts"]), time.fromisoformat(row["ends"]))
        )
    return hours


def hours_rows(hours: Hours) -> list[dict]:
    """One row per weekday, `off` where the provider does not work."""
    return [
        {"day": name, "hours": _intervals_text(hours[index]) if index in hours else "off"}
        for index, name in enumerate(WEEKDAYS)
    ]


def set_hours(
    store: Store, provider_ref: str, text: str | None, *, tz: ZoneInfo, now: datetime
) -> dict:
    """Replace a provider's working hours (None clears them); returns the provider,
    the hours and the upcoming appointments that now fall outside them."""
    hours = parse_hours(text) if text is not None else {}
    with store.write():
        provider = providers.resolve(store, provider_ref)
        store.execute("DELETE FROM working_hours WHERE provider_id = ?", [provider["id"]])
        store.conn.executemany(
            "INSERT INTO working_hours (provider_id, weekday, starts, ends) VALUES (?, ?, ?, ?)",
            [
                (provider["id"], day, f"{start:%H:%M}", f"{end:%H:%M}")
                for day, intervals in hours.items()
                for start, end in intervals
            ],
        )
    outside = []
    if hours:
        for row in store.iterate(
            "SELECT id, starts_at, ends_at FROM appointments WHERE provider_id = ?"
            " AND starts_at >= ? AND status != 'cancelled' ORDER BY starts_at",
            [provider["id"], utc_text(now)],
        ):
            if not within_hours(hours, row["starts_at"], row["ends_at"], tz):
                outside.append({"id": row["id"], "starts": local_text(row["starts_at"], tz)})
    return {"provider": provider, "hours": hours, "outside": outside}


def within_hours(hours: Hours, starts_at: str, ends_at: str, tz: ZoneInfo) -> bool:
    """Whether [starts_at, ends_at) lies inside one working interval of its local day."""
    starts = datetime.fromisoformat(starts_at).astimezone(tz)
    ends = datetime.fromisoformat(ends_at).astimezone(tz)
    for begin, end in working_intervals(hours, starts.date(), tz):
        if begin <= starts and ends <= end:
            return True
    return False


def working_intervals(hours: Hours, day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The working intervals of one local day as aware UTC datetimes."""
    return [
        (wall_instant(day, start, tz), wall_instant(day, end, tz))
        for start, end in hours.get(day.weekday(), [])
    ]


def earliest_start(instant: datetime) -> str:
    """The earliest start (UTC text) of an appointment still running at `instant`."""
    return utc_text(instant - timedelta(minutes=MAX_MINUTES))


# -- who works when ----------------------------------------------------------------------


def working_on(store: Store, day: date, provider_id: int | None = None) -> list[dict]:
    """Who works on `day` and from when to when (the providers' weekly working hours)."""
    clauses = ["w.weekday = ?", "v.active = 1"]
    params: list = [day.weekday()]
    if provider_id is not None:
        clauses.append("v.id = ?")
        params.append(provider_id)
    return store.query(
        "SELECT v.name AS provider, w.starts, w.ends FROM working_hours w"
        f" JOIN providers v ON v.id = w.provider_id WHERE {' AND '.join(clauses)}"
        " ORDER BY v.name, w.starts",
        params,
    )


def next_working_day(store: Store, day: date, provider_id: int | None = None) -> date | None:
    """The first day after `day` when someone (that provider) works, or None if never."""
    weekdays = {
        row["weekday"]
        for row in store.query(
            "SELECT DISTINCT w.weekday FROM working_hours w JOIN providers v"
            " ON v.id = w.provider_id WHERE v.active = 1 AND (?1 IS NULL OR v.id = ?1)",
            [provider_id],
        )
    }
    for ahead in range(1, 8):
        if (day + timedelta(days=ahead)).weekday() in weekdays:
            return day + timedelta(days=ahead)
    return None


# -- blocks ----------------------------------------------------------------------------

BLOCK_COLUMNS = ("id", "provider", "starts", "ends", "reason")


def parse_bound(text: str, tz: ZoneInfo, now: datetime, *, end: bool) -> datetime:
    """A block bound: a date and time, or a bare date (its start, or for `end` the next
    midnight, so `--from 2026-12-24 --to 2026-12-26` blocks three whole days)."""
    value = " ".join((text or "").split())
    if value and " " not in value and "T" not in value:
        day = parse_date(value, now.astimezone(tz).date())
        return day_bounds(day, tz)[1 if end else 0]
    return parse_datetime(value, tz, now)


def add_block(
    store: Store,
    provider_ref: str,
    starts_text: str,
    ends_text: str,
    *,
    reason: str | None,
    tz: ZoneInfo,
    user: str,
    now: datetime,
) -> dict:
    """Block a provider's time (time off, meetings); returns the block and the
    appointments already booked inside it, which need moving."""
    starts = parse_bound(starts_text, tz, now, end=False)
    ends = parse_bound(ends_text, tz, now, end=True)
    if ends <= starts:
        raise Invalid("the block must end after it starts")
    with store.write():
        provider = providers.resolve(store, provider_ref)
        block_id = store.insert(
            "schedule_blocks",
            {
                "provider_id": provider["id"],
                "starts_at": utc_text(starts),
                "ends_at": utc_text(ends),
                "reason": (reason or "").strip() or None,
                "created_at": utc_text(now),
                "created_by": user,
            },
        )
    inside = [
        {"id": row["id"], "starts": local_text(row["starts_at"], tz)}
        for row in store.query(
            "SELECT id, starts_at FROM appointments WHERE provider_id = ? AND starts_at < ?"
            " AND starts_at >= ? AND ends_at > ? AND status != 'cancelled' ORDER BY starts_at",
            [provider["id"], utc_text(ends), earliest_start(starts), utc_text(starts)],
        )
    ]
    return {
        "id": block_id,
        "provider": provider["name"],
        "starts": local_text(starts, tz),
        "ends": local_text(ends, tz),
        "inside": inside,
    }


def blocks(
    store: Store,
    provider_ref: str | None,
    *,
    tz: ZoneInfo,
    since: datetime,
) -> list[dict]:
    """Blocks that end after `since`, optionally for one provider."""
    clauses, params = ["b.ends_at > ?"], [utc_text(since)]
    if provider_ref:
        clauses.append("b.provider_id = ?")
        params.append(providers.resolve(store, provider_ref)["id"])
    rows = store.query(
        "SELECT b.id, p.name AS provider, b.starts_at, b.ends_at, b.reason FROM schedule_blocks b"
        f" JOIN providers p ON p.id = b.provider_id WHERE {' AND '.join(clauses)}"
        " ORDER BY b.starts_at, p.name",
        params,
    )
    return [
        {
            "id": row["id"],
            "provider": row["provider"],
            "starts": local_text(row["starts_at"], tz),
            "ends": local_text(row["ends_at"], tz),
            "reason": row["reason"],
        }
        for row in rows
    ]


def remove_block(store: Store, block_id: int) -> None:
    """Remove a block (the time becomes bookable again)."""
    with store.write():
        if store.execute("DELETE FROM schedule_blocks WHERE id = ?", [block_id]).rowcount != 1:
            raise NotFound(f"no block with id {block_id}")
