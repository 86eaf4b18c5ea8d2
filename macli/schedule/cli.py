"""`macli schedule ...`: book, move, cancel and check in appointments; day and week
sheets; free-slot search; working hours, blocks, types, rooms; calendar export."""

from __future__ import annotations

from datetime import timedelta

import click

from macli.cli import pass_app
from macli.options import option_stack
from macli.output import format_option, render, render_record
from macli.schedule import core, setup_cli, sheets
from macli.when import local_text, parse_date

_LENGTH_OPTIONS = [
    click.option(
        "--duration",
        "minutes",
        type=int,
        metavar="MINUTES",
        help="Length in minutes (overrides the type's default).",
    ),
    click.option("--type", "type_ref", metavar="TYPE", help="Appointment type, e.g. follow-up."),
]
_FORCE_OPTIONS = [
    click.option("--force", is_flag=True, help="Book despite conflicts (needs --why)."),
    click.option(
        "--why", metavar="TEXT", help="Why the conflict is accepted; goes to the audit log."
    ),
]


def _force_reason(force: bool, why: str | None) -> str | None:
    why = (why or "").strip()
    if force and not why:
        raise click.UsageError("--force needs --why TEXT: say why the conflict is accepted")
    if why and not force:
        raise click.UsageError("--why goes with --force")
    return why if force else None


def _require_length(minutes: int | None, type_ref: str | None) -> None:
    # A missing option is a usage mistake (exit 2), caught before the store is opened.
    if minutes is None and not type_ref:
        raise click.UsageError("give --duration MINUTES or --type TYPE")


def _day(app, text: str | None):
    return parse_date(text, app.today) if text else app.today


def _report_overridden(result: dict) -> None:
    for line in result["overridden"]:
        click.echo(f"Booked despite: {line}", err=True)


@click.group()
def schedule():
    """Book appointments that never double-book; day sheets, free slots.

    Nothing overlaps for the same provider, patient or room. Times are read in the clinic's time zone: '2026-12-01 09:30', 'tomorrow 9:30',
    'mon 14:00', '+2d 10:00'. PATIENT is an MRN or part of a name; PROVIDER an id or
    part of a name.
    """


@schedule.command("add")
@click.argument("patient")
@click.option("--provider", "provider_ref", required=True, help="Who sees the patient.")
@click.option("--at", "at", required=True, metavar="DATETIME", help="When it starts.")
@option_stack(_LENGTH_OPTIONS)
@click.option("--room", help="Room (see: macli schedule rooms).")
@click.option("--reason", help="Reason for the visit (kept out of calendar exports).")
@click.option(
    "--repeat", metavar="RRULE", help="Book a series: FREQ=WEEKLY;COUNT=6 (an iCalendar RRULE)."
)
@option_stack(_FORCE_OPTIONS)
@click.option(
    "--confirm", is_flag=True, help="Book a start more than 18 months away (checked first)."
)
@click.option("-q", "--quiet", is_flag=True, help="Print only the id(s), one per line.")
@format_option(
    formats=("text", "json"),
    default="text",
    help="A line per booking for people, or the bookings as JSON.",
)
@pass_app
def add_command(
    app,
    patient,
    provider_ref,
    at,
    minutes,
    type_ref,
    room,
    reason,
    repeat,
    force,
    why,
    confirm,
    quiet,
    fmt,
):
    """Book an appointment and say what was booked: who, when, with whom, where.

    A series prints one line per appointment. Scripts take the bare id(s) from
    --quiet, or every field from -f json.

    Refused when it overlaps another appointment of the provider, the patient
    or the room, falls outside the provider's working hours or inside a block;
    a series is checked whole and refused whole.

    \b
    Example:
        macli schedule add P000012 --provider chen --at "tomorrow 9:30" --type follow-up
        macli schedule add "ana garcia" --provider chen --at "2026-12-01 10:00" \\
            --duration 30 --room "Exam 2" --repeat "FREQ=WEEKLY;COUNT=6"
        id=$(macli schedule add P000012 --provider chen --at "mon 9:00" --type vaccine -q)
    """
    _require_length(minutes, type_ref)
    result = core.add(
        app.store,
        patient,
        provider_ref,
        at,
        minutes=minutes,
        type_ref=type_ref,
        room=room,
        reason=reason,
        repeat=repeat,
        force_why=_force_reason(force, why),
        confirm=confirm,
        tz=app.zone,
        user=app.user,
        now=app.now,
    )
    _report_overridden(result)
    if quiet:
        for appointment_id in result["ids"]:
            click.echo(appointment_id)
        return
    rows = sheets.booked(app.store, result["ids"], tz=app.zone)
    if fmt == "json":
        render(rows, "json", columns=sheets.LIST_DATA_COLUMNS)
        return
    for row in rows:
        click.echo(sheets.booking_text(row))


