"""`macli demo`: a synthetic clinic (never real people) to try every command on.

Each area adds its part through a `populate(context)` function listed in AREAS,
called in order inside one transaction.
"""

from __future__ import annotations

import importlib
import os
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from macli.errors import Conflict
from macli.migrations import open_store
from macli.store import Store

DEFAULT_PATH = "macli-demo.db"
MARKER_KEY = "demo.seed"
DEMO_USER = "demo"

# module:function, in the order they run. An area that builds on another comes after it.
AREAS = [
    "macli.patients.demo:populate",
    "macli.chart.demo:populate_history",
    "macli.schedule.demo:populate",
    "macli.chart.demo:populate",
    "macli.expense.demo:populate",
    "macli.bill.demo:populate",
    "macli.remind.demo:populate",
    "macli.stock.demo:populate",
    "macli.lab.demo:populate",
    "macli.documents.demo:populate",
    "macli.qc.demo:populate",
    "macli.phone.demo:populate",
    # After phone: its speakers of Spanish get their letters in Spanish.
    "macli.documents.demo:populate_languages",
    "macli.procedure.demo:populate",
]


@dataclass
class DemoContext:
    """What every area's demo builder gets: the store, a seeded RNG and the clock."""

    store: Store
    rng: random.Random
    now: datetime
    zone: ZoneInfo
    today: date
    user: str = DEMO_USER


def build(path: Path, *, seed: int, now: datetime, zone_name: str) -> None:
    """Create (or replace) the demo store at `path`."""
    from macli import settings
    from macli.when import zone

    if path.exists():
        existing = Store(path)
        try:
            marked = existing.scalar(
                "SELECT 1 FROM sqlite_master WHERE name = 'settings'"
            ) and existing.scalar("SELECT 1 FROM settings WHERE key = ?", [MARKER_KEY])
        finally:
            existing.close()
        if not marked:
            raise Conflict(f"{path} exists and is not a demo store; choose another --db")
    # Built beside the target and renamed at the end, so a failed build leaves nothing.
    building = Path(str(path) + ".building")
    _remove_store_files(building)
    store = open_store(building)
    try:
        tz = zone(zone_name)
        with store.write():
            for key, value in (
                ("clinic.name", "Riverside Family Practice"),
                ("clinic.phone", "(617) 555-0100"),
                ("clinic.timezone", tz.key),
                ("clinic.address", "100 Example Street, Boston, MA 02110"),
            ):
                settings.put(store, key, value, user=DEMO_USER, now=now)
            store.execute(
                "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)",
                [MARKER_KEY, str(seed), now.isoformat(), DEMO_USER],
            )
            context = DemoContext(
                store=store,
                rng=random.Random(seed),
                now=now,
                zone=tz,
                today=now.astimezone(tz).date(),
            )
            for target in AREAS:
                module_name, function = target.split(":")
                getattr(importlib.import_module(module_name), function)(context)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        store.close()
        _remove_store_files(building)
        raise
    store.close()
    _remove_store_files(path)
    os.replace(building, path)
    _remove_store_files(building)


def _remove_store_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            os.remove(candidate)


@click.command()
@click.option(
    "--db",
    "path",
    type=click.Path(dir_okay=False),
    default=DEFAULT_PATH,
    show_default=True,
    help="Where to write the demo store (never the default store).",
)
@click.option(
    "--seed", type=int, default=2026, show_default=True, help="Seed of the synthetic data."
)
@click.option(
    "--timezone",
    "zone_name",
    default="America/New_York",
    show_default=True,
    help="The demo clinic's time zone.",
)
@click.pass_context
def demo(ctx, path, seed, zone_name):
    """Create a synthetic demo clinic to try macli on.

    Writes ./macli-demo.db (or --db PATH) and never touches your real store;
    running it again rebuilds the demo from scratch. All people are made up.

    \b
    Example:
        macli demo
        macli --db macli-demo.db patient list --search garcia
    """

    from macli.when import parse_now, zone

    now_text = ctx.obj.now_text
    if now_text:
        now = parse_now(now_text, zone(zone_name))
    else:
        now = datetime.now(UTC).replace(microsecond=0)
    target = Path(path)
    build(target, seed=seed, now=now, zone_name=zone_name)
    click.echo(f"Demo clinic written to {target}. Try:")
    click.echo(f"  export MACLI_DB={target}")
    for line in (
        "macli today --date tomorrow",
        "macli schedule day --provider chen",
        "macli chart show P000001",
        "macli remind due",
        "macli stock low",
        "macli expense report --by category",
        "macli bill aging",
    ):
        click.echo(f"  {line}")
    click.echo("")
    from macli.app import App
    from macli.today.cli import show

    app = App(target, DEMO_USER, now.isoformat())
    try:
        day = sheet_day(app)
        if day != app.today:
            click.echo(f"The clinic is closed now; the next open day is {day:%A}:")
        show(app, day)
    finally:
        app.close()


def sheet_day(app) -> date:
    """The day the front desk would look at now: today while the clinic is open, else
    the next day it opens (a demo built on Sunday or at night shows that day's sheet)."""
    from macli.schedule import hours

    closing = max((row["ends"] for row in hours.working_on(app.store, app.today)), default=None)
    if closing is not None and app.now.astimezone(app.zone).strftime("%H:%M") < closing:
        return app.today
    return hours.next_working_day(app.store, app.today) or app.today
