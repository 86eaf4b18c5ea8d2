"""`macli patient ...` and `macli provider ...`."""

from __future__ import annotations

import click

from macli.cli import pass_app
from macli.files import open_private
from macli.identifiers import phone_national
from macli.options import MAX_LIMIT, limit_type, option_stack
from macli.output import format_option, render, render_record, write_rows
from macli.patients import core, providers

_DETAIL_OPTIONS = [
    click.option("--sex", help="female, male, other or unknown."),
    click.option("--phone", help="Phone number; stored as E.164 (+16175550123)."),
    click.option("--email", help="E-mail address."),
    click.option(
        "--prefers",
        type=click.Choice(core.PREFERENCES),
        help="The channel the patient would rather be reached by (grants no consent).",
    ),
    click.option("--address", help="Postal address."),
    click.option("--insurance", help="Insurance, as free text (payer and member id)."),
    click.option(
        "--language", metavar="CODE", help="Preferred language, a BCP 47 code: es, pt-BR, vi."
    ),
    click.option(
        "--interpreter/--no-interpreter",
        default=None,
        help="Whether the patient needs an interpreter.",
    ),
]


detail_options = option_stack(_DETAIL_OPTIONS)


@click.group()
def patient():
    """Register, find, edit, import and export patients.

    PATIENT arguments take the MRN (P000123) or a part of the name that
    matches one patient only; searches ignore case and accents.
    """


@patient.command("add")
@click.argument("name")
@click.option("--dob", required=True, help="Date of birth, YYYY-MM-DD.")
@detail_options
@click.option("--consent", metavar="CHANNELS", help="Channels we may use: sms,email,phone.")
@click.option("--allow-duplicate", is_flag=True, help="Register even if name and birth date match.")
@click.option(
    "--confirm", is_flag=True, help="Register a date of birth that makes the patient over 110."
)
@pass_app
def patient_add(app, name, dob, consent, allow_duplicate, confirm, **details):
    """Register a patient and print the new MRN.

    \b
    Example:
        macli patient add "Ana García" --dob 1984-03-02 --phone 617-555-0142 \\
            --email ana@example.org --prefers sms --consent sms,email
    """
    row = core.add(
        app.store,
        {"name": name, "dob": dob, **details},
        consent=consent,
        region=app.setting("clinic.region"),
        user=app.user,
        now=app.now,
        today=app.today,
        allow_duplicate=allow_duplicate,
        confirm=confirm,
    )
    click.echo(row["mrn"])


@patient.command("list")
@click.option(
    "--search", "-s", help="Part of a name (any case, accents optional), MRN, phone or e-mail."
)
@click.option(
    "--limit", type=limit_type(), default=0, help=f"Show at most N patients (up to {MAX_LIMIT:,})."
)
@format_option
@pass_app
def patient_list(app, search, limit, fmt):
    """List patients, optionally only those matching a search.

    \b
    Example:
        macli patient list --search jose
        macli patient list -f csv > patients.csv
    """
    rows = core.search_rows(app.store, search, user=app.user, now=app.now, limit=limit)
    if fmt == "table":
        phone = core.LIST_COLUMNS.index("phone")
        rows = ((*row[:phone], phone_national(row[phone]), *row[phone + 1 :]) for row in rows)
    write_rows(rows, fmt, None, core.LIST_COLUMNS, empty="No patients found.", paged=not limit)


@patient.command("find")
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@format_option
@pass_app
def patient_find(app, text, limit, fmt):
    """Find the caller: by phone, date of birth, MRN or name words, or a mix.

    A phone number may be written any common way, or just its last 4 or 7
    digits; a date of birth as 1984-03-02, 03/02/1984, 3/2/84 or 2 March
    1984 (numeric dates are read month first unless the clinic's
    clinic.date_order is dmy). Name words match the start of any part of the
    name, ignoring case and accents. Every part given must match.

    \b
    Example:
        macli patient find "(401) 555-0148"
        macli patient find 0148
        macli patient find garcia 3/2/84
    """
    found = core.find_patients(
        app.store, " ".join(text), user=app.user, now=app.now, today=app.today, limit=limit
    )
    rows = found["rows"]
    if fmt == "table":
        rows = [{**row, "phone": phone_national(row["phone"])} for row in rows]
    render(rows, fmt, columns=core.FIND_COLUMNS, empty="No patient matches.")
    if fmt == "table" and (found["more"] or len(rows) > 1):
        more = f"more than {len(rows)}" if found["more"] else str(len(rows))
        click.echo(
            f"{more} patients match: ask for another detail (date of birth, phone).", err=True
        )