@schedule.command("list")
@click.option("--date", "on", metavar="DATE", help="One day (default: today).")
@click.option("--from", "first", metavar="DATE", help="From this day on.")
@click.option("--to", "last", metavar="DATE", help="Through this day.")
@click.option("--provider", "provider_ref", help="Only this provider.")
@click.option("--patient", "patient_ref", help="Only this patient (all dates unless given).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(core.CHECK_IN_STATUSES + ("cancelled",)),
    help="Only these statuses (repeat the option for several).",
)
@format_option
@pass_app
def list_command(app, on, first, last, provider_ref, patient_ref, statuses, fmt):
    """List appointments: today's, one day's, or a range.

    \b
    Example:
        macli schedule list
        macli schedule list --date tomorrow --provider chen
        macli schedule list --patient P000012
        macli schedule list --from 2026-11-01 --to 2026-11-30 --status no-show -f csv
    """
    if on and (first or last):
        raise click.UsageError("give --date or --from/--to, not both")
    if on:
        first_day = last_day = _day(app, on)
    elif first or last:
        first_day = _day(app, first) if first else None
        last_day = _day(app, last) if last else None
    elif patient_ref:
        first_day = last_day = None
    else:
        first_day = last_day = app.today
    rows = sheets.appointments(
        app.store,
        first=first_day,
        last=last_day,
        provider_ref=provider_ref,
        patient_ref=patient_ref,
        statuses=statuses,
        tz=app.zone,
        user=app.user,
        now=app.now,
    )
    columns = sheets.LIST_COLUMNS if fmt == "table" else sheets.LIST_DATA_COLUMNS
    render(rows, fmt, columns=columns, empty="No appointments.")


@schedule.command("show")
@click.argument("appointment_id", metavar="ID", type=int)
@format_option
@pass_app
def show_command(app, appointment_id, fmt):
    """Show one appointment.

    \b
    Example:
        macli schedule show 42
    """
    record = sheets.show(app.store, appointment_id, tz=app.zone, user=app.user, now=app.now)
    render_record(record, fmt)


@schedule.command("day")
@click.argument("day", required=False, metavar="[DATE]")
@click.option("--provider", "provider_ref", help="Only this provider.")
@format_option
@pass_app
def day_command(app, day, provider_ref, fmt):
    """The day sheet per provider: appointments, blocks and open gaps.

    DATE defaults to today ('tomorrow', 'mon', '+2d' and YYYY-MM-DD work).

    \b
    Example:
        macli schedule day
        macli schedule day tomorrow --provider chen
    """
    on = _day(app, day)
    sections = sheets.day_schedule(
        app.store, on, provider_ref, tz=app.zone, user=app.user, now=app.now
    )
    if fmt != "table":
        rows = [row for section in sections for row in section["rows"]]
        render(rows, fmt, columns=sheets.DAY_DATA_COLUMNS)
        return
    if not sections:
        click.echo(f"Nobody works or is booked on {on:%a %Y-%m-%d}.")
    for number, section in enumerate(sections):
        if number:
            click.echo()
        click.echo(f"{section['provider']} · {on:%a %Y-%m-%d} · {section['hours']}")
        shown = [
            {**row, "status": f"{row['status']}, {row['arrival']}"} if row.get("arrival") else row
            for row in section["rows"]
        ]
        render(shown, fmt, columns=sheets.DAY_COLUMNS, empty="Nothing booked.")


@schedule.command("week")
@click.argument("day", required=False, metavar="[DATE]")
@click.option("--provider", "provider_ref", help="Only this provider.")
@format_option
@pass_app
def week_command(app, day, provider_ref, fmt):
    """The week around DATE: booked and open time per day.

    Monday to Sunday, one row per provider and day (names no patient).

    \b
    Example:
        macli schedule week
        macli schedule week +1w --provider chen
    """
    rows = sheets.week(app.store, _day(app, day), provider_ref, tz=app.zone)
    render(rows, fmt, columns=sheets.WEEK_COLUMNS, empty="Nobody works or is booked that week.")


@schedule.command("free")
@click.option(
    "--provider", "provider_ref", help="Whose time to search (default: everyone's first few)."
)
@click.option("--date", "on", metavar="DATE", help="First day to search (default: today).")
@option_stack(_LENGTH_OPTIONS)
@click.option("--days", type=int, default=1, show_default=True, help="How many days to search.")
@format_option
@pass_app
def free_command(app, provider_ref, on, minutes, type_ref, days, fmt):
    """Find open time in a provider's working hours, or anyone's.

    Lists every open stretch at least as long as the visit, outside bookings
    and blocks, and never before now. Without --provider: each provider's
    first three. When nothing is found it says which days were searched.

    \b
    Example:
        macli schedule free --provider chen --date tomorrow --type "new patient"
        macli schedule free --provider chen --date mon --duration 30 --days 5
        macli schedule free --date today --type "sick visit"
    """
    _require_length(minutes, type_ref)
    rows = sheets.free(
        app.store,
        provider_ref,
        _day(app, on),
        minutes=minutes,
        type_ref=type_ref,
        days=days,
        tz=app.zone,
        now=app.now,
    )
    first = _day(app, on)
    last = first + timedelta(days=days - 1)
    searched = f"{first:%a %Y-%m-%d}" + (f" to {last:%a %Y-%m-%d}" if days > 1 else "")
    render(
        rows,
        fmt,
        columns=sheets.FREE_COLUMNS,
        empty=f"No open time found on {searched}; search more days with --days N.",
    )


