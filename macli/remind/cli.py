"""`macli remind ...`: appointment reminders by e-mail, SMS and the staff's call list."""

from __future__ import annotations

import sys

import click

from macli.cli import pass_app
from macli.output import format_option, render
from macli.remind.schema import CHANNELS, STATUSES

_CHANNEL = click.Choice(CHANNELS)
# The same as history.CALL_OUTCOMES, without importing it for --help.
_OUTCOMES = ("reached", "voicemail", "no-answer", "wrong-number")


@click.group()
def remind():
    """Appointment reminders by e-mail, SMS and phone call list.

    Rules say what goes out and when; `remind send`, run by cron, sends each
    reminder once; `remind due` shows what it would do and why not.
    """


# -- rules ------------------------------------------------------------------------------


@remind.group("rule")
def rule():
    """Reminder rules: channel and how long before the appointment."""


@rule.command("add")
@click.option("--before", required=True, help="How long before the visit: 2d, 48h, 90m, 1d12h.")
@click.option("--channel", required=True, type=_CHANNEL, help="email, sms or phone (call list).")
@click.option("--type", "type_ref", metavar="TYPE", help="Only appointments of this type.")
@pass_app
def rule_add(app, before, channel, type_ref):
    """Add a reminder rule and print its id.

    Whole days count on the clinic's calendar: "1d" before a 09:00 visit is
    09:00 the day before, also across a daylight-saving change.

    \b
    Example:
        macli remind rule add --before 2d --channel email
        macli remind rule add --before 1d --channel sms
        macli remind rule add --before 1d --channel phone --type "New patient"
    """
    from macli.remind import rules

    row = rules.add(
        app.store, channel=channel, before=before, type_ref=type_ref, user=app.user, now=app.now
    )
    click.echo(row["id"])


@rule.command("list")
@format_option
@pass_app
def rule_list(app, fmt):
    """List the active reminder rules.

    \b
    Example:
        macli remind rule list
    """
    from macli.remind import rules

    rows = rules.listing(app.store)
    if fmt == "table":
        rows = [{**row, "created_at": _local(app, row["created_at"])} for row in rows]
    render(rows, fmt, columns=rules.COLUMNS, empty="No reminder rules.")


@rule.command("remove")
@click.argument("rule_id", type=int)
@pass_app
def rule_remove(app, rule_id):
    """Stop a rule; what it sent stays in the log, what it had pending is withdrawn.

    \b
    Example:
        macli remind rule remove 3
    """
    from macli.remind import rules

    removed = rules.remove(app.store, rule_id, user=app.user, now=app.now)
    click.echo(f"Removed rule {rule_id} ({removed['channel']} {removed['before']} before).")


# -- due and send -----------------------------------------------------------------------


@remind.command("due")
@click.option("--channel", "channels", multiple=True, type=_CHANNEL, help="Only this channel.")
@format_option
@pass_app
def due(app, channels, fmt):
    """Show what `remind send` would do now, with the reason for each skip.

    One row per appointment and rule that is due: action send, call (goes
    on the call list), wait (quiet hours) or skip, and why.

    \b
    Example:
        macli remind due
        macli remind due --channel sms -f csv
    """
    from macli.remind.planner import DUE_COLUMNS
    from macli.remind.planner import due as plan_rows

    rows = plan_rows(app.store, now=app.now, tz=app.zone, user=app.user, channels=channels or None)
    render(rows, fmt, columns=DUE_COLUMNS, empty="No reminders are due.")


@remind.command("send")
@click.option("--dry-run", is_flag=True, help="Show what would go out; send and record nothing.")
@click.option("--channel", "channels", multiple=True, type=_CHANNEL, help="Only this channel.")
@click.option("--verbose", "-v", is_flag=True, help="Print one line per reminder handled.")
@pass_app
@click.pass_context
def send(ctx, app, dry_run, channels, verbose):
    """Send the reminders that are due, each once (the cron entry point).

    Prints nothing when all went well. Otherwise a summary with reminder ids
    only (never names, numbers or addresses) goes to stderr. Exit codes:
    0 all sent; 1 error (e.g. mail not configured), nothing sent; 3 some
    reminders failed for now and stay due for the next run; 4 some failed
    for good or have an unknown outcome (see `remind log`); 5 another send
    is running, this one did nothing.

    \b
    Example:
        macli remind send --dry-run
        */15 * * * *  MACLI_DB=/srv/clinic/macli.db macli remind send
    """
    from macli.remind import outbox
    from macli.when import local_text

    selected = tuple(channels) or None
    if dry_run:
        rows = [
            {
                "appointment_id": d.appointment_id,
                "appointment_at": local_text(d.starts_at, app.zone),
                "mrn": d.mrn,
                "channel": d.channel,
                "action": d.action,
                "reason": d.reason or "",
            }
            for d in outbox.dry_run(app.store, now=app.now, tz=app.zone, channels=selected)
        ]
        render(
            rows,
            "table",
            columns=("appointment_id", "appointment_at", "mrn", "channel", "action", "reason"),
            empty="Nothing would be sent.",
        )
        return
    result = outbox.send(app.store, now=app.now, tz=app.zone, user=app.user, channels=selected)
    if verbose:
        for outcome in result.outcomes:
            text = f"reminder {outcome.reminder_id} {outcome.channel}: {outcome.status}"
            click.echo(text + (f" {outcome.transport_id}" if outcome.transport_id else ""))
    problems = result.problems
    if problems:
        parts = [f"{result.count('sent')} sent"]
        if result.count("deferred"):
            parts.append(f"{result.count('deferred')} left due for the next run")
        if result.count("failed", "unknown"):
            parts.append(f"{result.count('failed', 'unknown')} failed or unknown")
        lines = [f"macli remind send: {', '.join(parts)}"]
        lines += [
            f"  reminder {o.reminder_id} {o.channel}: {_STATUS_WORDS[o.status]}: {o.summary}"
            for o in problems[: outbox.SUMMARY_LINES]
        ]
        if len(problems) > outbox.SUMMARY_LINES:
            lines.append(f"  ... and {len(problems) - outbox.SUMMARY_LINES} more")
        lines.append("  (details: macli remind log --date today)")
        click.echo("\n".join(lines), err=True)
    if result.exit_code:
        ctx.exit(result.exit_code)


