"""`macli qc ...`: vaccine storage temperatures, excursions, sterilizers and spore tests."""

from __future__ import annotations

from datetime import timedelta

import click

from macli.cli import pass_app
from macli.output import format_option, render, render_record


@click.group()
def qc():
    """Lab upkeep: fridge temperatures, excursions, sterilizers, spore tests.

    Excursions hold the stock they endanger; a failed spore test recalls the
    packs made since the last pass.

    Temperatures are typed with their scale (5.2C, 41F) and kept exactly in °C.
    The logs are append-only; a wrong check is amended with a reason.
    """


def _when(app, text):
    if text is None:
        return None
    from macli.when import parse_datetime

    return parse_datetime(text, app.zone, app.now)


# -- storage units -------------------------------------------------------------------------


@qc.group("unit")
def unit():
    """Vaccine refrigerators and freezers."""


@unit.command("add")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice(["fridge", "freezer"]))
@click.option(
    "--range",
    "band",
    metavar="LOW..HIGH",
    help="Allowed range (default 2.0..8.0 °C for a fridge, -50.0..-15.0 °C for a freezer).",
)
@click.option(
    "--location",
    metavar="STOCK_LOCATION",
    help="The stock location it holds (items' --location): its lots are held by excursions.",
)
@pass_app
def unit_add(app, name, kind, band, location):
    """Add a storage unit.

    \b
    Example:
        macli qc unit add Vaccines --kind fridge --location "Vaccine fridge"
        macli qc unit add Varicella --kind freezer --range -50..-15 --location "Freezer"
    """
    from macli.qc import temps, units

    row = units.add(
        app.store, name, kind=kind, band=band, location=location, user=app.user, now=app.now
    )
    where = f", holding stock at {row['location']!r}" if row["location"] else ""
    click.echo(
        f"Added {units.label(row)}: range {temps.range_text(row['low_c100'], row['high_c100'])}"
        f"{where}."
    )


@unit.command("list")
@format_option
@pass_app
def unit_list(app, fmt):
    """List the storage units, their ranges and latest checks.

    \b
    Example:
        macli qc unit list
    """
    from macli.qc import units

    render(
        units.listing(app.store, tz=app.zone), fmt, columns=units.UNIT_COLUMNS, empty="No units."
    )


# -- readings ----------------------------------------------------------------------------


def _check_message(result: dict) -> None:
    current = f", now {result['current']}" if result["current"] else ""
    click.echo(
        f"Check {result['id']} of {result['label']} at {result['at']}: "
        f"min {result['min']}, max {result['max']}{current}."
    )
    excursion = result["excursion"]
    if excursion:
        click.echo(
            f"OUT OF RANGE: excursion {excursion['id']} opened ({excursion['what']}); "
            f"{excursion['open_holds']} lot(s) on hold. Do not use them; see "
            f"macli qc excursion show {excursion['id']}.",
            err=True,
        )


