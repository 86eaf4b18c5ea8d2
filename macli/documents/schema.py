"""Document tables: each filed file is a row pointing at its bytes in `blobs`; an
amendment is a new row that `amends` the version it corrects (append-only, as the
chart is). The text found in a file is indexed for search (FTS5), one row per document.
"""

from macli.schema import append_only

KINDS = (
    "referral",
    "letter",
    "consent",
    "insurance-card",
    "id",
    "outside-record",
    "result",
    "other",
)
# What the text of a document is: `text` (searchable), `no text` (a PDF of scans),
# `image` (a picture: listed, not searched).
TEXT_STATES = ("text", "no text", "image")


def documents_001_documents(db):
    kinds = ", ".join(f"'{kind}'" for kind in KINDS)
    states = ", ".join(f"'{state}'" for state in TEXT_STATES)
    db.execute(
        f"""
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            thread_id INTEGER NOT NULL REFERENCES documents (id),  -- the first version
            amends INTEGER REFERENCES documents (id),  -- the version this corrects
            reason TEXT,                  -- why it was amended
            sha256 TEXT NOT NULL REFERENCES blobs (sha256),
            kind TEXT NOT NULL CHECK (kind IN ({kinds})),
            dated TEXT NOT NULL,          -- local date the document bears (YYYY-MM-DD)
            source TEXT,                  -- who sent it: "Dr Lopez, Bayside Cardiology"
            note TEXT,
            file_name TEXT NOT NULL,
            media_type TEXT NOT NULL,     -- application/pdf, image/png, text/plain, ...
            pages INTEGER,
            text_state TEXT NOT NULL CHECK (text_state IN ({states})),
            filed_at TEXT NOT NULL,       -- UTC
            filed_by TEXT NOT NULL,
            CHECK ((amends IS NULL AND reason IS NULL AND thread_id = id)
                OR (amends IS NOT NULL AND reason IS NOT NULL AND thread_id <> id))
        ) STRICT
        """
    )
    # One correction per version, and one document per file per patient.
    db.execute(
        "CREATE UNIQUE INDEX documents_amends ON documents (amends) WHERE amends IS NOT NULL"
    )
    db.execute(
        "CREATE UNIQUE INDEX documents_once ON documents (patient_id, sha256) WHERE amends IS NULL"
    )
    db.execute("CREATE INDEX documents_patient ON documents (patient_id, dated, id)")
    db.execute("CREATE INDEX documents_thread ON documents (thread_id, id)")
    db.execute("CREATE INDEX documents_sha256 ON documents (sha256)")
    append_only(db, "documents")
    # The words of a document's current version (kind, source, note, file name) and
    # of its text; rowid = thread_id. An index, rebuilt on amendment, not a record.
    db.execute(
        "CREATE VIRTUAL TABLE documents_search USING fts5("
        "about, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    # Letters written from templates: which template, language and record fields.
    db.execute(
        """
        CREATE TABLE document_letters (
            document_id INTEGER PRIMARY KEY REFERENCES documents (id),
            template TEXT NOT NULL,
            language TEXT NOT NULL,
            result_id INTEGER,            -- chart entry the letter reports
            appointment_id INTEGER REFERENCES appointments (id)
        ) STRICT
        """
    )
    append_only(db, "document_letters")
    db.execute(
        """
        CREATE TABLE letter_templates (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            language TEXT NOT NULL,       -- ISO 639-1: en, es, ...
            body TEXT NOT NULL,
            set_at TEXT NOT NULL,
            set_by TEXT NOT NULL
        ) STRICT
        """
    )
    # The newest row per (name, language) is the clinic's version; older ones stay.
    db.execute("CREATE INDEX letter_templates_name ON letter_templates (name, language, id)")
    append_only(db, "letter_templates")


def documents_002_plain_names(db):
    # The clinic's own words for a test in letters, by LOINC code or by the name as typed
    # (folded: "hba1c"); the newest row per (key, language) is used, older ones stay.
    db.execute(
        """
        CREATE TABLE letter_plain_names (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,            -- a LOINC code (2823-3) or a folded test name
            language TEXT NOT NULL,
            words TEXT NOT NULL,
            set_at TEXT NOT NULL,
            set_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX letter_plain_names_key ON letter_plain_names (key, language, id)")
    append_only(db, "letter_plain_names")


MIGRATIONS = [documents_001_documents, documents_002_plain_names]
