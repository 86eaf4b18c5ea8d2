"""The one ordered schema history, and the one way to open a store: `open_store`.

A migration is a function of a sqlite-utils Database named `<area>_<NNN>_<what>`. The
foundation's are below; each area keeps its own in `<area>/schema.py` as a plain list,
`MIGRATIONS = [area_001_..., area_002_...]`, that imports nothing from here. `AREAS`
says in which order the areas' lists run, so the history of a fresh store is the same
whichever command opens it first. Never edit or reorder a migration that has landed:
add a new one at the end of its area's list, and count it in `SCHEMA_VERSION`.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path

from macli.errors import Invalid
from macli.files import create_private_file
from macli.schema import append_only, refuse_replace
from macli.store import Store

SET_NAME = "macli"

# The areas' schema modules, in the order they build on each other (a table may point at
# tables of areas above it). A new area goes at the end.
AREAS = (
    "macli.patients.schema",
    "macli.blobs",
    "macli.schedule.schema",
    "macli.chart.schema",
    "macli.expense.schema",
    "macli.bill.schema",
    "macli.remind.schema",
    "macli.stock.schema",
    "macli.qc.schema",
    "macli.documents.schema",
    "macli.lab.schema",
    "macli.phone.schema",
    "macli.procedure.schema",
)

# How many migrations `history()` holds. A store records it in PRAGMA user_version once
# all are applied, so opening a current store is one read of the file header, without
# importing any area's schema (tests/test_migrations.py checks the count).
SCHEMA_VERSION = 33


def open_store(path: Path | str, **options) -> Store:
    """The store at `path`, brought up to the newest schema: how the App opens it."""
    store = Store(path, **options)
    try:
        ensure_current(store)
    except BaseException:
        store.close()
        raise
    return store


def history() -> list[Callable]:
    """Every migration in the one order: the foundation, each area in AREAS, the finish."""
    import importlib

    steps = list(FOUNDATION)
    for name in AREAS:
        module = importlib.import_module(name)
        steps += module.MIGRATIONS
    return steps + list(FINISH)


def ensure_current(store: Store) -> None:
    """Bring the store up to the newest schema, safely against concurrent openers."""
    if _is_current(store):
        return
    # Migrations commit in one transaction, so another process creating this store is
    # seen either not at all or complete: the check needs no lock.
    _refuse_foreign_database(store)
    lock_path = Path(str(store.path) + ".lock")
    create_private_file(lock_path)
    # A file lock serialises the first open of a fresh store by several processes;
    # whoever waits re-checks and finds nothing left to do.
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _is_current(store):
                return
            store.conn.execute("PRAGMA journal_mode = WAL")
            _apply(store)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _is_current(store: Store) -> bool:
    # A newer macli's store (a larger version) holds all of this one's history too.
    return (
        store.scalar("PRAGMA user_version") >= SCHEMA_VERSION
        and store.scalar("PRAGMA journal_mode") == "wal"
    )


def _refuse_foreign_database(store: Store) -> None:
    """An SQLite database with tables but no macli history is someone else's: never
    add our schema to it."""
    if not store.scalar("SELECT count(*) FROM sqlite_master"):
        return
    ours = store.scalar(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ) and store.scalar("SELECT 1 FROM _sqlite_migrations WHERE migration_set = ?", [SET_NAME])
    if not ours:
        raise Invalid(
            f"{store.path} is an SQLite database but not a macli store; choose another --db"
        )


def _apply(store: Store) -> None:
    # sqlite-utils is imported only here: it costs ~90 ms of start-up.
    import sqlite_utils
    from sqlite_utils.migrations import Migrations

    steps = history()
    database = sqlite_utils.Database(store.conn, strict=True, execute_plugins=False)
    migrations = Migrations(SET_NAME)
    for fn in steps:
        migrations(name=fn.__name__)(fn)
    with store.write():
        migrations.apply(database)
        if store.scalar("PRAGMA user_version") < len(steps):
            store.execute(f"PRAGMA user_version = {len(steps)}")


# -- foundation -----------------------------------------------------------------------


def core_001_settings(db):
    db["settings"].create(
        {"key": str, "value": str, "updated_at": str, "updated_by": str},
        pk="key",
        not_null={"value", "updated_at", "updated_by"},
    )


def core_002_audit(db):
    db.execute(
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            action TEXT NOT NULL,
            patient_id INTEGER,
            detail TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX audit_patient ON audit (patient_id, id)")
    db.execute("CREATE INDEX audit_at ON audit (at)")
    append_only(db, "audit")


FOUNDATION = (core_001_settings, core_002_audit)


# -- after every area's tables exist ----------------------------------------------------


def core_003_append_only_refuses_replace(db):
    # INSERT OR REPLACE deleted a row of an append-only table without firing its DELETE
    # trigger. Tables made since get the guard from append_only(); this gives it to
    # every table made before, and to any other table that refuses deletion.
    tables = [
        row[0]
        for row in db.execute(
            "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'"
            " AND name = tbl_name || '_no_delete'"
            " AND tbl_name || '_no_replace' NOT IN"
            " (SELECT name FROM sqlite_master WHERE type = 'trigger')"
        ).fetchall()
    ]
    for table in tables:
        refuse_replace(db, table)


FINISH = (core_003_append_only_refuses_replace,)
