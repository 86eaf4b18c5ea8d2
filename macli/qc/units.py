"""Storage units (vaccine fridges and freezers) and their start-of-day checks."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from macli.errors import Conflict, Invalid, NotFound
from macli.qc import temps
from macli.store import Store
from macli.when import local_text, utc_text

KINDS = ("fridge", "freezer")
# CDC's Vaccine Storage and Handling Toolkit: refrigerators 2 to 8 °C, freezers
# between -50 and -15 °C.
DEFAULT_RANGES = {"fridge": (200, 800), "freezer": (-5000, -1500)}
UNIT_COLUMNS = ("name", "kind", "range", "location", "last_check", "last_check_by")
_NAME = re.compile(r"^\S(.{0,38}\S)?$")


def clean_text(value: str | None, what: str, *, required: bool = True, longest: int = 200):
    """One line of text from an option: spaces collapsed, control characters refused."""
    if value is None:
        if required:
            raise Invalid(f"{what} is required")
        return None
    try:
        from macli.text import single_line  # the shared intake rule, where it exists
    except ImportError:
        single_line = None
    if single_line is not None:
        value = single_line(value, what)
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise Invalid(f"{what} may not contain control characters")
    value = " ".join(value.split())
    if not value and required:
        raise Invalid(f"{what} may not be empty")
    if len(value) > longest:
        raise Invalid(f"{what} is longer than {longest} characters")
    return value or None


def check_name(text: str, what: str = "a unit") -> str:
    name = clean_text(text, f"the name of {what}")
    if not _NAME.match(name):
        raise Invalid(f"cannot use {text!r} as the name of {what} (1 to 40 characters)")
    return name


def add(
    store: Store,
    name: str,
    *,
    kind: str,
    band: str | None = None,
    location: str | None = None,
    user: str,
    now: datetime,
) -> dict:
    """Add a storage unit; its range defaults to CDC's for the kind."""
    name = check_name(name)
    kind = (kind or "").strip().lower()
    if kind not in KINDS:
        raise Invalid(f"the kind must be one of: {', '.join(KINDS)}")
    low, high = temps.parse_range(band) if band else DEFAULT_RANGES[kind]
    location = clean_text(location, "the location", required=False, longest=80)
    with store.write():
        if store.scalar("SELECT 1 FROM qc_units WHERE name = ? COLLATE NOCASE", [name]):
            raise Conflict(f"there is already a unit called {name!r}")
        store.insert(
            "qc_units",
            {
                "name": name,
                "kind": kind,
                "low_c100": low,
                "high_c100": high,
                "location": location,
                "created_at": utc_text(now),
                "created_by": user,
            },
        )
    return get(store, name)


def get(store: Store, name: str) -> dict:
    """The unit with this name (any case)."""
    row = store.one("SELECT * FROM qc_units WHERE name = ? COLLATE NOCASE", [(name or "").strip()])
    if row is None:
        known = ", ".join(r["name"] for r in store.query("SELECT name FROM qc_units ORDER BY name"))
        raise NotFound(f"no storage unit {name!r} (units: {known or 'none yet'})")
    return row


def label(unit: dict) -> str:
    """`fridge 'Vaccines'`."""
    return f"{unit['kind']} '{unit['name']}'"


def listing(store: Store, *, tz: ZoneInfo) -> list[dict]:
    """Every unit with its range, stock location and latest check."""
    rows = store.query(
        "SELECT u.*, c.at AS last_at, c.user AS last_by FROM qc_units u"
        " LEFT JOIN qc_checks c ON c.id = (SELECT MAX(id) FROM qc_checks WHERE unit_id = u.id)"
        " ORDER BY u.name COLLATE NOCASE"
    )
    return [
        {
            "name": row["name"],
            "kind": row["kind"],
            "range": temps.range_text(row["low_c100"], row["high_c100"]),
            "location": row["location"],
            "last_check": local_text(row["last_at"], tz) if row["last_at"] else None,
            "last_check_by": row["last_by"],
        }
        for row in rows
    ]


def in_band(unit: dict, c100: int) -> bool:
    return unit["low_c100"] <= c100 <= unit["high_c100"]


def _band(unit: dict) -> tuple[int, int]:
    return unit["low_c100"], unit["high_c100"]


