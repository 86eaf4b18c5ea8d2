"""Dates, times and durations: exact parsing (no fuzzy guesses), the clinic zone, DST checks.

Instants are stored as UTC text (`2026-12-01T14:30:00Z`); local dates as `YYYY-MM-DD`.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from macli.errors import Invalid

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {
    **{name: index for index, name in enumerate(WEEKDAYS)},
    **{
        name: index
        for index, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_DURATION_PART = re.compile(r"(\d+)\s*(w|d|h|m|min|s)", re.IGNORECASE)
_DURATION_WHOLE = re.compile(r"^\s*(?:\d+\s*(?:w|d|h|m|min|s)\s*)+$", re.IGNORECASE)
_DURATION_UNITS = {
    "w": "weeks",
    "d": "days",
    "h": "hours",
    "m": "minutes",
    "min": "minutes",
    "s": "seconds",
}
_RELATIVE_DAYS = re.compile(r"^([+-])(\d+)([dw])$", re.IGNORECASE)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # OSError: name too long
        raise Invalid(
            f"unknown time zone {name!r} (use an IANA name like America/New_York)"
        ) from error


def system_zone_name() -> str:
    """The machine's IANA zone name, from TZ or /etc/localtime, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        return name
    try:
        target = os.path.realpath("/etc/localtime")
        marker = "zoneinfo/"
        if marker in target:
            return target.split(marker, 1)[1]
    except OSError:
        pass
    try:
        with open("/etc/timezone") as handle:
            return handle.read().strip() or "UTC"
    except OSError:
        return "UTC"


def utc_text(instant: datetime) -> str:
    """An aware datetime as stored: UTC ISO 8601 with a Z."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime given where an instant is needed")
    # isoformat, not strftime: %Y does not pad years before 1000, and stored instants
    # must keep one width so that comparing them as text orders them in time.
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def from_utc_text(text: str) -> datetime:
    """A stored UTC instant back into an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_text(instant: datetime | str, tz: ZoneInfo, seconds: bool = False) -> str:
    """An instant as the clinic reads it: `2026-12-01 09:30`."""
    if isinstance(instant, str):
        instant = from_utc_text(instant)
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


# -- days: the one way a local date becomes its instants, and an instant its date --------
# A day need not start at 00:00 (America/Santiago, America/Havana and others spring
# forward at midnight, so their day starts at 01:00) nor last 24 hours (23 or 25 on the
# days the clocks change). Bounds are therefore never built with `localize`, which
# rightly refuses a wall time that does not exist: they are found from the zone itself.


