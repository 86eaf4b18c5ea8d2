"""Clinic setup commands of `macli schedule`: working hours, blocks, appointment types
and rooms. Registered on the schedule group by `macli.schedule.cli`."""

from __future__ import annotations

import click

from macli.cli import pass_app
from macli.output import format_option, render
from macli.schedule import catalog, hours


@click.command("hours")
@click.argument("provider_ref", metavar="PROVIDER")
@click.option("--set", "spec", metavar="SPEC", help="Replace the weekly hours (see example).")
@click.option("--clear", is_flag=True, help="Remove the hours (bookings are then unrestricted).")
@format_option
@pass_app
def hours_command(app, provider_ref, spec, clear, fmt):
    """Show or set a provider's weekly working hours.

    SPEC lists days and times; several parts are separated by ';'.

    \b
    Example:
        macli schedule hours chen
        macli schedule hours chen --set "mon-fri 08:00-12:00,13:00-17:00"
        macli schedule hours 2 --set "mon-thu 08:00-17:00; fri 08:00-12:00"
    """
    from macli.patients import providers

    if spec is not None and clear:
        raise click.UsageError("give --set or --clear, not both")
    if spec is None and not clear:
        provider = providers.resolve(app.store, provider_ref)
        rows = hours.hours_rows(hours.get_hours(app.store, provider["id"]))
        render(rows, fmt, columns=("day", "hours"))
        return
    result = hours.set_hours(app.store, provider_ref, spec, tz=app.zone, now=app.now)
    name = result["provider"]["name"]
    if result["hours"]:
        click.echo(f"{name} works {hours.hours_text(result['hours'])}.")
    else:
        click.echo(f"{name} has no working hours now.")
    if result["outside"]:
        click.echo(f"{len(result['outside'])} upcoming appointment(s) now fall outside them:")
        for row in result["outside"]:
            click.echo(f"  appointment {row['id']} at {row['starts']}")


@click.command("block")
@click.argument("provider_ref", metavar="PROVIDER")
@click.option("--from", "first", required=True, metavar="DATETIME", help="Start (or a whole day).")
@click.option("--to", "last", required=True, metavar="DATETIME", help="End (or a whole day).")
@click.option("--reason", help="Vacation, training, meeting...")
@pass_app
def block_command(app, provider_ref, first, last, reason):
    """Block a provider's time: nothing can be booked inside it.

    A bare date means the whole day. Appointments already booked inside the
    block are listed so they can be moved.

    \b
    Example:
        macli schedule block chen --from "2026-12-03 12:00" --to "2026-12-03 14:00" --reason training
        macli schedule block chen --from 2026-12-24 --to 2026-12-31 --reason vacation
    """
    block = hours.add_block(
        app.store, provider_ref, first, last, reason=reason, tz=app.zone, user=app.user, now=app.now
    )
    click.echo(
        f"Blocked {block['provider']} {block['starts']} to {block['ends']} (block {block['id']})."
    )
    if block["inside"]:
        click.echo(f"{len(block['inside'])} appointment(s) inside the block need moving:")
        for row in block["inside"]:
            click.echo(f"  appointment {row['id']} at {row['starts']}")


@click.command("blocks")
@click.argument("provider_ref", metavar="[PROVIDER]", required=False)
@format_option
@pass_app
def blocks_command(app, provider_ref, fmt):
    """List blocks that have not ended yet.

    \b
    Example:
        macli schedule blocks chen
    """
    rows = hours.blocks(app.store, provider_ref, tz=app.zone, since=app.now)
    render(rows, fmt, columns=hours.BLOCK_COLUMNS, empty="No blocks.")


@click.command("unblock")
@click.argument("block_id", metavar="BLOCK_ID", type=int)
@pass_app
def unblock_command(app, block_id):
    """Remove a block; its time can be booked again.

    \b
    Example:
        macli schedule unblock 3
    """
    hours.remove_block(app.store, block_id)
    click.echo(f"Removed block {block_id}.")


@click.command("types")
@click.option("--all", "include_inactive", is_flag=True, help="Include retired types.")
@format_option
@pass_app
def types_command(app, include_inactive, fmt):
    """List appointment types and their default lengths.

    \b
    Example:
        macli schedule types
    """
    rows = catalog.types(app.store, include_inactive=include_inactive)
    render(rows, fmt, columns=catalog.TYPE_COLUMNS, empty="No appointment types yet.")


@click.group("type")
def type_group():
    """Add or change appointment types."""


@type_group.command("add")
@click.argument("name")
@click.option(
    "--duration", "minutes", type=int, required=True, metavar="MINUTES", help="Default length."
)
@pass_app
def type_add_command(app, name, minutes):
    """Add an appointment type with its default length.

    \b
    Example:
        macli schedule type add "flu shot" --duration 10
    """
    row = catalog.add_type(app.store, name, minutes)
    click.echo(f"Added type {row['name']!r} ({row['duration_minutes']} min).")


@type_group.command("edit")
@click.argument("name")
@click.option("--duration", "minutes", type=int, metavar="MINUTES", help="New default length.")
@click.option("--active/--inactive", default=None, help="Put back in use, or retire.")
@pass_app
def type_edit_command(app, name, minutes, active):
    """Change a type's default length, or retire it.

    \b
    Example:
        macli schedule type edit physical --duration 40
        macli schedule type edit "flu shot" --inactive
    """
    row = catalog.edit_type(app.store, name, minutes=minutes, active=active)
    state = "" if row["active"] else ", retired"
    click.echo(f"Type {row['name']!r}: {row['duration_minutes']} min{state}.")


@click.command("rooms")
@format_option
@pass_app
def rooms_command(app, fmt):
    """List rooms.

    \b
    Example:
        macli schedule rooms
    """
    render(catalog.rooms(app.store), fmt, columns=catalog.ROOM_COLUMNS, empty="No rooms yet.")


@click.group("room")
def room_group():
    """Add rooms or take them out of use."""


@room_group.command("add")
@click.argument("name")
@pass_app
def room_add_command(app, name):
    """Add a room appointments can be booked into.

    \b
    Example:
        macli schedule room add "Exam 3"
    """
    row = catalog.add_room(app.store, name)
    click.echo(f"Added room {row['name']!r}.")


@room_group.command("edit")
@click.argument("name")
@click.option("--active/--inactive", required=True, help="Back in use, or out of use.")
@pass_app
def room_edit_command(app, name, active):
    """Take a room out of use (or back into use).

    \b
    Example:
        macli schedule room edit "Exam 3" --inactive
    """
    row = catalog.edit_room(app.store, name, active=active)
    click.echo(f"Room {row['name']!r} is {'in use' if row['active'] else 'out of use'}.")


COMMANDS = [
    hours_command,
    block_command,
    blocks_command,
    unblock_command,
    types_command,
    type_group,
    rooms_command,
    room_group,
]
