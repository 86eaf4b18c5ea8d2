"""Patient tables added after the foundation's (macli/migrations.py holds the first two)."""

from macli.migrations import migration


@migration
def patients_003_find(db):
    # `patient find` and every PATIENT argument look callers up by name words, phone
    # and date of birth. A LIKE '%word%' over 60,000 names reads every row (~25 ms);
    # a full-text index answers a word prefix from its own b-tree. It indexes the
    # folded name (`search_name`). New patients are added to it by
    # patients.core.insert_rows in one statement per batch: an FTS5 insert made by a
    # trigger costs ten times a plain one (each trigger step flushes the index), which
    # a 60,000-patient import would feel. Changes and deletions are rare: triggers.
    db.execute(
        "CREATE VIRTUAL TABLE patient_names USING fts5("
        " search_name, content='patients', content_rowid='id',"
        ' tokenize="unicode61 remove_diacritics 2")'
    )
    db.execute("INSERT INTO patient_names (patient_names) VALUES ('rebuild')")
    db.execute(
        "CREATE TRIGGER patient_names_update AFTER UPDATE OF search_name ON patients BEGIN"
        " INSERT INTO patient_names (patient_names, rowid, search_name)"
        " VALUES ('delete', old.id, old.search_name);"
        " INSERT INTO patient_names (rowid, search_name) VALUES (new.id, new.search_name); END"
    )
    db.execute(
        "CREATE TRIGGER patient_names_delete AFTER DELETE ON patients BEGIN"
        " INSERT INTO patient_names (patient_names, rowid, search_name)"
        " VALUES ('delete', old.id, old.search_name); END"
    )
    # Phones are stored E.164, so a number's last digits are the end of the text: callers
    # give "0148" or "555-0148", and the index on the last four finds the few candidates.
    db.execute("CREATE INDEX patients_phone_last4 ON patients (substr(phone, -4))")


@migration
def patients_004_representatives_language(db):
    # Who else may be told about a patient (a parent, a caregiver the patient authorised),
    # and the patient's language (BCP 47: es, pt-BR) with whether an interpreter is needed.
    db.execute(
        """
        CREATE TABLE patient_contacts (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            name TEXT NOT NULL,
            relation TEXT NOT NULL,
            phone TEXT NOT NULL,
            may_discuss INTEGER NOT NULL CHECK (may_discuss IN (0, 1)),
            added_at TEXT NOT NULL,
            added_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX patient_contacts_patient ON patient_contacts (patient_id, id)")
    db.execute("CREATE INDEX patient_contacts_phone_last4 ON patient_contacts (substr(phone, -4))")
    # Language names are looked up once, when a code is first used (langcodes is slow to
    # import), and read from here by every screen and list that shows them.
    db.execute(
        "CREATE TABLE languages (code TEXT PRIMARY KEY, name TEXT NOT NULL) STRICT, WITHOUT ROWID"
    )
    db.execute("ALTER TABLE patients ADD COLUMN language TEXT REFERENCES languages (code)")
    db.execute(
        "ALTER TABLE patients ADD COLUMN interpreter INTEGER NOT NULL DEFAULT 0"
        " CHECK (interpreter IN (0, 1))"
    )
    # Reminder runs look up the few patients with a language of their own.
    db.execute("CREATE INDEX patients_language ON patients (language) WHERE language IS NOT NULL")
