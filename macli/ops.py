"""Store-wide commands: config, audit, backup, check and read-only SQL."""

from __future__ import annotations

import sqlite3
import sys

import click

from macli import audit, exports, settings
from macli.cli import MULTILINE, pass_app
from macli.errors import Invalid, MacliError
from macli.files import open_private
from macli.output import format_option, render, write_rows
from macli.store import open_readonly
from macli.when import local_text, parse_date, utc_text


@click.group()
def config():
    """Clinic settings: name, phone, time zone, mail and SMS.

    Secrets are never settings: the mail password comes from
    MACLI_SMTP_PASSWORD and the SMS token from MACLI_SMS_TOKEN.
    """


@config.command("set")
@click.argument("key")
@click.argument("value")
@pass_app
def config_set(app, key, value):
    """Set a clinic setting (validated).

    \b
    Example:
        macli config set clinic.timezone America/New_York
        macli config set clinic.phone "(617) 555-0100"
    """
    stored = settings.put(app.store, key, value, user=app.user, now=app.now)
    click.echo(f"{key} = {stored}")


@config.command("get")
@click.argument("key")
@pass_app
def config_get(app, key):
    """Print one setting's value.

    \b
    Example:
        macli config get clinic.timezone
    """
    value = settings.get(app.store, key)
    click.echo("" if value is None else value)


@config.command("list")
@format_option
@pass_app
def config_list(app, fmt):
    """List every known setting, its value and whether it is the default.

    \b
    Example:
        macli config list
    """
    render(settings.listing(app.store), fmt, columns=("key", "value", "source", "help"))


@click.group("audit")
def audit_group():
    """The audit log of every view and change of patient data."""


@audit_group.command("list")
@click.option("--patient", help="Only rows about this patient (MRN or name).")
@click.option("--since", help="Only rows from this local date on (YYYY-MM-DD).")
@format_option
@pass_app
def audit_list(app, patient, since, fmt):
    """List audit rows, oldest first.

    \b
    Example:
        macli audit list --patient P000042 --since 2026-11-01
    """
    from macli.patients.core import resolve
    from macli.when import day_start

    patient_id = resolve(app.store, patient)["id"] if patient else None
    since_text = None
    if since:
        day = parse_date(since, app.today)
        since_text = utc_text(day_start(day, app.zone))
    rows = audit.entries(app.store, patient_id=patient_id, since=since_text)
    if fmt == "table":
        rows = [{**row, "at": local_text(row["at"], app.zone, seconds=True)} for row in rows]
    render(
        rows, fmt, columns=("id", "at", "user", "action", "mrn", "detail"), empty="No audit rows."
    )


@audit_group.command("verify")
@click.option(
    "--head",
    "head_only",
    is_flag=True,
    help="Print only the head line (row and hash), to append to a file kept elsewhere.",
)
@click.option(
    "--against",
    metavar="FILE|HASH",
    help="Also fail unless the chain still extends this head (a hash, ROW:HASH, or a file "
    "of head lines: its last one).",
)
@pass_app
def audit_verify(app, head_only, against):
    """Check the hash chain; exit 1 naming the first broken row.

    Prints the chain's head: its last row and that row's hash, which covers
    every row before it. Keep heads outside the store (mail them, append them
    to a file on another machine); `--against` then fails when the chain no
    longer extends one, as when rows were rewritten and their hashes
    recomputed, or cut from the end.

    \b
    Example:
        macli audit verify
        macli audit verify --head >> /mnt/offsite/audit-heads.log
        macli audit verify --against /mnt/offsite/audit-heads.log
    """
    from pathlib import Path

    recorded = None
    if against is not None:
        path = Path(against)
        source = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else against
        recorded = audit.read_head(source)
    broken = audit.verify(app.store)
    if broken:
        raise MacliError(f"audit chain broken at row {broken['id']}: {broken['problem']}")
    if recorded is not None:
        problem = audit.extends(app.store, recorded)
        if problem:
            raise MacliError(f"audit chain does not extend the recorded head: {problem}")
    line = audit.head_line(audit.head(app.store))
    if head_only:
        click.echo(line)
        return
    count = app.store.scalar("SELECT COUNT(*) FROM audit")
    click.echo(f"Audit chain intact: {count} rows.")
    if recorded is not None:
        click.echo(f"It extends the recorded head (row {recorded['row'] or 'with that hash'}).")
    click.echo(line)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@pass_app
def backup(app, path):
    """Copy the store to PATH while others keep working (mode 0600).

    The copy is consistent: it holds every change committed before it began.
    To restore, stop macli, then copy the backup over the store file.

    \b
    Example:
        macli backup /secure/macli-$(date +%F).db
    """
    from pathlib import Path

    app.store.backup(Path(path))
    click.echo(f"Backed up to {path}.", err=True)


