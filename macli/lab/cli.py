"""`macli lab ...`: tests, orders, specimens, results and their follow-up."""

from __future__ import annotations

from pathlib import Path

import click

from macli.cli import pass_app
from macli.output import format_option, render, render_record


@click.group()
def lab():
    """Lab tests: orders, specimens, HL7 results, review, telling the patient.

    From the order to the patient being told: order tests, collect and label specimens, hand them to the courier, import
    the lab's HL7 results (or type in a faxed one), and follow each result until
    a provider reviewed it and the patient was told. Point-of-care tests use
    their kit from stock and need their quality controls.
    """


# -- catalogue ---------------------------------------------------------------------------


@lab.group("test")
def test_group():
    """The test catalogue: names, LOINC codes, specimens, turnaround."""


@test_group.command("add")
@click.argument("name")
@click.option(
    "--loinc", required=True, help="The LOINC code, e.g. 2823-3 (its check digit is checked)."
)
@click.option(
    "--specimen",
    required=True,
    type=click.Choice(["blood", "urine", "swab", "stool", "other"]),
    help="What is collected.",
)
@click.option("--container", help="The tube or cup, e.g. 'lavender top (EDTA)'.")
@click.option("--lab", "lab_name", help="The reference lab that runs it.")
@click.option("--turnaround", help="How long results take after collection, e.g. 24h, 3d.")
@click.option("--poc", is_flag=True, help="Done in the office (point of care).")
@click.option("--kit", help="Stock SKU of the kit a point-of-care test uses up.")
@click.option(
    "--value-type",
    type=click.Choice(["numeric", "text"]),
    default="numeric",
    show_default=True,
    help="What a hand-entered result holds.",
)
@click.option("--unit", help="UCUM unit of a single-value result, e.g. mg/dL.")
@click.option("--range", "reference_range", help="Reference range, e.g. 70-99 or <200.")
@click.option("--qc-levels", help="Control levels a POC test needs, e.g. positive,negative.")
@click.option(
    "--qc-every",
    type=click.Choice(["lot", "daily", "weekly"]),
    help="When controls are due besides every new kit lot (default: each new lot).",
)
@format_option
@pass_app
def test_add(app, name, lab_name, fmt, **options):
    """Add a test to the catalogue.

    \b
    Example:
        macli lab test add "Basic metabolic panel" --loinc 51990-0 --specimen blood \\
            --container "gold top (SST)" --lab "Quest" --turnaround 24h
        macli lab test add "Rapid strep" --loinc 78012-2 --specimen swab --poc \\
            --kit STREP-KIT --value-type text --qc-levels positive,negative --qc-every lot
    """
    from macli.lab import catalogue

    row = catalogue.add(app.store, name, lab=lab_name, user=app.user, now=app.now, **options)
    render_record(row, fmt)


@test_group.command("edit")
@click.argument("name")
@click.option("--container", help="The tube or cup ('' clears it).")
@click.option("--lab", "lab_name", help="The reference lab that runs it.")
@click.option("--turnaround", help="e.g. 24h, 3d; new orders get it ('' clears it).")
@click.option("--kit", help="Stock SKU of the kit a point-of-care test uses up.")
@click.option("--unit", help="UCUM unit of a single-value result.")
@click.option("--range", "reference_range", help="Reference range, e.g. 70-99 or <200.")
@click.option("--qc-levels", help="Control levels a POC test needs ('' drops the rule).")
@click.option(
    "--qc-every", type=click.Choice(["lot", "daily", "weekly"]), help="When controls are due."
)
@format_option
@pass_app
def test_edit(app, name, lab_name, fmt, **options):
    """Change a test in the catalogue: its container, lab, turnaround, kit, range, controls.

    Orders already placed keep the turnaround they were given. The name, LOINC code and
    specimen do not change: a test that differs in those is another test (add it).
    The change is audited.

    \b
    Example:
        macli lab test edit "Lipid panel" --lab "LabCorp" --turnaround 2d
        macli lab test edit "Glucose meter" --qc-levels low,high --qc-every daily
    """
    from macli.lab import catalogue

    row = catalogue.edit(app.store, name, lab=lab_name, user=app.user, now=app.now, **options)
    render_record(row, fmt)


@test_group.command("list")
@click.option(
    "--poc/--sent-out", "poc", default=None, help="Only in-office, or only sent-out tests."
)
@format_option
@pass_app
def test_list(app, poc, fmt):
    """The catalogue.

    \b
    Example:
        macli lab test list
        macli lab test list --poc -f csv
    """
    from macli.lab import catalogue

    render(
        catalogue.listing(app.store, poc=poc),
        fmt,
        columns=catalogue.COLUMNS,
        empty="No tests in the catalogue.",
    )


