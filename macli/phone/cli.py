"""`macli phone ...`: the telephone desk."""

from __future__ import annotations

import click

from macli.cli import pass_app
from macli.identifiers import phone_national
from macli.output import format_option, render, render_record
from macli.phone import core
from macli.phone.schema import OUTCOMES, REASONS, RELATIONS
from macli.when import local_text


@click.group()
def phone():
    """Phone messages and callbacks, and the screen to answer a caller.

    A message is due for its callback by the end of the business day when it
    is taken before phone.cutoff (15:00), else by noon of the next open day;
    an urgent one within phone.urgent_within (1h). Messages are never
    changed: forwarding, callbacks, closing and reopening add to their history.
    """


def _for_table(rows, tz):
    return [
        {
            **row,
            "due_at": local_text(row["due_at"], tz) if row["due_at"] else None,
            "number": phone_national(row["number"]),
        }
        for row in rows
    ]


@phone.command("take")
@click.argument("patient", required=False)
@click.option("--caller", required=True, help="Who called (their name).")
@click.option(
    "--relation",
    type=click.Choice(RELATIONS),
    default="self",
    show_default=True,
    help="The caller's relation to the patient.",
)
@click.option("--number", required=True, help="The number to call back.")
@click.option("--reason", required=True, type=click.Choice(REASONS), help="What the call is about.")
@click.option(
    "--for",
    "for_who",
    default="front-desk",
    show_default=True,
    metavar="PROVIDER|front-desk",
    help="Who should answer it.",
)
@click.option("--urgent", is_flag=True, help="Due within phone.urgent_within (1h).")
@click.option("--callback-by", metavar="DATETIME", help="When the caller asked to be called back.")
@click.option("--note", required=True, help="What the caller said.")
@click.option(
    "--identity-verified", is_flag=True, help="Name and date of birth were confirmed on the call."
)
@pass_app
def phone_take(app, patient, caller, relation, number, reason, for_who, urgent, callback_by, note,
               identity_verified):  # fmt: skip
    """Take a message and print its id.

    PATIENT is optional (a pharmacy may call about someone not yet known).
    A note whose words may describe an emergency (phone.emergency_words) is
    recorded, marked urgent, and the clinic's instruction is printed: the
    desk does not triage.

    \b
    Example:
        macli phone take "garcia 3/2/84" --caller "Ana García" \\
            --number "(401) 555-0148" --reason results --for chen \\
            --note "Asks whether her blood test results came back" --identity-verified
    """
    message = core.take(
        app.store,
        patient,
        caller=caller,
        relation=relation,
        number=number,
        reason=reason,
        for_who=for_who,
        note=note,
        urgent=urgent,
        callback_by=callback_by,
        identity_verified=identity_verified,
        region=app.setting("clinic.region"),
        tz=app.zone,
        user=app.user,
        now=app.now,
    )
    if message["emergency"]:
        click.echo(
            f"EMERGENCY? The note mentions: {', '.join(message['emergency'])}.\n"
            f"{app.setting('phone.emergency_text')}\n"
            "The message is recorded and marked urgent.",
            err=True,
        )
    click.echo(message["id"])
    click.echo(f"Due by {local_text(message['due_at'], app.zone)} ({message['for']}).", err=True)


@phone.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only messages not closed.")
@click.option("--overdue", is_flag=True, help="Only open messages past their callback time.")
@click.option("--for", "for_who", metavar="PROVIDER|front-desk", help="Only messages for them.")
@click.option("--patient", help="Only this patient's messages.")
@format_option
@pass_app
def phone_list(app, open_only, overdue, for_who, patient, fmt):
    """List messages: overdue first, then open by due time, then closed.

    Notes show only their first words here; `phone show` has them in full.

    \b
    Example:
        macli phone list --open
        macli phone list --for chen --overdue -f json
    """
    rows = core.messages(
        app.store,
        open_only=open_only,
        overdue=overdue,
        for_who=for_who,
        patient_ref=patient,
        user=app.user,
        now=app.now,
    )
    if fmt == "table":
        rows = _for_table(rows, app.zone)
    render(rows, fmt, columns=core.LIST_COLUMNS, empty="No messages.")


