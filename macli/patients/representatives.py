"""Representatives: who else may call about a patient, and whether they may be told
about the patient's care (the patient's authorisation, recorded by the desk)."""

from __future__ import annotations

from datetime import datetime

from macli import audit
from macli.errors import Invalid
from macli.identifiers import phone_e164
from macli.patients import core
from macli.patients.contact import person_name
from macli.store import Store
from macli.when import utc_text

COLUMNS = ("id", "name", "relation", "phone", "may_discuss", "added_at", "added_by")


def add(
    store: Store,
    patient_ref: str,
    name: str,
    *,
    relation: str,
    phone: str,
    may_discuss: bool,
    region: str,
    user: str,
    now: datetime,
) -> dict:
    """Record a representative of a patient; returns the new row."""
    name = person_name(name)[0]
    relation = " ".join((relation or "").split()).lower()
    if not relation or len(relation) > 60:
        raise Invalid("give the relation in a few words (mother, caregiver, spouse)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in relation):
        raise Invalid("the relation may not contain control characters")
    number = phone_e164(phone, region)
    with store.write():
        patient = core.resolve(store, patient_ref)
        contact_id = store.insert(
            "patient_contacts",
            {
                "patient_id": patient["id"],
                "name": name,
                "relation": relation,
                "phone": number,
                "may_discuss": int(may_discuss),
                "added_at": utc_text(now),
                "added_by": user,
            },
        )
        audit.record(
            store,
            user=user,
            action="patient.contact.add",
            now=now,
            patient_id=patient["id"],
            detail=f"contact {contact_id}",
        )
    return {**of_patient(store, patient["id"])[-1], "mrn": patient["mrn"]}


def of_patient(store: Store, patient_id: int) -> list[dict]:
    """A patient's representatives, oldest first (no audit: for screens that audit)."""
    rows = store.query(
        f"SELECT {', '.join(COLUMNS)} FROM patient_contacts WHERE patient_id = ? ORDER BY id",
        [patient_id],
    )
    for row in rows:
        row["may_discuss"] = bool(row["may_discuss"])
    return rows


def listing(store: Store, patient_ref: str, *, user: str, now: datetime) -> list[dict]:
    """`patient contact list`: audited."""
    with store.write():
        patient = core.resolve(store, patient_ref)
        rows = of_patient(store, patient["id"])
        audit.record(
            store,
            user=user,
            action="patient.contact.list",
            now=now,
            patient_id=patient["id"],
            detail=f"rows={len(rows)}",
        )
    return rows


def matching_number(store: Store, patient_id: int, digits: str) -> list[dict]:
    """Representatives of a patient whose phone ends with `digits`."""
    return [row for row in of_patient(store, patient_id) if row["phone"].endswith(digits)]
