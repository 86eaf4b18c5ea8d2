"""`macli procedure ...`: minor in-office surgery — types, the prep sheet, the safety
checklist, what was used, and tracing a sterile pack to its patients."""

from __future__ import annotations

import click

from macli.cli import pass_app
from macli.output import format_option, render


@click.group()
def procedure():
    """Minor procedures: prep sheets, the safety checklist, trays, packs, specimens.

    A procedure type names its tray (a stock kit), the sterile packs it needs,
    whether written consent is required and the lab test its specimen goes to.
    `procedure plan` says which procedure an appointment is; the checklist
    (sign-in, time-out, sign-out) is append-only and goes in order.
    """


@procedure.group("type")
def type_group():
    """The procedures the clinic performs."""


@type_group.command("add")
@click.argument("name")
@click.option("--kit", help="The tray: a stock kit (macli stock kit list).")
@click.option(
    "--pack-type", "pack_types", multiple=True, help="A sterile pack type it needs (repeatable)."
)
@click.option(
    "--consent", type=click.Choice(["required", "none"]), default="required", show_default=True
)
@click.option("--specimen", metavar="TEST", help="The lab test its specimen goes to.")
@click.option("--appointment-type", metavar="TYPE", help="The appointment type it is booked as.")
@click.option("--lateral", is_flag=True, help="The site has a side: sign-in needs it marked.")
@click.option(
    "--checklist",
    type=click.Choice(["default"]),
    default="default",
    show_default=True,
    help="The checklist: the WHO/Universal Protocol office checklist.",
)
@pass_app
def type_add(app, name, kit, pack_types, consent, specimen, appointment_type, lateral, checklist):
    """Add a procedure type.

    \b
    Example:
        macli procedure type add "Punch biopsy" --kit "Biopsy tray" \\
            --pack-type "biopsy set" --specimen "Surgical pathology" \\
            --appointment-type procedure --lateral
        macli procedure type add "Laceration repair" --kit "Suture tray" \\
            --pack-type "suture set" --consent required
    """
    from macli.procedure import types

    row = types.add(
        app.store,
        name,
        kit=kit,
        pack_types=pack_types,
        consent=consent,
        specimen=specimen,
        appointment_type=appointment_type,
        lateral=lateral,
        user=app.user,
        now=app.now,
    )
    click.echo(f"Added procedure type {row['name']} (id {row['id']}).")


@type_group.command("list")
@format_option
@pass_app
def type_list(app, fmt):
    """List the procedure types.

    \b
    Example:
        macli procedure type list
        macli procedure type list -f json
    """
    from macli.procedure import types

    render(
        types.listing(app.store),
        fmt,
        columns=["id", "name", "tray", "packs", "consent", "specimen", "booked_as", "lateral"],
        empty="No procedure types yet: macli procedure type add NAME ...",
    )


@procedure.command("plan")
@click.argument("appointment", type=int)
@click.argument("type_name", metavar="TYPE")
@click.option("--site", help="Where, with the side for a lateral one: 'left forearm'.")
@pass_app
def plan(app, appointment, type_name, site):
    """Say which procedure a booked appointment is, and on which site.

    \b
    Example:
        macli procedure plan 4127 "Punch biopsy" --site "left forearm"
    """
    from macli.procedure import types

    row = types.plan(app.store, appointment, type_name, site=site, user=app.user, now=app.now)
    where = f" on the {row['site']}" if row["site"] else ""
    click.echo(f"Appointment {row['appointment']} is a {row['procedure']}{where}.")


@procedure.command("prep")
@click.argument("appointment", required=False)
@click.option("--date", "day_text", help="Every procedure of this day, e.g. tomorrow.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write a PDF (FILE.pdf).")
@format_option(formats=("table", "json"))
@pass_app
def prep(app, appointment, day_text, output, fmt):
    """The prep sheet: patient, allergies, medications, consent, tray, packs, missing.

    Read from the chart, the closet and the sterile packs as it is printed. Latex,
    local anaesthetic, iodine, adhesive and chlorhexidine allergies and
    anticoagulants or antiplatelets are called out.

    \b
    Example:
        macli procedure prep 4127
        macli procedure prep --date tomorrow -o prep.pdf
    """
    import json

    from macli.procedure import prep as sheets
    from macli.when import parse_date

    if (appointment is None) == (day_text is None):
        raise click.UsageError("name an APPOINTMENT or --date DATE")
    if appointment is not None:
        found = [sheets.prep(app.store, appointment, user=app.user, now=app.now, tz=app.zone)]
    else:
        day = parse_date(day_text, app.today)
        found = sheets.day(app.store, day, user=app.user, now=app.now, tz=app.zone)
    if output:
        from macli import pdf

        if not found:
            raise click.ClickException("no procedures planned that day; nothing written")
        sheets.write_pdf(found, output, head=pdf.letterhead(app.store))
        click.echo(f"Prep sheets written to {output} ({len(found)}).", err=True)
        return
    if fmt == "json":
        for row in found:
            row.pop("patient_id", None)
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("No procedures planned that day.")
    for number, row in enumerate(found):
        if number:
            click.echo("")
        _print_sheet(row)


