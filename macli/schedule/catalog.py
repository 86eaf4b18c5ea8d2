"""Appointment types (with default lengths) and rooms: the lists bookings pick from."""

from __future__ import annotations

from macli.errors import Conflict, Invalid, NotFound
from macli.schedule.hours import MAX_MINUTES
from macli.store import Store

TYPE_COLUMNS = ("id", "name", "duration_minutes", "active")
ROOM_COLUMNS = ("id", "name", "active")


def check_minutes(minutes: int) -> int:
    """An appointment length in whole minutes, 5 to MAX_MINUTES."""
    if not 5 <= minutes <= MAX_MINUTES:
        raise Invalid(f"a length of {minutes} minutes is not possible (use 5 to {MAX_MINUTES})")
    return minutes


def _name(text: str, what: str) -> str:
    name = " ".join((text or "").split())
    if not name or len(name) > 80:
        raise Invalid(f"a {what} name must have between 1 and 80 characters")
    return name


def types(store: Store, *, include_inactive: bool = False) -> list[dict]:
    """Appointment types with their default lengths."""
    where = "" if include_inactive else "WHERE active = 1"
    return store.query(
        f"SELECT {', '.join(TYPE_COLUMNS)} FROM appointment_types {where} ORDER BY name"
    )


def add_type(store: Store, name: str, minutes: int) -> dict:
    """Add an appointment type; names are unique whatever their case."""
    name = _name(name, "type")
    with store.write():
        twin = store.one("SELECT name FROM appointment_types WHERE lower(name) = lower(?)", [name])
        if twin:
            raise Conflict(f"an appointment type named {twin['name']!r} already exists")
        type_id = store.insert(
            "appointment_types",
            {"name": name, "duration_minutes": check_minutes(minutes), "active": 1},
        )
    return store.one("SELECT * FROM appointment_types WHERE id = ?", [type_id])


def edit_type(
    store: Store, reference: str, *, minutes: int | None = None, active: bool | None = None
) -> dict:
    """Change a type's default length or retire it (booked appointments keep their type)."""
    changes = {}
    if minutes is not None:
        changes["duration_minutes"] = check_minutes(minutes)
    if active is not None:
        changes["active"] = int(active)
    if not changes:
        raise Invalid("nothing to change: give --duration, --active or --inactive")
    with store.write():
        row = resolve_type(store, reference, include_inactive=True)
        assignments = ", ".join(f"{column} = ?" for column in changes)
        store.execute(
            f"UPDATE appointment_types SET {assignments} WHERE id = ?",
            [*changes.values(), row["id"]],
        )
    return store.one("SELECT * FROM appointment_types WHERE id = ?", [row["id"]])


def resolve_type(store: Store, reference: str, *, include_inactive: bool = False) -> dict:
    """The type an id, a name (any case) or the start of one name points at."""
    text = " ".join(str(reference).split()).lower()
    if not text:
        raise Invalid("no appointment type given")
    rows = store.query("SELECT * FROM appointment_types ORDER BY name")
    matches = [r for r in rows if str(r["id"]) == text or r["name"].lower() == text]
    if not matches:
        matches = [r for r in rows if r["name"].lower().startswith(text)]
    if not matches:
        known = ", ".join(r["name"] for r in rows if r["active"]) or "none yet"
        raise NotFound(f"no appointment type {reference!r} (known: {known})")
    if len(matches) > 1:
        names = ", ".join(r["name"] for r in matches)
        raise Invalid(f"{reference!r} matches several appointment types: {names}")
    row = matches[0]
    if not row["active"] and not include_inactive:
        raise Invalid(f"the appointment type {row['name']!r} is retired")
    return row


def rooms(store: Store) -> list[dict]:
    """The clinic's rooms."""
    return store.query(f"SELECT {', '.join(ROOM_COLUMNS)} FROM rooms ORDER BY name")


def add_room(store: Store, name: str) -> dict:
    """Add a room that appointments can be booked into."""
    name = _name(name, "room")
    with store.write():
        twin = store.one("SELECT name FROM rooms WHERE name = ?", [name])
        if twin:
            raise Conflict(f"a room named {twin['name']!r} already exists")
        room_id = store.insert("rooms", {"name": name, "active": 1})
    return store.one("SELECT * FROM rooms WHERE id = ?", [room_id])


def resolve_room(store: Store, reference: str) -> str:
    """The room's name as registered (matching ignores case)."""
    name = " ".join((reference or "").split())
    row = store.one("SELECT name, active FROM rooms WHERE name = ?", [name])
    if row is None:
        known = ", ".join(r["name"] for r in rooms(store) if r["active"]) or "none yet"
        raise NotFound(
            f"no room {name!r} (known: {known}; add one with: macli schedule room add NAME)"
        )
    if not row["active"]:
        raise Invalid(f"the room {row['name']!r} is out of use")
    return row["name"]


def edit_room(store: Store, reference: str, *, active: bool) -> dict:
    """Take a room out of use (or back); its past appointments keep its name."""
    with store.write():
        row = store.one("SELECT * FROM rooms WHERE name = ?", [" ".join(reference.split())])
        if row is None:
            raise NotFound(f"no room {reference!r}")
        store.execute("UPDATE rooms SET active = ? WHERE id = ?", [int(active), row["id"]])
    return store.one("SELECT * FROM rooms WHERE id = ?", [row["id"]])
