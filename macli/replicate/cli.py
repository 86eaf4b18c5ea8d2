"""`macli replicate` (setup, run, status) and `macli restore` (with its drill)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from macli.cli import pass_app
from macli.output import format_option, render_record


def _real_now():
    # Litestream stamps its files with the real clock, so a replica's age and lag are
    # measured against the real clock too, not `--now`.
    return datetime.now(UTC).replace(microsecond=0)


def _audit(app, action: str, detail: str) -> None:
    from macli import audit

    audit.record(app.store, user=app.user, action=action, now=app.now, detail=detail)


@click.group()
def replicate():
    """Continuous off-site copies of the store with Litestream.

    \b
    Example:
        macli replicate setup --to s3://clinic-backups/macli
        macli replicate run            # what the service runs
        macli replicate status         # exit 1 when the replica lags
    """


@replicate.command("setup")
@click.option(
    "--to",
    "url",
    required=True,
    help="file:///folder, sftp://user@host/path or s3://bucket/path[?endpoint=URL].",
)
@click.option(
    "--retention",
    default="7d",
    show_default=True,
    help="How far back point-in-time restores reach.",
)
@click.option(
    "--sync-interval", default="1s", show_default=True, help="How often changes are shipped."
)
@pass_app
def replicate_setup(app, url, retention, sync_interval):
    """Write the Litestream configuration for this store and send a first snapshot.

    Credentials are read from the environment (AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY for S3, LITESTREAM_SFTP_PASSWORD or an SSH key for SFTP);
    they are never written to the configuration or printed. The configuration is
    written beside the store as STORE.litestream.yml (mode 0600).

    \b
    Example:
        export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...
        macli replicate setup --to 's3://clinic-backups/macli?endpoint=https://s3.example.org'
        macli replicate setup --to file:///mnt/offsite/macli --retention 30d
    """
    from macli.replicate import core
    from macli.when import parse_duration

    _ = app.store  # replication is for an existing store; fails clearly when there is none
    done = core.setup(
        app.db_path,
        url,
        retention=parse_duration(retention),
        sync_interval=parse_duration(sync_interval),
    )
    _audit(app, "replicate.setup", f"replica {done['replica']}")
    click.echo(f"Wrote {done['config']}; the replica took a first snapshot.")
    click.echo("Run it as a service (docs/operations.md has a systemd unit):")
    click.echo(f"  macli --db {app.db_path} replicate run")
    click.echo("and watch it from cron:")
    click.echo(
        f"  */15 * * * * macli --db {app.db_path} replicate status >/dev/null || echo lagging"
    )


@replicate.command("run")
@pass_app
def replicate_run(app):
    """Run Litestream in the foreground for this store (what the service runs).

    It replaces this process, so a service manager's stop and kill reach Litestream
    itself. Everything Litestream creates is private (umask 077).

    \b
    Example:
        macli replicate run
    """
    import os

    from macli.replicate import core

    command, environment = core.run_command(app.db_path)
    app.close()
    os.umask(0o077)
    os.execve(command[0], command, environment)


@replicate.command("status")
@format_option
@pass_app
def replicate_status(app, fmt):
    """When the replica last received changes, its lag, and what it holds.

    Exit 1 when the lag is over the setting replicate.max_lag (or the replica is
    empty), so cron or a monitor can alert. No patient data is printed.

    \b
    Example:
        macli replicate status
        macli replicate status -f json
    """
    from macli.errors import MacliError
    from macli.replicate import core
    from macli.when import parse_duration

    result = core.status(
        app.db_path, max_lag=parse_duration(app.setting("replicate.max_lag")), now=_real_now()
    )
    render_record(result, fmt)
    if not result["ok"]:
        raise MacliError(result["verdict"])


def _at(app, text: str | None):
    if not text:
        return None
    from macli.when import parse_datetime, system_zone_name, zone

    # The clinic's zone when the store is here; on a new machine after a disaster there
    # may be none, and the machine's zone (or an explicit offset) is what there is.
    tz = app.zone if app.db_path.exists() else zone(system_zone_name())
    return parse_datetime(text, tz, _real_now())


@click.group(invoke_without_command=True)
@click.option("--from", "url", help="The replica URL (as given to replicate setup).")
@click.option(
    "--to", "target", type=click.Path(dir_okay=False), help="A new file for the restored store."
)
@click.option(
    "--at", "at_text", help="Restore as the store was at this local time (default: latest)."
)
@click.pass_context
def restore(ctx, url, target, at_text):
    """Restore the store from its replica into a new file, then check it.

    An existing file is never overwritten. Point-in-time restores reach back as far
    as the replica's retention, to the second for recent changes and to the hour for
    older ones (Litestream compacts them).

    \b
    Example:
        macli restore --from s3://clinic-backups/macli --to /srv/macli/restored.db
        macli restore --from file:///mnt/offsite/macli --to old.db --at "2026-12-01 17:00"
        macli restore drill --from s3://clinic-backups/macli
    """
    if ctx.invoked_subcommand is not None:
        if url or target or at_text:
            raise click.UsageError("give --from/--to/--at to the drill itself, after `drill`")
        return
    if not url or not target:
        raise click.UsageError("restore needs --from URL and --to PATH (or: restore drill)")
    from macli.errors import MacliError
    from macli.replicate import core

    app = ctx.obj
    done = core.restore(url, Path(target), at=_at(app, at_text))
    if app.db_path.exists():
        _audit(app, "restore.copy", f"restored a copy from the replica ({done['at']})")
    if done["problems"]:
        for problem in done["problems"][:20]:
            click.echo(problem, err=True)
        raise MacliError(
            f"restored to {target}, but the check found {len(done['problems'])} problem(s)"
        )
    rows = sum(done["tables"].values())
    click.echo(
        f"Restored to {target} ({done['at']}): {len(done['tables'])} tables, {rows:,} rows; store is sound."
    )


@restore.command("drill")
@click.option("--from", "url", help="The replica URL (default: the one replicate setup wrote).")
@format_option
@pass_app
def restore_drill(app, url, fmt):
    """Restore the replica into a temporary folder, check it, compare it with the store.

    Prints a one-line verdict with the replica's age; exit 1 when the copy cannot be
    restored, is damaged, or is not this store's history. Meant for a weekly cron line.

    \b
    Example:
        macli restore drill --from s3://clinic-backups/macli
        0 6 * * 1 macli restore drill || echo "restore drill failed"
    """
    from macli.errors import MacliError
    from macli.replicate import core

    _ = app.store  # the live store must exist to compare with
    url = url or core.read_config(app.db_path)["url"]
    result = core.drill(url, app.db_path, now=_real_now())
    _audit(app, "restore.drill", "passed" if result["ok"] else "failed")
    age = result.get("replica_age")
    line = f"({'replica ' + age + ' old' if age else 'replica age unknown'})"
    if fmt != "table":
        render_record(result, fmt)
    if not result["ok"]:
        raise MacliError(f"restore drill FAILED {line}: {result['verdict']}")
    if fmt == "table":
        click.echo(f"Restore drill passed {line}: {result['verdict']}.")
