"""`macli today`: the day sheet."""

from __future__ import annotations

import io
import json
from datetime import date
from itertools import groupby

import click

from macli.cli import pass_app
from macli.output import format_option, write_rows
from macli.today import core
from macli.when import parse_date


@click.command()
@click.option("--date", "day_text", help="The day to show (default: today), e.g. tomorrow.")
@click.option("--provider", help="Only this provider's appointments and calls.")
@format_option(
    formats=("table", "json"),
    help="A sheet for people, or one JSON object with a key per section.",
)
@pass_app
def today(app, day_text, provider, fmt):
    """The day sheet: appointments, reminders, calls, supplies and spending.

    Per provider, the day's appointments with flags (late N min, then not
    arrived 30 minutes after the start without a check-in; new patient,
    allergies not recorded, vitals due: none in the last 12 months); the day's
    procedures with what their prep needs (macli procedure prep); reminders sent,
    pending and failed since yesterday; the call list; supplies at or below
    their reorder point and lots expiring within 30 days; what the lab upkeep
    asks for (macli qc due: checks, spore tests, excursions); month-to-date
    spending against budget. Sections with nothing to say take one line; on a
    day nobody works, the sheet says so and names the next open day.

    \b
    Example:
        macli today
        macli today --date tue --provider chen
        macli today -f json | jq '.supplies.low'
    """
    day = parse_date(day_text, app.today) if day_text else app.today
    show(app, day, provider, fmt)


def show(app, day, provider=None, fmt="table") -> None:
    """Print the day sheet of `day` from the app's store (also the end of `macli demo`)."""
    sheet = core.day_sheet(app.store, day, provider, tz=app.zone, user=app.user, now=app.now)
    if fmt == "json":
        click.echo(json.dumps(sheet, ensure_ascii=False, indent=2, default=str))
        return
    if provider:  # the hint names the provider as it was typed
        import shlex

        sheet = {**sheet, "provider_ref": shlex.quote(provider)}
    click.echo(f"{day:%A %Y-%m-%d} · {app.setting('clinic.name')}")
    if sheet["results"]["critical"]:
        click.echo("")
        click.echo(_critical(sheet))
    for section in (
        _appointments,
        _procedures,
        _messages,
        _results,
        _reminders,
        _calls,
        _supplies,
        _lab,
        _spending,
    ):
        click.echo("")
        click.echo(section(sheet))


def _table(rows, columns) -> str:
    sheet = io.StringIO()
    write_rows(rows, "table", sheet, columns, paged=False)
    return "\n".join("  " + line for line in sheet.getvalue().splitlines())


def _appointments(sheet) -> str:
    rows = sheet["appointments"]
    if not rows and sheet["next_open"]:  # nobody (of --provider) works this weekday
        weekday = f"{date.fromisoformat(sheet['date']):%A}s"
        following = date.fromisoformat(sheet["next_open"])
        if sheet["provider"]:
            return (
                f"Appointments: none. {sheet['provider']} does not work on {weekday}.\n"
                f"Next working day: {following:%A %Y-%m-%d}"
                f" (macli today --date {following} --provider {sheet['provider_ref']})."
            )
        return (
            f"Appointments: none. Closed on {weekday}: no working hours.\n"
            f"Next open: {following:%A %Y-%m-%d} (macli today --date {following})."
        )
    if not rows:
        return "Appointments: none."
    parts = [f"Appointments ({len(rows)})"]
    for provider, booked in groupby(rows, key=lambda row: row["provider"]):
        booked = list(booked)
        parts.append(f"{provider} ({len(booked)})")
        parts.append(_table(booked, ["time", "mrn", "patient", "type", "status", "room", "flags"]))
    return "\n".join(parts)


