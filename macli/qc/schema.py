"""Quality-control tables: storage units and their temperatures, excursions.

Temperatures are integer hundredths of a degree Celsius (`*_c100`): 5.2 °C is 520,
41 °F is 500. A reading typed in °F keeps what was typed in `entered`. The logs are
append-only; a wrong check is corrected by a new row that `amends` it, with a reason.
"""

from macli.migrations import migration
from macli.store import append_only, refuse_replace


@migration
def qc_001_units(db):
    db.execute(
        """
        CREATE TABLE qc_units (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('fridge', 'freezer')),
            low_c100 INTEGER NOT NULL,
            high_c100 INTEGER NOT NULL,
            location TEXT,                    -- the stock location whose lots it keeps
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            CHECK (low_c100 < high_c100)
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX qc_units_name ON qc_units (name COLLATE NOCASE)")
    # The start-of-day check: min and max since the thermometer was last reset.
    db.execute(
        """
        CREATE TABLE qc_checks (
            id INTEGER PRIMARY KEY,
            unit_id INTEGER NOT NULL REFERENCES qc_units (id),
            at TEXT NOT NULL,                 -- UTC instant of the check
            day TEXT NOT NULL,                -- its local date
            min_c100 INTEGER NOT NULL,
            max_c100 INTEGER NOT NULL,
            current_c100 INTEGER,
            entered TEXT NOT NULL,            -- as typed: 'min 35.6F max 46.4F'
            amends INTEGER REFERENCES qc_checks (id),
            reason TEXT,                      -- why an amendment was made
            user TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            CHECK (min_c100 <= max_c100),
            CHECK ((amends IS NULL) = (reason IS NULL))
        ) STRICT
        """
    )
    db.execute("CREATE INDEX qc_checks_unit ON qc_checks (unit_id, day, id)")
    append_only(db, "qc_checks")
    db.execute(
        """
        CREATE TABLE qc_imports (
            id INTEGER PRIMARY KEY,
            unit_id INTEGER NOT NULL REFERENCES qc_units (id),
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            rows INTEGER NOT NULL,
            added INTEGER NOT NULL,
            first_at TEXT,
            last_at TEXT,
            at TEXT NOT NULL,
            user TEXT NOT NULL
        ) STRICT
        """
    )
    append_only(db, "qc_imports")
    # One logged temperature per unit and instant: importing a file twice adds nothing.
    db.execute(
        """
        CREATE TABLE qc_readings (
            id INTEGER PRIMARY KEY,
            unit_id INTEGER NOT NULL REFERENCES qc_units (id),
            at TEXT NOT NULL,
            c100 INTEGER NOT NULL,
            import_id INTEGER REFERENCES qc_imports (id)
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX qc_readings_unit_at ON qc_readings (unit_id, at)")
    append_only(db, "qc_readings")
    db.execute(
        """
        CREATE TABLE qc_excursions (
            id INTEGER PRIMARY KEY,
            unit_id INTEGER NOT NULL REFERENCES qc_units (id),
            source TEXT NOT NULL CHECK (source IN ('check', 'logger')),
            started_at TEXT NOT NULL,         -- first reading out of range (check: last one before)
            ended_at TEXT,                    -- first reading back in range; NULL while out
            last_out_at TEXT NOT NULL,        -- last reading seen out of range
            worst_c100 INTEGER NOT NULL,
            check_id INTEGER REFERENCES qc_checks (id),
            opened_at TEXT NOT NULL,
            opened_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX qc_excursions_unit ON qc_excursions (unit_id, started_at)")
    # An excursion grows while readings stay out of range; it is never deleted.
    db.execute(
        "CREATE TRIGGER qc_excursions_no_delete BEFORE DELETE ON qc_excursions "
        "BEGIN SELECT RAISE(ABORT, 'qc_excursions is append-only'); END"
    )
    refuse_replace(db, "qc_excursions")
    db.execute(
        """
        CREATE TABLE qc_excursion_actions (
            id INTEGER PRIMARY KEY,
            excursion_id INTEGER NOT NULL REFERENCES qc_excursions (id),
            at TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('note', 'release', 'discard')),
            note TEXT NOT NULL,
            lot_id INTEGER REFERENCES stock_lots (id),
            user TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX qc_excursion_actions_excursion ON qc_excursion_actions (excursion_id)")
    append_only(db, "qc_excursion_actions")
