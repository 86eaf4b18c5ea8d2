"""Booking: add, move, cancel and check in appointments without double-booking the
provider, the patient or the room. Every check and its write are one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Conflict, Invalid, NotFound
from macli.patients import core as patients
from macli.patients import providers
from macli.schedule import catalog
from macli.schedule.hours import earliest_start, get_hours, hours_text, within_hours
from macli.schedule.recurrence import expand
from macli.store import Store
from macli.text import clean as clean_input
from macli.when import WEEKDAYS, local_text, localize, parse_datetime, utc_text

# Statuses set by `schedule status`; `cancelled` has its own command.
CHECK_IN_STATUSES = (
    "scheduled",
    "arrived",
    "in-room",
    "completed",
    "no-show",
    "left-without-visit",
)


@dataclass
class Slot:
    """One appointment to be written (or moved): its span and who and where."""

    starts: datetime
    ends: datetime
    provider: dict
    patient_id: int
    room: str | None
    moving_id: int | None = None


# Clinics book a year ahead (a yearly physical); past this a date is likely a typo (2099).
FAR_AHEAD = timedelta(days=548)


def add(
    store: Store,
    patient_ref: str,
    provider_ref: str,
    at: str,
    *,
    minutes: int | None = None,
    type_ref: str | None = None,
    room: str | None = None,
    reason: str | None = None,
    repeat: str | None = None,
    force_why: str | None = None,
    confirm: bool = False,
    tz: ZoneInfo,
    user: str,
    now: datetime,
) -> dict:
    """Book one appointment, or a whole series with `repeat` (an RRULE); returns the new
    ids and, when forced, the conflicts that were overridden. A start more than
    FAR_AHEAD away is taken for a typo unless `confirm`."""
    starts = parse_datetime(at, tz, now)
    if starts - now > FAR_AHEAD and not confirm:
        years = (starts - now).days / 365.25
        away = f"{years:.0f} years" if years >= 2 else f"{(starts - now).days} days"
        raise Invalid(
            f"{starts.astimezone(tz):%Y-%m-%d %H:%M} is {away} away; check the date, or add"
            " --confirm to book it"
        )
    reason = (clean_input(reason, "the reason") or "").strip() or None
    with store.write():
        patient = patients.resolve(store, patient_ref)
        provider = _bookable_provider(store, provider_ref)
        kind = catalog.resolve_type(store, type_ref) if type_ref else None
        if minutes is None and kind is None:
            raise Invalid("give --duration MINUTES or --type TYPE")
        length = timedelta(
            minutes=catalog.check_minutes(
                minutes if minutes is not None else kind["duration_minutes"]
            )
        )
        room_name = catalog.resolve_room(store, room) if room else None
        firsts = [starts] if repeat is None else _series_starts(repeat, starts, tz)
        slots = [
            Slot(first, first + length, provider, patient["id"], room_name) for first in firsts
        ]
        conflicts = _conflicts(store, slots, tz, now)
        _refuse_unless_forced(conflicts, force_why, len(slots))
        stamp = utc_text(now)
        ids = []
        for slot in slots:
            ids.append(
                store.insert(
                    "appointments",
                    {
                        "patient_id": patient["id"],
                        "provider_id": provider["id"],
                        "type_id": kind["id"] if kind else None,
                        "starts_at": utc_text(slot.starts),
                        "ends_at": utc_text(slot.ends),
                        "room": room_name,
                        "reason": reason,
                        "status": "scheduled",
                        "status_at": stamp,
                        "series_id": ids[0] if ids else None,
                        "created_at": stamp,
                        "created_by": user,
                        "updated_at": stamp,
                    },
                )
            )
        if len(ids) > 1:
            store.execute("UPDATE appointments SET series_id = ? WHERE id = ?", [ids[0], ids[0]])
        detail = f"appointment {ids[0]}" if len(ids) == 1 else f"series {ids[0]}..{ids[-1]}"
        audit.record(
            store,
            user=user,
            action="schedule.add",
            now=now,
            patient_id=patient["id"],
            detail=_with_force(detail, conflicts, force_why),
        )
    return {"ids": ids, "overridden": conflicts}


def move(
    store: Store,
    appointment_id: int,
    at: str,
    *,
    provider_ref: str | None = None,
    series: bool = False,
    force_why: str | None = None,
    tz: ZoneInfo,
    user: str,
    now: datetime,
) -> dict:
    """Move an appointment (keeping its length), or with `series` it and every later
    occurrence by the same shift in local time; returns the moved ids."""
    starts = parse_datetime(at, tz, now)
    with store.write():
        appointment = _scheduled(store, appointment_id, "moved")
        provider = (
            _bookable_provider(store, provider_ref)
            if provider_ref
            else providers.get(store, appointment["provider_id"])
        )
        rows = _series_from(store, appointment) if series else [appointment]
        shift = _wall(starts, tz) - _wall(appointment["starts_at"], tz)
        slots = []
        for row in rows:
            if row["id"] == appointment["id"]:
                new_start = starts
            else:
                new_start = _shifted(row["starts_at"], shift, tz)
            length = _instant(row["ends_at"]) - _instant(row["starts_at"])
            slots.append(
                Slot(
                    new_start,
                    new_start + length,
                    provider,
                    row["patient_id"],
                    row["room"],
                    row["id"],
                )
            )
        conflicts = _conflicts(store, slots, tz, now)
        _refuse_unless_forced(conflicts, force_why, len(slots))
        stamp = utc_text(now)
        for slot in slots:
            store.execute(
                "UPDATE appointments SET starts_at = ?, ends_at = ?, provider_id = ?,"
                " updated_at = ? WHERE id = ?",
                [utc_text(slot.starts), utc_text(slot.ends), provider["id"], stamp, slot.moving_id],
            )
        ids = [slot.moving_id for slot in slots]
        audit.record(
            store,
            user=user,
            action="schedule.move",
            now=now,
            patient_id=appointment["patient_id"],
            detail=_with_force(ids_text(ids), conflicts, force_why),
        )
    return {"ids": ids, "overridden": conflicts}


def cancel(
    store: Store,
    appointment_id: int,
    *,
    reason: str | None = None,
    series: bool = False,
    user: str,
    now: datetime,
) -> list[int]:
    """Cancel an appointment (or it and the later ones of its series); the rows stay,
    the time is free again. Returns the cancelled ids."""
    with store.write():
        appointment = _scheduled(store, appointment_id, "cancelled")
        rows = _series_from(store, appointment) if series else [appointment]
        ids = [row["id"] for row in rows]
        stamp = utc_text(now)
        store.conn.executemany(
            "UPDATE appointments SET status = 'cancelled', status_at = ?, cancel_reason = ?,"
            " updated_at = ? WHERE id = ?",
            [
                (stamp, (clean_input(reason, "the reason") or "").strip() or None, stamp, row_id)
                for row_id in ids
            ],
        )
        audit.record(
            store,
            user=user,
            action="schedule.cancel",
            now=now,
            patient_id=appointment["patient_id"],
            detail=ids_text(ids),
        )
    return ids


# Where a visit may go next from each status: the visit's real life, plus undoing a
# mistaken step. A completed visit is left only by a correction (`reason`), and never
# while a claim stands on it (bill's trigger refuses that whatever code runs).
NEXT_STATUSES = {
    "scheduled": ("arrived", "in-room", "completed", "no-show", "left-without-visit"),
    "arrived": ("in-room", "completed", "left-without-visit", "scheduled"),
    "in-room": ("completed", "left-without-visit", "arrived", "scheduled"),
    "no-show": ("arrived", "scheduled"),
    "left-without-visit": ("arrived", "in-room", "scheduled"),
    "completed": (),
}


def set_status(
    store: Store,
    appointment_id: int,
    status: str,
    *,
    reason: str | None = None,
    tz: ZoneInfo,
    user: str,
    now: datetime,
) -> dict:
    """Record check-in progress (arrived, in-room, completed, no-show, left-without-visit,
    or back a step to undo a mistake), timestamped. A completed visit changes only as a
    correction with a reason, and not while a claim stands on it."""
    if status not in CHECK_IN_STATUSES:
        raise Invalid(f"unknown status {status!r} (use {', '.join(CHECK_IN_STATUSES)})")
    reason = (reason or "").strip() or None
    with store.write():
        appointment = get(store, appointment_id)
        current = appointment["status"]
        if current == "cancelled":
            raise Conflict(f"appointment {appointment_id} is cancelled; book a new one instead")
        if current == status:
            raise Invalid(f"appointment {appointment_id} is already {status}")
        if current == "completed" and reason is None:
            raise Invalid(
                f"appointment {appointment_id} is completed; correcting it needs a reason"
                f" (macli schedule status {appointment_id} {status} --reason ...)"
            )
        if current != "completed" and status not in NEXT_STATUSES[current]:
            allowed = NEXT_STATUSES[current]
            raise Invalid(
                f"appointment {appointment_id} is {current}: it can go to "
                f"{', '.join(allowed[:-1])} or {allowed[-1]}, not {status}"
            )
        starts = _instant(appointment["starts_at"])
        if status != "scheduled" and starts.astimezone(tz).date() > now.astimezone(tz).date():
            raise Invalid(
                f"appointment {appointment_id} is on {starts.astimezone(tz):%Y-%m-%d};"
                f" it cannot be marked {status} before that day"
            )
        if status == "no-show" and starts > now:
            raise Invalid(
                f"appointment {appointment_id} starts at {local_text(starts, tz)};"
                " it cannot be marked no-show before then"
            )
        stamp = utc_text(now)
        try:
            store.execute(
                "UPDATE appointments SET status = ?, status_at = ?, updated_at = ? WHERE id = ?",
                [status, stamp, stamp, appointment_id],
            )
        except Conflict as error:
            # The store's own guard (a claim stands on the visit): say which visit.
            message = error.message.removeprefix("refused by the store: ")
            raise Conflict(f"appointment {appointment_id}: {message}") from None
        if current == "completed":
            store.insert(
                "appointment_corrections",
                {
                    "appointment_id": appointment_id,
                    "from_status": current,
                    "to_status": status,
                    "reason": reason,
                    "at": stamp,
                    "user": user,
                },
            )
        audit.record(
            store,
            user=user,
            action="schedule.status",
            now=now,
            patient_id=appointment["patient_id"],
            detail=f"appointment {appointment_id}: {current} -> {status}"
            + (" (correction)" if current == "completed" else ""),
        )
    return get(store, appointment_id)


def get(store: Store, appointment_id: int) -> dict:
    """One appointment row by id."""
    row = store.one("SELECT * FROM appointments WHERE id = ?", [appointment_id])
    if row is None:
        raise NotFound(f"no appointment with id {appointment_id}")
    return row


# -- conflicts -------------------------------------------------------------------------


def _conflicts(store: Store, slots: list[Slot], tz: ZoneInfo, now: datetime) -> list[str]:
    """Every reason the slots cannot be booked as they are, one line each."""
    problems = []
    moving = [slot.moving_id for slot in slots if slot.moving_id is not None]
    hours_by_provider: dict[int, dict] = {}
    ordered = sorted(slots, key=lambda slot: slot.starts)
    for previous, slot in zip(ordered, ordered[1:], strict=False):
        if slot.starts < previous.ends:
            problems.append(
                f"{_span(slot, tz)}: overlaps the series' own {local_text(previous.starts, tz)}"
            )
    for slot in slots:
        span = _span(slot, tz)
        if slot.starts < now:
            problems.append(f"{span}: starts in the past")
        provider = slot.provider
        if provider["id"] not in hours_by_provider:
            hours_by_provider[provider["id"]] = get_hours(store, provider["id"])
        hours = hours_by_provider[provider["id"]]
        if hours and not within_hours(hours, utc_text(slot.starts), utc_text(slot.ends), tz):
            day = slot.starts.astimezone(tz).weekday()
            worked = hours_text({day: hours[day]}) if day in hours else f"{WEEKDAYS[day]} off"
            problems.append(f"{span}: outside {provider['name']}'s working hours ({worked})")
        for block in store.query(
            "SELECT id, starts_at, ends_at, reason FROM schedule_blocks WHERE provider_id = ?"
            " AND ends_at > ? AND starts_at < ? ORDER BY starts_at",
            [provider["id"], utc_text(slot.starts), utc_text(slot.ends)],
        ):
            why = f" ({block['reason']})" if block["reason"] else ""
            problems.append(
                f"{span}: {provider['name']} is blocked {local_text(block['starts_at'], tz)}"
                f" to {local_text(block['ends_at'], tz)}{why} (block {block['id']})"
            )
        overlaps = [("provider_id", provider["id"]), ("patient_id", slot.patient_id)]
        if slot.room:
            overlaps.append(("room", slot.room))
        seen = set()
        for column, value in overlaps:
            for other in _overlapping(store, column, value, slot, moving):
                if other["id"] in seen:
                    continue
                seen.add(other["id"])
                problems.append(f"{span}: {_clash(column, other, provider, slot, tz)}")
    return problems


def _overlapping(store: Store, column: str, value, slot: Slot, moving: list[int]) -> list[dict]:
    # `column` comes from the code above, never from input.
    exclude = f" AND a.id NOT IN ({', '.join('?' for _ in moving)})" if moving else ""
    return store.query(
        "SELECT a.id, a.starts_at, a.ends_at, a.room, p.name AS provider"
        " FROM appointments a JOIN providers p ON p.id = a.provider_id"
        f" WHERE a.{column} = ? AND a.starts_at >= ? AND a.starts_at < ? AND a.ends_at > ?"
        f" AND a.status != 'cancelled'{exclude} ORDER BY a.starts_at",
        [value, earliest_start(slot.starts), utc_text(slot.ends), utc_text(slot.starts), *moving],
    )


def _clash(column: str, other: dict, provider: dict, slot: Slot, tz: ZoneInfo) -> str:
    when = f"{local_text(other['starts_at'], tz)}-{local_text(other['ends_at'], tz)[11:]}"
    if column == "provider_id":
        return f"{provider['name']} already has appointment {other['id']} ({when})"
    booked = f"appointment {other['id']} ({when} with {other['provider']})"
    if column == "patient_id":
        return f"the patient already has {booked}"
    return f"room {slot.room} is taken by {booked}"


def _refuse_unless_forced(conflicts: list[str], force_why: str | None, count: int) -> None:
    if not conflicts or force_why is not None:
        return
    what = "the appointment" if count == 1 else f"the series of {count} appointments"
    listing = "\n  ".join(conflicts)
    raise Conflict(
        f"cannot book {what}:\n  {listing}\nNothing was booked. To book anyway: --force --why TEXT"
    )


def _with_force(detail: str, conflicts: list[str], force_why: str | None) -> str:
    if not conflicts:
        return detail
    return f"{detail}; forced past {len(conflicts)} conflict(s): {force_why}"


# -- helpers ---------------------------------------------------------------------------


def _bookable_provider(store: Store, reference: str) -> dict:
    provider = providers.resolve(store, reference)
    if not provider["active"]:
        raise Invalid(f"{provider['name']} is no longer active")
    return provider


def _scheduled(store: Store, appointment_id: int, verb: str) -> dict:
    appointment = get(store, appointment_id)
    if appointment["status"] != "scheduled":
        raise Conflict(
            f"appointment {appointment_id} is {appointment['status']};"
            f" only scheduled appointments can be {verb}"
        )
    return appointment


def _series_from(store: Store, appointment: dict) -> list[dict]:
    """This appointment and the later scheduled occurrences of its series."""
    if appointment["series_id"] is None:
        return [appointment]
    return store.query(
        "SELECT * FROM appointments WHERE series_id = ? AND starts_at >= ?"
        " AND status = 'scheduled' ORDER BY starts_at",
        [appointment["series_id"], appointment["starts_at"]],
    )


def _series_starts(rule: str, starts: datetime, tz: ZoneInfo) -> list[datetime]:
    first = _wall(starts, tz)
    instants = []
    for wall in expand(rule, first, tz):
        try:
            instants.append(starts if wall == first else localize(wall, tz))
        except Invalid as error:
            raise Invalid(f"an occurrence of the series: {error.message}") from error
    return instants


def _span(slot: Slot, tz: ZoneInfo) -> str:
    return f"{local_text(slot.starts, tz)}-{local_text(slot.ends, tz)[11:]}"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _wall(instant: datetime | str, tz: ZoneInfo) -> datetime:
    if isinstance(instant, str):
        instant = _instant(instant)
    return instant.astimezone(tz).replace(tzinfo=None)


def _shifted(starts_at: str, shift: timedelta, tz: ZoneInfo) -> datetime:
    try:
        return localize(_wall(starts_at, tz) + shift, tz)
    except Invalid as error:
        raise Invalid(f"an occurrence of the series: {error.message}") from error


def ids_text(ids: list[int]) -> str:
    """`appointment 12` or `appointments 12, 13, 14`."""
    if len(ids) == 1:
        return f"appointment {ids[0]}"
    return "appointments " + ", ".join(str(i) for i in ids)
