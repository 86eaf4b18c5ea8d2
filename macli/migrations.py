"""The one ordered schema history. Each migration is a function of a sqlite-utils
Database named `<area>_<NNN>_<what>`; they are applied in order on every open.

The foundation's migrations are below; each area keeps its own in `<area>/schema.py`,
registered with `@migration` and imported at the end of this module in the order the
areas build on each other. Never edit or reorder a migration that has landed: add a new
one after it.
"""

from __future__ import annotations

import fcntl
import importlib
from collections.abc import Callable
from pathlib import Path

from macli.errors import Invalid
from macli.files import create_private_file
from macli.store import Store, append_only, refuse_replace

SET_NAME = "macli"
MIGRATIONS: list[tuple[str, Callable]] = []


def migration(fn: Callable) -> Callable:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


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
    if store.scalar("PRAGMA journal_mode") != "wal":
        return False
    exists = store.scalar(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    )
    if not exists:
        return False
    applied = {
        row["name"]
        for row in store.query(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [SET_NAME]
        )
    }
    return all(name in applied for name, _ in MIGRATIONS)


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

    database = sqlite_utils.Database(store.conn, strict=True, execute_plugins=False)
    migrations = Migrations(SET_NAME)
    for name, fn in MIGRATIONS:
        migrations(name=name)(fn)
    with store.write():
        migrations.apply(database)


# -- foundation -----------------------------------------------------------------------


@migration
def core_001_settings(db):
    db["settings"].create(
        {"key": str, "value": str, "updated_at": str, "updated_by": str},
        pk="key",
        not_null={"value", "updated_at", "updated_by"},
    )


@migration
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


@migration
def patients_001_patients(db):
    db["patients"].create(
        {
            "id": int,
            "mrn": str,
            "name": str,
            "first_name": str,
            "search_name": str,
            "dob": str,
            "sex": str,
            "phone": str,
            "email": str,
            "prefers": str,
            "address": str,
            "insurance": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={
            "mrn",
            "name",
            "first_name",
            "search_name",
            "dob",
            "sex",
            "prefers",
            "created_at",
            "updated_at",
        },
        defaults={"sex": "unknown", "prefers": "none"},
    )
    db.execute("CREATE UNIQUE INDEX patients_mrn ON patients (mrn)")
    db.execute("CREATE INDEX patients_search_name ON patients (search_name)")
    db.execute("CREATE INDEX patients_dob ON patients (dob)")
    db.execute("CREATE INDEX patients_phone ON patients (phone)")
    db["patient_consents"].create(
        {
            "id": int,
            "patient_id": int,
            "channel": str,
            "granted": int,
            "at": str,
            "source": str,
            "user": str,
        },
        pk="id",
        foreign_keys=[("patient_id", "patients", "id")],
        not_null={"patient_id", "channel", "granted", "at", "source", "user"},
    )
    db.execute(
        "CREATE INDEX patient_consents_patient ON patient_consents (patient_id, channel, id)"
    )
    append_only(db, "patient_consents")


@migration
def patients_002_providers(db):
    db["providers"].create(
        {
            "id": int,
            "name": str,
            "title": str,
            "color": str,
            "npi": str,
            "active": int,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "active", "created_at"},
        defaults={"active": 1},
    )
    db.execute("CREATE UNIQUE INDEX providers_name ON providers (name)")


@migration
def blobs_001_blobs(db):
    # Files kept once per content for every area (macli/blobs.py).
    from macli import blobs

    blobs.create_table(db)


# -- areas, in the order they build on each other -------------------------------------
# Imported by name (not `import` lines) so that tools sorting imports cannot reorder them.
AREA_SCHEMAS = [
    "macli.schedule.schema",
    "macli.chart.schema",
    "macli.expense.schema",
    "macli.bill.schema",
    "macli.remind.schema",
    "macli.stock.schema",
    "macli.qc.schema",
    "macli.documents.schema",
]
for _module in AREA_SCHEMAS:
    importlib.import_module(_module)


# -- after every area's tables exist ----------------------------------------------------


@migration
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


@migration
def patients_003_claim_name(db):
    # The name as claims carry it (X12 takes Latin letters only): `patient edit
    # --claim-name "Wang Wei"` for a patient registered as 王伟. Empty: claims use the name.
    db.execute("ALTER TABLE patients ADD COLUMN claim_name TEXT")
