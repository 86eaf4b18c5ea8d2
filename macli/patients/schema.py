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


def patients_003_claim_name(db):
    # The name as claims carry it (X12 takes Latin letters only): `patient edit
    # --claim-name "Wang Wei"` for a patient registered as 王伟. Empty: claims use the name.
    db.execute("ALTER TABLE patients ADD COLUMN claim_name TEXT")


MIGRATIONS = [patients_001_patients, patients_002_providers, patients_003_claim_name]
