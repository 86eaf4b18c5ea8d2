"""`macli chart ...`: the patient record. Commands parse, call one core function, render."""

from __future__ import annotations

import sys

import click

from macli.chart import core, corrections, readings, summary
from macli.chart.cli_records import allergy, icd, med, note, problem, record_format_option, result
from macli.cli import MULTILINE, pass_app
from macli.options import option_stack
from macli.output import format_option, render, render_record

_VITAL_OPTIONS = [
    click.option("--bp", metavar="SYS/DIA", help="Blood pressure in mmHg, e.g. 120/80."),
    click.option("--pulse", metavar="N", help="Pulse per minute."),
    click.option("--resp", metavar="N", help="Respirations per minute."),
    click.option("--temp", metavar="T", help="98.6F or 37C; a bare number is in clinic.units."),
    click.option("--spo2", metavar="PCT", help="Oxygen saturation, % (e.g. 98)."),
    click.option("--weight", metavar="W", help="180lb, 81.6kg, 12lb4oz or 3500g (unit required)."),
    click.option("--height", metavar="H", help="70in, 5ft10in, 5'10\", 178cm or 1.78m."),
    click.option("--pain", metavar="0-10", help="Pain score, 0 to 10."),
]


vital_options = option_stack(_VITAL_OPTIONS)


def _units(app) -> str:
    return app.setting("clinic.units")


@click.group()
def chart():
    """Patient charts: vitals, problems, meds, allergies, notes.

    Also results, ICD-10-CM code look-ups and FHIR export.

    Entries are never changed or deleted: `chart amend` writes a corrected
    version beside the old one. Every view and export is written to the audit log.
    PATIENT takes an MRN (P000123) or a part of the name matching one patient.
    """


# -- show -------------------------------------------------------------------------------


@chart.command("show")
@click.argument("patient")
@record_format_option
@pass_app
def chart_show(app, patient, fmt):
    """One screen: allergies, problems, medications, last vitals, results, notes.

    \b
    Example:
        macli chart show P000042
        macli chart show garcia -f json
    """
    record = summary.show(app.store, patient, user=app.user, now=app.now, tz=app.zone)
    if fmt == "json":
        vitals = record["vitals"]
        record["vitals"] = readings.machine_row(vitals) if vitals else None
        render_record(record, "json")
        return
    person = record["patient"]
    click.echo(
        f"{person['name']}  {person['mrn']}  born {person['dob']} ({person['age']})  "
        f"{person['sex']}"
    )
    click.echo(f"Allergies: {record['allergy_status']}")
    _section(
        "Active problems",
        record["problems"],
        ("id", "code", "description", "onset", "amended"),
        "None recorded.",
    )
    _section(
        "Medications",
        record["medications"],
        ("id", "name", "dose", "route", "frequency", "amended"),
        "None recorded.",
    )
    vitals = record["vitals"]
    click.echo("\nLast vitals:" if vitals else "\nLast vitals: none recorded.")
    if vitals:
        click.echo(_vitals_line(vitals, _units(app)))
    _section(
        "Recent results",
        record["results"],
        ("id", "taken", "test", "value", "unit", "range", "flag"),
        "None recorded.",
    )
    _section(
        "Lab results",
        record["lab"]["recent"],
        ("result", "test", "status", "flags", "reported", "waiting_for"),
        "None.",
    )
    _section(
        "Lab tests pending",
        record["lab"]["pending"],
        ("order", "test", "ordered", "due", "state"),
        "None.",
    )
    notes = [{**n, "text": _first_line(n["text"])} for n in record["notes"]]
    _section("Recent notes", notes, ("id", "written", "by", "text"), "None written.")


def _section(title, rows, columns, empty):
    click.echo(f"\n{title}:")
    render(rows, "table", columns=columns, empty=empty)


