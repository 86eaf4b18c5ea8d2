"""`macli stock ...`: supplies by lot and expiry."""

from __future__ import annotations

import math

import click

from macli.cli import pass_app
from macli.money import cents_text
from macli.options import option_stack
from macli.output import format_option, render, render_record
from macli.stock import core, items, reports, room_cli


@click.group()
def stock():
    """Supplies by lot and expiry: receive, use, count, discard, reorder.

    Every change is a row in an append-only ledger. Use takes from the lot
    that expires first and never from an expired lot; a lot is good through
    the end of its expiry date.
    """


def _money(text: str | None) -> int | None:
    from macli.money import parse_amount

    return None if text is None else parse_amount(text)


def _date(app, text: str | None, expiry: bool = False):
    from macli.when import parse_date

    if text is None:
        return None
    return core.parse_expiry(text, app.today) if expiry else parse_date(text, app.today)


# -- items -------------------------------------------------------------------------------


@stock.group("item")
def item():
    """The supplies the clinic keeps: SKU, unit, reorder point."""


_ITEM_OPTIONS = [
    click.option("--reorder-at", metavar="N", help="Reorder when usable stock is at or below N."),
    click.option("--reorder-qty", metavar="N", help="How many to order at a time."),
    click.option("--supplier", help="Who it is usually bought from."),
    click.option("--location", help="Where it is kept (e.g. 'closet B, shelf 2')."),
    click.option("--category", help="e.g. medical, vaccines, office (default: medical)."),
]


item_options = option_stack(_ITEM_OPTIONS)


@item.command("add")
@click.argument("sku")
@click.option("--name", required=True, help="What it is, as staff call it.")
@click.option("--unit", required=True, help="The unit counted: box, each, pair, vial, dose...")
@item_options
@click.option(
    "--non-perishable",
    is_flag=True,
    help="It has no expiry date (receiving it without --expires is not warned about).",
)
@pass_app
def item_add(app, sku, non_perishable, **fields):
    """Add a supply item.

    \b
    Example:
        macli stock item add GLV-NIT-M --name "Nitrile gloves, medium" --unit box \\
            --reorder-at 4 --reorder-qty 10 --supplier "Harbor Medical" --location "closet A"
        macli stock item add TONGUE-DEP --name "Tongue depressors" --unit box --non-perishable
    """
    row = items.add(app.store, sku, {**fields, "perishable": not non_perishable}, now=app.now)
    click.echo(f"Added {row['sku']}: {row['name']} (counted in {row['unit']}).")


@item.command("edit")
@click.argument("sku")
@click.option("--name", help="New name.")
@click.option("--unit", help="New unit (only before any stock has moved).")
@item_options
@click.option(
    "--perishable/--non-perishable", default=None, help="Whether its lots carry expiry dates."
)
@pass_app
def item_edit(app, sku, **fields):
    """Change an item's details; 'none' clears the reorder point or quantity.

    \b
    Example:
        macli stock item edit GLV-NIT-M --reorder-at 6 --location "closet B"
        macli stock item edit GAUZE-4X4 --reorder-qty none
    """
    row = items.edit(app.store, sku, fields, now=app.now)
    click.echo(f"Updated {row['sku']}: {row['name']}.")


@item.command("list")
@click.option("--category", help="Only items of this category.")
@format_option
@pass_app
def item_list(app, category, fmt):
    """List the items and their details (stock on hand: macli stock list).

    \b
    Example:
        macli stock item list --category vaccines
    """
    rows = items.listing(app.store, category=category)
    render(rows, fmt, columns=items.ITEM_COLUMNS, empty="No stock items.")


# -- movements ---------------------------------------------------------------------------


