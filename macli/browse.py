"""`macli browse`: the store, read-only, in Datasette, with canned clinic queries."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

import click

from macli import audit
from macli.cli import pass_app
from macli.errors import MacliError

# Canned queries: name -> (title, SQL). Parameters come from the URL (?day=2026-12-01).
CANNED = {
    "day_sheet": (
        "Day sheet: appointments of one day (day=YYYY-MM-DD, empty for today)",
        """
        SELECT local_time(a.starts_at) AS time, v.name AS provider, p.mrn, p.name AS patient,
               t.name AS type, a.status, a.room
        FROM appointments a
        JOIN patients p ON p.id = a.patient_id
        JOIN providers v ON v.id = a.provider_id
        LEFT JOIN appointment_types t ON t.id = a.type_id
        WHERE a.starts_at >= day_start_utc(:day)
          AND a.starts_at < day_start_utc(date(coalesce(nullif(:day, ''), date('now')), '+1 day'))
        ORDER BY v.name, a.starts_at
        """,
    ),
}


def _canned() -> dict[str, tuple[str, str]]:
    from macli.money import sql_cents_text
    from macli.stock.reports import LOW_SQL

    return {
        **CANNED,
        "low_stock": (
            "Supplies at or below their reorder point (day=YYYY-MM-DD, empty for today)",
            LOW_SQL.replace(":today", "coalesce(nullif(:day, ''), local_today())"),
        ),
        "spending": (
            "Spending per category in one month (month=YYYY-MM, empty for this month)",
            "SELECT c.name AS category, COUNT(*) AS entries,"
            f" {sql_cents_text('SUM(e.amount_cents)')} AS spent"
            " FROM expenses e JOIN expense_categories c ON c.id = e.category_id"
            " WHERE substr(e.spent_on, 1, 7) = coalesce(nullif(:month, ''),"
            " substr(local_today(), 1, 7)) GROUP BY c.name ORDER BY c.name",
        ),
    }


def metadata(database: str) -> dict:
    return {
        "title": "macli (read-only)",
        "databases": {
            database: {
                "queries": {
                    name: {"title": title, "sql": " ".join(sql.split())}
                    for name, (title, sql) in _canned().items()
                }
            }
        },
    }


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port on 127.0.0.1 (never another interface).",
)
@pass_app
def browse(app, port):
    """Browse the store read-only in Datasette, with canned clinic queries.

    Datasette is an optional extra: pip install 'macli[browse]'. It listens on
    127.0.0.1 only; stop it with Ctrl-C. Opening it is recorded in the audit log,
    and so is every page, query and download that shows rows of a patient table.
    The store is served as /macli/ whatever its file is called.

    \b
    Example:
        macli browse --port 8001
        curl 'http://127.0.0.1:8001/macli/day_sheet.json?day=2026-12-01&_shape=array'
    """
    if importlib.util.find_spec("datasette") is None:
        raise MacliError("Datasette is not installed; install it with: pip install 'macli[browse]'")
    store = app.store
    audit.record(store, user=app.user, action="store.browse", now=app.now, detail=f"port={port}")
    database = "macli"  # whatever the file is called: browse_plugins renames it
    # The metadata lives in an unlinked temporary file handed over as /dev/fd/N, and
    # macli becomes Datasette (exec): no child process to orphan, no file left behind.
    with tempfile.TemporaryFile("w+", prefix="macli-browse-") as meta:
        json.dump(metadata(database), meta)
        meta.flush()
        os.set_inheritable(meta.fileno(), True)
        command = [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            str(app.db_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--metadata",
            f"/dev/fd/{meta.fileno()}",
            "--plugins-dir",
            str(Path(__file__).with_name("browse_plugins")),
            "--setting",
            "allow_download",
            "off",
        ]
        os.environ["MACLI_BROWSE_TZ"] = app.zone.key
        # For the audit plugin (browse_plugins/macli_audit.py): each page showing patient
        # rows is recorded, as this user, through macli's own store connection.
        os.environ["MACLI_BROWSE_DB"] = str(Path(app.db_path).resolve())
        os.environ["MACLI_BROWSE_USER"] = app.user
        app.close()
        os.execv(sys.executable, command)
