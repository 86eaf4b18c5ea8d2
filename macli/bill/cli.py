"""`macli bill ...`: fees, coverage, coding, claims, X12 export, payments and aging."""

from __future__ import annotations

import click

from macli.bill import claims, coverage, fees, payments, superbill, views
from macli.bill.schema import RELATIONS, STATUSES
from macli.cli import pass_app
from macli.errors import MacliError
from macli.files import open_private
from macli.money import cents_text
from macli.output import format_option, render, render_record


@click.group()
def bill():
    """Fees, coding, claims, X12 837P export, payments and what is owed.

    A visit is coded (bill code), claimed (bill claim), sent (bill export --x12),
    then paid or denied (bill pay, bill deny). CLAIM is a claim id like C12;
    APPOINTMENT is the appointment's number.
    """


@bill.group("fees")
def fees_group():
    """The clinic's fee schedule: procedure codes, descriptions, fees."""


@fees_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--replace", is_flag=True, help="Also remove codes that are not in the file.")
@pass_app
def fees_import(app, file, replace):
    """Add or update fees from a CSV file, all or nothing.

    Columns: code, description, fee, and optionally modifiers (default
    modifiers such as "25", several as "25:59"). Descriptions are the
    clinic's own words. Codes already in the schedule are updated.

    \b
    Example:
        macli bill fees import fees.csv
        printf 'code,description,fee\\n99213,Office visit, established, low,95.00\\n' > f.csv
    """
    counts = fees.import_csv(app.store, file.read(), replace=replace, user=app.user, now=app.now)
    click.echo(
        f"Fee schedule: {counts['added']} added, {counts['updated']} updated, "
        f"{counts['removed']} removed."
    )


@fees_group.command("list")
@click.option("--search", "-s", help="Part of a code or description.")
@format_option
@pass_app
def fees_list(app, search, fmt):
    """List the fee schedule.

    \b
    Example:
        macli bill fees list
        macli bill fees list -s 9921 -f csv
    """
    rows = fees.listing(app.store, search)
    render(rows, fmt, columns=fees.COLUMNS, empty="The fee schedule is empty (bill fees import).")


@bill.command("coverage")
@click.argument("patient")
@click.option("--payer", help="Payer name; a new payer needs --payer-id.")
@click.option("--payer-id", help="The payer's electronic payer id.")
@click.option(
    "--plan-type",
    type=click.Choice(list(coverage.PLAN_TYPES)),
    help="Kind of plan (claim filing indicator); new payers default to commercial.",
)
@click.option("--member-id", help="Member id from the insurance card.")
@click.option("--group", help='Group number from the card ("" clears it).')
@click.option(
    "--relation",
    type=click.Choice(RELATIONS),
    help="The patient is the subscriber (self) or the subscriber's spouse, child or other.",
)
@click.option("--subscriber-name", help="The subscriber's name, when not the patient.")
@click.option("--subscriber-dob", help="The subscriber's date of birth, YYYY-MM-DD.")
@click.option("--subscriber-sex", type=click.Choice(coverage.SEXES), help="The subscriber's sex.")
@format_option
@pass_app
def coverage_command(app, patient, fmt, **values):
    """Show or set a patient's insurance; options not given keep their value.

    Without options it shows the coverage on file (the view is audited).

    \b
    Example:
        macli bill coverage P000042 --payer "Blue Harbor PPO" --payer-id BHP01 \\
            --member-id XJH123456789 --group G-4410
        macli bill coverage P000043 --relation child --subscriber-name "Ana García" \\
            --subscriber-dob 1984-03-02
        macli bill coverage P000042
    """
    if any(value is not None for value in values.values()):
        record = coverage.set_coverage(
            app.store, patient, values, user=app.user, now=app.now, today=app.today
        )
        click.echo(f"Coverage saved: {record['payer']}, member {record['member_id']}.")
        return
    record = coverage.show_coverage(app.store, patient, user=app.user, now=app.now)
    render_record(record, fmt)


@bill.command("payers")
@format_option
@pass_app
def payers_command(app, fmt):
    """List payers, the patients they cover and their open claims.

    \b
    Example:
        macli bill payers -f csv
    """
    render(
        coverage.payers(app.store),
        fmt,
        columns=("payer", "payer_id", "plan_type", "patients", "open_claims"),
        empty="No payers yet (bill coverage PATIENT --payer ... adds one).",
    )