def record_check(
    store: Store,
    name: str,
    *,
    minimum: str,
    maximum: str,
    current: str | None = None,
    at: datetime | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
    amends: int | None = None,
    reason: str | None = None,
) -> dict:
    """Record the start-of-day check (min/max since the last reset); opens an excursion
    when either is out of the unit's range. Returns the check and any excursion."""
    from macli.qc import runs

    at = at or now
    if at > now:
        raise Invalid("a check cannot be recorded in the future")
    with store.write():
        unit = get(store, name)
        band = _band(unit)
        low = temps.parse(minimum, band=band)
        high = temps.parse(maximum, band=band)
        here = temps.parse(current, band=band) if current is not None else None
        if low > high:
            raise Invalid(f"the minimum {temps.text(low)} is above the maximum {temps.text(high)}")
        if here is not None and not low <= here <= high:
            raise Invalid(
                f"the current temperature {temps.text(here)} lies outside min and max"
                f" ({temps.text(low)} to {temps.text(high)})"
            )
        entered = f"min {minimum.strip()} max {maximum.strip()}" + (
            f" current {current.strip()}" if current is not None else ""
        )
        check_id = store.insert(
            "qc_checks",
            {
                "unit_id": unit["id"],
                "at": utc_text(at),
                "day": at.astimezone(tz).date().isoformat(),
                "min_c100": low,
                "max_c100": high,
                "current_c100": here,
                "entered": entered,
                "amends": amends,
                "reason": reason,
                "user": user,
                "recorded_at": utc_text(now),
            },
        )
        excursion = None
        if amends is None:
            excursion = runs.from_check(store, unit, check_id, user=user, now=now, tz=tz)
    return {
        "id": check_id,
        "unit": unit["name"],
        "label": label(unit),
        "at": local_text(at, tz),
        "min": temps.text(low),
        "max": temps.text(high),
        "current": temps.text(here) if here is not None else None,
        "in_range": all(in_band(unit, v) for v in (low, high)),
        "excursion": excursion,
    }


def amend_check(
    store: Store,
    check_id: int,
    *,
    minimum: str,
    maximum: str,
    current: str | None = None,
    reason: str,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Correct a check by a new row that amends it (the original stays in the log)."""
    reason = clean_text(reason, "the reason for the amendment (--reason)")
    with store.write():
        original = store.one("SELECT * FROM qc_checks WHERE id = ?", [check_id])
        if original is None:
            raise NotFound(f"no temperature check {check_id}")
        if store.scalar("SELECT 1 FROM qc_checks WHERE amends = ?", [check_id]):
            raise Conflict(f"check {check_id} was already amended; amend the newest version")
        unit = store.one("SELECT name FROM qc_units WHERE id = ?", [original["unit_id"]])
        return record_check(
            store,
            unit["name"],
            minimum=minimum,
            maximum=maximum,
            current=current,
            at=datetime.fromisoformat(original["at"].replace("Z", "+00:00")),
            user=user,
            now=now,
            tz=tz,
            amends=check_id,
            reason=reason,
        )


READING_COLUMNS = ("at", "kind", "min", "max", "current", "in_range", "by", "id", "note")


def readings(
    store: Store, name: str, *, since: datetime, until: datetime, tz: ZoneInfo
) -> list[dict]:
    """Checks (their newest version) and logged readings of a unit, oldest first."""
    unit = get(store, name)
    start, end = utc_text(since), utc_text(until)
    checks = store.query(
        "SELECT c.* FROM qc_checks c WHERE c.unit_id = ? AND c.at BETWEEN ? AND ?"
        " AND NOT EXISTS (SELECT 1 FROM qc_checks n WHERE n.amends = c.id) ORDER BY c.at, c.id",
        [unit["id"], start, end],
    )
    logged = store.query(
        "SELECT at, c100 FROM qc_readings WHERE unit_id = ? AND at BETWEEN ? AND ? ORDER BY at",
        [unit["id"], start, end],
    )
    rows = [
        {
            "at": check["at"],
            "kind": "check",
            "min_c100": check["min_c100"],
            "max_c100": check["max_c100"],
            "current_c100": check["current_c100"],
            "by": check["user"],
            "id": check["id"],
            "note": f"amends check {check['amends']}: {check['reason']}"
            if check["amends"]
            else None,
        }
        for check in checks
    ] + [
        {
            "at": row["at"],
            "kind": "logger",
            "min_c100": row["c100"],
            "max_c100": row["c100"],
            "current_c100": row["c100"],
            "by": None,
            "id": None,
            "note": None,
        }
        for row in logged
    ]
    rows.sort(key=lambda row: row["at"])
    for row in rows:
        row["in_range"] = (
            "yes" if all(in_band(unit, row[key]) for key in ("min_c100", "max_c100")) else "NO"
        )
    return rows


def reading_rows(rows: list[dict], tz: ZoneInfo) -> list[dict]:
    """Readings as shown: local times, temperatures in °C."""
    return [
        {
            "at": local_text(row["at"], tz),
            "kind": row["kind"],
            "min": temps.number(row["min_c100"]),
            "max": temps.number(row["max_c100"]),
            "current": temps.number(row["current_c100"])
            if row["current_c100"] is not None
            else None,
            "in_range": row["in_range"],
            "by": row["by"],
            "id": row["id"],
            "note": row["note"],
        }
        for row in rows
    ]