_STATUS_WORDS = {"deferred": "left due", "failed": "failed", "unknown": "outcome unknown"}


# -- log and calls ----------------------------------------------------------------------


@remind.command("log")
@click.option("--date", "day", help="Only reminders handled on this day (YYYY-MM-DD, today).")
@click.option("--patient", help="Only this patient (MRN or name).")
@click.option("--status", type=click.Choice(STATUSES), help="Only reminders in this state.")
@click.option("--channel", type=_CHANNEL, help="Only this channel.")
@format_option
@pass_app
def log(app, day, patient, status, channel, fmt):
    """What was sent, when and how, with the server's own id, and what failed.

    transport_id is the e-mail's Message-ID or the SMS provider's message id.

    \b
    Example:
        macli remind log --date today
        macli remind log --status failed -f csv
    """
    from macli.remind import history
    from macli.when import parse_date

    rows = history.log(
        app.store,
        tz=app.zone,
        user=app.user,
        now=app.now,
        day=parse_date(day, app.today) if day else None,
        patient=patient,
        status=status,
        channel=channel,
    )
    render(rows, fmt, columns=history.LOG_COLUMNS, empty="No reminders.")


@remind.command("calls")
@click.option("--date", "day", default="today", show_default=True, help="The day (YYYY-MM-DD).")
@format_option
@pass_app
def calls(app, day, fmt):
    """The call list: patients who prefer a phone call, for a day.

    `remind send` puts a call on the list when its rule comes due (outside
    quiet hours); record each outcome with `remind mark`.

    \b
    Example:
        macli remind calls
        macli remind mark 42 voicemail
    """
    from macli.remind import history
    from macli.when import parse_date

    rows = history.calls(
        app.store, day=parse_date(day, app.today), tz=app.zone, user=app.user, now=app.now
    )
    if fmt == "table":
        from macli.identifiers import phone_national

        rows = [{**row, "phone": phone_national(row["phone"])} for row in rows]
    render(rows, fmt, columns=history.CALL_COLUMNS, empty="No calls to make.")


@remind.command("mark")
@click.argument("reminder_id", type=int)
@click.argument("outcome", metavar="OUTCOME", type=click.Choice(_OUTCOMES))
@pass_app
def mark(app, reminder_id, outcome):
    """Record how a reminder call went: reached, voicemail, no-answer, wrong-number.

    no-answer keeps the call on the list.

    \b
    Example:
        macli remind mark 42 reached
    """
    from macli.remind import history

    history.mark(app.store, reminder_id, outcome, user=app.user, now=app.now)
    click.echo(f"Reminder {reminder_id}: {outcome}.")


# -- templates --------------------------------------------------------------------------


@remind.group("template")
def template():
    """Message templates with fields {first_name} {date} {time} {provider}
    {clinic_name} {clinic_phone}."""


_LANGUAGE_OPTION = click.option(
    "--language",
    metavar="CODE",
    help="The template for patients of this language (BCP 47: es, pt-BR); default: the clinic's.",
)


def _language(app, code):
    if code is None:
        return None
    from macli.patients.language import check

    return check(code)[0]


@template.command("show")
@click.argument("channel", metavar="CHANNEL", type=click.Choice(("email", "sms")))
@_LANGUAGE_OPTION
@pass_app
def template_show(app, channel, language):
    """Print a channel's template (the clinic's own, or the default).

    With --language, the template a patient of that language gets: theirs,
    else the clinic's default.

    \b
    Example:
        macli remind template show sms > sms.txt
        macli remind template show sms --language es
    """
    from macli.remind import templates

    text = templates.text_of(templates.get(app.store, channel, _language(app, language)))
    click.echo(text if text.endswith("\n") else text + "\n", nl=False)


