"""`macli expense ...`: record, import, budget, report and export what the office spends."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from macli.cli import pass_app
from macli.errors import Invalid
from macli.expense import budgets, categories, core
from macli.expense.schema import METHODS
from macli.files import open_private
from macli.money import parse_amount
from macli.options import MAX_LIMIT, limit_type, option_stack
from macli.output import FORMATS, format_option, render, render_record, write_rows
from macli.when import parse_date

# AMOUNT may be negative (a refund): `-3.00` must reach the argument, not the parser.
_AMOUNT_SETTINGS = {"ignore_unknown_options": True}

_PERIOD_OPTIONS = [
    click.option("--month", metavar="YYYY-MM", help="Only this calendar month."),
    click.option("--year", metavar="YYYY", help="Only this calendar year."),
    click.option("--from", "start", metavar="DATE", help="From this date (YYYY-MM-DD)."),
    click.option("--to", "end", metavar="DATE", help="Up to and including this date."),
]


period_options = option_stack(_PERIOD_OPTIONS)


def _period(app, month, year, start, end):
    return core.period(month=month, year=year, start=start, end=end, today=app.today)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise Invalid(f"cannot read {path}: {error.strerror}") from error


@click.group()
def expense():
    """Record, import, budget, report and export what the office spends.

    Amounts are exact (12.50, $1,234.56, -3.00 for a refund). Categories are
    paths such as supplies:medical; reports sum a category with everything
    under it.
    """


@expense.command("add", context_settings=_AMOUNT_SETTINGS)
@click.argument("amount")
@click.option("--category", "-c", required=True, help="e.g. supplies:medical.")
@click.option("--new-category", is_flag=True, help="Create the category if it does not exist.")
@click.option("--vendor", help="Who was paid.")
@click.option("--date", "date_text", metavar="DATE", help="When it was spent. Default: today.")
@click.option("--memo", help="A note: what it was for, invoice number.")
@click.option("--method", type=click.Choice(METHODS), help="How it was paid.")
@click.option(
    "--receipt",
    type=click.Path(exists=True, dir_okay=False),
    help="A scan or photo of the receipt, kept in the store.",
)
@click.option("--confirm", is_flag=True, help="Record an expense dated after today.")
@pass_app
def expense_add(
    app, amount, category, new_category, vendor, date_text, memo, method, receipt, confirm
):
    """Record an expense and print its id.

    A category that does not exist yet is refused (so a typo does not make a
    new one) unless --new-category is given.

    \b
    Example:
        macli expense add 84.20 -c supplies:medical --vendor "Medline" \\
            --method card --receipt ~/scans/medline-0412.pdf
        macli expense add -3.00 -c supplies:office --memo "refund, returned toner"
    """
    if amount.startswith("-") and not re.match(r"-\$?[\d.]", amount):
        raise click.NoSuchOption(amount)
    expense_id = core.add(
        app.store,
        amount_cents=parse_amount(amount),
        category=category,
        new_category=new_category,
        spent_on=parse_date(date_text, app.today) if date_text else app.today,
        vendor=vendor,
        memo=memo,
        method=method,
        receipt=_read(receipt) if receipt else None,
        receipt_name=Path(receipt).name if receipt else None,
        today=app.today,
        confirm=confirm,
        user=app.user,
        now=app.now,
    )
    click.echo(expense_id)


@expense.command("list")
@period_options
@click.option("--category", "-c", help="Only this category and those under it.")
@click.option("--vendor", help="Only vendors containing this text (any case).")
@click.option("--uncategorized", is_flag=True, help="Only expenses still to be filed.")
@click.option(
    "--limit", type=limit_type(), default=0, help=f"Show at most N (up to {MAX_LIMIT:,})."
)
@format_option
@pass_app
def expense_list(app, month, year, start, end, category, vendor, uncategorized, limit, fmt):
    """List expenses, oldest first.

    \b
    Example:
        macli expense list --month 2026-11
        macli expense list --uncategorized
        macli expense list --year 2026 -c supplies -f csv > supplies-2026.csv
    """
    first, last = _period(app, month, year, start, end)
    rows = core.listing_rows(
        app.store,
        start=first,
        end=last,
        category=category,
        vendor=vendor,
        uncategorized=uncategorized,
        limit=limit,
    )
    write_rows(rows, fmt, None, core.LIST_COLUMNS, empty="No expenses found.", paged=not limit)


@expense.command("show")
@click.argument("expense_id", metavar="ID", type=int)
@format_option
@pass_app
def expense_show(app, expense_id, fmt):
    """Show one expense: where it came from, its receipt, whether it was voided.

    \b
    Example:
        macli expense show 42
    """
    render_record(core.show(app.store, expense_id, tz=app.zone), fmt)


@expense.command("void")
@click.argument("expense_id", metavar="ID", type=int)
@click.option("--reason", required=True, help="Why it is voided (kept with the void).")
@click.option(
    "--date", "date_text", metavar="DATE", help="Date of the reversing entry. Default: today."
)
@click.option("--force", is_flag=True, help="Void an expense booked from stock all the same.")
@pass_app
def expense_void(app, expense_id, reason, date_text, force):
    """Void an expense with a reversing entry; nothing is deleted.

    The reversing entry is dated today (or --date), so a month already closed
    keeps its totals. An expense booked from a stock receipt is refused
    unless --force, since the receipt itself stays as it is.

    \b
    Example:
        macli expense void 42 --reason "entered twice"
    """
    result = core.void(
        app.store,
        expense_id,
        reason=reason,
        on=parse_date(date_text, app.today) if date_text else app.today,
        force=force,
        user=app.user,
        now=app.now,
    )
    if result["warning"]:
        click.echo(f"Warning: {result['warning']}.", err=True)
    click.echo(f"Voided expense {expense_id} with entry {result['id']}.")


@expense.command("categorize")
@click.argument("expense_ids", metavar="[ID]...", nargs=-1, type=int)
@click.option("--category", "-c", help="File the expenses under this category.")
@click.option("--new-category", is_flag=True, help="Create the category if it does not exist.")
@click.option("--vendor", help="Set the vendor too.")
@click.option(
    "--rules",
    type=click.Path(exists=True, dir_okay=False),
    help="Instead: file every uncategorized expense a rule matches.",
)
@pass_app
def expense_categorize(app, expense_ids, category, new_category, vendor, rules):
    """File uncategorized expenses (from a statement import) under a category.

    Only uncategorized expenses can be filed; to change a filed one, void it
    and record it again.

    \b
    Example:
        macli expense categorize 311 312 -c services:cleaning --vendor "BrightClean"
        macli expense categorize --rules bank-rules.csv
    """
    from macli.expense import statement

    if rules:
        if expense_ids or category or vendor or new_category:
            raise click.UsageError("--rules files by rule; give no IDs, --category or --vendor")
        counts = statement.apply_rules(app.store, statement.parse_rules(app.store, _read(rules)))
        click.echo(f"Filed {counts['filed']}; {counts['unmatched']} still uncategorized.")
        return
    if not category or not expense_ids:
        raise click.UsageError("give expense IDs and --category (or --rules FILE)")
    count = core.categorize(
        app.store, list(expense_ids), category=category, vendor=vendor, new_category=new_category
    )
    click.echo(f"Filed {count} under {categories.normalise(category)}.")


@expense.command("receipt")
@click.argument("expense_id", metavar="ID", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (mode 0600).")
@click.option(
    "--attach",
    type=click.Path(exists=True, dir_okay=False),
    help="Keep FILE as the receipt of an expense that has none.",
)
@pass_app
def expense_receipt(app, expense_id, output, attach):
    """Write an expense's receipt out again, or attach one later.

    Without -o the receipt goes to standard output (redirect it to a file).

    \b
    Example:
        macli expense receipt 42 -o medline-0412.pdf
        macli expense receipt 43 --attach ~/scans/lab-invoice.pdf
    """
    if attach:
        if output:
            raise click.UsageError("give either --attach or -o, not both")
        row = core.attach_receipt(app.store, expense_id, _read(attach), Path(attach).name)
        click.echo(f"Kept {row['receipt_name']} for expense {expense_id}.")
        return
    kept = core.receipt(app.store, expense_id)
    if output:
        with open_private(output) as handle:
            handle.buffer.write(kept["data"])
        click.echo(f"Wrote {kept['name']} ({kept['size']} bytes) to {output}.", err=True)
        return
    sys.stdout.flush()
    stream = sys.stdout.buffer
    if stream.isatty():
        raise Invalid(
            f"the receipt {kept['name']} is a file, not text; use -o FILE or redirect the output"
        )
    stream.write(kept["data"])
    stream.flush()


@expense.command("report")
@click.option(
    "--by",
    type=click.Choice(["month", "category", "vendor"]),
    default="category",
    show_default=True,
    help="What to sum by.",
)
@period_options
@click.option("--category", "-c", help="Only this category and those under it.")
@click.option("--vendor", help="Only vendors containing this text (any case).")
@click.option(
    "--depth", type=int, help="Sum categories up to N levels (1: supplies, 2: supplies:medical)."
)
@click.option(
    "--budget",
    is_flag=True,
    help="Each budgeted category against its budget (default: this month).",
)
@format_option
@pass_app
def expense_report(app, by, month, year, start, end, category, vendor, depth, budget, fmt):
    """Sum what was spent with subtotals and a grand total, or against budgets.

    By category, a parent category is the subtotal of those under it; by
    month, each year has a subtotal. Without a period, everything is summed.

    \b
    Example:
        macli expense report --by category --month 2026-11
        macli expense report --by month --year 2026
        macli expense report --budget
        macli expense report --by category --depth 1 -f csv
    """
    from macli.expense import report

    first, last = _period(app, month, year, start, end)
    if budget:
        if category or vendor or depth or by != "category":
            raise click.UsageError("--budget takes only a period (--month, --year, --from/--to)")
        if first is None and last is None:
            first, last = core.period(month=app.today.strftime("%Y-%m"))
        if first is None or last is None:
            raise click.UsageError("--budget needs both --from and --to")
        rows = budgets.report(app.store, start=first, end=last)
        render(rows, fmt, columns=budgets.REPORT_COLUMNS)
        return
    rows = report.report(
        app.store, by=by, depth=depth, start=first, end=last, category=category, vendor=vendor
    )
    render(rows, fmt, columns=report.columns(by))


@expense.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--date-col", required=True, help="The date column: header name or number.")
@click.option("--amount-col", required=True, help="The amount column.")
@click.option("--desc-col", required=True, help="The description column.")
@click.option(
    "--date-format",
    default="%Y-%m-%d",
    show_default=True,
    help="How dates are written, e.g. %m/%d/%Y.",
)
@click.option(
    "--negate", is_flag=True, help="The statement shows spending as negative amounts (banks)."
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default="card",
    show_default=True,
    help="How these were paid.",
)
@click.option(
    "--category-rules",
    "rules_path",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV of pattern,vendor,category rules (see docs/expense.md).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be imported; write nothing.")
@pass_app
def expense_import(
    app, file, date_col, amount_col, desc_col, date_format, negate, method, rules_path, dry_run
):
    """Import a bank or card statement (CSV); rows already imported are skipped.

    Re-importing the same or an overlapping statement adds nothing twice.
    Rows no rule files land in `uncategorized` (see list --uncategorized).
    The first bad row stops the import with its line number; nothing is
    written then.

    \b
    Example:
        macli expense import card-2026-11.csv --date-col Date \\
            --amount-col Amount --desc-col Description --category-rules rules.csv
        macli expense import bank.csv --date-col 1 --amount-col 4 --desc-col 2 \\
            --date-format %m/%d/%Y --negate --method transfer
    """
    from macli.expense import statement

    rules = statement.parse_rules(app.store, _read(rules_path)) if rules_path else None
    counts = statement.import_statement(
        app.store,
        _read(file),
        file_name=Path(file).name,
        date_col=date_col,
        amount_col=amount_col,
        desc_col=desc_col,
        date_format=date_format,
        negate=negate,
        method=method,
        rules=rules,
        dry_run=dry_run,
        user=app.user,
        now=app.now,
    )
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} {counts['added']} expenses ({counts['uncategorized']} uncategorized); "
        f"{counts['already']} already imported, {counts['ignored']} ignored."
    )
    if counts["uncategorized"] and not dry_run:
        click.echo("File them: macli expense list --uncategorized", err=True)


@expense.command("export")
@click.option("--ledger", "as_ledger", is_flag=True, help="A journal for ledger and hledger.")
@click.option("--beancount", "as_beancount", is_flag=True, help="A beancount file.")
@period_options
@format_option(
    formats=tuple(f for f in FORMATS if f != "table"),
    default="csv",
    help="Rows for scripts and spreadsheets (without --ledger/--beancount).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (mode 0600).")
@pass_app
def expense_export(app, as_ledger, as_beancount, month, year, start, end, fmt, output):
    """Export expenses for the accountant: ledger/hledger, beancount, CSV or JSON.

    Categories become accounts under Expenses (supplies:medical is
    Expenses:Supplies:Medical); the other side is the account of the payment
    method (card: Liabilities:Card, cash: Assets:Cash, check and transfer:
    Assets:Bank, none: Liabilities:Payable).

    \b
    Example:
        macli expense export --ledger -o expenses.journal && hledger -f expenses.journal bal
        macli expense export --beancount --year 2026 -o expenses-2026.beancount
        macli expense export -f json --month 2026-11
    """
    if as_ledger and as_beancount:
        raise click.UsageError("give --ledger or --beancount, not both")
    first, last = _period(app, month, year, start, end)
    handle = open_private(output) if output else sys.stdout
    try:
        if as_ledger or as_beancount:
            from macli.expense import journal

            count = journal.write(
                app.store,
                handle,
                kind="ledger" if as_ledger else "beancount",
                currency=app.setting("clinic.currency"),
                title=app.setting("clinic.name"),
                start=first,
                end=last,
            )
        else:
            rows = core.listing_rows(app.store, start=first, end=last)
            count = write_rows(rows, fmt, handle, core.LIST_COLUMNS)
    finally:
        if output:
            handle.close()
    if output:
        click.echo(f"Wrote {count} expenses to {output}.", err=True)


@expense.group("budget")
def budget():
    """Monthly or yearly budgets per category."""


@budget.command("set")
@click.argument("category")
@click.argument("amount")
@click.option("--monthly", "period", flag_value="monthly", default=True, help="Per month.")
@click.option("--yearly", "period", flag_value="yearly", help="Per calendar year.")
@pass_app
def budget_set(app, category, amount, period):
    """Set a category's budget (it covers the categories under it too).

    \b
    Example:
        macli expense budget set supplies:medical 1200
        macli expense budget set services 9000 --yearly
    """
    row = budgets.put(
        app.store, category, parse_amount(amount), period=period, user=app.user, now=app.now
    )
    click.echo(f"Budget for {row['category']}: {row['amount']} {row['period']}.")


@budget.command("list")
@format_option
@pass_app
def budget_list(app, fmt):
    """List budgets.

    \b
    Example:
        macli expense budget list
    """
    render(
        budgets.listing(app.store, tz=app.zone),
        fmt,
        columns=budgets.COLUMNS,
        empty="No budgets set.",
    )


@budget.command("remove")
@click.argument("category")
@pass_app
def budget_remove(app, category):
    """Drop a category's budget.

    \b
    Example:
        macli expense budget remove services:lab
    """
    budgets.remove(app.store, category)
    click.echo(f"Removed the budget of {categories.normalise(category)}.")


@expense.group("category")
def category_group():
    """The categories expenses are filed under."""


@category_group.command("add")
@click.argument("name")
@pass_app
def category_add(app, name):
    """Create a category (and its parents).

    \b
    Example:
        macli expense category add services:cleaning
    """
    row = categories.add(app.store, name)
    click.echo(f"Added {row['name']}.")


@category_group.command("list")
@format_option
@pass_app
def category_list(app, fmt):
    """List categories with how many expenses each holds and its budget.

    \b
    Example:
        macli expense category list
    """
    render(
        categories.listing(app.store),
        fmt,
        columns=["category", "expenses", "budget_period", "budget"],
    )
