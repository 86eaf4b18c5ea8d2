"""`macli chart problem|med|allergy|result|note|icd ...`."""

from __future__ import annotations

import sys

import click

from macli.chart import core, findings
from macli.chart import icd as icd_codes
from macli.cli import MULTILINE, pass_app
from macli.errors import Invalid
from macli.options import limit_type
from macli.output import format_option, render, render_record

# A record with sections: a table for people or one JSON document for scripts.
record_format_option = format_option(
    formats=("table", "json"), help="Output format: sections for people, or one JSON document."
)


def _patient_line(entry: dict, text: str) -> str:
    return f"{text} (entry {entry['id']})."


# -- problems ---------------------------------------------------------------------------


@click.group()
def problem():
    """Problems, coded in ICD-10-CM (billable codes only)."""


@problem.command("add")
@click.argument("patient")
@click.option("--icd", "code", required=True, metavar="CODE", help="A billable ICD-10-CM code.")
@click.option("--onset", metavar="DATE", help="When it began, YYYY-MM-DD.")
@click.option("--note", help="A short note.")
@click.option(
    "--again", is_flag=True, help="Record a new episode of a problem already on the active list."
)
@pass_app
def problem_add(app, patient, code, onset, note, again):
    """Add a problem to the patient's list.

    A category header (E11, M54.5) or a code missing its 7th character is
    refused with the billable codes under it; find codes with `chart icd search`.
    A code already on the active list is refused with the entry named: resolve
    that one, or give --again for a new episode.

    \b
    Example:
        macli chart problem add P000042 --icd E11.9 --onset 2019-05-01
        macli chart problem add P000042 --icd J02.0 --again
    """
    entry = core.add_problem(
        app.store,
        patient,
        code,
        onset=onset,
        note=note,
        user=app.user,
        now=app.now,
        today=app.today,
        again=again,
    )
    click.echo(_patient_line(entry, f"Added problem {entry['code']} {entry['description']}"))


@problem.command("resolve")
@click.argument("entry_id", metavar="ID")
@click.option("--on", metavar="DATE", help="When it resolved (default: today).")
@pass_app
def problem_resolve(app, entry_id, on):
    """Mark a problem resolved (recorded as a new entry).

    \b
    Example:
        macli chart problem resolve 1240 --on 2026-11-20
    """
    row = core.resolve_problem(
        app.store, entry_id, on=on, user=app.user, now=app.now, today=app.today
    )
    click.echo(f"Problem {row['id']} ({row['code']}) resolved on {row['on_date']}.")


