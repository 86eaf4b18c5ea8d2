"""Helpers for the areas' migrations: tables that keep every row they are given.

Area schema modules (`macli/<area>/schema.py`) import these; they import nothing from
`macli.migrations`, which lists them in order.
"""

from __future__ import annotations


def append_only(db, table: str) -> None:
    """Triggers that refuse UPDATE, DELETE and REPLACE on `table` ."""
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )
    refuse_replace(db, table)


def refuse_replace(db, table: str) -> None:
    """A trigger refusing an INSERT that collides with a row's key.

    `INSERT OR REPLACE` (and `REPLACE`) deletes the row it collides with without firing
    any DELETE trigger, so an append-only table needs this as well.
    """
    keys = [
        [row[1] for row in sorted(_pragma(db, "table_info", table), key=lambda r: r[5]) if row[5]]
    ]
    if not keys[0]:
        keys = [["rowid"]]
    for index in _pragma(db, "index_list", table):
        # (seq, name, unique, origin, partial): the primary key is already in `keys`.
        if index[2] and index[3] != "pk" and not index[4]:
            keys.append([row[2] for row in _pragma(db, "index_info", index[1])])
    collides = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE "
        + " AND ".join(f"{column} = NEW.{column}" for column in key)
        + ")"
        for key in keys
        if None not in key  # an index on an expression cannot be named here
    )
    db.execute(
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {collides} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: a row cannot be replaced'); END"
    )


def _pragma(db, name: str, argument: str) -> list[tuple]:
    return list(db.execute(f"PRAGMA {name}({argument})").fetchall())
