"""A patient's chart as a FHIR R4 Bundle (JSON): Patient, vital-sign and laboratory
Observations, Conditions, MedicationStatements and AllergyIntolerances, and the lab's
ServiceRequests, Specimens, DiagnosticReports and their Observations (macli/lab/fhir.py).

Only live entries go out (an amended entry is exported as its current version, with
status `amended`; voided entries are left out). Resource ids are stable: the MRN and
the entry id, so exporting twice gives the same ids.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.chart import core, findings, readings, units, vitals
from macli.patients import core as patients
from macli.store import Store
from macli.when import utc_text

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
MRN_SYSTEM = "urn:macli:mrn"
NAMESPACE = uuid.UUID("5b0e7c9e-2f7a-4d0e-9a53-6d1f0c1e8a11")  # macli's, for uuid5 ids
GENDERS = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
NO_KNOWN_ALLERGY = ("716186003", "No known allergy")


def _instant(text: str) -> str:
    """Stored UTC text as a FHIR dateTime (with its zone)."""
    return text.replace("Z", "+00:00")


def _quantity(value, unit: str) -> dict:
    return {"value": readings.number(value), "unit": unit, "system": UCUM, "code": unit}


def _category(code: str, display: str) -> list[dict]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def _loinc(code: str, display: str) -> dict:
    return {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display}


def _patient(patient: dict) -> dict:
    parts = patient["name"].split()
    family = parts[-1] if len(parts) > 1 else patient["name"]
    given = parts[:-1] if len(parts) > 1 else []
    resource = {
        "resourceType": "Patient",
        "id": patient["mrn"].lower(),
        "identifier": [{"system": MRN_SYSTEM, "value": patient["mrn"]}],
        "name": [
            {"text": patient["name"], "family": family, **({"given": given} if given else {})}
        ],
        "gender": GENDERS.get(patient["sex"], "unknown"),
        "birthDate": patient["dob"],
    }
    telecom = []
    if patient.get("phone"):
        telecom.append({"system": "phone", "value": patient["phone"]})
    if patient.get("email"):
        telecom.append({"system": "email", "value": patient["email"]})
    if telecom:
        resource["telecom"] = telecom
    if patient.get("address"):
        resource["address"] = [{"text": patient["address"]}]
    return resource


def _vital_observations(reading: dict, subject: dict) -> list[dict]:
    status = "amended" if reading["amended"] else "final"
    base = {
        "resourceType": "Observation",
        "status": status,
        "category": _category("vital-signs", "Vital Signs"),
        "subject": subject,
        "effectiveDateTime": _instant(reading["at"]),
    }
    values = reading["values"]
    out = []
    if "systolic" in values:
        out.append(
            {
                **base,
                "id": f"vitals-{reading['id']}-bp",
                "code": _loinc(vitals.BP_PANEL_LOINC, "Blood pressure panel"),
                "component": [
                    {
                        "code": _loinc(vitals.VITALS[name].loinc, vitals.VITALS[name].label),
                        "valueQuantity": _quantity(values[name], "mm[Hg]"),
                    }
                    for name in ("systolic", "diastolic")
                ],
            }
        )
    for name, value in values.items():
        if name in ("systolic", "diastolic"):
            continue
        vital = vitals.VITALS[name]
        observation = {
            **base,
            "id": f"vitals-{reading['id']}-{name}",
            "code": _loinc(vital.loinc, vital.label),
            "valueQuantity": _quantity(value, vital.unit),
        }
        if reading["entered"].get(name) and reading["entered"][name] != units.decimal_text(value):
            observation["note"] = [{"text": f"entered as {reading['entered'][name]}"}]
        out.append(observation)
    return out


def _condition(row: dict, subject: dict) -> dict:
    resolved = row["status"] != "active"
    resource = {
        "resourceType": "Condition",
        "id": f"problem-{row['id']}",
        "clinicalStatus": {
            "coding": [{"system": CONDITION_CLINICAL, "code": "resolved" if resolved else "active"}]
        },
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]},
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]}],
        "code": {
            "coding": [{"system": ICD10CM, "code": row["code"], "display": row["description"]}],
            "text": row["description"],
        },
        "subject": subject,
        "recordedDate": _instant(row["at"]),
    }
    if row["onset"]:
        resource["onsetDateTime"] = row["onset"]
    if resolved:
        resource["abatementDateTime"] = row["ended"]
    if row["note"]:
        resource["note"] = [{"text": row["note"]}]
    return resource


def _medication(row: dict, subject: dict) -> dict:
    resource = {
        "resourceType": "MedicationStatement",
        "id": f"medication-{row['id']}",
        "status": "stopped" if row["ended"] else "active",
        "medicationCodeableConcept": {"text": row["name"]},
        "subject": subject,
        "dateAsserted": _instant(row["at"]),
    }
    period = {}
    if row["start"]:
        period["start"] = row["start"]
    if row["ended"]:
        period["end"] = row["ended"]
    if period:
        resource["effectivePeriod"] = period
    dosage = " ".join(x for x in (row["dose"], row["route"], row["frequency"]) if x)
    if dosage:
        resource["dosage"] = [{"text": dosage}]
    return resource


def _allergy(row: dict, subject: dict) -> dict:
    resource = {
        "resourceType": "AllergyIntolerance",
        "id": f"allergy-{row['id']}",
        "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": ALLERGY_VERIFICATION, "code": "confirmed"}]},
        "patient": subject,
        "recordedDate": row["recorded"],
    }
    if row["type"] == "none known":
        code, display = NO_KNOWN_ALLERGY
        resource["code"] = {"coding": [{"system": SNOMED, "code": code, "display": display}]}
        return resource
    resource["code"] = {"text": row["substance"]}
    if row["reaction"] or row["severity"]:
        reaction = {"manifestation": [{"text": row["reaction"] or "reaction not described"}]}
        if row["severity"]:
            reaction["severity"] = row["severity"]
        resource["reaction"] = [reaction]
    return resource


def _result(row: dict, subject: dict) -> dict:
    code = _loinc(row["loinc"], row["test"]) if row["loinc"] else {"text": row["test"]}
    resource = {
        "resourceType": "Observation",
        "id": f"result-{row['id']}",
        "status": "amended" if row["amended"] else "final",
        "category": _category("laboratory", "Laboratory"),
        "code": code,
        "subject": subject,
        "effectiveDateTime": _instant(row["at"]),
    }
    number = _decimal(row["value"])
    if number is not None:
        resource["valueQuantity"] = {
            "value": number,
            **({"unit": row["unit"]} if row["unit"] else {}),
        }
    else:
        resource["valueString"] = row["value"] + (f" {row['unit']}" if row["unit"] else "")
    if row["low"] or row["high"]:
        bound = {}
        for side in ("low", "high"):
            if row[side]:
                bound[side] = {
                    "value": _decimal(row[side]),
                    **({"unit": row["unit"]} if row["unit"] else {}),
                }
        resource["referenceRange"] = [bound]
    if row["flag"]:
        resource["interpretation"] = [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                        "code": row["flag"],
                    }
                ]
            }
        ]
    return resource


def _decimal(text: str):
    from decimal import Decimal, InvalidOperation

    try:
        return readings.number(Decimal(text.strip()))
    except InvalidOperation:
        return None


def _url(mrn: str, resource: dict) -> str:
    """A stable urn:uuid for a resource: the same chart gives the same ids every time."""
    return "urn:uuid:" + str(
        uuid.uuid5(NAMESPACE, f"{mrn}/{resource['resourceType']}/{resource['id']}")
    )


def bundle(store: Store, patient_ref: str, *, user: str, now: datetime, tz: ZoneInfo) -> dict:
    """The FHIR R4 collection Bundle of one patient's chart; the export is audited."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        pid = patient["id"]
        person = _patient(patient)
        subject = {"reference": _url(patient["mrn"], person), "display": patient["name"]}
        resources = [person]
        for reading in readings.sets(store, pid, tz):
            resources.extend(_vital_observations(reading, subject))
        for row in core.problems(store, pid, include_resolved=True, tz=tz):
            resources.append(_condition(row, subject))
        for row in core.medications(store, pid, include_stopped=True, tz=tz):
            resources.append(_medication(row, subject))
        resources.extend(_allergy(row, subject) for row in core.allergies(store, pid, tz=tz))
        resources.extend(_result(row, subject) for row in findings.results(store, pid, tz=tz))
        from macli.lab import fhir as lab_fhir

        resources.extend(lab_fhir.resources(store, pid, subject, lambda r: _url(patient["mrn"], r)))
        audit.record(
            store, user=user, action="chart.export", now=now, patient_id=pid, detail="fhir"
        )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(utc_text(now)),
        "entry": [{"fullUrl": _url(patient["mrn"], r), "resource": r} for r in resources],
    }