@click.command()
@pass_app
def check(app):
    """Check the store: SQLite integrity, foreign keys and the audit chain.

    Exit 0 when sound, 1 on any problem.

    \b
    Example:
        macli check && echo sound
    """
    problems = app.store.check()
    broken = audit.verify(app.store)
    if broken:
        problems.append(f"audit chain broken at row {broken['id']}: {broken['problem']}")
    if problems:
        for problem in problems[:20]:
            click.echo(problem, err=True)
        raise MacliError(f"the store has {len(problems)} problem(s)")
    click.echo("Store is sound.")


@click.command()
@click.argument("query", type=MULTILINE)
@format_option
@pass_app
def sql(app, query, fmt):
    """Run one read-only SQL query; any write is refused.

    The query is recorded in the audit log.

    \b
    Example:
        macli sql "SELECT sex, COUNT(*) AS patients FROM patients GROUP BY sex" -f csv
    """
    audit.record(app.store, user=app.user, action="sql.query", now=app.now, detail=query[:500])
    connection = open_readonly(app.db_path)
    try:
        cursor = connection.execute(query)
        columns = [d[0] for d in cursor.description or []]
        write_rows(cursor, fmt, sys.stdout, columns, empty="No rows.")
    except sqlite3.Warning as error:
        raise Invalid(f"one statement at a time, please ({error})") from error
    except sqlite3.DatabaseError as error:
        message = str(error)
        if "readonly" in message or "not authorized" in message or "read-only" in message:
            raise Invalid(f"macli sql is read-only: {message}") from error
        raise Invalid(f"the query failed: {message}") from error
    finally:
        connection.close()


@click.command("export")
@click.argument("table", metavar="TABLE", type=click.Choice([*exports.names(), "all"]))
@format_option(formats=("csv", "json", "jsonl"), default="csv", help="File format.")
@click.option("-o", "--output", type=click.Path(), help="FILE for one table, DIR for all.")
@click.option("--since", help="Only rows created or changed from this local date on.")
@pass_app
def export(app, table, fmt, output, since):
    """Export one table, or all of them, for scripts (streamed; files are 0600).

    TABLE is one of: {tables}; or `all` (which needs -o DIR and writes
    DIR/<table>.<format>; --since then applies to the tables that have dates).
    Exports holding patient data are written to the audit log.

    \b
    Example:
        macli export patients -f jsonl --since 2026-11-01 > new.jsonl
        macli export all -f csv -o exports/
    """
    from pathlib import Path

    day = parse_date(since, app.today) if since else None
    if table == "all":
        if not output:
            raise Invalid("export all needs -o DIR: one file per table is written there")
        folder = Path(output)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in exports.names():
            since_day = day if exports.EXPORTS[name].since else None
            columns, iterator = exports.rows(
                app.store, name, since=since_day, tz=app.zone, user=app.user, now=app.now
            )
            with open_private(folder / f"{name}.{fmt}") as handle:
                count = write_rows(iterator, fmt, handle, columns)
            click.echo(f"{name}: {count} rows", err=True)
        return
    columns, iterator = exports.rows(
        app.store, table, since=day, tz=app.zone, user=app.user, now=app.now
    )
    # The rows are read as they are written; write_rows closes them even when a write
    # fails part-way (a full disk), while the store is still open.
    if output:
        with open_private(output) as handle:
            count = write_rows(iterator, fmt, handle, columns)
        click.echo(f"Wrote {count} rows to {output}.", err=True)
    else:
        write_rows(iterator, fmt, None, columns)


# The tables are named in the help rather than the usage line, which wrapped mid-name.
export.help = export.help.replace("{tables}", ", ".join(exports.names()))


@click.command()
@click.option(
    "--db",
    "path",
    type=click.Path(dir_okay=False),
    help="Where to create the store. Default: the root --db (or MACLI_DB), else the default.",
)
@pass_app
def init(app, path):
    """Create a new, empty store (mode 0600), or bring an existing one up to date.

    Every other command refuses a --db or MACLI_DB path that holds no store, so a
    typo fails instead of starting an empty clinic. A file that is not a macli
    store is refused, never converted; an existing empty file becomes the store.

    \b
    Example:
        macli init --db /srv/clinic/macli.db
        export MACLI_DB=/srv/clinic/macli.db
    """
    from pathlib import Path

    from macli.migrations import open_store

    target = Path(path) if path else app.db_path
    existed = target.is_file() and target.stat().st_size > 0
    open_store(target, create=True).close()
    if existed:
        click.echo(f"{target} is already a macli store; it is up to date.")
    else:
        click.echo(f"Created a new store at {target}.")