@patient.command("show")
@click.argument("patient")
@format_option
@pass_app
def patient_show(app, patient, fmt):
    """Show one patient with consent and its history.

    \b
    Example:
        macli patient show P000042
    """
    record = core.show(app.store, patient, user=app.user, now=app.now)
    history = record.pop("consent_history")
    consent = record.pop("consent")
    for key in ("id", "search_name", "first_name"):
        record.pop(key)
    record["consent"] = ", ".join(c for c, ok in consent.items() if ok) or "none"
    if fmt != "table":
        render_record({**record, "consent_history": history}, "json" if fmt == "json" else fmt)
        return
    record["phone"] = phone_national(record["phone"])
    if record["language"]:
        record["language"] = f"{record['language_name']} ({record['language']})"
    record["interpreter"] = "needed" if record["interpreter"] else "no"
    record.pop("language_name")
    render_record(record, fmt)
    click.echo("\nConsent history:")
    render(history, fmt, empty="No consent recorded.")


@patient.command("edit")
@click.argument("patient")
@click.option("--name", help="New name.")
@click.option("--dob", help="Corrected date of birth.")
@detail_options
@click.option(
    "--claim-name",
    help="The name in Latin letters as on the insurance card, for claims (X12 carries "
    "no other script): --claim-name 'Wang Wei'.",
)
@pass_app
def patient_edit(app, patient, **changes):
    """Change a patient's details; the MRN never changes.

    An empty value clears a field: --email "" removes the e-mail address.

    \b
    Example:
        macli patient edit P000042 --phone "(617) 555-0199" --prefers phone
    """
    row = core.edit(
        app.store,
        patient,
        changes,
        region=app.setting("clinic.region"),
        user=app.user,
        now=app.now,
        today=app.today,
    )
    click.echo(f"Updated {row['mrn']} {row['name']}.")


@patient.command("consent")
@click.argument("patient")
@click.option(
    "--give", "give", metavar="CHANNEL", help="Record consent given: sms, email or phone."
)
@click.option("--withdraw", metavar="CHANNEL", help="Record consent withdrawn.")
@click.option("--source", default="staff", show_default=True, help="Where the answer came from.")
@pass_app
def patient_consent(app, patient, give, withdraw, source):
    """Record consent to be contacted through a channel, given or withdrawn.

    \b
    Example:
        macli patient consent P000042 --give sms
        macli patient consent P000042 --withdraw email --source "phone call"
    """
    if bool(give) == bool(withdraw):
        raise click.UsageError("give exactly one of --give or --withdraw")
    row = core.set_consent(
        app.store, patient, give or withdraw, bool(give), source=source, user=app.user, now=app.now
    )
    state = "given" if give else "withdrawn"
    click.echo(f"Consent for {give or withdraw} {state} for {row['mrn']}.")


@patient.group("contact")
def patient_contact():
    """Representatives: who else may call about a patient, and what they may be told."""


@patient_contact.command("add")
@click.argument("patient")
@click.argument("name")
@click.option("--relation", required=True, help="mother, father, spouse, caregiver, ...")
@click.option("--phone", required=True, help="Their phone number.")
@click.option(
    "--may-discuss",
    type=click.Choice(["yes", "no"]),
    default="no",
    show_default=True,
    help="Whether the patient authorised us to discuss their care with them.",
)
@pass_app
def patient_contact_add(app, patient, name, relation, phone, may_discuss):
    """Record a representative of a patient.

    \b
    Example:
        macli patient contact add P000042 "Rosa García" --relation mother \\
            --phone 401-555-0177 --may-discuss yes
    """
    from macli.patients import representatives

    row = representatives.add(
        app.store,
        patient,
        name,
        relation=relation,
        phone=phone,
        may_discuss=may_discuss == "yes",
        region=app.setting("clinic.region"),
        user=app.user,
        now=app.now,
    )
    allowed = "may" if row["may_discuss"] else "may not"
    click.echo(f"Added {row['name']} ({row['relation']}) for {row['mrn']}: {allowed} be told.")


