"""RFC 5545 export of appointments with the `icalendar` library, streamed event by event."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Invalid
from macli.files import open_private
from macli.patients import providers
from macli.store import Store
from macli.when import day_start, utc_text

_STATUS_TEXT = {
    "scheduled": "scheduled",
    "arrived": "arrived",
    "in-room": "in the exam room",
    "completed": "completed",
    "no-show": "did not come",
    "left-without-visit": "left without being seen",
}


def export(
    store: Store,
    path: str | Path,
    *,
    first: date,
    last: date,
    provider_ref: str | None = None,
    with_reason: bool = False,
    clinic: str,
    tz: ZoneInfo,
    user: str,
    now: datetime,
) -> int:
    """Write the appointments (not cancelled) from `first` through `last` to `path` as
    one VCALENDAR (mode 0600, replaced whole); returns how many events were written.
    The export is audited."""
    import icalendar

    if last < first:
        raise Invalid(f"--to {last} is before --from {first}")
    clauses = ["a.starts_at >= ?", "a.starts_at < ?", "a.status != 'cancelled'"]
    params: list = [
        utc_text(day_start(first, tz)),
        utc_text(day_start(last + timedelta(days=1), tz)),
    ]
    if provider_ref:
        clauses.append("a.provider_id = ?")
        params.append(providers.resolve(store, provider_ref)["id"])
    domain = store.scalar("SELECT uid_domain FROM schedule_calendar")
    rows = store.iterate(
        "SELECT a.id, a.starts_at, a.ends_at, a.status, a.room, a.reason, a.updated_at,"
        " pr.name AS provider, pa.name AS patient, pa.mrn, t.name AS type"
        " FROM appointments a JOIN providers pr ON pr.id = a.provider_id"
        " JOIN patients pa ON pa.id = a.patient_id"
        " LEFT JOIN appointment_types t ON t.id = a.type_id"
        f" WHERE {' AND '.join(clauses)} ORDER BY a.starts_at, a.id",
        params,
    )

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//macli//schedule export//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{clinic} appointments")
    calendar.add("x-wr-timezone", tz.key)
    calendar.add_component(
        icalendar.Timezone.from_tzinfo(
            tz, first_date=first - timedelta(days=1), last_date=last + timedelta(days=2)
        )
    )
    # Written beside the target and renamed once audited: a failed export leaves no
    # half a calendar, and a reader of the old file never sees a partial one.
    partial = Path(f"{path}.partial")
    try:
        with open_private(partial) as out:
            count = _write(out, calendar, rows, domain, with_reason, tz, now, icalendar)
        audit.record(
            store,
            user=user,
            action="schedule.export",
            now=now,
            detail=f"{first}..{last} events={count}" + (" with reasons" if with_reason else ""),
        )
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise Invalid(f"cannot write {path}: {error.strerror or error}") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def _write(out, calendar, rows, domain, with_reason, tz, now, icalendar) -> int:
    # The calendar's own lines, then each event as it is read, then the closing line:
    # memory stays flat however many appointments a year holds.
    closing = "END:VCALENDAR\r\n"
    out.write(calendar.to_ical().decode("utf-8")[: -len(closing)])
    line, repeated = _line_builders(icalendar)
    stamp = line("DTSTAMP", now.astimezone(UTC))  # as Event.add stores DTSTAMP
    confirmed = line("STATUS", "CONFIRMED")

    def local(text):
        return datetime.fromisoformat(text).astimezone(tz)

    count = 0
    for row in rows:
        kind = f", {row['type']}" if row["type"] else ""
        description = [
            f"Provider: {row['provider']}",
            f"Patient: {row['patient']} ({row['mrn']})",
            f"Status: {_STATUS_TEXT[row['status']]}",
        ]
        if with_reason and row["reason"]:
            description.append(f"Reason: {row['reason']}")
        # The properties in the order icalendar's Event.to_ical() writes them (its
        # canonical order, then by name); a test checks the bytes are the same.
        lines = [
            "BEGIN:VEVENT",
            line("SUMMARY", f"{row['patient']}{kind}"),
            repeated("DTSTART", row["starts_at"], local),
            repeated("DTEND", row["ends_at"], local),
            stamp,
            line("UID", f"appointment-{row['id']}@{domain}"),
            repeated("CATEGORIES", row["provider"], lambda name: [name]),
            line("DESCRIPTION", "\n".join(description)),
            line("LAST-MODIFIED", datetime.fromisoformat(row["updated_at"])),
        ]
        if row["room"]:
            lines.append(repeated("LOCATION", row["room"], str))
        lines += [confirmed, "END:VEVENT", ""]
        out.write("\r\n".join(lines))
        count += 1
    out.write(closing)
    return count


def _line_builders(icalendar):
    """`line(name, value)`: one event property as iCalendar text, built by icalendar
    (the property type its Event.add would pick, escaping, parameters such as TZID,
    folding), without building an Event per appointment: Component.add and to_ical
    cost about half a millisecond per event, most of it bookkeeping and re-folding.
    `repeated(name, key, make)` keeps the lines of values many events share (start
    and end instants, providers, rooms) in a small cache."""
    from icalendar.parser import Contentline

    types = icalendar.Event.types_factory
    kinds: dict = {}

    def line(name, value):
        kind = kinds.get(name) or kinds.setdefault(name, types.for_property(name))
        prop = kind(value)
        text = Contentline.from_parts(name, prop.params, prop)
        # Lines under 75 octets are never folded; longer ones fold as icalendar folds.
        return text if len(text.encode("utf-8")) < 75 else text.to_ical().decode("utf-8")

    cache: dict = {}

    def repeated(name, key, make):
        found = cache.get((name, key))
        if found is None:
            if len(cache) >= 4096:
                cache.clear()
            found = cache[(name, key)] = line(name, make(key))
        return found

    return line, repeated
