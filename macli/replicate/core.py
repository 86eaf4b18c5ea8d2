"""Continuous off-site replication of the store with Litestream: where the replica is,
how far behind it is, and getting the store back from it (latest, a point in time, or a
drill that proves the copy is whole). Outputs carry counts, times and hashes, never
patient data, so a cron job may mail them."""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from macli.errors import Conflict, Invalid, MacliError, NotFound
from macli.files import open_private
from macli.replicate import litestream
from macli.when import duration_text, utc_text

SCHEMES = ("file", "s3", "sftp")
# Query parameters Litestream reads from an S3 URL; anything else (a key, a secret) is
# refused rather than written into a file.
S3_PARAMETERS = {"endpoint", "region", "forcePathStyle", "skipVerify"}
# Litestream checkpoints the WAL itself at this interval (its default, written down).
CHECKPOINT_INTERVAL = timedelta(minutes=1)
# Litestream turns a commit into a replica file within about a second and ships it at
# the sync interval; a store changed later than the replica's newest file by more than
# that plus this margin holds changes Litestream has not shipped (or is not running).
SHIP_MARGIN = timedelta(seconds=5)
DEFAULT_RETENTION = timedelta(days=7)
DEFAULT_SYNC_INTERVAL = timedelta(seconds=1)


def config_path(db_path: Path) -> Path:
    """Where the store's Litestream configuration lives: beside the store."""
    return db_path.with_name(db_path.name + ".litestream.yml")


