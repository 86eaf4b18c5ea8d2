"""The lab's part of a chart's FHIR export: ServiceRequest (each test ordered), Specimen,
DiagnosticReport (each result, the superseded versions too, each with its own status) and an
Observation per analyte. `chart export --fhir` adds them to the patient's Bundle."""

from __future__ import annotations

from macli.lab.common import order_number, specimen_number
from macli.store import Store
from macli.when import from_utc_text

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
REPORT_CATEGORY = "http://terminology.hl7.org/CodeSystem/v2-0074"
SPECIMEN_TYPES = {"blood": "BLD", "urine": "UR", "swab": "SWAB", "stool": "STL", "other": "OTH"}
STATUS = {"preliminary": "preliminary", "final": "final", "corrected": "corrected"}


def _instant(text: str) -> str:
    return from_utc_text(text).strftime("%Y-%m-%dT%H:%M:%SZ")


def _code(loinc: str | None, text: str) -> dict:
    if not loinc:
        return {"text": text}
    return {"coding": [{"system": LOINC, "code": loinc, "display": text}], "text": text}


def resources(store: Store, patient_id: int, subject: dict, url) -> list[dict]:
    """Every lab resource of one patient; `url(resource)` gives a resource's fullUrl."""
    out: list[dict] = []
    requests, specimens = {}, {}
    for row in store.query(
        "SELECT i.*, o.priority, o.ordered_at, o.cancelled_at, o.note, t.name AS test, t.loinc,"
        " t.poc FROM lab_order_items i JOIN lab_orders o ON o.id = i.order_id"
        " JOIN lab_tests t ON t.id = i.test_id WHERE o.patient_id = ? ORDER BY i.id",
        [patient_id],
    ):
        done = row["result_status"] in ("final", "corrected")
        resource = {
            "resourceType": "ServiceRequest",
            "id": f"lab-request-{row['id']}",
            "identifier": [
                {"system": "urn:macli:lab-order", "value": order_number(row["order_id"])}
            ],
            "status": "revoked" if row["cancelled_at"] else "completed" if done else "active",
            "intent": "order",
            "priority": row["priority"],
            "code": _code(row["loinc"], row["test"]),
            "subject": subject,
            "authoredOn": _instant(row["ordered_at"]),
        }
        if row["note"]:
            resource["note"] = [{"text": row["note"]}]
        requests[row["id"]] = resource
        out.append(resource)
    for row in store.query(
        "SELECT s.* FROM lab_specimens s JOIN lab_orders o ON o.id = s.order_id"
        " WHERE o.patient_id = ? ORDER BY s.id",
        [patient_id],
    ):
        resource = {
            "resourceType": "Specimen",
            "id": f"specimen-{row['id']}",
            "identifier": [{"system": "urn:macli:specimen", "value": specimen_number(row["id"])}],
            "status": "available",
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0487",
                        "code": SPECIMEN_TYPES[row["specimen"]],
                    }
                ],
                "text": row["specimen"],
            },
            "subject": subject,
            "collection": {"collectedDateTime": _instant(row["collected_at"])},
        }
        if row["container"]:
            resource["container"] = [{"description": row["container"]}]
        specimens[row["id"]] = resource
        out.append(resource)
    observations: dict[int, list[dict]] = {}
    for row in store.query(
        "SELECT b.*, r.observed_at, r.status FROM lab_observations b"
        " JOIN lab_results r ON r.id = b.result_id WHERE r.patient_id = ? ORDER BY b.id",
        [patient_id],
    ):
        resource = {
            "resourceType": "Observation",
            "id": f"lab-observation-{row['id']}",
            "status": STATUS[row["status"]],
            "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
            "code": _code(row["loinc"], row["name"]),
            "subject": subject,
            "effectiveDateTime": _instant(row["observed_at"]),
        }
        if row["numeric"] is not None:
            quantity = {"value": row["numeric"]}
            if row["unit"]:
                quantity.update(unit=row["unit"], system=UCUM, code=row["unit"])
            resource["valueQuantity"] = quantity
        else:
            resource["valueString"] = row["value"]
        if row["reference_range"]:
            resource["referenceRange"] = [{"text": row["reference_range"]}]
        if row["flag"]:
            resource["interpretation"] = [
                {"coding": [{"system": INTERPRETATION, "code": row["flag"]}]}
            ]
        if row["comment"]:
            resource["note"] = [{"text": row["comment"]}]
        observations.setdefault(row["result_id"], []).append(resource)
        out.append(resource)
    for row in store.query(
        "SELECT r.*, i.specimen_id, t.name AS test, t.loinc FROM lab_results r"
        " JOIN lab_order_items i ON i.id = r.item_id JOIN lab_tests t ON t.id = i.test_id"
        " WHERE r.patient_id = ? ORDER BY r.id",
        [patient_id],
    ):
        resource = {
            "resourceType": "DiagnosticReport",
            "id": f"lab-report-{row['id']}",
            "basedOn": [{"reference": url(requests[row["item_id"]])}],
            "status": STATUS[row["status"]],
            "category": [{"coding": [{"system": REPORT_CATEGORY, "code": "LAB"}]}],
            "code": _code(row["loinc"], row["test"]),
            "subject": subject,
            "effectiveDateTime": _instant(row["observed_at"]),
            "issued": _instant(row["reported_at"]),
            "result": [{"reference": url(obs)} for obs in observations.get(row["id"], [])],
        }
        if row["specimen_id"] in specimens:
            resource["specimen"] = [{"reference": url(specimens[row["specimen_id"]])}]
        if row["interpretation"]:
            resource["conclusion"] = row["interpretation"]
        if row["attachment"]:
            resource["presentedForm"] = [
                {
                    "title": row["attachment_name"],
                    "url": f"urn:macli:blob:sha256:{row['attachment']}",
                }
            ]
        out.append(resource)
    return out