# -- orders and specimens ----------------------------------------------------------------


@lab.command("order")
@click.argument("patient")
@click.option("--test", "tests", multiple=True, required=True, help="A test by name (repeat).")
@click.option("--provider", help="The ordering provider.")
@click.option(
    "--priority", type=click.Choice(["routine", "stat"]), default="routine", show_default=True
)
@click.option("--fasting", is_flag=True, help="The patient is to come fasting.")
@click.option("--appointment", type=int, help="The visit it was ordered at.")
@click.option("--note", help="For the person drawing or the lab.")
@format_option
@pass_app
def order(app, patient, tests, provider, priority, fasting, appointment, note, fmt):
    """Order tests for a patient; prints the order number.

    \b
    Example:
        macli lab order P000042 --test "Lipid panel" --test HbA1c --provider chen --fasting
    """
    from macli.lab import orders

    row = orders.place(
        app.store,
        patient,
        list(tests),
        provider=provider,
        priority=priority,
        fasting=fasting,
        appointment=appointment,
        note=note,
        user=app.user,
        now=app.now,
    )
    if fmt == "table":
        click.echo(f"{row['order']}  {row['patient']} ({row['mrn']}): {row['tests']}")
    else:
        render_record(row, fmt)


@lab.command("cancel")
@click.argument("order_ref", metavar="ORDER")
@click.option("--reason", required=True, help="Why it is cancelled.")
@pass_app
def cancel(app, order_ref, reason):
    """Cancel an order that has no result yet.

    \b
    Example:
        macli lab cancel LO000012 --reason "duplicate order"
    """
    from macli.lab import orders

    row = orders.cancel(app.store, order_ref, reason=reason, user=app.user, now=app.now)
    click.echo(f"Cancelled {row['order']}.")


@lab.command("collect")
@click.argument("order_ref", metavar="ORDER")
@click.option("--at", "at_text", help="When it was drawn (default: now), e.g. 'today 8:10'.")
@click.option("--site", help="Where it was drawn, e.g. 'left antecubital'.")
@click.option("--note", help="Anything the lab should know.")
@click.option("--label", is_flag=True, help="Also write the specimen labels (-o FILE.pdf).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="The label PDF.")
@format_option
@pass_app
def collect(app, order_ref, at_text, site, note, label, output, fmt):
    """Record the specimens drawn for an order; optionally print their labels.

    One specimen is recorded per tube and lab among the order's tests. With
    --label, or to reprint, `macli lab label ORDER -o FILE.pdf`.

    \b
    Example:
        macli lab collect LO000012 --site "left arm" --label -o labels.pdf
    """
    from macli.lab import orders
    from macli.when import parse_datetime

    if label and not output:
        raise click.UsageError("--label needs -o FILE.pdf")
    at = parse_datetime(at_text, app.zone, app.now) if at_text else None
    rows = orders.collect(
        app.store, order_ref, at=at, site=site, note=note, user=app.user, now=app.now
    )
    render(rows, fmt, columns=["specimen", "order", "kind", "container", "lab", "tests"])
    if label:
        _labels(app, order_ref, output)
        click.echo(f"Labels written to {output}.", err=True)


def _labels(app, order_ref, output):
    from macli import pdf
    from macli.lab import labels, orders

    rows = orders.label_rows(app.store, order_ref, user=app.user, now=app.now, tz=app.zone)
    labels.label_sheet(pdf.letterhead(app.store), rows, output)


@lab.command("label")
@click.argument("order_ref", metavar="ORDER")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The PDF.")
@pass_app
def label(app, order_ref, output):
    """Print (or reprint) the specimen labels of a collected order as a PDF.

    \b
    Example:
        macli lab label LO000012 -o labels.pdf
    """
    _labels(app, order_ref, output)
    click.echo(f"Labels written to {output}.")


@lab.command("send")
@click.option("--lab", "lab_name", help="Only the specimens for this lab.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="manifest.pdf or manifest.csv."
)
@format_option
@pass_app
def send(app, lab_name, output, fmt):
    """Hand the collected, unsent specimens to the courier: the manifest, all or nothing.

    Every specimen listed is marked sent; if the manifest cannot be written,
    none is.

    \b
    Example:
        macli lab send --lab Quest -o manifest.pdf
        macli lab send -o manifest.csv
    """
    from macli.lab import orders

    write = None
    if output:
        write = _manifest_writer(app, Path(output), lab_name)
    found = orders.send(
        app.store, lab=lab_name, user=app.user, now=app.now, tz=app.zone, write=write
    )
    render(found["rows"], fmt, columns=[*orders.MANIFEST_COLUMNS, "lab"])
    click.echo(
        f"Manifest {found['manifest']}: {found['specimens']} specimens marked sent.", err=True
    )


def _manifest_writer(app, path: Path, lab_name):
    from macli import pdf
    from macli.errors import Invalid
    from macli.lab import labels, orders

    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".csv"):
        raise Invalid(f"{path.name}: the manifest is a .pdf or a .csv file")
    head = pdf.letterhead(app.store)

    def write(rows):
        if suffix == ".pdf":
            title = f"Courier manifest {app.local_now:%Y-%m-%d %H:%M}" + (
                f" - {lab_name}" if lab_name else ""
            )
            labels.manifest_sheet(head, title, rows, path)
        else:
            from macli.files import open_private

            with open_private(path) as out:
                render(rows, "csv", columns=[*orders.MANIFEST_COLUMNS, "lab"], out=out)

    return write