@patient_contact.command("list")
@click.argument("patient")
@format_option
@pass_app
def patient_contact_list(app, patient, fmt):
    """List a patient's representatives (the view is audited).

    \b
    Example:
        macli patient contact list P000042
    """
    from macli.patients import representatives

    rows = representatives.listing(app.store, patient, user=app.user, now=app.now)
    if fmt == "table":
        rows = [
            {**row, "phone": phone_national(row["phone"]), "may_discuss": _yes(row["may_discuss"])}
            for row in rows
        ]
    render(rows, fmt, columns=representatives.COLUMNS, empty="No representatives on file.")


def _yes(value) -> str:
    return "yes" if value else "no"


@patient.command("import")
@click.argument("file", type=click.File("rb"))
@pass_app
def patient_import(app, file):
    """Import patients from a CSV file, all or nothing.

    The header names the columns: name and dob are required; sex, phone,
    email, prefers, address, insurance and consent (e.g. "sms,email") are
    optional. The first bad row stops the import with its line number.

    \b
    Example:
        macli patient import new-patients.csv
    """
    count = core.import_csv(
        app.store,
        file,
        region=app.setting("clinic.region"),
        user=app.user,
        now=app.now,
        today=app.today,
    )
    click.echo(f"Imported {count} patients.")


@patient.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (mode 0600).")
@format_option
@pass_app
def patient_export(app, output, fmt):
    """Export every patient with current consent (the export is audited).

    \b
    Example:
        macli patient export -f csv -o patients.csv
    """
    from contextlib import closing

    # Closed here, while the store is open, when a write fails part way (a full disk).
    with closing(core.export_rows(app.store, user=app.user, now=app.now)) as rows:
        if output:
            with open_private(output) as handle:
                count = render(rows, fmt, out=handle)
            click.echo(f"Wrote {count} patients to {output}.", err=True)
        else:
            render(rows, fmt)


@click.group()
def provider():
    """The clinicians who see patients."""


@provider.command("add")
@click.argument("name")
@click.option("--title", help="e.g. MD, NP, PA-C.")
@click.option("--color", help="Calendar color, a name or #rrggbb.")
@click.option("--npi", help="The provider's 10-digit NPI (claims).")
@pass_app
def provider_add(app, name, title, color, npi):
    """Add a provider and print the id.

    \b
    Example:
        macli provider add "Dr. Maya Chen" --title MD --color teal
    """
    row = providers.add(app.store, name, title=title, color=color, npi=npi, now=app.now)
    click.echo(row["id"])


@provider.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Include inactive providers.")
@format_option
@pass_app
def provider_list(app, include_inactive, fmt):
    """List providers.

    \b
    Example:
        macli provider list -f json
    """
    rows = providers.listing(app.store, include_inactive=include_inactive)
    render(rows, fmt, columns=providers.COLUMNS, empty="No providers yet.")


@provider.command("edit")
@click.argument("provider_ref", metavar="PROVIDER")
@click.option("--name", help="New name.")
@click.option("--title", help="New title.")
@click.option("--color", help="New color.")
@click.option("--npi", help="The provider's NPI (checked).")
@click.option("--active/--inactive", default=None, help="Mark as seeing patients or not.")
@pass_app
def provider_edit(app, provider_ref, **changes):
    """Change a provider's details.

    \b
    Example:
        macli provider edit Chen --npi 1234567893
    """
    row = providers.edit(app.store, provider_ref, **changes)
    click.echo(f"Updated provider {row['id']} {row['name']}.")