@bill.command("code")
@click.argument("appointment")
@click.option(
    "--dx",
    "dx",
    metavar="CODES",
    help="ICD-10-CM codes, comma separated, in order. Default: the active problems, if confirmed.",
)
@click.option(
    "--line",
    "lines",
    multiple=True,
    metavar="CODE[:MOD...][xUNITS][@POINTERS]",
    help="A service line; repeat for each. Pointers (1-12 or A-L) follow the --dx order.",
)
@click.option("--yes", "-y", is_flag=True, help="Without --dx, use the problems without asking.")
@pass_app
def code_command(app, appointment, dx, lines, yes):
    """Code a visit: its diagnoses and service lines (the superbill).

    Each procedure code must be in the fee schedule; units default to 1;
    every line points at 1 to 4 of the diagnoses (when there is only one
    diagnosis, lines point at it unless told). Coding again replaces the
    draft until the visit is claimed. Without --dx the patient's active
    problems are shown and used once you confirm.

    \b
    Example:
        macli bill code 118 --dx J06.9,R05.9 --line 99213@1,2 --line 87880:QW@1
        macli bill code 118 --dx E11.9 --line 99214:25 --line 96372x2@1
        macli bill code 118 --line 99214@1,2      # from the problem list
    """
    codes = (
        superbill.split_codes(dx) if dx is not None else _confirmed_problems(app, appointment, yes)
    )
    result = superbill.code_visit(
        app.store,
        appointment,
        codes,
        list(lines),
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    click.echo(
        f"Coded appointment {result['appointment']} as draft claim {result['claim']}: "
        f"{_count(result['diagnoses'], 'diagnosis', 'diagnoses')},"
        f" {_count(result['lines'], 'line', 'lines')}, "
        f"{cents_text(result['charges'])}."
    )


def _confirmed_problems(app, appointment: str, yes: bool) -> list[str]:
    problems = superbill.active_problems(
        app.store, appointment, user=app.user, now=app.now, tz=app.zone
    )
    click.echo("No --dx given; the patient's active problems are:", err=True)
    for number, problem in enumerate(problems, start=1):
        click.echo(f"  {number}. {problem['code']}  {problem['description']}", err=True)
    if not yes:
        try:
            agreed = click.confirm(
                (
                    "Code the visit with this diagnosis?"
                    if len(problems) == 1
                    else f"Code the visit with these {len(problems)} diagnoses, in this order?"
                ),
                default=False,
                err=True,
            )
        except click.Abort:
            agreed = False
        if not agreed:
            raise MacliError("not coded: confirm the problems, or give the diagnoses with --dx")
    return [problem["code"] for problem in problems]


@bill.command("claim")
@click.argument("appointment")
@click.option("--payer", help="Bill this payer instead of the one on file.")
@click.option("--member-id", help="Member id at that payer.")
@pass_app
def claim_command(app, appointment, payer, member_id):
    """Turn a coded, completed visit into a claim ready to send.

    Every check runs now: diagnoses and pointers, the patient's address and
    insurance, the provider's NPI. Each problem is named with its fix.

    \b
    Example:
        macli bill claim 118
        macli bill claim 118 --payer Medicare --member-id 1EG4TE5MK73
    """
    row = claims.make_ready(
        app.store,
        appointment,
        payer=payer,
        member_id=member_id,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    click.echo(
        f"Claim C{row['id']} is ready: {cents_text(row['charge_cents'])} to {row['payer_name']}."
    )


@bill.command("correct")
@click.argument("claim")
@pass_app
def correct_command(app, claim):
    """Start the corrected version of a denied claim (the denial is kept).

    The new version is a draft with the same coding: recode it with
    bill code, then bill claim and export it again.

    \b
    Example:
        macli bill correct C12
    """
    row = claims.correct(app.store, claim, user=app.user, now=app.now)
    click.echo(
        f"Claim C{row['id']} (version {row['version']}) is a draft correcting "
        f"C{row['parent_id']}: recode appointment {row['appointment_id']} if needed, then claim it."
    )


@bill.command("withdraw")
@click.argument("claim")
@click.option("--reason", required=True, help="Why the claim is withdrawn (kept in its history).")
@pass_app
def withdraw_command(app, claim, reason):
    """Withdraw a draft or ready claim that was never sent (it is kept).

    A withdrawn claim is not exported and no longer stands on its visit: the
    visit can then be corrected (schedule status ... --reason) or coded again.

    \b
    Example:
        macli bill withdraw C12 --reason "visit was marked completed by mistake"
    """
    row = claims.withdraw(app.store, claim, reason, user=app.user, now=app.now)
    click.echo(f"Claim C{row['id']} is withdrawn; appointment {row['appointment_id']} is free.")


@bill.command("show")
@click.argument("reference", metavar="APPOINTMENT|CLAIM")
@format_option
@pass_app
def show_command(app, reference, fmt):
    """Show a claim: coding, money, payments and history (audited).

    C12 is claim 12; a plain number is an appointment (its newest claim).

    \b
    Example:
        macli bill show C12
        macli bill show 118 -f json
    """
    record = views.show(app.store, reference, user=app.user, now=app.now, tz=app.zone)
    parts = {key: record.pop(key) for key in ("diagnoses", "lines", "payments", "history")}
    if fmt == "json":
        render_record({**record, **parts}, fmt)
        return
    render_record(record, fmt)
    if fmt != "table":
        return
    parts["history"] = views.history_for_people(parts["history"], app.zone)
    for title, key in (
        ("Diagnoses", "diagnoses"),
        ("Lines", "lines"),
        ("Payments", "payments"),
        ("History", "history"),
    ):
        click.echo(f"\n{title}:")
        render(parts[key], fmt, empty="None.")


@bill.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only claims in this status.")
@click.option("--payer", help="Only claims sent to this payer.")
@click.option("--all-versions", is_flag=True, help="Include denied claims already corrected.")
@format_option
@pass_app
def list_command(app, status, payer, all_versions, fmt):
    """List claims with charges, payments and balance.

    \b
    Example:
        macli bill list --status denied
        macli bill list --payer Medicare -f csv
    """
    rows = views.listing(
        app.store,
        status=status,
        payer=payer,
        all_versions=all_versions,
        user=app.user,
        now=app.now,
    )
    render(rows, fmt, columns=views.LIST_COLUMNS, empty="No claims.")


def _claim_ids(text: str | None) -> list[int] | None:
    if text is None:
        return None
    ids = [claims.claim_id(part) for part in text.split(",") if part.strip()]
    if not ids:
        raise click.BadParameter("give claim ids like C12,C13", param_hint="--claims")
    return ids


@bill.command("export")
@click.option("--x12", is_flag=True, help="Write an X12 837P batch (needs -o) and mark it sent.")
@click.option("--claims", "claim_text", metavar="IDS", help="These claims, e.g. C12,C13.")
@click.option("--ready", is_flag=True, help="Every claim ready to send (the --x12 default).")
@click.option("--status", type=click.Choice(STATUSES), help="Listing only: claims in this status.")
@click.option(
    "--all-or-nothing",
    is_flag=True,
    help="X12: send no claim unless every claim of the batch can go.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (mode 0600).")
@format_option
@pass_app
def export_command(app, x12, claim_text, ready, status, all_or_nothing, output, fmt):
    """Export claims: an X12 837P batch for the clearinghouse, or a listing.

    With --x12 the ready claims (or --claims) are checked, written to a new
    file and marked submitted; a claim that cannot go is held back and listed
    with its reasons while the others are sent (--all-or-nothing sends none
    then). The file's interchange control number is never used again.
    Without --x12 it lists claims with their coding as CSV/JSON (audited).

    \b
    Example:
        macli bill export --x12 --ready -o batch-2026-11-26.837
        macli bill export -f csv -o claims.csv
    """
    from macli.bill import batch

    claim_ids = _claim_ids(claim_text)
    if claim_ids is not None and (ready or status):
        raise click.UsageError("give --claims, or --ready/--status, not both")
    if x12:
        if status:
            raise click.UsageError("--status is for listings; an X12 batch sends ready claims")
        if not output:
            raise click.UsageError("an X12 batch needs a file: -o FILE")
        result = batch.export(
            app.store,
            output,
            claim_ids=claim_ids,
            all_or_nothing=all_or_nothing,
            user=app.user,
            now=app.now,
            tz=app.zone,
        )
        sent = result["claims"]
        click.echo(
            f"Wrote {sent} {'claim' if sent == 1 else 'claims'} to {result['path']} "
            f"(interchange {result['interchange']:09d}); "
            f"{'it is' if sent == 1 else 'they are'} now submitted."
        )
        if result["held"]:
            click.echo(f"Held back {len(result['held'])} (not sent):", err=True)
            for claim in result["held"]:
                # Each problem already names its claim (C12: ...).
                click.echo(f"  {'; '.join(claim['problems'])}", err=True)
        return
    if all_or_nothing:
        raise click.UsageError("--all-or-nothing is for an X12 batch (--x12)")
    rows = views.export_rows(
        app.store,
        status="ready" if ready else status,
        claim_ids=claim_ids,
        user=app.user,
        now=app.now,
    )
    if output:
        try:
            handle = open_private(output)
        except OSError as error:
            raise MacliError(f"cannot write {output}: {error.strerror}") from error
        with handle:
            count = render(rows, fmt, columns=views.EXPORT_COLUMNS, out=handle)
        click.echo(f"Wrote {count} {'claim' if count == 1 else 'claims'} to {output}.", err=True)
    else:
        render(rows, fmt, columns=views.EXPORT_COLUMNS, empty="No claims.")


@bill.command("pay")
@click.argument("claim")
@click.argument("amount")
@click.option("--adjust", metavar="AMOUNT", help="Also write off this much (needs --reason).")
@click.option("--reason", metavar="CODE", help="Adjustment reason, e.g. CO-45 or PR-2.")
@click.option("--date", "received", help="Date received (default today), YYYY-MM-DD.")
@pass_app
def pay_command(app, claim, amount, adjust, reason, received):
    """Record a payment (and an adjustment) on a sent claim.

    The balance is charges minus payments minus adjustments; the claim is
    paid when it reaches 0.00, partial before.

    \b
    Example:
        macli bill pay C12 72.40 --adjust 22.60 --reason CO-45
        macli bill pay C12 20.00 --date 2026-11-20
    """
    from macli.when import parse_date

    received_on = parse_date(received, app.today) if received else app.today
    row = payments.pay(
        app.store,
        claim,
        amount,
        adjust=adjust,
        reason=reason,
        received_on=received_on,
        user=app.user,
        now=app.now,
        today=app.today,
    )
    click.echo(
        f"Claim C{row['id']} is {row['status']}: balance {cents_text(row['balance_cents'])}."
    )


@bill.command("deny")
@click.argument("claim")
@click.option("--reason", required=True, help="The payer's reason, as on the remittance.")
@click.option(
    "--payer-claim", metavar="NUMBER", help="The payer's claim number (for a correction)."
)
@pass_app
def deny_command(app, claim, reason, payer_claim):
    """Record that the payer denied a claim.

    \b
    Example:
        macli bill deny C12 --reason "CO-16 missing information" --payer-claim 2026330000123
    """
    row = payments.deny(
        app.store, claim, reason, payer_claim_number=payer_claim, user=app.user, now=app.now
    )
    click.echo(
        f"Claim C{row['id']} is denied; start a correction with: macli bill correct C{row['id']}"
    )


@bill.command("aging")
@click.option("--as-of", "as_of", help="Age balances as of this date (default today).")
@click.option("--by", type=click.Choice(payments.AGING_BY), help="One row per payer or patient.")
@format_option
@pass_app
def aging_command(app, as_of, by, fmt):
    """What is still owed, by days since the date of service: 0-30, 31-60, 61-90, over 90.

    \b
    Example:
        macli bill aging --by payer
        macli bill aging --as-of 2026-10-31 --by patient -f csv
    """
    from macli.when import parse_date

    day = parse_date(as_of, app.today) if as_of else app.today
    rows = payments.aging(app.store, as_of=day, by=by, user=app.user, now=app.now)
    key = {None: ("total_of",), "payer": ("payer",), "patient": ("mrn", "patient")}[by]
    columns = (*key, "claims", *payments.BUCKETS, "total")
    render(rows, fmt, columns=columns, empty="Nothing is owed.")


def _count(number: int, one: str, many: str) -> str:
    """`1 line`, `3 lines`."""
    return f"{number} {one if number == 1 else many}"