@template.command("list")
@format_option
@pass_app
def template_list(app, fmt):
    """List the templates in use: each channel's default and each language's,
    with an SMS template's longest length and how many segments that takes.

    \b
    Example:
        macli remind template list
    """
    from macli.remind import templates

    rows = templates.listing(app.store)
    render(rows, fmt, columns=tuple(rows[0]) if rows else None)


@template.command("set")
@click.argument("channel", metavar="CHANNEL", type=click.Choice(("email", "sms")))
@click.option("--file", "path", type=click.File("rb"), help="Read it from a file.")
@_LANGUAGE_OPTION
@pass_app
def template_set(app, channel, path, language):
    """Set a channel's template from --file (or standard input).

    An e-mail template starts with a "Subject: ..." line. An SMS template
    must end with "Reply STOP to opt out" (in another language: end by
    saying to reply STOP) and fit remind.sms_segments segments (1 by
    default) with the longest names: first_name 12, provider 24, clinic_name
    30, clinic_phone 16, date 10, time 8. One segment holds 160 characters,
    or 70 when the text has characters outside GSM-7 (most accented letters
    of Portuguese, ñ aside many of Spanish); a longer text goes as parts of
    153 (GSM-7) or 67 (UCS-2) characters.

    \b
    Example:
        macli remind template set sms --file sms.txt
        macli remind template set sms --language es --file sms-es.txt
    """
    from macli import settings
    from macli.csvfile import decode
    from macli.patients.language import register
    from macli.remind import templates

    text = decode((path or sys.stdin.buffer).read(), "the template")
    code = _language(app, language)
    parsed = templates.parse(
        channel,
        text,
        language=code,
        max_segments=int(settings.get(app.store, "remind.sms_segments")),
    )
    with app.store.write():
        if code:
            register(app.store, code)
        templates.put(app.store, parsed, user=app.user, now=app.now)
    which = f" for {code}" if code else ""
    if channel == "sms":
        encoding, length, limit = templates.worst_case(parsed)
        count = templates.segments_needed((encoding, length, limit))
        room = templates.capacity(encoding, count)
        click.echo(
            f"SMS template{which} saved: at most {length} of {room} characters ({encoding},"
            f" {count} segment{'s' if count > 1 else ''})."
        )
    else:
        click.echo(f"E-mail template{which} saved.")


@template.command("reset")
@click.argument("channel", metavar="CHANNEL", type=click.Choice(("email", "sms")))
@_LANGUAGE_OPTION
@pass_app
def template_reset(app, channel, language):
    """Go back to the default template for a channel, or drop a language's.

    \b
    Example:
        macli remind template reset sms
        macli remind template reset sms --language es
    """
    from macli.errors import NotFound
    from macli.remind import templates

    code = _language(app, language)
    dropped = templates.reset(app.store, channel, code)
    if code and not dropped:
        raise NotFound(f"there is no {channel} template for {code}")
    if code:
        click.echo(f"Patients speaking {code} get the clinic's {channel} template again.")
    else:
        click.echo(f"The {channel} template is the default again.")


# -- consent ----------------------------------------------------------------------------


@remind.command("optout")
@click.argument("patient")
@click.option(
    "--channel", "channels", multiple=True, required=True, type=_CHANNEL, help="Repeatable."
)
@pass_app
def optout(app, patient, channels):
    """Stop reminders to a patient on a channel (recorded with date and source).

    \b
    Example:
        macli remind optout P000042 --channel sms --channel email
    """
    from macli.remind import consent

    row = consent.optout(app.store, patient, list(channels), user=app.user, now=app.now)
    click.echo(f"{row['mrn']}: no more {', '.join(channels)} reminders.")


@remind.command("stop-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@pass_app
def stop_import(app, path):
    """Record SMS opt-out for the numbers in an SMS provider's STOP export (CSV).

    The file needs a column of numbers (phone, number or from); a date column
    is kept as the source, and with a body column only STOP-like replies
    count. All or nothing: a bad number stops the import.

    \b
    Example:
        macli remind stop-import stop-replies.csv
    """
    from pathlib import Path

    from macli.remind import consent

    counts = consent.stop_import(
        app.store,
        Path(path).read_bytes(),
        filename=Path(path).name,
        region=app.setting("clinic.region"),
        user=app.user,
        now=app.now,
    )
    click.echo(
        f"Recorded {counts['recorded']} SMS opt-out(s); {counts['already']} already without"
        f" SMS consent, {counts['unmatched']} number(s) matched no patient,"
        f" {counts['ignored']} row(s) were not STOP replies."
    )


def _local(app, text):
    from macli.when import local_text

    return local_text(text, app.zone) if text else text
