"""Quality-control tables: storage units and their temperatures, excursions.

Temperatures are integer hundredths of a degree Celsius (`*_c100`): 5.2 °C is 520,
41 °F is 500. A reading typed in °F keeps what was typed in `entered`. The logs are
append-only; a wrong check is corrected by a new row that `amends` it, with a reason.
"""

from macli.schema import append_only, refuse_replace


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


def qc_002_sterilizers(db):
    db.execute(
        """
        CREATE TABLE qc_sterilizers (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('steam', 'dry-heat', 'chemical')),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX qc_sterilizers_name ON qc_sterilizers (name COLLATE NOCASE)")
    db.execute(
        """
        CREATE TABLE qc_cycles (
            id INTEGER PRIMARY KEY,
            sterilizer_id INTEGER NOT NULL REFERENCES qc_sterilizers (id),
            load_number INTEGER NOT NULL,     -- counts up per sterilizer from 1
            at TEXT NOT NULL,
            day TEXT NOT NULL,
            contents TEXT NOT NULL,
            packs INTEGER NOT NULL DEFAULT 0 CHECK (packs >= 0),
            pack_type TEXT,
            temp_c100 INTEGER NOT NULL,
            minutes INTEGER NOT NULL CHECK (minutes > 0),
            pressure TEXT,
            chemical TEXT NOT NULL CHECK (chemical IN ('pass', 'fail')),
            operator TEXT NOT NULL,           -- who ran it (--by), default the user
            user TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX qc_cycles_load ON qc_cycles (sterilizer_id, load_number)")
    db.execute("CREATE INDEX qc_cycles_at ON qc_cycles (sterilizer_id, at)")
    append_only(db, "qc_cycles")
    # A pack's code (S1-0042-03: sterilizer, load, pack) is what its label carries and
    # what a procedure records; it never changes.
    db.execute(
        """
        CREATE TABLE qc_packs (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL,
            cycle_id INTEGER NOT NULL REFERENCES qc_cycles (id),
            number INTEGER NOT NULL,
            pack_type TEXT
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX qc_packs_code ON qc_packs (code)")
    db.execute("CREATE INDEX qc_packs_cycle ON qc_packs (cycle_id)")
    append_only(db, "qc_packs")
    db.execute(
        """
        CREATE TABLE qc_spore_tests (
            id INTEGER PRIMARY KEY,
            sterilizer_id INTEGER NOT NULL REFERENCES qc_sterilizers (id),
            at TEXT NOT NULL,
            day TEXT NOT NULL,
            result TEXT NOT NULL CHECK (result IN ('pass', 'fail')),
            bi_lot TEXT NOT NULL,
            control TEXT CHECK (control IN ('pass', 'fail')),
            note TEXT,
            user TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX qc_spore_tests_at ON qc_spore_tests (sterilizer_id, at)")
    append_only(db, "qc_spore_tests")
    # A failed spore test recalls the packs of the loads since the last pass.
    db.execute(
        """
        CREATE TABLE qc_recalls (
            id INTEGER PRIMARY KEY,
            pack_id INTEGER NOT NULL REFERENCES qc_packs (id),
            spore_test_id INTEGER NOT NULL REFERENCES qc_spore_tests (id),
            at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX qc_recalls_pack ON qc_recalls (pack_id)")
    db.execute("CREATE INDEX qc_recalls_test ON qc_recalls (spore_test_id)")
    append_only(db, "qc_recalls")
    db.execute(
        """
        CREATE TABLE qc_reprocessed (
            id INTEGER PRIMARY KEY,
            pack_id INTEGER NOT NULL REFERENCES qc_packs (id),
            at TEXT NOT NULL,
            note TEXT,
            user TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX qc_reprocessed_pack ON qc_reprocessed (pack_id)")
    append_only(db, "qc_reprocessed")


def qc_003_pack_uses(db):
    # A sterile pack is opened once, for one patient: recorded by whoever opens it (the
    # procedure area), so that a later recall can name the patients it reached.
    db.execute(
        """
        CREATE TABLE qc_pack_uses (
            id INTEGER PRIMARY KEY,
            pack_id INTEGER NOT NULL REFERENCES qc_packs (id),
            at TEXT NOT NULL,
            patient_id INTEGER REFERENCES patients (id),
            reference TEXT,                   -- what it was opened for: 'procedure 12'
            user TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX qc_pack_uses_pack ON qc_pack_uses (pack_id)")
    db.execute("CREATE INDEX qc_pack_uses_patient ON qc_pack_uses (patient_id)")
    append_only(db, "qc_pack_uses")


def qc_004_excursion_steps(db):
    # The steps an inspector looks for on each excursion (CDC's toolkit): the person in
    # charge notified, the event documented, the manufacturer or program contacted and
    # the reference they gave.
    db.execute(
        "ALTER TABLE qc_excursion_actions ADD COLUMN step TEXT"
        " CHECK (step IN ('notified', 'documented', 'contacted'))"
    )
    db.execute("ALTER TABLE qc_excursion_actions ADD COLUMN reference TEXT")


def qc_005_implant_loads(db):
    # A load holding an implant is quarantined until a spore test run after it passes
    # (CDC 2008: monitor every implant load with a biological indicator).
    db.execute(
        "ALTER TABLE qc_cycles ADD COLUMN implant INTEGER NOT NULL DEFAULT 0"
        " CHECK (implant IN (0, 1))"
    )


MIGRATIONS = [
    qc_001_units,
    qc_002_sterilizers,
    qc_003_pack_uses,
    qc_004_excursion_steps,
    qc_005_implant_loads,
]