def _first_line(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    more = len(text.strip().splitlines()) > 1 or len(line) > width
    return (line[: width - 1] + "…") if len(line) > width else line + (" …" if more else "")


def _vitals_line(reading: dict, system: str) -> str:
    row = readings.people_row(reading, system)
    parts = []
    if row["bp"]:
        parts.append(f"BP {row['bp']}" + (f" ({row['bp_class']})" if row["bp_class"] else ""))
    for name, label in (
        ("pulse", "pulse"),
        ("resp", "resp"),
        ("temp", "temp"),
        ("spo2", "SpO2"),
        ("weight", "weight"),
        ("height", "height"),
        ("bmi", "BMI"),
        ("pain", "pain"),
    ):
        if row[name]:
            parts.append(f"{label} {row[name]}")
    marker = f"  [{row['amended']}]" if row["amended"] else ""
    return f"  {row['taken']} (entry {row['id']}): " + ", ".join(parts) + marker


# -- vitals -----------------------------------------------------------------------------


@chart.command("vitals")
@click.argument("patient")
@vital_options
@click.option("--at", "at_text", metavar="DATETIME", help="When taken (default: now).")
@click.option("--confirm", is_flag=True, help="Record values flagged as unusual after checking.")
@click.option("--list", "listing", is_flag=True, help="Show the history of vitals instead.")
@format_option
@pass_app
def chart_vitals(app, patient, at_text, confirm, listing, fmt, **values):
    """Record a set of vitals, or list them with --list.

    Units are converted and stored exactly (kg, cm, °C, mmHg); what was
    entered is kept too. BMI is computed when weight and height are known.
    Impossible values are refused; unusual ones need --confirm.

    \b
    Example:
        macli chart vitals P000042 --bp 128/82 --pulse 72 --temp 98.6F \\
            --spo2 98 --weight 180lb --height 5ft10in
        macli chart vitals P000042 --weight 12lb4oz --at "2026-11-20 10:15"
        macli chart vitals P000042 --list -f csv
    """
    if listing:
        if any(v is not None for v in values.values()) or at_text or confirm:
            raise click.UsageError("--list takes no measurements")
        rows = summary.vitals_history(app.store, patient, user=app.user, now=app.now, tz=app.zone)
        _render_vitals(rows, fmt, _units(app))
        return
    reading = readings.record(
        app.store,
        patient,
        values,
        at=at_text,
        confirm=confirm,
        clinic_units=_units(app),
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    click.echo("Recorded vitals:")
    click.echo(_vitals_line(reading, _units(app)))


def _render_vitals(rows, fmt, system, empty="No vitals recorded."):
    if fmt == "table":
        render(
            [readings.people_row(r, system) for r in rows],
            fmt,
            columns=readings.PEOPLE_COLUMNS,
            empty=empty,
        )
    else:
        render((readings.machine_row(r) for r in rows), fmt, columns=readings.MACHINE_COLUMNS)


@chart.command("trend")
@click.argument("patient")
@click.option(
    "--vital", required=True, type=click.Choice(summary.TREND_VITALS), help="What to plot."
)
@format_option
@pass_app
def chart_trend(app, patient, vital, fmt):
    """Plot one vital over time in the terminal, with the readings listed under it.

    Needs the optional plotext library (pip install 'macli[plot]'); without it
    the readings are still listed.

    \b
    Example:
        macli chart trend P000042 --vital weight
        macli chart trend P000042 --vital bp
    """
    from macli.chart import plot

    rows = summary.trend(app.store, patient, vital, user=app.user, now=app.now, tz=app.zone)
    system = _units(app)
    if fmt == "table" and rows:
        if not plot.available():
            click.echo(f"Note: {plot.INSTALL_HINT}", err=True)
        else:
            dates = [r["taken"][:10] for r in rows]
            title, series = _series(rows, vital, system)
            click.echo(plot.draw(dates, series, title, colour=sys.stdout.isatty()))
    _render_vitals(rows, fmt, system, empty=f"No {vital} readings recorded.")


def _series(rows, vital, system):
    if vital == "bp":
        title = "Blood pressure, mmHg (systolic above, diastolic below)"
        return title, [
            [readings.plotted("systolic", r["values"]["systolic"], system)[0] for r in rows],
            [readings.plotted("diastolic", r["values"]["diastolic"], system)[0] for r in rows],
        ]
    unit = readings.plotted(vital, rows[0]["values"][vital], system)[1]
    return (f"{vital}, {unit}" if unit else vital), [
        [readings.plotted(vital, r["values"][vital], system)[0] for r in rows]
    ]


# -- amend, history, export ---------------------------------------------------------------


@chart.command("amend")
@click.argument("entry_id", metavar="ENTRY_ID")
@click.option("--reason", required=True, help="Why the entry is corrected (kept with it).")
@click.option("--void", is_flag=True, help="Withdraw the entry as entered in error.")
@vital_options
@click.option("--at", metavar="DATETIME", help="Vitals or result: when taken.")
@click.option("--icd", metavar="CODE", help="Problem: the ICD-10-CM code.")
@click.option("--onset", metavar="DATE", help="Problem: onset date.")
@click.option("--note", help="Problem: note.")
@click.option("--name", help="Medication: name.")
@click.option("--dose", help="Medication: dose.")
@click.option("--route", help="Medication: route.")
@click.option("--frequency", help="Medication: frequency.")
@click.option("--start", metavar="DATE", help="Medication: start date.")
@click.option("--substance", help="Allergy: substance.")
@click.option("--reaction", help="Allergy: reaction.")
@click.option("--severity", type=click.Choice(core.SEVERITIES), help="Allergy: severity.")
@click.option("--test", help="Result: test name.")
@click.option("--value", help="Result: value.")
@click.option("--unit", help="Result: unit.")
@click.option("--range", "range_text", metavar="LOW-HIGH", help="Result: reference range.")
@click.option("--loinc", metavar="CODE", help="Result: LOINC code.")
@click.option("--text", type=MULTILINE, help="Note: the corrected text.")
@click.option("--on", metavar="DATE", help="Resolution or stop: the date.")
@click.option("--confirm", is_flag=True, help="Vitals: record values flagged as unusual.")
@pass_app
def chart_amend(app, entry_id, reason, void, confirm, range_text, **changes):
    """Correct a chart entry: the only way to change anything.

    Writes a new version that points at the one it corrects, with who, when
    and why; listings show the new values marked "amended", `chart history`
    shows both. Give only what changes; an empty value ("") clears a field.

    \b
    Example:
        macli chart amend 1234 --bp 132/84 --reason "misread the gauge"
        macli chart amend 1240 --icd E11.65 --reason "A1c shows hyperglycemia"
        macli chart amend 1251 --void --reason "charted on the wrong patient"
    """
    changes["range"] = range_text
    entry = corrections.amend(
        app.store,
        entry_id,
        changes,
        reason=reason,
        void=void,
        confirm=confirm,
        clinic_units=_units(app),
        user=app.user,
        now=app.now,
        today=app.today,
        tz=app.zone,
    )
    verb = "Voided" if entry["voided"] else "Amended"
    click.echo(f"{verb} entry {entry['amends']}: the {entry['kind']} entry is now {entry['id']}.")


@chart.command("history")
@click.argument("entry_id", metavar="ENTRY_ID")
@format_option
@pass_app
def chart_history(app, entry_id, fmt):
    """Every version of an entry, oldest first, with who, when and why.

    \b
    Example:
        macli chart history 1234
    """
    rows = corrections.history(app.store, entry_id, user=app.user, now=app.now, tz=app.zone)
    render(rows, fmt, columns=corrections.HISTORY_COLUMNS)


@chart.command("export")
@click.argument("patient")
@click.option("--fhir", is_flag=True, required=True, help="Write a FHIR R4 Bundle (JSON).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (mode 0600), not stdout."
)
@pass_app
def chart_export(app, patient, fhir, output):
    """Export a patient's chart as a FHIR R4 Bundle (JSON).

    Holds the Patient, vital signs (LOINC, UCUM; blood pressure as a panel),
    problems (ICD-10-CM), medications, allergies and results. The export is
    written to the audit log.

    \b
    Example:
        macli chart export P000042 --fhir -o P000042.fhir.json
    """
    import json

    from macli.chart import fhir as fhir_export
    from macli.files import open_private

    document = fhir_export.bundle(app.store, patient, user=app.user, now=app.now, tz=app.zone)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output:
        with open_private(output) as handle:
            handle.write(text)
        click.echo(f"Wrote {len(document['entry'])} resources to {output}.", err=True)
    else:
        click.echo(text, nl=False)


for group in (problem, med, allergy, result, note, icd):
    chart.add_command(group)

# Documents and letters live in their own room (macli/documents/), filed under chart.
from macli.documents.cli import file_group, files_command, letter_group  # noqa: E402

chart.add_command(file_group)
chart.add_command(files_command)
chart.add_command(letter_group)