def _messages(sheet) -> str:
    rows = sheet["messages"]
    if not rows:
        return "Phone messages: none overdue."
    parts = [f"Phone messages overdue ({len(rows)})"]
    for person, owed in groupby(rows, key=lambda row: row["for"]):
        owed = list(owed)
        parts.append(f"For {person} ({len(owed)})")
        parts.append(
            _table(owed, ["id", "flag", "due", "mrn", "patient", "caller", "reason", "summary"])
        )
    return "\n".join(parts)


def _critical(sheet) -> str:
    rows = sheet["results"]["critical"]
    return (
        f"CRITICAL RESULTS ({len(rows)}): tell the provider now, then macli lab review RESULT\n"
        + _table(rows, ["result", "mrn", "patient", "test", "flags", "reported", "provider"])
    )


def _procedures(sheet) -> str:
    rows = sheet["procedures"]
    if not rows:
        return "Procedures: none planned."
    columns = ["time", "appointment", "patient", "procedure", "checklist", "attention"]
    return f"Procedures ({len(rows)}; macli procedure prep --date ...)\n" + _table(rows, columns)


def _results(sheet) -> str:
    lab = sheet["results"]
    if not any(lab[key] for key in ("to_review", "to_tell", "overdue", "specimens_to_send")):
        return "Lab results: nothing to review, tell, chase or send."

    def count(number, one, many):
        return f"{number} {one if number == 1 else many}"

    parts = [
        count(lab["to_review"], "result", "results") + " waiting for review (macli lab inbox)",
        count(lab["to_tell"], "patient", "patients") + " to tell (macli lab open)",
        count(lab["overdue"], "test", "tests") + " overdue (macli lab pending --overdue)",
        count(lab["specimens_to_send"], "specimen", "specimens") + " to send (macli lab send)",
    ]
    return "Lab results: " + "; ".join(parts) + "."


def _reminders(sheet) -> str:
    found = sheet["reminders"]
    summary = (
        f"Reminders since {found['since']}: {found['sent']} sent, {found['pending']} pending,"
        f" {found['failed']} failed."
    )
    if not found["failures"]:
        return summary
    return (
        summary
        + "\n"
        + _table(found["failures"], ["id", "channel", "appointment_at", "mrn", "status", "error"])
    )


def _calls(sheet) -> str:
    calls = sheet["calls"]
    if not calls:
        return "Call list: nobody to call."
    from macli.identifiers import phone_national

    columns = ["id", "appointment_at", "mrn", "name", "phone", "provider", "status"]
    calls = [{**call, "phone": phone_national(call["phone"])} for call in calls]
    if any(call.get("interpreter") for call in calls):
        columns.append("interpreter")
    return f"Call list ({len(calls)})\n" + _table(calls, columns)


def _supplies(sheet) -> str:
    low, expiring = sheet["supplies"]["low"], sheet["supplies"]["expiring"]
    if not low and not expiring:
        return "Supplies: nothing low, nothing expiring within 30 days."
    parts = []
    if low:
        parts.append(f"Supplies at or below reorder point ({len(low)})")
        parts.append(_table(low, ["sku", "name", "usable", "reorder_at", "unit", "supplier"]))
    if expiring:
        parts.append(f"Lots expired or expiring within 30 days ({len(expiring)})")
        parts.append(_table(expiring, ["sku", "name", "lot", "expires", "on_hand", "status"]))
    return "\n".join(parts)


def _lab(sheet) -> str:
    lines = sheet["lab"]
    if not lines:
        return "Lab upkeep: nothing due."
    return f"Lab upkeep ({len(lines)})\n" + _table(lines, ["kind", "subject", "detail"])


def _spending(sheet) -> str:
    spending = sheet["spending"]
    budgets = spending["budgets"]
    heading = f"Spending {spending['from']} to {spending['to']}"
    if len(budgets) <= 1 and budgets[0]["spent"] == "0.00":
        return f"{heading}: nothing spent, no budgets set."
    columns = [key for key in budgets[0] if key != "period"]
    return f"{heading} against budget\n" + _table(budgets, columns)