def _print_sheet(row: dict) -> None:
    click.echo(f"{row['procedure']} · appointment {row['appointment']} · {row['when']}")
    click.echo(f"  Patient:  {row['patient']}  DOB {row['dob']}  MRN {row['mrn']}")
    click.echo(f"  Room:     {row['room'] or '-'}  Provider: {row['provider']}")
    click.echo(f"  Site:     {row['site'] or '-'}")
    click.echo(f"  Consent:  {row['consent']}")
    click.echo(f"  Checklist: {row['checklist']}")
    for line in row["warnings"]:
        click.echo(f"  ! {line}")
    for line in row["missing"]:
        click.echo(f"  ! MISSING: {line}")
    allergies = ", ".join(a["substance"] for a in row["allergies"]) or "never recorded"
    click.echo(f"  Allergies: {allergies}")
    meds = ", ".join(m["name"] for m in row["medications"]) or "none listed"
    click.echo(f"  Medications: {meds}")
    if row["tray"]:
        click.echo(f"  Tray ({row['tray_name']}):")
        for part in row["tray"]:
            click.echo(f"    {part['quantity']} {part['unit']} {part['sku']}: {part['lots']}")
    for pack in row["packs"]:
        load = f" ({pack['load']}, {pack['made']})" if pack["load"] else ""
        click.echo(f"  Pack {pack['pack_type']}: {pack['pack']}{load}")
    if row["specimen"]:
        click.echo(f"  Specimen to: {row['specimen']}")


@procedure.command("check")
@click.argument("appointment")
@click.argument("step", type=click.Choice(["sign-in", "time-out", "sign-out"]))
@click.option("--site", help="The site, confirmed (must match the plan).")
@click.option("--identity-confirmed", is_flag=True, help="Sign-in: two identifiers checked.")
@click.option("--site-marked", is_flag=True, help="Sign-in: the site is marked (lateral).")
@click.option("--consent-signed", is_flag=True, help="Sign-in: written consent is signed.")
@click.option("--allergies-checked", is_flag=True, help="Sign-in: allergies asked and checked.")
@click.option("--team", help="Time-out: who is present.")
@click.option("--packs-sterile", is_flag=True, help="Time-out: pack indicators checked.")
@click.option("--counts-correct", is_flag=True, help="Sign-out: sharps and sponges counted.")
@click.option("--pack", "packs", multiple=True, metavar="CODE", help="Sign-out: a pack opened.")
@click.option("--specimen", help="Sign-out: the specimen, e.g. 'punch 4 mm, formalin'.")
@click.option("--note", help="Anything to add.")
@click.option("--by", help="Who did the step (default: the acting user).")
@click.option("--override", is_flag=True, help="Emergency only: open a pack qc says not to.")
@click.option("--why", help="The reason for --override (audited).")
@pass_app
def check(app, appointment, step, **given):
    """Record a checklist step: sign-in, time-out, then sign-out.

    Each step names what it is missing. Sign-out uses the tray from stock (all
    or nothing), records the packs opened, and with --specimen creates the lab
    order and the collected specimen (print its label with macli lab label).

    \b
    Example:
        macli procedure check 4127 sign-in --site "left forearm" \\
            --identity-confirmed --site-marked --consent-signed --allergies-checked
        macli procedure check 4127 time-out --site "left forearm" \\
            --team "Dr Chen, M. Lopez MA" --packs-sterile
        macli procedure check 4127 sign-out --counts-correct \\
            --pack S1-0042-03 --specimen "punch 4 mm, formalin"
    """
    from macli.procedure import checklist

    note, by = given.pop("note"), given.pop("by")
    override, why = given.pop("override"), given.pop("why")
    if override and not why:
        raise click.UsageError("--override needs --why TEXT")
    if why and not override:
        raise click.UsageError("--why goes with --override")
    result = checklist.check(
        app.store,
        appointment,
        step,
        given=given,
        note=note,
        by=by,
        override_why=why if override else None,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    click.echo(f"{step} recorded for appointment {result['appointment']} ({result['checklist']}).")
    for flag in result.get("flags", []):
        click.echo(f"  ! {flag}")
    if result.get("tray"):
        parts = ", ".join(f"{t['quantity']} {t['sku']} ({t['lot']})" for t in result["tray"])
        click.echo(f"  Tray used: {parts}")
    if result.get("packs"):
        click.echo(f"  Packs opened: {', '.join(result['packs'])}")
    for code in result.get("overridden", []):
        click.echo(f"  ! pack {code} opened under --override: {why}")
    if result.get("order"):
        click.echo(
            f"  Specimen {', '.join(result['specimens'])} on order {result['order']}:"
            f" macli lab label {result['order']} -o label.pdf"
        )


@procedure.command("show")
@click.argument("appointment")
@format_option
@pass_app
def show(app, appointment, fmt):
    """The checklist of a procedure: each step, its answers, who and when.

    \b
    Example:
        macli procedure show 4127
    """
    from macli.procedure import checklist

    rows = checklist.steps_listing(app.store, appointment, user=app.user, now=app.now, tz=app.zone)
    render(
        rows,
        fmt,
        columns=["id", "step", "at", "by", "answers", "packs", "note"],
        empty="No checklist step recorded yet.",
    )


@procedure.command("trace")
@click.argument("reference", metavar="PACK|LOAD")
@format_option
@pass_app
def trace(app, reference, fmt):
    """The patients whose procedures opened a pack, or any pack of a load.

    \b
    Example:
        macli procedure trace S1-0042
        macli procedure trace S1-0042-03 -f csv
    """
    from macli.procedure import checklist

    rows = checklist.trace(app.store, reference, user=app.user, now=app.now, tz=app.zone)
    render(
        rows,
        fmt,
        columns=["pack", "opened", "for", "mrn", "patient", "phone", "recalled"],
        empty="No pack of it was opened.",
    )
