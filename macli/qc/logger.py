"""Reading a digital data logger's CSV export: one timestamp and temperature per row.

The common layouts are recognised without being told: a header row (after any
preamble lines) with a timestamp column, or separate date and time columns, and a
temperature column whose name gives its scale ("Temperature (°C)", "Temp, °F"). Any
of these can be named instead (`time_column=`, `date_column=`, `temp_column=`,
`scale=`).

Times are read so that each row names one instant:
- a timestamp with an offset (`2026-11-30T02:00:00-05:00`, `...Z`) is exact;
- a header naming the offset ("Date Time, GMT-05:00", "Time (UTC)") applies it to all;
- otherwise the times are wall-clock times in `zone` (the clinic's, or the one given).
  When the clocks fall back, the hour that happens twice is read in file order: the
  second pass through it is the later instant. A time the clocks skipped is refused.
Importing the same readings twice adds nothing: a unit has one reading per instant.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from macli.csvfile import decode
from macli.errors import Invalid
from macli.qc import temps, units
from macli.store import Store
from macli.when import utc_text
from macli.when import zone as named_zone

_OFFSET_IN_HEADER = re.compile(r"\b(?:gmt|utc)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?", re.I)
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?$",
    re.I,
)
_OTHER_DATE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([ap]\.?m\.?)?$", re.I)
DATE_ORDERS = ("mdy", "dmy", "ymd")


def parse_zone(text: str | None, default: ZoneInfo):
    """A zone given as an IANA name (`Europe/Berlin`) or a fixed offset (`UTC-05:00`)."""
    if text is None:
        return default
    fixed = _fixed_offset(text)
    if fixed is not None:
        return fixed
    return named_zone(text.strip())


def _fixed_offset(text: str):
    match = _OFFSET_IN_HEADER.search(text or "")
    if not match:
        return None
    if not match[1]:
        return UTC
    minutes = int(match[2]) * 60 + int(match[3] or 0)
    if minutes > 14 * 60:
        raise Invalid(f"cannot read the offset in {text!r}")
    return timezone(timedelta(minutes=minutes if match[1] == "+" else -minutes))


def _scale_of(header: str) -> str | None:
    text = header.lower().replace(" ", "")
    if "°f" in text or "fahrenheit" in text or re.search(r"[^a-z]f[)\]]?$", text) or "degf" in text:
        return "F"
    if "°c" in text or "celsius" in text or re.search(r"[^a-z]c[)\]]?$", text) or "degc" in text:
        return "C"
    return None


def _find(header: list[str], wanted: str | None, test) -> int | None:
    if wanted is not None:
        names = [name.strip().lower() for name in header]
        key = wanted.strip().lower()
        if key not in names:
            raise Invalid(f"the file has no column {wanted!r} (columns: {', '.join(header)})")
        return names.index(key)
    for index, name in enumerate(header):
        if test(name.strip().lower()):
            return index
    return None


def _is_temperature(name: str) -> bool:
    return "temp" in name or _scale_of(name) is not None


def _is_timestamp(name: str) -> bool:
    return (
        name in ("timestamp", "time stamp", "datetime", "date time", "date/time", "date-time")
        or name.startswith(("date time", "date/time", "datetime", "timestamp", "date and time"))
        or (name.startswith("time") and ("gmt" in name or "utc" in name))
    )


class _Layout:
    """Which columns hold the time (and date, when apart) and the temperature."""

    def __init__(self, header, line, *, time_column, date_column, temp_column):
        self.header, self.line = header, line
        self.temp = _find(header, temp_column, _is_temperature)
        self.date = _find(header, date_column, lambda n: n == "date")
        if time_column is not None:
            self.time = _find(header, time_column, None)
        elif self.date is not None:
            self.time = _find(header, None, lambda n: n == "time" or n.startswith("time "))
            if self.time is None:  # a "Date" column holding whole timestamps
                self.time, self.date = self.date, None
        else:
            self.time = _find(header, None, _is_timestamp)
            if self.time is None:
                self.time = _find(header, None, lambda n: n.startswith("time"))

    @property
    def complete(self) -> bool:
        return self.temp is not None and self.time is not None


def _layout(rows: list[list[str]], **columns) -> _Layout:
    named = any(columns.values())
    for line, header in enumerate(rows[:30], start=1):
        if not any(cell.strip() for cell in header):
            continue
        try:
            layout = _Layout(header, line, **columns)
        except Invalid:
            if named:
                continue
            raise
        if layout.complete:
            return layout
    first = next((row for row in rows if any(c.strip() for c in row)), [])
    if named:
        _Layout(first, 1, **columns)  # names the column that is not there
    found = _Layout(first, 1, **_none()) if first else None
    missing = "temperature" if found is not None and found.time is not None else "time"
    raise Invalid(
        f"cannot find a {missing} column in the file (first row: {', '.join(first) or 'empty'});"
        " name it with --temp-column / --time-column"
    )


def _none():
    return {"time_column": None, "date_column": None, "temp_column": None}


def _date_order(values: list[str]) -> str | None:
    """mdy or dmy from dates like 11/30/2026, when the file itself says which."""
    first_big = second_big = False
    for value in values:
        match = _OTHER_DATE.match(value.strip().split(" ")[0])
        if match and len(match[1]) <= 2:
            first_big |= int(match[1]) > 12
            second_big |= int(match[2]) > 12
    if first_big and not second_big:
        return "dmy"
    if second_big and not first_big:
        return "mdy"
    return None


def _naive(text: str, order: str | None) -> tuple[datetime, str | None]:
    """(naive datetime, offset text or None) from one cell (or 'date time')."""
    value = " ".join(text.strip().split())
    match = _ISO.match(value)
    if match:
        year, month, day, hour, minute, second, offset = match.groups()
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
        ), offset
    date_part, _, clock_part = value.partition(" ")
    clock = _CLOCK.match(clock_part.strip())
    if not clock:
        raise Invalid(f"cannot read the time {text!r}")
    year, month, day = _date_of(date_part, order, text)
    hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
    if clock[4]:
        if not 1 <= hour <= 12:
            raise Invalid(f"cannot read the time {text!r}")
        hour = hour % 12 + (12 if clock[4].lower().startswith("p") else 0)
    return datetime(year, month, day, hour, minute, second), None


@functools.lru_cache(maxsize=1024)
def _date_of(date_part: str, order: str | None, text: str) -> tuple[int, int, int]:
    """(year, month, day) of `11/30/2026`, `30.11.2026`, `2026/11/30` (a file repeats each
    date for every reading of the day, hence the cache)."""
    date_match = _OTHER_DATE.match(date_part)
    if not date_match:
        raise Invalid(f"cannot read the time {text!r}")
    a, b, c = date_match.groups()
    if len(a) == 4:
        return int(a), int(b), int(c)
    if order is None:
        raise Invalid(
            f"cannot tell whether {date_part} is month/day or day/month; "
            "say --date-order mdy or dmy"
        )
    first, second = int(a), int(b)
    month, day = (first, second) if order == "mdy" else (second, first)
    return int(c) + (2000 if len(c) == 2 else 0), month, day


def _offset(text: str) -> timezone:
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


class _Clock:
    """Wall-clock times in a zone to instants, reading a repeated hour in file order."""

    def __init__(self, tz):
        self.tz = tz
        self.previous: datetime | None = None
        # A logger writes a dozen or more rows an hour: an hour of the day that has one
        # offset throughout (neither skipped nor repeated) is looked up once.
        self.hours: dict[tuple, timedelta | None] = {}

    def _uniform_offset(self, naive: datetime) -> timedelta | None:
        key = (naive.year, naive.month, naive.day, naive.hour)
        if key not in self.hours:
            start = naive.replace(minute=0, second=0, microsecond=0)
            offsets = {
                moment.replace(tzinfo=self.tz, fold=fold).utcoffset()
                for moment in (start, start + timedelta(minutes=59, seconds=59))
                for fold in (0, 1)
            }
            self.hours[key] = offsets.pop() if len(offsets) == 1 else None
        return self.hours[key]

    def instant(self, naive: datetime) -> datetime:
        if not isinstance(self.tz, ZoneInfo):
            return naive.replace(tzinfo=self.tz).astimezone(UTC)
        offset = self._uniform_offset(naive)
        if offset is not None:
            self.previous = (naive - offset).replace(tzinfo=UTC)
            return self.previous
        first = naive.replace(tzinfo=self.tz, fold=0)
        second = naive.replace(tzinfo=self.tz, fold=1)
        if first.utcoffset() == second.utcoffset():
            chosen = first
        else:
            back = first.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None)
            if back != naive:
                raise Invalid(
                    f"{naive:%Y-%m-%d %H:%M} does not exist in {self.tz.key} (the clocks "
                    "sprang forward); if the logger keeps standard time all year, "
                    "give its offset, e.g. --zone UTC-05:00"
                )
            # The hour that happens twice: the second time through it is the later one.
            chosen = first
            if self.previous is not None and self.previous >= first.astimezone(UTC):
                chosen = second
        self.previous = chosen.astimezone(UTC)
        return self.previous


def parse(
    data: bytes,
    *,
    tz: ZoneInfo,
    band: tuple[int, int],
    time_column: str | None = None,
    date_column: str | None = None,
    temp_column: str | None = None,
    scale: str | None = None,
    zone: str | None = None,
    date_order: str | None = None,
) -> list[tuple[str, int]]:
    """(UTC instant text, hundredths of °C) for every reading of a logger file."""
    import csv
    import io

    text = decode(data, "the logger file")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    if not rows:
        raise Invalid("the logger file is empty")
    layout = _layout(
        rows, time_column=time_column, date_column=date_column, temp_column=temp_column
    )
    if scale is not None:
        scale = scale.strip().upper()[:1]
        if scale not in ("C", "F"):
            raise Invalid("--unit is C or F")
    scale = scale or _scale_of(layout.header[layout.temp])
    header_zone = _fixed_offset(layout.header[layout.time])
    clock = _Clock(header_zone or parse_zone(zone, tz))
    body = rows[layout.line :]
    if date_order is not None and date_order not in DATE_ORDERS:
        raise Invalid(f"--date-order is one of: {', '.join(DATE_ORDERS)}")

    def stamp(record):
        when = record[layout.time].strip()
        if layout.date is not None:
            when = f"{record[layout.date].strip()} {when}"
        return when

    cells = [record for record in body if any(cell.strip() for cell in record)]
    order = date_order or _date_order([stamp(r) for r in cells if len(r) > layout.time])
    readings: list[tuple[str, int]] = []
    seen: dict[str, int] = {}
    values: dict[str, int] = {}  # a logger repeats the same few hundred values
    widest = max(layout.time, layout.temp, layout.date or 0)
    line = layout.line
    try:
        for line, record in enumerate(body, start=layout.line + 1):  # noqa: B007
            if not any(cell.strip() for cell in record):
                continue
            if len(record) <= widest:
                raise Invalid(f"has {len(record)} fields, the header has {len(layout.header)}")
            value = record[layout.temp].strip()
            if not value or value.lower() in ("-", "n/a", "na", "--"):
                continue  # a logger writes an empty cell for a missed sample
            c100 = values.get(value)
            if c100 is None:
                number, own_scale = temps.split(value)
                use = own_scale or scale
                if use is None:
                    raise Invalid(
                        f"the temperature column {layout.header[layout.temp]!r} does not say "
                        "°C or °F; say --unit C or --unit F"
                    )
                c100 = values[value] = temps.to_c100(number, use)
            naive, offset = _naive(stamp(record), order)
            if offset:
                instant = naive.replace(tzinfo=_offset(offset)).astimezone(UTC)
                clock.previous = instant
            else:
                instant = clock.instant(naive)
            at = utc_text(instant)
            if at in seen:
                if seen[at] != c100:
                    raise Invalid(f"{at} is listed twice with different temperatures")
                continue
            seen[at] = c100
            readings.append((at, c100))
    except Invalid as error:
        raise Invalid(f"line {line}: {error.message}; nothing was imported") from error
    except (ValueError, OverflowError) as error:
        raise Invalid(f"line {line}: {error}; nothing was imported") from error
    if not readings:
        raise Invalid("the logger file has no readings")
    return readings


def import_file(
    store: Store,
    unit_name: str,
    data: bytes,
    *,
    file_name: str,
    user: str,
    now: datetime,
    tz: ZoneInfo,
    **options,
) -> dict:
    """Import a logger file into a unit's readings, idempotently; opens excursions."""
    from macli.qc import excursions, runs

    unit = units.get(store, unit_name)
    readings = parse(data, tz=tz, band=(unit["low_c100"], unit["high_c100"]), **options)
    latest = utc_text(now)
    if readings and max(at for at, _ in readings) > latest:
        raise Invalid("the file has readings after now; check the logger's clock or --zone")
    with store.write():
        before = store.scalar("SELECT COUNT(*) FROM qc_readings WHERE unit_id = ?", [unit["id"]])
        import_id = (store.scalar("SELECT MAX(id) FROM qc_imports") or 0) + 1
        # The import's own row is written after its readings, once it is known how many
        # were new (the log is append-only): its foreign key is checked at commit.
        store.execute("PRAGMA defer_foreign_keys = ON")
        store.conn.executemany(
            "INSERT INTO qc_readings (unit_id, at, c100, import_id) SELECT ?1, ?2, ?3, ?4"
            " WHERE NOT EXISTS (SELECT 1 FROM qc_readings WHERE unit_id = ?1 AND at = ?2)",
            ((unit["id"], at, c100, import_id) for at, c100 in readings),
        )
        added = (
            store.scalar("SELECT COUNT(*) FROM qc_readings WHERE unit_id = ?", [unit["id"]])
            - before
        )
        opened = []
        if added:
            first = min(at for at, _ in readings)
            last = max(at for at, _ in readings)
            store.insert(
                "qc_imports",
                {
                    "id": import_id,
                    "unit_id": unit["id"],
                    "file_name": file_name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "rows": len(readings),
                    "added": added,
                    "first_at": first,
                    "last_at": last,
                    "at": latest,
                    "user": user,
                },
            )
            opened = runs.from_readings(store, unit, first, last, user=user, now=now, tz=tz)
    return {
        "unit": unit["name"],
        "label": units.label(unit),
        "rows": len(readings),
        "added": added,
        "first": readings[0][0],
        "last": readings[-1][0],
        "excursions": [excursions.show(store, eid, tz=tz) for eid in opened],
    }