@lab.command("pending")
@click.option("--overdue", is_flag=True, help="Only those past their turnaround.")
@format_option
@pass_app
def pending(app, overdue, fmt):
    """Tests ordered, collected or sent without a final result, with how late they are.

    \b
    Example:
        macli lab pending --overdue
    """
    from macli.lab import orders

    rows = orders.pending(app.store, overdue=overdue, now=app.now, tz=app.zone, user=app.user)
    render(
        rows,
        fmt,
        columns=orders.PENDING_COLUMNS,
        empty="Nothing pending." if not overdue else "Nothing overdue.",
    )


# -- results -----------------------------------------------------------------------------


@lab.command("import")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--quarantine", "show_quarantine", is_flag=True, help="List the messages in quarantine instead."
)
@format_option
@pass_app
def import_(app, files, show_quarantine, fmt):
    """Import HL7 v2.5.1 ORU^R01 result files (one file may hold several messages).

    A message is attached by its placer order number (ORC-2/OBR-2) when the
    patient's name and birth date agree; otherwise it goes to quarantine with
    the reason. A message already imported (same MSH-10) adds nothing. A file
    that cannot be read is an error naming the file and message; nothing is
    imported then.

    \b
    Example:
        macli lab import ~/lab-inbox/*.hl7
        macli lab import --quarantine
    """
    from macli.lab import imports

    if show_quarantine:
        rows = imports.quarantine(app.store, user=app.user, now=app.now, tz=app.zone)
        render(rows, fmt, columns=imports.QUARANTINE_COLUMNS, empty="Nothing in quarantine.")
        return
    if not files:
        raise click.UsageError("name the HL7 files to import (or --quarantine)")
    found = imports.import_files(app.store, list(files), user=app.user, now=app.now, tz=app.zone)
    if fmt == "table":
        click.echo(
            f"{found['messages']} messages: {found['attached']} attached ({found['results']} results),"
            f" {found['quarantined']} quarantined, {found['duplicates']} already imported."
        )
        for row in found["quarantine"]:
            click.echo(f"  quarantined message {row['message']} ({row['where']}): {row['reason']}")
    else:
        render_record({k: v for k, v in found.items() if k != "quarantine"}, fmt)


@lab.command("match")
@click.argument("message", type=int)
@click.argument("order_ref", metavar="ORDER")
@click.option("--why", required=True, help="How you know it is that order (audited).")
@pass_app
def match(app, message, order_ref, why):
    """Attach a quarantined message to the order a person checked.

    \b
    Example:
        macli lab match 7 LO000012 --why "lab misspelt the name; DOB and MRN agree (called Quest)"
    """
    from macli.lab import imports

    row = imports.match(
        app.store, message, order_ref, why=why, user=app.user, now=app.now, tz=app.zone
    )
    click.echo(f"Message {row['message']} attached to {row['order']}: {row['results']} results.")


@lab.command("result")
@click.argument("order_ref", metavar="ORDER")
@click.option("--value", "values", multiple=True, required=True, help="TEST=VALUE (repeat).")
@click.option("--unit", help="UCUM unit (default: the test's).")
@click.option("--range", "reference_range", help="Reference range (default: the test's).")
@click.option("--flag", type=click.Choice(["L", "H", "LL", "HH", "A", "N"], case_sensitive=False))
@click.option(
    "--status",
    type=click.Choice(["preliminary", "final", "corrected"]),
    default="final",
    show_default=True,
)
@format_option
@pass_app
def result(app, order_ref, values, unit, reference_range, flag, status, fmt):
    """Enter a result by hand (a faxed report).

    \b
    Example:
        macli lab result LO000012 --value HbA1c=7.9 --unit % --range 4.0-5.6
    """
    from macli.lab import results

    rows = results.manual(
        app.store,
        order_ref,
        list(values),
        unit=unit,
        reference_range=reference_range,
        flag=flag,
        status=status,
        user=app.user,
        now=app.now,
    )
    render(rows, fmt, columns=["result", "order", "test"])


