"""Patient and provider tables: who the clinic sees, how they consent to be reached, and
who sees them. Every other area's tables point at these."""

from macli.schema import append_only


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


def patients_005_claim_name(db):
    # The name as claims carry it (X12 takes Latin letters only): `patient edit
    # --claim-name "Wang Wei"` for a patient registered as 王伟. Empty: claims use the name.
    db.execute("ALTER TABLE patients ADD COLUMN claim_name TEXT")


MIGRATIONS = [
    patients_001_patients,
    patients_002_providers,
    patients_003_find,
    patients_004_representatives_language,
    patients_005_claim_name,
]
