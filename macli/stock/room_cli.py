"""`macli stock par|move|restock`: rooms kept stocked from the closet."""

from __future__ import annotations

import click

from macli.cli import pass_app
from macli.output import format_option, render
from macli.stock import rooms


@click.command("par", context_settings={"ignore_unknown_options": False})
@click.argument("words", nargs=-1, metavar="ROOM SKU QTY | list [ROOM]")
@format_option
@pass_app
def par(app, words, fmt):
    """Set a room's par level for an item, or list par levels.

    The par is how many the room should hold once restocked; QTY 0 stops
    keeping the item there. A room is made by its first par level. List
    shows each par with what the room holds now.

    \b
    Example:
        macli stock par "Exam 1" GLV-NIT-M 2
        macli stock par "Procedure room" GAUZE-4X4 10
        macli stock par list
        macli stock par list "Exam 1" -f csv
    """
    if words and words[0].lower() == "list":
        if len(words) > 2:
            raise click.UsageError("stock par list takes at most one ROOM")
        rows = rooms.pars(app.store, words[1] if len(words) == 2 else None)
        render(rows, fmt, columns=rooms.PAR_COLUMNS, empty="No par levels set.")
        return
    if len(words) != 3:
        raise click.UsageError("give ROOM SKU QTY (or: stock par list [ROOM])")
    room, sku, text = words
    try:
        quantity = int(text)
    except ValueError:
        raise click.UsageError(f"QTY must be a whole number, not {text!r}") from None
    result = rooms.set_par(app.store, room, sku, quantity, user=app.user, now=app.now)
    if result["par"] == 0:
        click.echo(f"{result['room']} no longer keeps {result['sku']} (par was {result['was']}).")
        return
    was = f" (was {result['was']})" if result["was"] else ""
    click.echo(
        f"Par for {result['sku']} in {result['room']}: {result['par']} {result['unit']}{was}."
    )


@click.command("move")
@click.argument("sku")
@click.argument("quantity", type=click.IntRange(min=1))
@click.option(
    "--from",
    "source",
    required=True,
    metavar="LOCATION",
    help="'closet' (or the item's location) or a room.",
)
@click.option("--to", "destination", required=True, metavar="ROOM", help="A room, or 'closet'.")
@click.option("--lot", help="Move this lot instead of the first-expiring ones.")
@click.option("--note", help="Anything worth keeping with the record.")
@pass_app
def move(app, sku, quantity, source, destination, lot, note):
    """Move units between the closet and a room, first-expiring lot first.

    Only usable lots go to a room (none expired or held); an expired or held
    lot comes back to the closet with --lot. A move larger than what the
    source holds moves nothing.

    \b
    Example:
        macli stock move GLV-NIT-M 2 --from closet --to "Exam 1"
        macli stock move LIDO-1PCT 2 --from "Closet A, shelf 1" --to "Procedure room"
        macli stock move GAUZE-4X4 5 --from "Exam 2" --to closet --lot G4-1108
    """
    result = rooms.move(
        app.store,
        sku,
        quantity,
        source=source,
        destination=destination,
        lot=lot,
        note=note,
        user=app.user,
        now=app.now,
        tz=app.zone,
    )
    click.echo(
        f"Moved {result['quantity']} {result['unit']} of {result['sku']} "
        f"from {result['from']} to {result['to']}:"
    )
    for part in result["lots"]:
        expiry = f", expires {part['expires']}" if part["expires"] else ""
        click.echo(f"  {part['quantity']} from lot {part['lot']}{expiry}")


@click.command("restock")
@click.argument("room", required=False)
@click.option("--all", "everything", is_flag=True, help="Also list items already at par.")
@format_option
@pass_app
def restock(app, room, everything, fmt):
    """What to bring to each room from the closet to reach its par levels.

    From each room's last count and what was moved in and used there since;
    expired or held units in a room do not count. LOTS says which closet lots
    to take (first-expiring); SHORT is what the closet lacks. Then move them:
    macli stock move SKU QTY --from closet --to ROOM.

    \b
    Example:
        macli stock restock
        macli stock restock "Exam 3" -f csv
    """
    rows = rooms.restock(app.store, room, today=app.today, everything=everything)
    render(rows, fmt, columns=rooms.RESTOCK_COLUMNS, empty="Every room is at par.")