@lab.command("show")
@click.argument("result_id", metavar="RESULT")
@format_option
@pass_app
def show(app, result_id, fmt):
    """One result: every analyte, its history, review and who told the patient.

    \b
    Example:
        macli lab show 31
    """
    from macli.lab import results

    record = results.show(app.store, result_id, user=app.user, now=app.now, tz=app.zone)
    if fmt != "table":
        render_record(record, "json" if fmt == "json" else fmt)
        return
    parts = {k: v for k, v in record.items() if not isinstance(v, list)}
    render_record({k: v for k, v in parts.items() if v is not None}, "table")
    for key in ("observations", "history", "reviews", "notifications"):
        if record[key]:
            click.echo(f"\n{key.capitalize()}")
            render(record[key], "table")


@lab.command("inbox")
@click.option("--provider", help="Only results of this provider's orders.")
@format_option
@pass_app
def inbox(app, provider, fmt):
    """Results waiting for a provider's review: critical first, then abnormal.

    \b
    Example:
        macli lab inbox --provider chen
    """
    from macli.lab import results

    rows = results.inbox(app.store, provider=provider, user=app.user, now=app.now, tz=app.zone)
    render(rows, fmt, columns=results.LIST_COLUMNS, empty="No results waiting for review.")


@lab.command("review")
@click.argument("result_id", metavar="RESULT")
@click.option("--by", "by", required=True, help="The reviewing provider.")
@click.option("--comment", help="What the provider wants done or said.")
@click.option("--no-notify-needed", is_flag=True, help="The patient need not be told.")
@pass_app
def review(app, result_id, by, comment, no_notify_needed):
    """Sign off a result.

    \b
    Example:
        macli lab review 31 --by chen --comment "call: start statin, recheck 3 months"
    """
    from macli.lab import results

    row = results.review(
        app.store,
        result_id,
        by=by,
        comment=comment,
        notify_needed=not no_notify_needed,
        user=app.user,
        now=app.now,
    )
    tell = "the patient is to be told" if row["patient_to_be_told"] == "yes" else "closed"
    click.echo(f"Result {row['result']} reviewed by {row['reviewed_by']}; {tell}.")


@lab.command("notify")
@click.argument("result_id", metavar="RESULT")
@click.option(
    "--how", required=True, type=click.Choice(["phone", "letter", "portal", "email", "in-person"])
)
@click.option("--note", help="What was said, who answered.")
@click.option(
    "--template",
    metavar="NAME",
    help="With --how letter: the letter (default: normal-results, or follow-up-results "
    "when a test is out of range).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="With --how letter: also write the PDF here (mode 0600).",
)
@pass_app
def notify(app, result_id, how, note, template, output):
    """Record that the patient was told of a result.

    `--how letter` writes the results letter on the clinic's letterhead, each
    test in plain words with whether it is in range, and files it on the chart
    (`macli chart files PATIENT --kind letter`).

    \b
    Example:
        macli lab notify 31 --how phone --note "spoke with patient, will start statin"
        macli lab notify 32 --how letter -o ~/print/letter.pdf
    """
    from macli.lab import results

    if output and how != "letter":
        raise click.UsageError("-o goes with --how letter")
    if output:
        from macli.files import check_writable

        check_writable(output)  # before the letter is filed and the patient marked told
    row = results.notify(
        app.store,
        result_id,
        how=how,
        note=note,
        template=template,
        user=app.user,
        now=app.now,
        today=app.today,
        tz=app.zone,
    )
    letter = row["letter"]
    if letter is not None:
        if letter["notice"]:
            click.echo(f"Note: {letter['notice']}.", err=True)
        document = letter["document"]
        click.echo(
            f'Filed the letter "{letter["title"]}" as document {document["thread_id"]} for '
            f"{document['patient_name']} ({document['mrn']})."
        )
        if output:
            from macli.files import open_private

            with open_private(output, "wb") as handle:
                handle.write(letter["data"])
            click.echo(f"Wrote {output}.")
        else:
            click.echo(
                f"Print it with: macli chart file show {document['thread_id']} -o letter.pdf"
            )
    click.echo(
        f"Result {row['result']}: patient told by {row['told_by']}; closed: {row['closed']}."
    )