@schedule.command("move")
@click.argument("appointment_id", metavar="ID", type=int)
@click.option("--at", "at", required=True, metavar="DATETIME", help="The new start.")
@click.option("--provider", "provider_ref", help="Hand the appointment to another provider.")
@click.option("--series", is_flag=True, help="Also shift every later occurrence of its series.")
@option_stack(_FORCE_OPTIONS)
@pass_app
def move_command(app, appointment_id, at, provider_ref, series, force, why):
    """Move an appointment; it keeps its length, room and patient.

    \b
    Example:
        macli schedule move 42 --at "2026-12-02 14:00"
        macli schedule move 42 --at "thu 9:00" --series
    """
    result = core.move(
        app.store,
        appointment_id,
        at,
        provider_ref=provider_ref,
        series=series,
        force_why=_force_reason(force, why),
        tz=app.zone,
        user=app.user,
        now=app.now,
    )
    _report_overridden(result)
    click.echo(f"Moved {core.ids_text(result['ids'])}.")


@schedule.command("cancel")
@click.argument("appointment_id", metavar="ID", type=int)
@click.option("--reason", help="Why it was cancelled.")
@click.option("--series", is_flag=True, help="Also cancel every later occurrence of its series.")
@pass_app
def cancel_command(app, appointment_id, reason, series):
    """Cancel an appointment; its time is free again, the record stays.

    \b
    Example:
        macli schedule cancel 42 --reason "patient called, feeling better"
        macli schedule cancel 42 --series
    """
    ids = core.cancel(
        app.store, appointment_id, reason=reason, series=series, user=app.user, now=app.now
    )
    click.echo(f"Cancelled {core.ids_text(ids)}.")


@schedule.command("status")
@click.argument("appointment_id", metavar="ID", type=int)
# STATUS in the usage line: the choices are in the help, and listed in the usage they
# wrapped mid-word ("in-" / "room").
@click.argument("status", metavar="STATUS", type=click.Choice(core.CHECK_IN_STATUSES))
@click.option("--reason", help="Why a completed visit is corrected (required for that).")
@pass_app
def status_command(app, appointment_id, status, reason):
    """Check a patient in and through the visit.

    STATUS is arrived, in-room, completed, no-show or left-without-visit; a
    step back (to scheduled or arrived) undoes a mistake. A completed visit
    is changed only with --reason, and not while a claim stands on it
    (withdraw it first: macli bill withdraw CLAIM --reason ...).

    \b
    Example:
        macli schedule status 42 arrived
        macli schedule status 42 completed
        macli schedule status 42 arrived --reason "completed on the wrong visit"
    """
    row = core.set_status(
        app.store,
        appointment_id,
        status,
        reason=reason,
        tz=app.zone,
        user=app.user,
        now=app.now,
    )
    changed = local_text(row["status_at"], app.zone)[11:]
    click.echo(f"Appointment {row['id']}: {row['status']} at {changed}.")


@schedule.command("export")
@click.option("--from", "first", required=True, metavar="DATE", help="First day.")
@click.option("--to", "last", required=True, metavar="DATE", help="Last day.")
@click.option("--provider", "provider_ref", help="Only this provider.")
@click.option("--with-reason", is_flag=True, help="Include the reason for each visit.")
@click.option(
    "-o",
    "--output",
    "path",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The .ics file to write (mode 0600).",
)
@pass_app
def export_command(app, first, last, provider_ref, with_reason, path):
    """Export appointments to an iCalendar (.ics) file.

    Events carry the patient, type, provider and room; the reason for the visit
    only with --with-reason. Cancelled appointments are left out.

    \b
    Example:
        macli schedule export --from 2026-12-01 --to 2026-12-31 --provider chen -o chen.ics
    """
    from macli.schedule import ics

    count = ics.export(
        app.store,
        path,
        first=_day(app, first),
        last=_day(app, last),
        provider_ref=provider_ref,
        with_reason=with_reason,
        clinic=app.setting("clinic.name"),
        tz=app.zone,
        user=app.user,
        now=app.now,
    )
    click.echo(f"Wrote {count} appointment(s) to {path}.")


# Hours, blocks, types and rooms: set up once, used by every booking above.
for _command in setup_cli.COMMANDS:
    schedule.add_command(_command)
