"""Chart tables: an append-only spine of entries, one detail table per kind, and the
ICD-10-CM code set (a reference table, filled on first use by `macli.chart.icd`).

Nothing in a chart is ever updated or deleted. A correction is a new entry that
`amends` the one it corrects (with who, when and why); resolving a problem or stopping a
medication is a new `resolution`/`stop` entry pointing at the problem's or medication's
thread. "Current" is therefore a query: the entry of a thread that nothing amends.
"""

from macli.schema import append_only

KINDS = (
    "vitals",
    "problem",
    "medication",
    "allergy",
    "no-allergies",
    "result",
    "note",
    "resolution",
    "stop",
)


def chart_001_entries(db):
    kinds = ", ".join(f"'{kind}'" for kind in KINDS)
    db.execute(
        f"""
        CREATE TABLE chart_entries (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            kind TEXT NOT NULL CHECK (kind IN ({kinds})),
            thread_id INTEGER NOT NULL REFERENCES chart_entries (id),  -- first version
            amends INTEGER REFERENCES chart_entries (id),  -- the version this corrects
            voided INTEGER NOT NULL DEFAULT 0 CHECK (voided IN (0, 1)),  -- entered in error
            reason TEXT,                -- why it was amended
            at TEXT NOT NULL,           -- UTC instant the entry is about (taken, observed)
            recorded_at TEXT NOT NULL,  -- UTC instant it was written
            recorded_by TEXT NOT NULL,
            CHECK ((amends IS NULL AND reason IS NULL AND voided = 0 AND thread_id = id)
                OR (amends IS NOT NULL AND reason IS NOT NULL AND thread_id <> id))
        ) STRICT
        """
    )
    # One correction per version: amendments form a line, never a tree.
    db.execute(
        "CREATE UNIQUE INDEX chart_entries_amends ON chart_entries (amends) "
        "WHERE amends IS NOT NULL"
    )
    db.execute("CREATE INDEX chart_entries_patient ON chart_entries (patient_id, kind, at, id)")
    db.execute("CREATE INDEX chart_entries_thread ON chart_entries (thread_id, id)")
    db.execute(
        """
        CREATE VIEW chart_current AS
        SELECT e.* FROM chart_entries e
        WHERE e.voided = 0
          AND NOT EXISTS (SELECT 1 FROM chart_entries later WHERE later.amends = e.id)
        """
    )
    db.execute(
        """
        CREATE TABLE chart_vital_values (
            entry_id INTEGER NOT NULL REFERENCES chart_entries (id),
            loinc TEXT NOT NULL,
            value TEXT NOT NULL,     -- canonical, exact decimal text in `unit`
            unit TEXT NOT NULL,      -- UCUM
            entered TEXT,            -- what was entered, unit made explicit (NULL: derived)
            derived_from INTEGER REFERENCES chart_entries (id),  -- BMI: the height's entry
            PRIMARY KEY (entry_id, loinc)
        ) STRICT, WITHOUT ROWID
        """
    )
    db.execute(
        """
        CREATE TABLE chart_problems (
            entry_id INTEGER PRIMARY KEY REFERENCES chart_entries (id),
            code TEXT NOT NULL,          -- ICD-10-CM, with its dot
            description TEXT NOT NULL,   -- as the code set said when recorded
            onset TEXT,                  -- local date
            note TEXT
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE chart_medications (
            entry_id INTEGER PRIMARY KEY REFERENCES chart_entries (id),
            name TEXT NOT NULL,
            dose TEXT,
            route TEXT,
            frequency TEXT,
            start TEXT                   -- local date
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE chart_allergies (
            entry_id INTEGER PRIMARY KEY REFERENCES chart_entries (id),
            substance TEXT NOT NULL,
            reaction TEXT,
            severity TEXT CHECK (severity IN ('mild', 'moderate', 'severe'))
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE chart_results (
            entry_id INTEGER PRIMARY KEY REFERENCES chart_entries (id),
            test TEXT NOT NULL,
            value TEXT NOT NULL,         -- exactly as reported
            unit TEXT,
            low TEXT,                    -- reference range, as reported
            high TEXT,
            loinc TEXT
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE chart_notes (
            entry_id INTEGER PRIMARY KEY REFERENCES chart_entries (id),
            text TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE chart_status (
            entry_id INTEGER PRIMARY KEY REFERENCES chart_entries (id),
            target_id INTEGER NOT NULL REFERENCES chart_entries (id),  -- thread resolved/stopped
            on_date TEXT NOT NULL        -- local date
        ) STRICT
        """
    )
    db.execute("CREATE INDEX chart_status_target ON chart_status (target_id)")
    for table in (
        "chart_entries",
        "chart_vital_values",
        "chart_problems",
        "chart_medications",
        "chart_allergies",
        "chart_results",
        "chart_notes",
        "chart_status",
    ):
        append_only(db, table)


def chart_002_icd10cm(db):
    # Reference data, not patient data: replaced whole when a newer release ships.
    db.execute(
        """
        CREATE TABLE icd10cm_codes (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('chapter', 'block', 'category', 'subcategory')),
            billable INTEGER NOT NULL CHECK (billable IN (0, 1)),
            parent TEXT,
            description TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX icd10cm_codes_parent ON icd10cm_codes (parent)")
    db.execute(
        "CREATE VIRTUAL TABLE icd10cm_search USING fts5(description, content='icd10cm_codes', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute(
        "CREATE TABLE icd10cm_release (release TEXT PRIMARY KEY, source TEXT NOT NULL,"
        " loaded_at TEXT NOT NULL) STRICT"
    )


MIGRATIONS = [chart_001_entries, chart_002_icd10cm]