@lab.command("open")
@format_option
@pass_app
def open_(app, fmt):
    """Every result not closed: not reviewed, or the patient not yet told.

    \b
    Example:
        macli lab open -f csv > open-results.csv
    """
    from macli.lab import results

    rows = results.open_results(app.store, user=app.user, now=app.now, tz=app.zone)
    render(rows, fmt, columns=results.OPEN_COLUMNS, empty="Every result is closed.")


# -- point of care -----------------------------------------------------------------------


@lab.command("poc")
@click.argument("patient")
@click.option("--test", "test_name", required=True, help="The in-office test.")
@click.option("--result", "value", required=True, help="The reading: 112, negative, ...")
@click.option("--kit-lot", help="The kit lot used (default: the first-expiring usable lot).")
@click.option("--provider", help="The provider it was done for.")
@click.option("--flag", type=click.Choice(["L", "H", "LL", "HH", "A", "N"], case_sensitive=False))
@click.option("--interpretation", help="A study's reading, e.g. an EKG's.")
@click.option(
    "--attach", type=click.Path(dir_okay=False, exists=True), help="The tracing (PDF or image)."
)
@click.option(
    "--override", is_flag=True, help="Run it although its controls are missing or failed."
)
@click.option("--why", help="With --override: why (audited).")
@format_option
@pass_app
def poc(
    app,
    patient,
    test_name,
    value,
    kit_lot,
    provider,
    flag,
    interpretation,
    attach,
    override,
    why,
    fmt,
):
    """Record an in-office test; its kit is taken from stock.

    The kit comes from the first-expiring usable lot unless --kit-lot names one;
    an expired or held lot is refused, and so is a lot whose required controls
    are missing or failed (the message names the control to run).

    \b
    Example:
        macli lab poc P000042 --test "Rapid strep" --result negative
        macli lab poc P000042 --test "Glucose meter" --result 212 --kit-lot GM2291
        macli lab poc P000042 --test "12-lead EKG" --result "sinus rhythm" \\
            --interpretation "NSR 72, normal axis, no ST changes" --attach ekg.pdf
    """
    from macli.lab import poc as point_of_care

    row = point_of_care.perform(
        app.store,
        patient,
        test_name,
        value,
        kit_lot=kit_lot,
        provider=provider,
        flag=flag,
        interpretation=interpretation,
        attachment=attach,
        override=override,
        why=why,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    render_record(row, fmt)


@lab.command("control")
@click.argument("test_name", metavar="TEST")
@click.option("--lot", required=True, help="The kit lot the control was run on.")
@click.option(
    "--level", required=True, type=click.Choice(["positive", "negative", "low", "normal", "high"])
)
@click.option("--result", "outcome", required=True, type=click.Choice(["pass", "fail"]))
@click.option("--note", help="e.g. the control material's lot.")
@pass_app
def control(app, test_name, lot, level, outcome, note):
    """Record a quality-control run of a point-of-care test on a kit lot.

    \b
    Example:
        macli lab control "Rapid strep" --lot RS2291 --level positive --result pass
    """
    from macli.lab import poc as point_of_care

    row = point_of_care.control(
        app.store,
        test_name,
        lot=lot,
        level=level,
        passed=outcome == "pass",
        note=note,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    click.echo(
        f"Control {row['id']}: {row['test']} lot {row['lot']} {row['level']} {row['result']}."
    )


@lab.command("controls")
@click.option("--test", "test_name", help="Only this test's controls.")
@format_option
@pass_app
def controls(app, test_name, fmt):
    """Quality-control runs, newest first.

    \b
    Example:
        macli lab controls --test "Rapid strep"
    """
    from macli.lab import poc as point_of_care

    rows = point_of_care.controls(app.store, test=test_name, tz=app.zone)
    render(rows, fmt, columns=point_of_care.CONTROL_COLUMNS, empty="No control runs recorded.")


@lab.command("attachment")
@click.argument("result_id", metavar="RESULT")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="Where to write it."
)
@pass_app
def attachment(app, result_id, output):
    """Write a result's attached tracing to a file (mode 0600).

    \b
    Example:
        macli lab attachment 57 -o ekg.pdf
    """
    from macli.files import open_private
    from macli.lab import poc as point_of_care

    name, data = point_of_care.attachment(app.store, result_id, user=app.user, now=app.now)
    with open_private(output, "wb") as out:
        out.write(data)
    click.echo(f"{name} written to {output}.")