@phone.command("show")
@click.argument("message_id", metavar="ID", type=int)
@format_option
@pass_app
def phone_show(app, message_id, fmt):
    """Show one message in full, with every callback attempt and hand-over.

    \b
    Example:
        macli phone show 12
    """
    record = core.show(app.store, message_id, user=app.user, now=app.now)
    history = record.pop("history")
    if fmt != "table":
        render_record({**record, "history": history}, "json" if fmt == "json" else fmt)
        return
    record["number"] = phone_national(record["number"])
    for key in ("due_at", "taken_at"):
        record[key] = local_text(record[key], app.zone)
    render_record(record, fmt)
    click.echo("\nHistory:")
    for event in history:
        event["at"] = local_text(event["at"], app.zone)
        event["due_at"] = local_text(event["due_at"], app.zone) if event["due_at"] else None
    render(history, fmt, columns=(*core.EVENT_COLUMNS, "due_at"), empty="Nothing yet.")


@phone.command("callback")
@click.argument("message_id", metavar="ID", type=int)
@click.option("--outcome", required=True, type=click.Choice(OUTCOMES))
@click.option("--note", help="What was said or left.")
@pass_app
def phone_callback(app, message_id, outcome, note):
    """Record an attempt to call the caller back.

    \b
    Example:
        macli phone callback 12 --outcome voicemail --note "Left a message to call us"
    """
    message = core.callback(app.store, message_id, outcome, note=note, user=app.user, now=app.now)
    click.echo(f"Message {message['id']}: attempt {message['attempts']} ({outcome}).")


@phone.command("forward")
@click.argument("message_id", metavar="ID", type=int)
@click.option("--to", "to", required=True, metavar="PROVIDER|front-desk")
@click.option("--note", help="Why it is handed over.")
@pass_app
def phone_forward(app, message_id, to, note):
    """Hand a message to a provider or back to the front desk.

    \b
    Example:
        macli phone forward 12 --to chen --note "Results are in; please call"
    """
    message = core.forward(app.store, message_id, to, note=note, user=app.user, now=app.now)
    click.echo(f"Message {message['id']} is now for {message['for']}.")


@phone.command("close")
@click.argument("message_id", metavar="ID", type=int)
@click.option("--resolution", required=True, help="What was done (required).")
@pass_app
def phone_close(app, message_id, resolution):
    """Close a message, saying what was done; its history is kept.

    \b
    Example:
        macli phone close 12 --resolution "Told her the results are normal"
    """
    message = core.close(app.store, message_id, resolution, user=app.user, now=app.now)
    click.echo(f"Closed message {message['id']}.")


@phone.command("reopen")
@click.argument("message_id", metavar="ID", type=int)
@click.option("--why", required=True, help="Why it needs doing again.")
@pass_app
def phone_reopen(app, message_id, why):
    """Reopen a closed message; it comes due again by the clinic's rules.

    \b
    Example:
        macli phone reopen 12 --why "She called again: the pharmacy has no refill"
    """
    message = core.reopen(app.store, message_id, why, tz=app.zone, user=app.user, now=app.now)
    click.echo(
        f"Reopened message {message['id']}, due by {local_text(message['due_at'], app.zone)}."
    )


@phone.command("screen")
@click.argument("patient")
@click.option("--caller", help="Who is calling, to check against the representatives on file.")
@click.option("--number", help="The number they call from, to check the same way.")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A screen for people, or one JSON object with a key per section.",
)
@pass_app
def phone_screen(app, patient, caller, number, fmt):
    """Everything to answer a caller about one patient (the view is audited).

    First the two identifiers to confirm (name and date of birth), then the
    language and interpreter need, who else may be told, the next
    appointments and the last visit, active medications, recent results,
    the lab's results with their review state and the tests not back yet,
    open messages, balance due and contact consent.

    \b
    Example:
        macli phone screen "garcia 3/2/84"
        macli phone screen 555-0148 --caller "Rosa García"
    """
    import json

    from macli.phone import screen

    sheet = screen.screen(
        app.store, patient, caller=caller, number=number, tz=app.zone, user=app.user, now=app.now
    )
    if fmt == "json":
        click.echo(json.dumps(sheet, ensure_ascii=False, indent=2, default=str))
        return
    from macli.phone import screen_text

    click.echo(screen_text.text(sheet, app.zone))