def check_url(url: str) -> str:
    """A replica URL Litestream can use, with no credentials in it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise Invalid(
            f"cannot replicate to {url!r}: use file:///folder, sftp://user@host/path "
            "or s3://bucket/path[?endpoint=URL]"
        )
    if parts.password is not None:
        raise Invalid(
            "the replica URL must not carry a password: Litestream reads credentials from "
            "the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, LITESTREAM_SFTP_PASSWORD)"
        )
    if parts.scheme == "file":
        if parts.netloc or not parts.path.startswith("/"):
            raise Invalid(f"a file replica needs an absolute folder: file:///path, not {url!r}")
    else:
        if not parts.hostname:
            raise Invalid(f"the replica URL {url!r} names no bucket or host")
        if not parts.path.strip("/"):
            raise Invalid(f"the replica URL {url!r} needs a path inside the bucket or host")
    for key, _ in parse_qsl(parts.query, keep_blank_values=True):
        if parts.scheme != "s3" or key not in S3_PARAMETERS:
            raise Invalid(
                f"the replica URL may not set {key!r}; allowed: {', '.join(sorted(S3_PARAMETERS))}"
                " (credentials come from the environment)"
            )
    return url.strip()


def go_duration(span: timedelta) -> str:
    """A duration as Litestream's Go parser reads it (hours, minutes, seconds only)."""
    seconds = int(span.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def _quoted(text: str) -> str:
    # A JSON string is a YAML double-quoted scalar: paths and URLs stay exactly as given.
    import json

    return json.dumps(text)


def config_text(db_path: Path, url: str, retention: timedelta, sync_interval: timedelta) -> str:
    """Litestream's configuration for this store: no credentials, ever."""
    return (
        "# Written by `macli replicate setup`. Credentials are never written here: Litestream\n"
        "# reads them from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...).\n"
        "snapshot:\n"
        "  interval: 24h\n"
        f"  retention: {go_duration(retention)}\n"
        "dbs:\n"
        f"  - path: {_quoted(str(db_path.resolve()))}\n"
        "    busy-timeout: 30s\n"
        f"    checkpoint-interval: {go_duration(CHECKPOINT_INTERVAL)}\n"
        "    replica:\n"
        f"      url: {_quoted(url)}\n"
        f"      sync-interval: {go_duration(sync_interval)}\n"
    )


def read_config(db_path: Path) -> dict:
    """The replica URL, retention and sync interval written by setup."""
    path = config_path(db_path)
    if not path.exists():
        raise NotFound(
            f"replication is not set up for {db_path} (run `macli replicate setup --to URL`)"
        )
    text = path.read_text(encoding="utf-8")
    import json

    def value(pattern: str) -> str:
        match = re.search(pattern, text, re.MULTILINE)
        if not match:
            raise MacliError(f"{path} was not written by macli replicate setup; write it again")
        return match.group(1)

    return {
        "path": path,
        "url": json.loads(value(r'^\s+url: (".*")$')),
        "retention": value(r"^\s+retention: (\S+)$"),
        "sync_interval": value(r"^\s+sync-interval: (\S+)$"),
    }


def _private_umask():
    # Whatever Litestream creates (its state beside the store, a file replica, a restored
    # copy) holds patient data: owner only.
    os.umask(0o077)


def setup(
    db_path: Path,
    url: str,
    *,
    retention: timedelta = DEFAULT_RETENTION,
    sync_interval: timedelta = DEFAULT_SYNC_INTERVAL,
) -> dict:
    """Write the store's Litestream configuration (0600) and prove the replica takes writes
    by sending it a first snapshot."""
    url = check_url(url)
    if retention < timedelta(hours=1):
        raise Invalid(
            "--retention must be at least 1h (point-in-time restores reach back that far)"
        )
    if sync_interval > timedelta(hours=1):
        raise Invalid("--sync-interval must be at most 1h: the replica would fall too far behind")
    parts = urlsplit(url)
    if parts.scheme == "file":
        folder = Path(parts.path)
        if folder.resolve() == db_path.resolve().parent:
            raise Invalid("the replica folder must not be the store's own folder")
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    path = config_path(db_path)
    previous = path.read_bytes() if path.exists() else None
    with open_private(path) as handle:
        handle.write(config_text(db_path, url, retention, sync_interval))
    try:
        sync_once(db_path, url)
    except MacliError:
        # A configuration that cannot reach its replica is not left behind as if it worked.
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(previous)
        raise
    return {
        "config": str(path),
        "replica": url,
        "retention": go_duration(retention),
        "sync_interval": go_duration(sync_interval),
    }


def sync_once(db_path: Path, url: str) -> None:
    """One full sync of the store to its replica (Litestream `replicate -once`)."""
    litestream.run(
        ["replicate", "-once", "-force-snapshot", "-config", str(config_path(db_path))],
        url,
        timeout=600,
        preexec=_private_umask,
    )


def run_command(db_path: Path) -> tuple[list[str], dict[str, str]]:
    """The command line and environment `macli replicate run` hands over to."""
    settings = read_config(db_path)
    command = [litestream.binary(), "replicate", "-config", str(settings["path"])]
    return command, litestream.environment(settings["url"])


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _store_changed(db_path: Path) -> datetime | None:
    """When the store last took a commit, as the file system saw it.

    In WAL mode every commit writes the -wal file, and nothing else does while
    Litestream holds the store open (its checkpoints write the main file, later). With no
    connection open the WAL has been folded into the main file and removed, and the main
    file's time is the last commit's (or the fold just after it)."""
    wal = db_path.with_name(db_path.name + "-wal")
    for path in (wal, db_path):
        try:
            return datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
        except FileNotFoundError:
            continue
    return None


def _local_txid(db_path: Path, config: Path, url: str) -> int | None:
    import json

    done = litestream.run(["status", "-json", "-config", str(config), str(db_path)], url)
    try:
        rows = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        return None
    for row in rows:
        if row.get("local_txid"):
            return int(row["local_txid"], 16)
    return None


def status(db_path: Path, *, max_lag: timedelta, now: datetime) -> dict:
    """When the replica last received changes, how far behind the store it is, what it
    holds; `ok` is False when the lag is over `max_lag` or the replica is empty."""
    settings = read_config(db_path)
    url = settings["url"]
    files = litestream.ltx_files(url)
    result = {
        "replica": url,
        "last_received": None,
        "lag": None,
        "lag_seconds": None,
        "replica_txid": None,
        "local_txid": None,
        "snapshots": 0,
        "oldest_restore_point": None,
        "retention": settings["retention"],
        "sync_interval": settings["sync_interval"],
        "max_lag": duration_text(max_lag),
        "ok": False,
        "verdict": "",
    }
    if not files:
        result["verdict"] = "the replica holds nothing yet: is `macli replicate run` running?"
        return result
    newest = max(_when(row["timestamp"]) for row in files)
    replica_txid = max(int(row["max_txid"], 16) for row in files)
    snapshots = [row for row in files if row["level"] == 9]
    oldest = min(_when(row["timestamp"]) for row in (snapshots or files))
    local_txid = _local_txid(db_path, settings["path"], url)
    changed = _store_changed(db_path)
    slack = _go_seconds(settings["sync_interval"]) + SHIP_MARGIN
    behind = (local_txid is not None and local_txid > replica_txid) or (
        changed is not None and changed > newest + slack
    )
    lag = max(now - newest, timedelta()) if behind else timedelta()
    ok = lag <= max_lag
    result.update(
        last_received=utc_text(newest),
        lag=duration_text(lag) if lag >= timedelta(seconds=1) else "0s",
        lag_seconds=int(lag.total_seconds()),
        replica_txid=replica_txid,
        local_txid=local_txid,
        snapshots=len(snapshots),
        oldest_restore_point=utc_text(oldest),
        ok=ok,
        verdict=(
            ("up to date" if not behind else f"behind by {duration_text(lag)}")
            if ok
            else f"replica is {duration_text(lag)} behind the store (more than {duration_text(max_lag)})"
        ),
    )
    return result


def _go_seconds(text: str) -> timedelta:
    amount, unit = int(text[:-1]), text[-1]
    return timedelta(**{{"h": "hours", "m": "minutes", "s": "seconds"}[unit]: amount})


def restore(url: str, target: Path, *, at: datetime | None = None) -> dict:
    """Restore the store from `url` into `target` (which must not exist), as it was at
    `at` or latest, then check it; returns what the check found."""
    url = check_url(url)
    target = Path(target)
    for path in (target, target.with_name(target.name + "-wal")):
        if path.exists():
            raise Conflict(f"{path} already exists; restore into a new file name")
    if not target.parent.exists():
        target.parent.mkdir(mode=0o700, parents=True)
    arguments = ["restore", "-o", str(target)]
    if at is not None:
        arguments += ["-timestamp", at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
    litestream.run([*arguments, url], url, timeout=3600, preexec=_private_umask)
    if not target.exists():
        raise MacliError(f"litestream restored nothing to {target}")
    os.chmod(target, 0o600)
    return {"path": str(target), "at": utc_text(at) if at else "latest", **inspect(target)}


def inspect(path: Path) -> dict:
    """Check a store file read-only: integrity, foreign keys, the audit chain; its tables,
    row counts and audit head."""
    from macli import audit
    from macli.store import Store

    problems: list[str] = []
    try:
        store = Store(path)
    except sqlite3.DatabaseError as error:
        return {"problems": [f"not a readable store: {error}"], "tables": {}, "head": None}
    try:
        store.conn.execute("PRAGMA query_only = ON")
        problems = store.check()
        tables = table_counts(store.conn)
        if "audit" not in tables:
            problems.append("no audit log: this is not a macli store")
            head = None
        else:
            broken = audit.verify(store)
            if broken:
                problems.append(f"audit chain broken at row {broken['id']}: {broken['problem']}")
            head = store.one("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
    except sqlite3.DatabaseError as error:
        problems.append(f"the store could not be read: {error}")
        tables, head = {}, None
    finally:
        store.close()
    return {"problems": problems, "tables": tables, "head": head}


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per macli table (SQLite's and Litestream's own bookkeeping left out)."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE '\\_litestream\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%'"
            " ORDER BY name"
        )
    ]
    # Names come from the file's own schema, quoted as identifiers, never from input.
    return {
        name: conn.execute(
            f'SELECT COUNT(*) FROM "{name.replace(chr(34), chr(34) * 2)}"'
        ).fetchone()[0]
        for name in names
    }


def drill(url: str, live: Path, *, now: datetime) -> dict:
    """Restore the replica into a private temporary folder, check it, and hold it against
    the live store: tables, row counts and the audit chain's head."""
    url = check_url(url)
    with tempfile.TemporaryDirectory(prefix="macli-drill-") as folder:
        os.chmod(folder, 0o700)
        restored = Path(folder) / "drill.db"
        try:
            copy = restore(url, restored)
        except MacliError as error:
            return _verdict(False, f"the replica could not be restored: {error.message}")
        files = litestream.ltx_files(url)
        newest = max((_when(row["timestamp"]) for row in files), default=None)
        current = inspect(live)
    age = duration_text(max(now - newest, timedelta(seconds=0))) if newest else "unknown"
    result = {"replica_age": age, "tables": len(copy["tables"])}
    if copy["problems"]:
        return {
            **result,
            **_verdict(False, f"the restored copy is damaged: {copy['problems'][0]}"),
        }
    missing = sorted(set(current["tables"]) - set(copy["tables"]))
    extra = sorted(set(copy["tables"]) - set(current["tables"]))
    if missing or extra:
        named = ", ".join(missing or extra)
        return {
            **result,
            **_verdict(
                False,
                f"tables differ from the live store ({'missing' if missing else 'extra'}: {named})",
            ),
        }
    head = copy["head"]
    live_hash = None
    if head is not None:
        conn = sqlite3.connect(f"file:{live.resolve()}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT hash FROM audit WHERE id = ?", [head["id"]]).fetchone()
        finally:
            conn.close()
        live_hash = found[0] if found else None
        if live_hash != head["hash"]:
            return {
                **result,
                **_verdict(
                    False,
                    f"audit row {head['id']} differs from the live store's: the copy is not this store's history",
                ),
            }
    behind = {
        name: current["tables"][name] - count
        for name, count in copy["tables"].items()
        if current["tables"][name] != count
    }
    rows = sum(copy["tables"].values())
    detail = (
        f"{len(behind)} table(s) have changed since"
        if behind
        else "row counts match the live store"
    )
    return {
        **result,
        "rows": rows,
        "audit_head": head["id"] if head else None,
        "tables_changed_since": len(behind),
        **_verdict(
            True,
            f"restored and checked: {len(copy['tables'])} tables, {rows:,} rows, "
            f"audit head #{head['id'] if head else 0} matches the live store; {detail}",
        ),
    }


def _verdict(ok: bool, text: str) -> dict:
    return {"ok": ok, "verdict": text}