@problem.command("list")
@click.argument("patient")
@click.option("--all", "include_all", is_flag=True, help="Include resolved problems.")
@format_option
@pass_app
def problem_list(app, patient, include_all, fmt):
    """List the patient's active problems (all with --all).

    \b
    Example:
        macli chart problem list P000042 --all
    """
    rows = core.list_problems(
        app.store,
        patient,
        include_resolved=include_all,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    render(rows, fmt, columns=core.PROBLEM_COLUMNS, empty="No problems recorded.")


# -- medications ------------------------------------------------------------------------


@click.group()
def med():
    """Medications the patient takes."""


@med.command("add")
@click.argument("patient")
@click.argument("name")
@click.option("--dose", help="e.g. 500 mg.")
@click.option("--route", help="e.g. by mouth, inhaled.")
@click.option("--frequency", help="e.g. twice daily.")
@click.option("--start", metavar="DATE", help="When it was started, YYYY-MM-DD.")
@pass_app
def med_add(app, patient, name, dose, route, frequency, start):
    """Add a medication.

    \b
    Example:
        macli chart med add P000042 metformin --dose "500 mg" --route "by mouth" \\
            --frequency "twice daily" --start 2024-01-15
    """
    entry = core.add_medication(
        app.store,
        patient,
        name,
        dose=dose,
        route=route,
        frequency=frequency,
        start=start,
        user=app.user,
        now=app.now,
        today=app.today,
    )
    click.echo(_patient_line(entry, f"Added medication {entry['name']}"))


@med.command("stop")
@click.argument("entry_id", metavar="ID")
@click.option("--on", metavar="DATE", help="When it was stopped (default: today).")
@pass_app
def med_stop(app, entry_id, on):
    """Record that a medication was stopped (a new entry).

    \b
    Example:
        macli chart med stop 1250
    """
    row = core.stop_medication(
        app.store, entry_id, on=on, user=app.user, now=app.now, today=app.today
    )
    click.echo(f"Medication {row['id']} ({row['name']}) stopped on {row['on_date']}.")


@med.command("list")
@click.argument("patient")
@click.option("--all", "include_all", is_flag=True, help="Include stopped medications.")
@format_option
@pass_app
def med_list(app, patient, include_all, fmt):
    """List the patient's active medications (all with --all).

    \b
    Example:
        macli chart med list P000042
    """
    rows = core.list_medications(
        app.store,
        patient,
        include_stopped=include_all,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    render(rows, fmt, columns=core.MEDICATION_COLUMNS, empty="No medications recorded.")


# -- allergies --------------------------------------------------------------------------


@click.group()
def allergy():
    """Allergies, or that the patient has none known."""


@allergy.command("add")
@click.argument("patient")
@click.argument("substance")
@click.option("--reaction", help="e.g. hives, anaphylaxis.")
@click.option("--severity", type=click.Choice(core.SEVERITIES), help="How severe.")
@pass_app
def allergy_add(app, patient, substance, reaction, severity):
    """Record an allergy.

    \b
    Example:
        macli chart allergy add P000042 penicillin --reaction hives --severity moderate
    """
    entry = core.add_allergy(
        app.store,
        patient,
        substance,
        reaction=reaction,
        severity=severity,
        user=app.user,
        now=app.now,
    )
    click.echo(_patient_line(entry, f"Recorded allergy to {entry['substance']}"))


@allergy.command("none")
@click.argument("patient")
@pass_app
def allergy_none(app, patient):
    """Record that the patient was asked and has no known allergies (NKA/NKDA).

    \b
    Example:
        macli chart allergy none P000042
    """
    entry = core.no_known_allergies(app.store, patient, user=app.user, now=app.now, tz=app.zone)
    click.echo(_patient_line(entry, "Recorded: no known allergies"))


@allergy.command("list")
@click.argument("patient")
@format_option
@pass_app
def allergy_list(app, patient, fmt):
    """List allergies; says so when none are known or they were never recorded.

    \b
    Example:
        macli chart allergy list P000042
    """
    rows = core.list_allergies(app.store, patient, user=app.user, now=app.now, tz=app.zone)
    render(
        rows,
        fmt,
        columns=core.ALLERGY_COLUMNS,
        empty="Allergies not recorded: ask, then `chart allergy add` or `chart allergy none`.",
    )


# -- results ----------------------------------------------------------------------------


@click.group()
def result():
    """Point-of-care tests, EKG reads and lab values."""


@result.command("add")
@click.argument("patient")
@click.option("--test", required=True, help="What was measured, e.g. 'Hemoglobin A1c'.")
@click.option("--value", required=True, help="The value exactly as reported.")
@click.option("--unit", help="Its unit, e.g. %, mg/dL.")
@click.option(
    "--range", "range_text", metavar="LOW-HIGH", help="Reference range: 4.0-5.6, <5.7, >60."
)
@click.option("--loinc", metavar="CODE", help="LOINC code (check digit verified), e.g. 4548-4.")
@click.option("--at", metavar="DATETIME", help="When taken (default: now).")
@pass_app
def result_add(app, patient, test, value, unit, range_text, loinc, at):
    """Record a result.

    \b
    Example:
        macli chart result add P000042 --test "Hemoglobin A1c" --value 7.2 \\
            --unit % --range 4.0-5.6 --loinc 4548-4
    """
    entry = findings.add_result(
        app.store,
        patient,
        test,
        value,
        unit=unit,
        range_text=range_text,
        loinc=loinc,
        at=at,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    click.echo(_patient_line(entry, f"Recorded {entry['test']} {entry['value']}"))


@result.command("list")
@click.argument("patient")
@format_option
@pass_app
def result_list(app, patient, fmt):
    """List results, oldest first, flagged H or L outside their range.

    \b
    Example:
        macli chart result list P000042 -f csv
    """
    rows = findings.list_results(app.store, patient, user=app.user, now=app.now, tz=app.zone)
    render(rows, fmt, columns=findings.RESULT_COLUMNS, empty="No results recorded.")


# -- notes ------------------------------------------------------------------------------


@click.group()
def note():
    """Free-text notes."""


@note.command("add")
@click.argument("patient")
@click.option("--text", type=MULTILINE, help="The note.")
@click.option("--file", "path", type=click.File("rb"), help="Read the note from FILE.")
@click.option(
    "--template",
    type=click.Choice(("soap", "procedure", "phone")),
    help="Start from these headings in $EDITOR.",
)
@pass_app
def note_add(app, patient, text, path, template):
    """Add a note from --text, --file, standard input, or $EDITOR.

    On a terminal without --text or --file, $VISUAL or $EDITOR opens (as git
    does for a commit message), with the --template headings filled in:
    soap, procedure or phone. Piped in, the note is read from standard input.
    An empty note adds nothing.

    \b
    Example:
        macli chart note add P000042 --text "Patient reports dizziness on standing."
        macli chart note add P000042 --template soap
        macli chart note add P000042 < visit-note.txt
    """
    from macli.documents import transcription

    if text is not None and path is not None:
        raise click.UsageError("give --text or --file, not both")
    if template and (text is not None or path is not None):
        raise click.UsageError("--template opens the editor: give it without --text or --file")
    if text is None and path is None and sys.stdin.isatty():
        from macli.patients.core import resolve

        person = resolve(app.store, patient)
        initial = transcription.NOTE_TEMPLATES.get(template, "")
        seeded = transcription.editor_text(initial, f"{person['name']} ({person['mrn']})")
        try:
            written = click.edit(seeded, extension=".txt", require_save=True)
        except click.ClickException as error:
            raise Invalid(
                f"the editor could not be started ({error.format_message()}); "
                "set EDITOR, or give --text or --file"
            ) from None
        text = transcription.written_note(written, initial)
    elif text is None:
        from macli.csvfile import decode

        text = decode((path or sys.stdin.buffer).read(), "the note")
    entry = findings.add_note(app.store, patient, text, user=app.user, now=app.now)
    click.echo(_patient_line(entry, "Added note"))


@note.command("list")
@click.argument("patient")
@format_option
@pass_app
def note_list(app, patient, fmt):
    """List notes, oldest first.

    \b
    Example:
        macli chart note list P000042 -f json
    """
    rows = findings.list_notes(app.store, patient, user=app.user, now=app.now, tz=app.zone)
    render(rows, fmt, columns=findings.NOTE_COLUMNS, empty="No notes written.")


# -- ICD-10-CM --------------------------------------------------------------------------


@click.group()
def icd():
    """Look up ICD-10-CM codes (the code set shipped with macli)."""


@icd.command("search")
@click.argument("text", nargs=-1, required=True)
@click.option(
    "--limit",
    type=limit_type(1),
    default=25,
    show_default=True,
    help="Show at most N codes.",
)
@click.option("--billable", is_flag=True, help="Only codes that can be billed.")
@format_option
@pass_app
def icd_search(app, text, limit, billable, fmt):
    """Find codes by words in their description, or by the start of the code.

    Codes used in this clinic come first, then the shorter, general codes
    ("unspecified") before their rare relatives. A list cut by --limit says so.

    \b
    Example:
        macli chart icd search type 2 diabetes
        macli chart icd search E11.6 --billable
    """
    found = icd_codes.search_total(app.store, " ".join(text), limit=limit, billable_only=billable)
    render(found["rows"], fmt, columns=("code", "description", "billable"), empty="No codes found.")
    if found["total"] > len(found["rows"]):  # on stderr: scripts read the rows alone
        click.echo(f"{len(found['rows'])} of {found['total']} shown; --limit N for more.", err=True)


@icd.command("show")
@click.argument("code")
@record_format_option
@pass_app
def icd_show(app, code, fmt):
    """Show a code: description, billable or not, parent and children, release.

    \b
    Example:
        macli chart icd show M54.5
    """
    found = icd_codes.lookup(app.store, code)
    children = found.pop("children")
    if fmt == "json":
        render_record({**found, "children": children}, "json")
        return
    found["billable"] = "yes" if found["billable"] else "no (choose a code below)"
    found["release"] = f"ICD-10-CM {found['release']}"
    render_record(found, fmt)
    if children:
        click.echo("\nChildren:")
        render(
            [{**c, "billable": "yes" if c["billable"] else "no"} for c in children],
            fmt,
            columns=("code", "description", "billable"),
        )