@stock.command("receive")
@click.argument("sku")
@click.argument("quantity", type=click.IntRange(min=1))
@click.option("--lot", help="The lot number on the label (default: one lot per expiry date).")
@click.option("--expires", metavar="DATE", help="Expiry date, YYYY-MM-DD or YYYY-MM.")
@click.option("--cost", metavar="TOTAL", help="What the whole delivery cost, e.g. 84.50.")
@click.option("--unit-cost", metavar="PRICE", help="What one unit cost.")
@click.option("--supplier", help="Who delivered it (default: the item's supplier).")
@click.option("--invoice", metavar="REF", help="The invoice or packing-slip number.")
@click.option("--note", help="Anything else worth keeping.")
@click.option("--no-expense", is_flag=True, help="Do not book the cost as an expense.")
@pass_app
def receive(app, sku, quantity, lot, expires, cost, unit_cost, supplier, invoice, note, no_expense):
    """Receive a delivery into stock.

    A delivery with a cost is also booked as an expense under
    supplies:<item category>, linked to the receipt, unless --no-expense.
    Receiving a perishable item without --expires is allowed but warned about.

    \b
    Example:
        macli stock receive GLV-NIT-M 10 --lot NG2291 --expires 2028-05 --cost 84.50 \\
            --invoice HM-10482
        macli stock receive FLU-QIV 20 --lot FL4471 --expires 2027-06-30 --unit-cost 18.75
    """
    result = core.receive(
        app.store,
        sku,
        quantity,
        lot=lot,
        expires=_date(app, expires, expiry=True),
        cost_cents=_money(cost),
        unit_cost_cents=_money(unit_cost),
        supplier=supplier,
        invoice=invoice,
        note=note,
        expense=not no_expense,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    for warning in result["warnings"]:
        click.echo(f"Warning: {warning}", err=True)
    expiry = f", expires {result['expires']}" if result["expires"] else ""
    click.echo(
        f"Received {quantity} {result['unit']} of {result['sku']} into lot {result['lot']}"
        f"{expiry}; {result['on_hand']} on hand."
    )
    if result["expense_id"]:
        click.echo(
            f"Booked {cents_text(result['cost_cents'])} as expense {result['expense_id']}"
            f" ({result['expense_category']})."
        )


@stock.command("use")
@click.argument("sku", required=False)
@click.argument("quantity", type=click.IntRange(min=1), required=False)
@click.option("--kit", metavar="NAME", help="Use one whole kit instead of SKU QTY.")
@click.option("--lot", help="Take from this lot instead of the first-expiring one.")
@click.option("--patient", metavar="PATIENT", help="Who it was used for (MRN or name).")
@click.option("--note", help="Anything worth keeping with the record.")
@click.option("--room", help="Take from this room's stock instead of the closet.")
@pass_app
def use(app, sku, quantity, kit, lot, patient, note, room):
    """Take supplies out of stock, first-expiring lot first.

    Spills over into the next lot when one runs out; never takes from an
    expired lot. If there is not enough, nothing is taken.

    \b
    Example:
        macli stock use GLV-NIT-M 1
        macli stock use FLU-QIV 1 --patient P000042
        macli stock use --kit "suture tray" --patient "ana garcia"
        macli stock use GAUZE-4X4 2 --room "Exam 3"
    """
    if kit is None and quantity is None:
        raise click.UsageError("give SKU and QTY, or --kit NAME")
    result = core.use(
        app.store,
        sku,
        quantity,
        kit=kit,
        lot=lot,
        patient=patient,
        note=note,
        room=room,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    what = f"kit {result['kit']}" if result["kit"] else result["taken"][0]["sku"]
    click.echo(
        f"Used {what}"
        + (f" in {result['room']}" if result["room"] else "")
        + (f" for {result['patient']}" if result["patient"] else "")
        + ":"
    )
    for part in result["taken"]:
        expiry = f", expires {part['expires']}" if part["expires"] else ""
        click.echo(
            f"  {part['quantity']} {part['unit']} of {part['sku']} from lot {part['lot']}"
            f"{expiry} ({part['left_in_lot']} left in the lot)"
        )


@stock.command("count")
@click.argument("sku")
@click.argument("quantity", type=click.IntRange(min=0))
@click.option("--lot", help="Count this lot only.")
@click.option("--reason", required=True, help="Why: 'monthly count', 'found box', ...")
@click.option("--room", help="Count what this room holds (default: the closet).")
@pass_app
def count(app, sku, quantity, lot, reason, room):
    """Record a physical count and the difference from the ledger.

    Without --lot a shortage is taken from the earliest-expiring lots;
    extra units found must be counted against their lot with --lot when
    the item is held in several lots.

    \b
    Example:
        macli stock count GLV-NIT-M 7 --reason "monthly count"
        macli stock count FLU-QIV 11 --lot FL4471 --reason "fridge check"
        macli stock count GLV-NIT-M 1 --room "Exam 1" --reason "morning round"
    """
    result = core.count(
        app.store,
        sku,
        quantity,
        lot=lot,
        reason=reason,
        room=room,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    scope = f"{result['sku']} lot {result['lot']}" if result["lot"] else result["sku"]
    if result["room"]:
        scope += f" in {result['room']}"
    difference = result["difference"]
    change = "matches the ledger" if difference == 0 else f"difference {difference:+d}"
    click.echo(
        f"Counted {result['counted']} {result['unit']} of {scope} "
        f"(ledger said {result['recorded']}): {change}."
    )


@stock.command("discard")
@click.argument("sku")
@click.argument("quantity", type=click.IntRange(min=1))
@click.option("--lot", required=True, help="The lot the units come from.")
@click.option(
    "--reason", required=True, type=click.Choice(core.DISCARD_REASONS), help="Why they go."
)
@click.option("--note", help="Anything worth keeping with the record.")
@pass_app
def discard(app, sku, quantity, lot, reason, note):
    """Take units of one lot out: expired, damaged or recalled.

    \b
    Example:
        macli stock discard PPD-TUBERSOL 2 --lot TB8812 --reason expired
        macli stock discard SYR-3ML 5 --lot SY2210 --reason damaged --note "crushed box"
    """
    result = core.discard(
        app.store,
        sku,
        quantity,
        lot=lot,
        reason=reason,
        note=note,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    click.echo(
        f"Discarded {quantity} {result['unit']} of {result['sku']} lot {result['lot']} "
        f"({reason}); {result['left_in_lot']} left in the lot."
    )


# -- kits --------------------------------------------------------------------------------


@stock.group("kit")
def kit():
    """Kits: items used together, all or nothing."""


@kit.command("add")
@click.argument("name")
@click.argument("components", nargs=-1, required=True, metavar="SKU:QTY...")
@pass_app
def kit_add(app, name, components):
    """Define a kit from SKU:QTY parts.

    \b
    Example:
        macli stock kit add "suture tray" SUTURE-4-0:1 GAUZE-4X4:4 GLV-STER-7:1 LIDO-1PCT:1
    """
    result = items.add_kit(app.store, name, list(components), user=app.user, now=app.now)
    parts = ", ".join(f"{part['quantity']} {part['sku']}" for part in result["components"])
    click.echo(f"Kit {result['name']}: {parts}.")


@kit.command("list")
@format_option
@pass_app
def kit_list(app, fmt):
    """List kits, their parts, and how many could be made from usable stock.

    \b
    Example:
        macli stock kit list
    """
    rows = items.kits(app.store, today_text=app.today.isoformat())
    render(rows, fmt, columns=items.KIT_COLUMNS, empty="No kits.")


@kit.command("remove")
@click.argument("name")
@pass_app
def kit_remove(app, name):
    """Forget a kit's definition (past use stays in the ledger).

    \b
    Example:
        macli stock kit remove "suture tray"
    """
    items.remove_kit(app.store, name)
    click.echo(f"Removed kit {name}.")


# -- reports -----------------------------------------------------------------------------


@stock.command("list")
@click.option("--lots", is_flag=True, help="One row per lot that holds stock.")
@click.option("--category", help="Only items of this category.")
@format_option
@pass_app
def stock_list(app, lots, category, fmt):
    """What is on hand: units, expired units, cost and value.

    \b
    Example:
        macli stock list
        macli stock list --lots --category vaccines -f csv
    """
    rows = reports.stock_list(app.store, today=app.today, category=category, lots=lots)
    columns = reports.LOT_COLUMNS if lots else reports.LIST_COLUMNS
    render(rows, fmt, columns=columns, empty="No stock.")


@stock.command("low")
@format_option
@pass_app
def low(app, fmt):
    """Items at or below their reorder point.

    Expired units do not count: they cannot be used.

    \b
    Example:
        macli stock low
    """
    rows = reports.low(app.store, today=app.today)
    render(rows, fmt, columns=reports.LOW_COLUMNS, empty="Nothing is low.")


@stock.command("expiring")
@click.option(
    "--within",
    default="30d",
    show_default=True,
    metavar="DURATION",
    help="How far ahead to look (e.g. 30d, 8w).",
)
@format_option
@pass_app
def expiring(app, within, fmt):
    """Lots that expire soon or already have, with the value at risk.

    \b
    Example:
        macli stock expiring
        macli stock expiring --within 8w -f csv
    """
    from macli.when import parse_duration

    days = math.ceil(parse_duration(within).total_seconds() / 86400)
    result = reports.expiring(app.store, today=app.today, within_days=days)
    render(result["rows"], fmt, columns=reports.EXPIRING_COLUMNS, empty="Nothing expiring.")
    if fmt == "table" and result["rows"]:
        click.echo(f"\nValue at risk: {result['value_at_risk']}")


@stock.command("order")
@format_option
@pass_app
def order(app, fmt):
    """A purchase list: what is low, from whom, and how many to order.

    The suggestion is the item's reorder quantity, or without one, enough
    for the reorder point plus a month at the last 90 days' rate of use.

    \b
    Example:
        macli stock order
        macli stock order -f csv > order.csv
    """
    rows = reports.order(app.store, today=app.today)
    render(rows, fmt, columns=reports.ORDER_COLUMNS, empty="Nothing to order.")


@stock.command("history")
@click.argument("sku")
@click.option("--from", "since", metavar="DATE", help="From this local date.")
@click.option("--to", "until", metavar="DATE", help="Up to and including this local date.")
@format_option
@pass_app
def history(app, sku, since, until, fmt):
    """Every movement of one item, with the on-hand after each.

    \b
    Example:
        macli stock history FLU-QIV --from 2026-09-01
    """
    rows = reports.history(
        app.store,
        sku,
        since=_date(app, since),
        until=_date(app, until),
        tz=app.zone,
        user=app.user,
        now=app.now,
    )
    render(rows, fmt, columns=reports.HISTORY_COLUMNS, empty="No movements.")


@stock.command("usage")
@click.option("--from", "since", metavar="DATE", help="From this local date (default: 12 months).")
@click.option("--to", "until", metavar="DATE", help="Up to this local date (default: today).")
@click.option("--sku", help="Only this item.")
@format_option
@pass_app
def usage(app, since, until, sku, fmt):
    """Units used and discarded per item per month.

    \b
    Example:
        macli stock usage --from 2026-01-01 --to 2026-06-30
        macli stock usage --sku GLV-NIT-M -f csv
    """
    until_day = _date(app, until) or app.today
    since_day = _date(app, since) or _months_back(until_day, 11)
    rows = reports.usage(app.store, since=since_day, until=until_day, sku=sku)
    render(rows, fmt, columns=reports.USAGE_COLUMNS, empty="No use recorded.")


def _months_back(day, months):
    month_index = day.year * 12 + day.month - 1 - months
    return day.replace(year=month_index // 12, month=month_index % 12 + 1, day=1)


@stock.command("lot")
@click.argument("lot")
@format_option
@pass_app
def lot(app, lot, fmt):
    """Where a lot went, patients included (for a recall).

    \b
    Example:
        macli stock lot FL4471
        macli stock lot FL4471 -f csv > recall-FL4471.csv
    """
    result = reports.lot_trace(app.store, lot, tz=app.zone, user=app.user, now=app.now)
    if fmt == "table":
        for summary in result["lots"]:
            render_record(summary, fmt)
            click.echo()
    render(result["rows"], fmt, columns=reports.TRACE_COLUMNS, empty="No movements.")


# -- holds -------------------------------------------------------------------------------


@stock.command("recall")
@click.argument("sku")
@click.option("--lot", required=True, help="The recalled lot.")
@click.option("--why", required=True, help="The supplier's notice: reference, what it says.")
@pass_app
def recall(app, sku, lot, why):
    """Hold a lot the supplier has recalled: it may not be used from now on.

    Write the units off with `stock discard ... --reason recalled` when they
    go back; a lot with nothing left in it holds nothing.

    \b
    Example:
        macli stock recall FLU-QIV --lot FL4471 --why "Apex recall notice R-2211"
    """
    from macli.stock import usable

    lot_row = usable.recall(app.store, sku, lot, why=why, user=app.user, now=app.now)
    click.echo(f"Lot {lot_row['lot']} of {lot_row['sku']} is on hold: DO NOT USE.")


@stock.command("holds")
@click.option("--all", "everything", is_flag=True, help="Include holds that have ended.")
@format_option
@pass_app
def holds(app, everything, fmt):
    """Lots on hold (excursions, supplier recalls): not to be used.

    \b
    Example:
        macli stock holds
        macli stock holds --all -f csv
    """
    from macli.stock import usable

    rows = usable.holds_listing(app.store, open_only=not everything)
    render(rows, fmt, columns=usable.HOLD_COLUMNS, empty="No lots on hold.")


# -- rooms kept stocked ------------------------------------------------------------------

stock.add_command(room_cli.par)
stock.add_command(room_cli.move)
stock.add_command(room_cli.restock)