def wall_instant(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant a wall-clock time on `day` names, never refusing: a time in a gap
    is read as if the clocks had not moved yet (so it lands just after the gap), and a
    time that happens twice is its first occurrence. For bounds and working hours, not
    for bookings (those go through `localize`, which asks the person)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first instant (aware, UTC) of the local date `day` in `tz`."""
    return wall_instant(day, time(), tz)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where local date `day` begins and where the next day begins."""
    return day_start(day, tz), day_start(day + timedelta(days=1), tz)


def day_bounds_text(day: date, tz: ZoneInfo) -> tuple[str, str]:
    """`day_bounds` as stored UTC text, for SQL ranges `at >= ? AND at < ?`."""
    start, end = day_bounds(day, tz)
    return utc_text(start), utc_text(end)


def local_date(instant: datetime | str, tz: ZoneInfo) -> date:
    """The clinic's local date at `instant` (aware datetime or stored UTC text)."""
    if isinstance(instant, str):
        instant = from_utc_text(instant)
    return instant.astimezone(tz).date()


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Attach the clinic zone to a wall-clock time, refusing gaps and ambiguous folds."""
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # Either the wall time happens twice (fall back) or never (spring forward).
        round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if round_trip != naive:
            raise Invalid(
                f"{naive:%Y-%m-%d %H:%M} does not exist in {tz.key} "
                "(the clocks spring forward then); choose another time"
            )
        offsets = " or ".join(_offset_text(d) for d in (first, second))
        raise Invalid(
            f"{naive:%Y-%m-%d %H:%M} happens twice in {tz.key} (the clocks fall back); "
            f"add the offset you mean: {offsets}"
        )
    return first


def _offset_text(instant: datetime) -> str:
    offset = instant.utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{instant:%Y-%m-%d %H:%M}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_time(text: str) -> time:
    """`9:30`, `14:00`, `08:00:00`."""
    match = _TIME.match(text.strip())
    if not match:
        raise Invalid(f"cannot read time {text!r} (use HH:MM, e.g. 09:30)")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise Invalid(f"cannot read time {text!r}: out of range")
    return time(hour, minute, second)


# The calendar a clinic means: births since 1800 to bookings before 3000. Far enough from
# the ends of Python's calendar (years 1 and 9999) that a few days or a time zone added
# to any accepted date cannot overflow it.
FIRST_YEAR, LAST_YEAR = 1800, 2999


def in_calendar(day: date, text: str) -> date:
    """`day`, or a clear error when it lies outside FIRST_YEAR..LAST_YEAR."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(f"{text!r} is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return day


def parse_date(text: str, today: date | None = None) -> date:
    """An exact local date: `2026-12-01`, `today`, `tomorrow`, `yesterday`, `mon`, `+2d`, `-1w`."""
    return in_calendar(_parse_date(text, today), text)


def _parse_date(text: str, today: date | None) -> date:
    value = text.strip().lower()
    if today is not None:
        if value == "today":
            return today
        if value == "tomorrow":
            return today + timedelta(days=1)
        if value == "yesterday":
            return today - timedelta(days=1)
        if value in _WEEKDAY_NAMES:
            ahead = (_WEEKDAY_NAMES[value] - today.weekday()) % 7
            return today + timedelta(days=ahead)
        match = _RELATIVE_DAYS.match(value)
        if match:
            count = int(match[2]) * (7 if match[3] == "w" else 1)
            try:
                return today + timedelta(days=count if match[1] == "+" else -count)
            except OverflowError:
                raise Invalid(f"date {text!r} is outside the calendar") from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise Invalid(f"cannot read date {text!r} (use YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise Invalid(f"cannot read date {text!r}: {error}") from error


def parse_datetime(text: str, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    """An exact instant, read in the clinic zone unless it carries an offset.

    Accepts `2026-12-01 09:30`, `2026-12-01T09:30`, `2026-12-01T09:30-05:00`,
    `tomorrow 9:30`, `mon 14:00`, `+2d 10:00`, `today 16:15`. Returns aware UTC.
    """
    value = " ".join(text.strip().split())
    if not value:
        raise Invalid("empty date and time")
    today = now.astimezone(tz).date() if now is not None else None
    offset_match = _OFFSET.search(value)
    if offset_match and re.match(r"^\d{4}-\d{2}-\d{2}[ T]", value):
        try:
            parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError as error:
            raise Invalid(f"cannot read date and time {text!r}: {error}") from error
        if parsed.tzinfo is None:
            raise Invalid(f"cannot read date and time {text!r}")
        # An explicit offset names one instant: it is how a fall-back fold is resolved.
        return _as_utc(parsed, text)
    if "T" in value and re.match(r"^\d{4}-\d{2}-\d{2}T", value):
        day_text, time_text = value.split("T", 1)
    elif " " in value:
        day_text, time_text = value.rsplit(" ", 1)
    else:
        raise Invalid(f"cannot read date and time {text!r} (use e.g. '2026-12-01 09:30')")
    day = parse_date(day_text, today)
    clock = parse_time(time_text)
    return _as_utc(localize(datetime.combine(day, clock), tz), text)


def parse_duration(text: str) -> timedelta:
    """`48h`, `2d`, `90m`, `1h30m`, `2w` (no bare numbers: the unit is always said)."""
    if not _DURATION_WHOLE.match(text or ""):
        raise Invalid(f"cannot read duration {text!r} (use e.g. 48h, 2d, 90m, 1h30m)")
    total = timedelta()
    try:
        for amount, unit in _DURATION_PART.findall(text):
            total += timedelta(**{_DURATION_UNITS[unit.lower()]: int(amount)})
    except OverflowError:
        raise Invalid(f"duration {text!r} is too long") from None
    if total <= timedelta():
        raise Invalid(f"duration {text!r} must be longer than zero")
    return total


def duration_text(span: timedelta) -> str:
    """The shortest exact spelling of a duration: `2d`, `90m`, `1d12h`."""
    seconds = int(span.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0m"


def parse_now(text: str, tz: ZoneInfo) -> datetime:
    """The `--now` value: ISO 8601, naive read in the clinic zone. Returns aware UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise Invalid(f"--now: cannot read {text!r} as ISO 8601 ({error})") from error
    if parsed.tzinfo is None:
        return _as_utc(localize(parsed, tz), text)
    return _as_utc(parsed, text)


def _as_utc(instant: datetime, text: str) -> datetime:
    in_calendar(instant.date(), text)  # also keeps astimezone inside Python's calendar
    return instant.astimezone(UTC)