@qc.command("temp")
@click.argument("unit_name", metavar="UNIT")
@click.option("--min", "minimum", required=True, metavar="T", help="Lowest since the last reset.")
@click.option("--max", "maximum", required=True, metavar="T", help="Highest since the last reset.")
@click.option("--current", metavar="T", help="The temperature now.")
@click.option("--at", metavar="DATETIME", help="When the check was made (default: now).")
@pass_app
def temp(app, unit_name, minimum, maximum, current, at):
    """Record the start-of-day check: min and max since the last reset.

    A min or max outside the unit's range opens an excursion and holds
    every lot at the unit's stock location.

    \b
    Example:
        macli qc temp Vaccines --min 3.1C --max 6.4C --current 4.8C
        macli qc temp Vaccines --min 38F --max 44F --at "today 08:05"
    """
    from macli.qc import units

    result = units.record_check(
        app.store,
        unit_name,
        minimum=minimum,
        maximum=maximum,
        current=current,
        at=_when(app, at),
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    _check_message(result)


@qc.command("amend")
@click.argument("check_id", type=int, metavar="CHECK")
@click.option("--min", "minimum", required=True, metavar="T")
@click.option("--max", "maximum", required=True, metavar="T")
@click.option("--current", metavar="T")
@click.option("--reason", required=True, help="Why the check is corrected.")
@pass_app
def amend(app, check_id, minimum, maximum, current, reason):
    """Correct a check: a new row amends it, the original stays in the log.

    \b
    Example:
        macli qc amend 41 --min 3.1C --max 6.4C --reason "typed 64 for 6.4"
    """
    from macli.qc import units

    result = units.amend_check(
        app.store,
        check_id,
        minimum=minimum,
        maximum=maximum,
        current=current,
        reason=reason,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    click.echo(f"Check {check_id} amended by check {result['id']}.")


@qc.command("import")
@click.argument("unit_name", metavar="UNIT")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--time-column", metavar="NAME", help="The column with the time (or date and time).")
@click.option("--date-column", metavar="NAME", help="The date column, when apart from the time.")
@click.option("--temp-column", metavar="NAME", help="The column with the temperature.")
@click.option(
    "--unit", "scale", type=click.Choice(["C", "F"], case_sensitive=False), help="°C or °F."
)
@click.option(
    "--zone",
    metavar="ZONE",
    help="The logger's time zone: a name (Europe/Berlin) or offset (UTC-05:00).",
)
@click.option("--date-order", type=click.Choice(["mdy", "dmy", "ymd"]), help="For 03/04/2026.")
@pass_app
def import_command(app, unit_name, file, **options):
    """Import a data logger's CSV export; the same readings twice add nothing.

    The common layouts are recognised (a timestamp column, or date and time
    columns, and a temperature column whose name says °C or °F); name the
    columns if not. Times with an offset are exact; otherwise they are the
    clinic's wall-clock time (or --zone's), and the hour repeated when the
    clocks fall back is read in file order. Readings out of range open an
    excursion and hold the unit's stock.

    \b
    Example:
        macli qc import Vaccines logtag-2026-11.csv
        macli qc import Vaccines hobo.csv --temp-column "Temp, °F" --zone UTC-05:00
    """
    from pathlib import Path

    from macli.qc import logger

    path = Path(file)
    result = logger.import_file(
        app.store,
        unit_name,
        path.read_bytes(),
        file_name=path.name,
        user=app.user,
        now=app.now,
        tz=app.zone,
        **options,
    )
    if result["added"] == 0:
        click.echo(
            f"Nothing new: all {result['rows']} readings of {path.name} were already recorded."
        )
    else:
        click.echo(
            f"Imported {result['added']} of {result['rows']} readings into {result['label']}."
        )
    for excursion in result["excursions"]:
        click.echo(
            f"OUT OF RANGE: excursion {excursion['id']} ({excursion['what']}); "
            f"{excursion['open_holds']} lot(s) on hold.",
            err=True,
        )


@qc.command("temps")
@click.argument("unit_name", metavar="UNIT")
@click.option("--days", type=click.IntRange(1, 3660), default=7, show_default=True)
@click.option("--no-plot", is_flag=True, help="List the readings only.")
@format_option
@pass_app
def temps_command(app, unit_name, days, no_plot, fmt):
    """List a unit's checks and logged readings, drawn against its range.

    \b
    Example:
        macli qc temps Vaccines --days 14
        macli qc temps Vaccines --days 30 -f csv
    """
    from macli.qc import units

    rows = units.readings(
        app.store, unit_name, since=app.now - timedelta(days=days), until=app.now, tz=app.zone
    )
    if fmt == "table" and not no_plot and rows:
        from macli.qc import plot

        click.echo(plot.terminal(units.get(app.store, unit_name), rows, tz=app.zone), nl=False)
    render(
        units.reading_rows(rows, app.zone),
        fmt,
        columns=units.READING_COLUMNS,
        empty=f"No readings in the last {days} days.",
    )


# -- excursions --------------------------------------------------------------------------


@qc.group("excursion")
def excursion():
    """Temperature excursions and the stock they hold."""


@excursion.command("list")
@click.option("--open", "open_only", is_flag=True, help="Only those not closed.")
@click.option("--unit", "unit_name", metavar="UNIT", help="Only this unit's.")
@format_option
@pass_app
def excursion_list(app, open_only, unit_name, fmt):
    """List excursions, newest first.

    \b
    Example:
        macli qc excursion list --open
    """
    from macli.qc import excursions

    rows = excursions.listing(app.store, open_only=open_only, tz=app.zone, unit=unit_name)
    render(rows, fmt, columns=excursions.LIST_COLUMNS, empty="No excursions.")


@excursion.command("show")
@click.argument("excursion_id", type=int, metavar="ID")
@format_option
@pass_app
def excursion_show(app, excursion_id, fmt):
    """Show an excursion: what happened, the lots held, every action.

    \b
    Example:
        macli qc excursion show 3
    """
    from macli.qc import excursions

    record = excursions.show(app.store, excursion_id, tz=app.zone)
    if fmt != "table":
        render_record(record, fmt)
        return
    lots, log, steps = record.pop("lots"), record.pop("log"), record.pop("steps")
    render_record(record, fmt)
    click.echo("\nSteps:")
    render(
        [{**row, "done": row["done"] or "TO DO"} for row in steps],
        fmt,
        columns=("step", "what", "done"),
    )
    click.echo("\nLots:")
    render(lots, fmt, columns=("sku", "lot", "on_hand", "outcome", "why"), empty="  none held")
    click.echo("\nActions:")
    render(log, fmt, columns=("at", "by", "step", "reference", "note"), empty="  none yet")


@excursion.command("act")
@click.argument("excursion_id", type=int, metavar="ID")
@click.option(
    "--step",
    type=click.Choice(["notified", "documented", "contacted"]),
    help="Which step: the person in charge notified, the event documented, the "
    "manufacturer or immunization program contacted (with --reference).",
)
@click.option("--reference", metavar="REF", help="The case number they gave (with contacted).")
@click.option("--note", help="What was done or said (required without --step).")
@pass_app
def excursion_act(app, excursion_id, step, reference, note):
    """Record a step taken on an excursion.

    The inspector looks for three steps on each excursion: notified,
    documented, contacted (with the reference given). `qc excursion show`
    and `qc due` say which are still to do.

    \b
    Example:
        macli qc excursion act 3 --step notified --note "Dr. Reyes, 08:05"
        macli qc excursion act 3 --step documented --note "door ajar; vaccines bagged"
        macli qc excursion act 3 --step contacted --reference AV-88121 --note "Apex line"
        macli qc excursion act 3 --note "unit serviced, door seal replaced"
    """
    from macli.qc import excursions

    result = excursions.act(
        app.store,
        excursion_id,
        note=note,
        step=step,
        reference=reference,
        user=app.user,
        now=app.now,
    )
    missing = result["missing_steps"]
    click.echo(
        f"Recorded on excursion {result['excursion']}."
        + (f" Still to do: {', '.join(missing)}." if missing else "")
    )


@excursion.command("release")
@click.argument("excursion_id", type=int, metavar="ID")
@click.option("--lot", required=True, help="The held lot.")
@click.option("--sku", help="The item, when two items share the lot number.")
@click.option("--why", help="What the manufacturer or program said (required to release).")
@click.option(
    "--discard", is_flag=True, help="Write the lot off (stock discard, reason excursion)."
)
@pass_app
def excursion_release(app, excursion_id, lot, sku, why, discard):
    """Release a held lot as usable, or --discard it.

    The excursion is closed when every lot it held is released or discarded.

    \b
    Example:
        macli qc excursion release 3 --lot FL4603 --why "Apex: stable, ref AV-88121"
        macli qc excursion release 3 --lot MM2210 --discard --why "Merck: do not use"
    """
    from macli.errors import Invalid
    from macli.qc import excursions

    if discard:
        record = excursions.discard(
            app.store,
            excursion_id,
            lot=lot,
            sku=sku,
            why=why,
            user=app.user,
            now=app.now,
            tz=app.zone,
        )
        click.echo(f"Discarded lot {lot} (excursion {excursion_id}).")
    else:
        if not why:
            raise Invalid("say why the lot may be used (--why), e.g. the manufacturer's answer")
        record = excursions.release(
            app.store,
            excursion_id,
            lot=lot,
            sku=sku,
            why=why,
            user=app.user,
            now=app.now,
            tz=app.zone,
        )
        click.echo(f"Released lot {lot}: it may be used again.")
    click.echo(f"Excursion {excursion_id} is {record['status']}.")


# -- sterilizers -------------------------------------------------------------------------


@qc.group("sterilizer")
def sterilizer():
    """Autoclaves and other sterilizers."""


@sterilizer.command("add")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(["steam", "dry-heat", "chemical"]),
    default="steam",
    show_default=True,
)
@pass_app
def sterilizer_add(app, name, kind):
    """Add a sterilizer.

    \b
    Example:
        macli qc sterilizer add Autoclave --kind steam
    """
    from macli.qc import sterilizers

    row = sterilizers.add(app.store, name, kind=kind, user=app.user, now=app.now)
    click.echo(f"Added {row['kind']} sterilizer {row['name']!r}.")


@sterilizer.command("list")
@format_option
@pass_app
def sterilizer_list(app, fmt):
    """List sterilizers: in service or not, last load, spore tests.

    \b
    Example:
        macli qc sterilizer list
    """
    from macli.qc import sterilizers

    rows = sterilizers.listing(app.store, now=app.now, tz=app.zone)
    columns = ("name", "kind", "status", "last_load", "last_spore_test", "spore_test")
    render(rows, fmt, columns=columns, empty="No sterilizers.")


@qc.command("cycle")
@click.argument("sterilizer_name", metavar="STERILIZER")
@click.option("--contents", required=True, help="What the load holds.")
@click.option("--packs", type=click.IntRange(0, 500), default=0, help="How many packs it made.")
@click.option("--pack-type", metavar="NAME", help="What the packs are, e.g. 'suture set'.")
@click.option("--temp", required=True, metavar="T", help="Temperature reached, e.g. 121C or 250F.")
@click.option("--minutes", required=True, type=click.IntRange(1, 1440), help="Exposure time.")
@click.option("--pressure", metavar="VALUE", help="As the gauge shows it, e.g. '15 psi'.")
@click.option("--chemical", required=True, type=click.Choice(["pass", "fail"]))
@click.option("--at", metavar="DATETIME", help="When it ran (default: now).")
@click.option("--by", "operator", metavar="NAME", help="Who ran it (default: you).")
@click.option(
    "--implant",
    is_flag=True,
    help="The load holds an implant: run a spore test with it; its packs wait for the pass.",
)
@click.option("--labels", is_flag=True, help="Print the packs' labels as a PDF (-o).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="The labels PDF.")
@pass_app
def cycle(app, sterilizer_name, labels, output, at, **fields):
    """Record a sterilizer load; prints its load number and pack codes.

    Refused while the sterilizer is out of service after a failed spore test.

    \b
    Example:
        macli qc cycle Autoclave --contents "suture sets, speculums" --packs 6 \\
            --pack-type "suture set" --temp 121C --minutes 30 --pressure "15 psi" \\
            --chemical pass --labels -o load-labels.pdf
    """
    from macli.errors import Invalid
    from macli.qc import sterilizers

    if labels and not output:
        raise Invalid("say where the labels go: --labels -o FILE.pdf")
    if output and not labels:
        raise Invalid("-o is the labels PDF: add --labels")
    result = sterilizers.record_cycle(
        app.store,
        sterilizer_name,
        at=_when(app, at),
        user=app.user,
        now=app.now,
        tz=app.zone,
        **fields,
    )
    packs = result["packs"]
    click.echo(
        f"Load {result['load']} on {result['sterilizer']} at {result['at']}"
        + (f": packs {packs[0]} to {packs[-1]}." if packs else ".")
    )
    if result["chemical"] == "fail":
        click.echo(
            "CHEMICAL INDICATOR FAILED: this load is not sterile; reprocess its packs.", err=True
        )
    elif fields.get("implant"):
        click.echo(
            "IMPLANT LOAD: its packs are quarantined until a spore test run with it passes.",
            err=True,
        )
    if labels:
        from macli.qc import labels as label_pdf

        rows = sterilizers.labels(app.store, result["sterilizer"], result["load"], tz=app.zone)
        count = label_pdf.write(app.store, rows, output)
        click.echo(f"Wrote {count} label(s) to {output}.")


@qc.command("cycles")
@click.argument("sterilizer_name", metavar="STERILIZER")
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True)
@format_option
@pass_app
def cycles(app, sterilizer_name, days, fmt):
    """List a sterilizer's loads.

    \b
    Example:
        macli qc cycles Autoclave --days 7
    """
    from macli.qc import sterilizers

    rows = sterilizers.cycles(
        app.store,
        sterilizer_name,
        since=app.now - timedelta(days=days),
        until=app.now + timedelta(seconds=1),
        tz=app.zone,
    )
    render(rows, fmt, columns=sterilizers.CYCLE_COLUMNS, empty="No loads.")


@qc.command("spore")
@click.argument("sterilizer_name", metavar="STERILIZER")
@click.option("--result", required=True, type=click.Choice(["pass", "fail"]))
@click.option("--bi-lot", required=True, metavar="LOT", help="The biological indicator's lot.")
@click.option("--control", type=click.Choice(["pass", "fail"]), help="The unprocessed control.")
@click.option("--note", help="Anything worth keeping (lab report number...).")
@click.option("--at", metavar="DATETIME", help="When the test ran (default: now).")
@pass_app
def spore(app, sterilizer_name, result, bi_lot, control, note, at):
    """Record a spore (biological indicator) test.

    A failed test puts the sterilizer out of service until three passing
    retests in a row, and recalls every pack since the last passing test.
    A test whose control failed is kept but does not count.

    \b
    Example:
        macli qc spore Autoclave --result pass --bi-lot BI-2291 --control pass
    """
    from macli.qc import sterilizers

    outcome = sterilizers.record_spore_test(
        app.store,
        sterilizer_name,
        result=result,
        bi_lot=bi_lot,
        control=control,
        note=note,
        at=_when(app, at),
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    click.echo(f"Spore test {outcome['id']} on {outcome['sterilizer']}: {outcome['result']}.")
    if not outcome["counted"]:
        click.echo("The control failed: this test does not count; repeat it.", err=True)
    if outcome["recalled"]:
        click.echo(
            f"RECALL: {len(outcome['recalled'])} pack(s) since the last passing test: "
            + ", ".join(outcome["recalled"])
            + " (macli qc recall list).",
            err=True,
        )
    for used in outcome["already_used"]:
        click.echo(
            f"ALREADY OPENED: pack {used['pack']} on {used['opened']}"
            + (f" for {used['for']}" if used["for"] else "")
            + (f", patient {used['patient']}" if used["patient"] else "")
            + ": tell whoever leads infection control.",
            err=True,
        )
    if not outcome["in_service"]:
        click.echo(
            f"{outcome['sterilizer']} is OUT OF SERVICE: {outcome['passes_since']} of "
            f"{sterilizers.RETESTS_TO_RETURN} passing retests.",
            err=True,
        )
    elif outcome["returned_to_service"]:
        click.echo(f"{outcome['sterilizer']} is back in service.")


@qc.command("spores")
@click.argument("sterilizer_name", metavar="STERILIZER")
@click.option("--days", type=click.IntRange(1, 3660), default=90, show_default=True)
@format_option
@pass_app
def spores(app, sterilizer_name, days, fmt):
    """List a sterilizer's spore tests.

    \b
    Example:
        macli qc spores Autoclave
    """
    from macli.qc import sterilizers

    rows = sterilizers.spore_tests(
        app.store,
        sterilizer_name,
        since=app.now - timedelta(days=days),
        until=app.now + timedelta(seconds=1),
        tz=app.zone,
    )
    render(rows, fmt, columns=sterilizers.SPORE_COLUMNS, empty="No spore tests.")


@qc.group("recall")
def recall():
    """Packs recalled after a failed spore test."""


@recall.command("list")
@click.option("--all", "everything", is_flag=True, help="Include packs already reprocessed.")
@format_option
@pass_app
def recall_list(app, everything, fmt):
    """Recalled packs still on the shelf: do not use them, reprocess them.

    --all adds those reprocessed and those opened before the recall (with the
    patient they were opened for: tell whoever leads infection control).

    \b
    Example:
        macli qc recall list
    """
    from macli.qc import packs

    rows = packs.recalls(app.store, open_only=not everything, tz=app.zone)
    render(rows, fmt, columns=packs.RECALL_COLUMNS, empty="No recalled packs.")


@recall.command("reprocessed")
@click.argument("codes", nargs=-1, required=True, metavar="PACK...")
@click.option("--note", help="e.g. the new load number.")
@pass_app
def recall_reprocessed(app, codes, note):
    """Mark recalled (or failed-load) packs as reprocessed.

    \b
    Example:
        macli qc recall reprocessed S1-0041-01 S1-0041-02 --note "into load 45"
    """
    from macli.qc import packs

    done = packs.reprocessed(app.store, list(codes), note=note, user=app.user, now=app.now)
    click.echo(f"Reprocessed: {', '.join(done)}.")


@qc.command("pack")
@click.argument("code", metavar="PACK")
@format_option
@pass_app
def pack(app, code, fmt):
    """Show a sterile pack and whether it may be used.

    \b
    Example:
        macli qc pack S1-0042-03
    """
    from macli.qc import packs

    render_record(packs.shown(packs.pack(app.store, code), app.zone), fmt)


# -- what is due -------------------------------------------------------------------------


@qc.command("due")
@format_option
@pass_app
def due_command(app, fmt):
    """What is due: unit checks, spore tests, open excursions, recalled packs.

    \b
    Example:
        macli qc due
        macli qc due -f json
    """
    from macli.qc import due

    rows = due.due(app.store, now=app.now, tz=app.zone)
    render(rows, fmt, columns=due.DUE_COLUMNS, empty="Nothing due: every check is done.")


@qc.command("sheet")
@click.argument("name", metavar="UNIT|STERILIZER")
@click.option("--month", required=True, metavar="YYYY-MM", help="The month, e.g. 2026-11.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The PDF.")
@pass_app
def sheet(app, name, month, output):
    """The inspector's monthly sheet of a unit or a sterilizer, as a PDF.

    A unit's: its range, a chart of each day's min and max against it, the
    checks with who made them (missing days marked), the month's excursions
    with every action. A sterilizer's: loads, spore tests and recalls.

    \b
    Example:
        macli qc sheet Vaccines --month 2026-11 -o vaccines-2026-11.pdf
        macli qc sheet Autoclave --month 2026-11 -o autoclave-2026-11.pdf
    """
    from macli.qc import sheet as sheets

    result = sheets.write(app.store, name, month, output, tz=app.zone, now=app.now)
    click.echo(f"Wrote the {month} sheet of {name} to {output} ({result['pages']} page(s)).")
