"""The one place that opens the database: connection settings, transactions, backup and
check. Nothing else connects to the file. A Store does not migrate itself: commands get
theirs from `macli.migrations.open_store`, which brings the schema up to date."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from macli.errors import Conflict, Invalid, MacliError
from macli.files import create_private_file

BUSY_TIMEOUT_SECONDS = 30


def _bind(params: Iterable | dict):
    """Query parameters: a dict for :named ones, else a sequence for ? ones."""
    return params if isinstance(params, dict) else tuple(params)


SQLITE_HEADER = b"SQLite format 3\x00"


def no_store(path: Path) -> Invalid:
    return Invalid(f"no store at {path} (create one with `macli init --db {path}`)")


def refuse_foreign(path: Path) -> None:
    """Refuse a file that exists with content and is not an SQLite database: macli
    never turns someone else's file (a CSV, a note) into a store."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    if header and header != SQLITE_HEADER:
        raise Invalid(
            f"{path} is not a macli store (it is not an SQLite database); choose another --db"
        )


class Store:
    """An open macli database: a sqlite3 connection in autocommit mode plus helpers.

    `create=False` opens only a store that is already there: a mistyped path must fail,
    not start an empty clinic. A store macli creates (a new file, or an empty one it is
    told to use) is made private, mode 0600.
    """

    def __init__(self, path: Path | str, *, create: bool = True):
        self.path = Path(path)
        if str(path) != ":memory:":
            size = self.path.stat().st_size if self.path.is_file() else None
            if not create and not size:
                raise no_store(self.path)
            refuse_foreign(self.path)
            create_private_file(self.path)
            if not size:
                os.chmod(self.path, 0o600)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a second writer
        # waits on the busy timeout instead of failing with "database is locked".
        self.conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = FULL")
        # Litestream (`macli replicate run`) checkpoints the WAL itself, after it has
        # copied the frames; SQLite's own automatic checkpoint at 1,000 pages can race
        # it, so ours waits until 10,000 (~40 MB) and normally never comes. Without
        # Litestream the WAL is still checkpointed, only later.
        self.conn.execute("PRAGMA wal_autocheckpoint = 10000")
        self._depth = 0

    def close(self) -> None:
        self.conn.close()

    # -- reading -----------------------------------------------------------------
    def query(self, sql: str, params: Iterable = ()) -> list[dict]:
        """All rows of a query as dicts."""
        return [dict(row) for row in self._run(sql, params)]

    def iterate(self, sql: str, params: Iterable = ()) -> Iterator[dict]:
        """Rows of a query as dicts, one at a time (for exports of any size)."""
        for row in self._run(sql, params):
            yield dict(row)

    def tuples(self, sql: str, params: Iterable = ()) -> sqlite3.Cursor:
        """Rows of a query as plain tuples, read as they are iterated: listings and exports
        of any size hand these to the renderer with the column names, no dict per row."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        try:
            return cursor.execute(sql, _bind(params))
        except OverflowError:
            raise Invalid("a number given is too large (at most 9223372036854775807)") from None

    def one(self, sql: str, params: Iterable = ()) -> dict | None:
        """The first row of a query, or None."""
        row = self._run(sql, params).fetchone()
        return dict(row) if row is not None else None

    def scalar(self, sql: str, params: Iterable = ()):
        """The first column of the first row, or None."""
        row = self._run(sql, params).fetchone()
        return row[0] if row is not None else None

    def _run(self, sql: str, params: Iterable | dict) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, _bind(params))
        except OverflowError:
            # Python's integers have no limit, SQLite's have 64 bits: an id or number typed
            # in can be larger than anything the store holds.
            raise Invalid("a number given is too large (at most 9223372036854775807)") from None

    # -- writing -----------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Store]:
        """One write transaction (BEGIN IMMEDIATE); nested calls become savepoints."""
        if self._depth:
            name = f"sp{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                # After a full disk or an I/O error SQLite has already rolled the whole
                # transaction back: there is no savepoint left to return to.
                if self.conn.in_transaction:
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
                raise
            else:
                self.conn.execute(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise MacliError(f"the store is busy, try again ({error})") from error
        self._depth = 1
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    @contextmanager
    def fast_commits(self) -> Iterator[Store]:
        """Commits inside skip the fsync (WAL, synchronous=NORMAL): they survive a killed
        process but the last ones may be lost in a power cut. The next ordinary commit
        makes them durable too. For many small records where a loss only means redoing."""
        self.conn.execute("PRAGMA synchronous = NORMAL")
        try:
            yield self
        finally:
            self.conn.execute("PRAGMA synchronous = FULL")

    def execute(self, sql: str, params: Iterable = ()) -> sqlite3.Cursor:
        """Run one statement; writes must be inside `write()`."""
        try:
            return self._run(sql, params)
        except sqlite3.IntegrityError as error:
            raise Conflict(f"refused by the store: {error}") from error

    def insert(self, table: str, row: dict) -> int:
        """Insert one row (column names come from code) and return its rowid."""
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cursor = self.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", row.values())
        return cursor.lastrowid

    # -- operations --------------------------------------------------------------
    def backup(self, destination: Path) -> None:
        """An online, consistent copy of the store at `destination`, mode 0600."""
        destination = Path(destination)
        if destination.exists():
            raise Conflict(f"{destination} already exists; choose a new file name")
        create_private_file(destination)
        target = sqlite3.connect(str(destination))
        try:
            self.conn.backup(target)
        except sqlite3.Error as error:
            target.close()
            # A partial copy must not lie around looking like a backup.
            destination.unlink(missing_ok=True)
            raise MacliError(f"the backup to {destination} failed: {error}") from error
        finally:
            target.close()
        os.chmod(destination, 0o600)

    def check(self) -> list[str]:
        """Problems found by integrity_check, foreign_key_check and the kept files' digests."""
        problems = [row[0] for row in self.conn.execute("PRAGMA integrity_check") if row[0] != "ok"]
        for table, rowid, parent, _ in self.conn.execute("PRAGMA foreign_key_check"):
            problems.append(f"{table} row {rowid} points at a missing {parent} row")
        if self.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blobs'"):
            from macli import blobs

            problems.extend(blobs.problems(self))
        return problems


def open_readonly(path: Path) -> sqlite3.Connection:
    """A connection that cannot change the file: for `macli sql` and exports."""
    if not Path(path).is_file() or not Path(path).stat().st_size:
        raise no_store(Path(path))
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_refuse_escapes)
    return conn


_ALLOWED_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "foreign_key_list"}


def _refuse_escapes(action, arg1, arg2, dbname, source):
    # A read-only connection still lets a query attach another file or flip pragmas;
    # neither belongs in a read-only query tool.
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() not in _ALLOWED_PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK
