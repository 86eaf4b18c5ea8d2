"""Billing tables: the fee schedule, payers and coverage, claims with their diagnoses,
lines, status history and payments, and the X12 exports whose ids are the never
repeating interchange control numbers."""

from macli.schema import append_only

# The order a claim moves through; a denied claim is corrected as a new version. A draft
# or ready claim (never sent) may be withdrawn: it then no longer stands on its visit.
STATUSES = ("draft", "ready", "submitted", "partial", "paid", "denied", "withdrawn")
RELATIONS = ("self", "spouse", "child", "other")


def bill_001_billing(db):
    db.execute(
        """
        CREATE TABLE bill_fees (
            code TEXT PRIMARY KEY,            -- CPT or HCPCS Level II code
            description TEXT NOT NULL,        -- the clinic's own words
            fee_cents INTEGER NOT NULL CHECK (fee_cents >= 0),
            modifiers TEXT,                   -- default modifiers, 'GT:25'
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE bill_payers (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            payer_id TEXT NOT NULL,           -- the payer's electronic id (2010BB NM109)
            plan_type TEXT NOT NULL,          -- claim filing indicator (SBR09), e.g. CI, MB
            created_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX bill_payers_name ON bill_payers (lower(name))")
    db.execute(
        """
        CREATE TABLE patient_coverage (
            patient_id INTEGER PRIMARY KEY REFERENCES patients (id),
            payer_id INTEGER NOT NULL REFERENCES bill_payers (id),
            member_id TEXT NOT NULL,
            group_number TEXT,
            relation TEXT NOT NULL DEFAULT 'self'
                CHECK (relation IN ('self', 'spouse', 'child', 'other')),
            subscriber_name TEXT,             -- when the subscriber is not the patient
            subscriber_dob TEXT,
            subscriber_sex TEXT,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX patient_coverage_payer ON patient_coverage (payer_id)")
    db.execute(
        """
        CREATE TABLE bill_exports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the interchange control number
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            file_name TEXT NOT NULL,
            claims INTEGER NOT NULL,
            sha256 TEXT NOT NULL
        ) STRICT
        """
    )
    append_only(db, "bill_exports")
    db.execute(
        """
        CREATE TABLE bill_claims (
            id INTEGER PRIMARY KEY,
            appointment_id INTEGER NOT NULL REFERENCES appointments (id),
            version INTEGER NOT NULL CHECK (version >= 1),
            parent_id INTEGER REFERENCES bill_claims (id),  -- the denied version it corrects
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            provider_id INTEGER NOT NULL REFERENCES providers (id),
            service_date TEXT NOT NULL,       -- local date of the visit
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN (
                'draft', 'ready', 'submitted', 'partial', 'paid', 'denied')),
            status_at TEXT NOT NULL,
            charge_cents INTEGER NOT NULL CHECK (charge_cents >= 0),
            -- what the claim was sent with, copied from the coverage when it became ready
            payer_name TEXT,
            payer_code TEXT,
            plan_type TEXT,
            member_id TEXT,
            group_number TEXT,
            relation TEXT,
            subscriber_name TEXT,
            subscriber_dob TEXT,
            subscriber_sex TEXT,
            payer_claim_number TEXT,          -- the payer's own number, from a denial
            export_id INTEGER REFERENCES bill_exports (id),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            UNIQUE (appointment_id, version)
        ) STRICT
        """
    )
    db.execute("CREATE INDEX bill_claims_status ON bill_claims (status, service_date)")
    db.execute("CREATE INDEX bill_claims_patient ON bill_claims (patient_id, service_date)")
    db.execute("CREATE INDEX bill_claims_payer ON bill_claims (payer_name, service_date)")
    db.execute("CREATE INDEX bill_claims_parent ON bill_claims (parent_id)")
    # Status only moves forward, whatever code runs against the store.
    db.execute(
        """
        CREATE TRIGGER bill_claims_forward BEFORE UPDATE OF status ON bill_claims
        WHEN NEW.status != OLD.status AND NOT (
            (OLD.status = 'draft' AND NEW.status = 'ready')
            OR (OLD.status = 'ready' AND NEW.status = 'submitted')
            OR (OLD.status = 'submitted' AND NEW.status IN ('partial', 'paid', 'denied'))
            OR (OLD.status = 'partial' AND NEW.status = 'paid'))
        BEGIN SELECT RAISE(ABORT, 'a claim status only moves forward'); END
        """
    )
    db.execute(
        """
        CREATE TABLE bill_claim_diagnoses (
            claim_id INTEGER NOT NULL REFERENCES bill_claims (id),
            position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 12),
            code TEXT NOT NULL,               -- ICD-10-CM with its dot, J06.9
            description TEXT,
            PRIMARY KEY (claim_id, position)
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE bill_claim_lines (
            claim_id INTEGER NOT NULL REFERENCES bill_claims (id),
            line_no INTEGER NOT NULL CHECK (line_no BETWEEN 1 AND 50),
            code TEXT NOT NULL,
            description TEXT NOT NULL,
            modifiers TEXT,                   -- '25:59'
            units INTEGER NOT NULL CHECK (units >= 1),
            fee_cents INTEGER NOT NULL CHECK (fee_cents >= 0),
            charge_cents INTEGER NOT NULL CHECK (charge_cents >= 0),
            pointers TEXT NOT NULL,           -- '1:2', positions in bill_claim_diagnoses
            PRIMARY KEY (claim_id, line_no)
        ) STRICT
        """
    )
    # Only a draft's coding may change; what was claimed stays as it was claimed.
    for table in ("bill_claim_diagnoses", "bill_claim_lines"):
        for verb, row in (("UPDATE", "OLD"), ("DELETE", "OLD"), ("INSERT", "NEW")):
            db.execute(
                f"CREATE TRIGGER {table}_draft_only_{verb.lower()} BEFORE {verb} ON {table} "
                f"WHEN (SELECT status FROM bill_claims WHERE id = {row}.claim_id) != 'draft' "
                f"BEGIN SELECT RAISE(ABORT, 'only a draft claim''s coding can change'); END"
            )
    db.execute(
        """
        CREATE TABLE bill_claim_events (
            id INTEGER PRIMARY KEY,
            claim_id INTEGER NOT NULL REFERENCES bill_claims (id),
            status TEXT NOT NULL,
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            note TEXT
        ) STRICT
        """
    )
    db.execute("CREATE INDEX bill_claim_events_claim ON bill_claim_events (claim_id, id)")
    append_only(db, "bill_claim_events")
    db.execute(
        """
        CREATE TABLE bill_payments (
            id INTEGER PRIMARY KEY,
            claim_id INTEGER NOT NULL REFERENCES bill_claims (id),
            kind TEXT NOT NULL CHECK (kind IN ('payment', 'adjustment')),
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            reason TEXT,                      -- adjustment reason, e.g. CO-45
            received_on TEXT NOT NULL,        -- local date
            at TEXT NOT NULL,
            user TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX bill_payments_claim ON bill_payments (claim_id, received_on)")
    append_only(db, "bill_payments")


def bill_002_withdrawn_claims(db):
    # Allow 'withdrawn' in bill_claims.status. Widening a CHECK changes no stored row, so
    # SQLite's documented schema edit does it (ALTER TABLE cannot; a rebuilt table would
    # break the foreign keys of the diagnoses, lines, events and payments pointing here).
    old = "'draft', 'ready', 'submitted', 'partial', 'paid', 'denied')"
    new = "'draft', 'ready', 'submitted', 'partial', 'paid', 'denied', 'withdrawn')"
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    db.execute(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ?",
        [old, new, "bill_claims"],
    )
    db.execute(f"PRAGMA schema_version = {version + 1}")
    db.execute("PRAGMA writable_schema = OFF")
    db.execute("DROP TRIGGER bill_claims_forward")
    db.execute(
        """
        CREATE TRIGGER bill_claims_forward BEFORE UPDATE OF status ON bill_claims
        WHEN NEW.status != OLD.status AND NOT (
            (OLD.status = 'draft' AND NEW.status IN ('ready', 'withdrawn'))
            OR (OLD.status = 'ready' AND NEW.status IN ('submitted', 'withdrawn'))
            OR (OLD.status = 'submitted' AND NEW.status IN ('partial', 'paid', 'denied'))
            OR (OLD.status = 'partial' AND NEW.status = 'paid'))
        BEGIN SELECT RAISE(ABORT, 'a claim status only moves forward'); END
        """
    )
    # A completed visit that a claim stands on keeps its status, whatever code runs:
    # withdraw the claim (if it was never sent) before correcting the visit.
    refusal = (
        "a claim stands on this completed visit: withdraw it first"
        " (macli bill withdraw CLAIM --reason ...) if it was never sent"
    )
    db.execute(
        f"""
        CREATE TRIGGER appointments_claimed_stay_completed
        BEFORE UPDATE OF status ON appointments
        WHEN OLD.status = 'completed' AND NEW.status != OLD.status AND EXISTS (
            SELECT 1 FROM bill_claims WHERE appointment_id = OLD.id AND status != 'withdrawn')
        BEGIN SELECT RAISE(ABORT, '{refusal}'); END
        """
    )


MIGRATIONS = [bill_001_billing, bill_002_withdrawn_claims]
