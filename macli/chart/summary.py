"""`chart show` and `chart trend`: what a patient's chart holds now, one audited view."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.chart import core, findings, readings
from macli.errors import Invalid
from macli.lab import results as lab_results
from macli.patients import core as patients
from macli.store import Store

RECENT_RESULTS = 5
RECENT_NOTES = 3
TREND_VITALS = ("weight", "bmi", "bp", "pulse", "temp", "spo2", "resp", "height", "pain")


def allergy_status(rows: list[dict]) -> str:
    """One line: the allergies, 'no known allergies', or 'allergies not recorded'."""
    if not rows:
        return "allergies not recorded"
    if rows[0]["type"] == "none known":
        return f"no known allergies (recorded {rows[0]['recorded']})"
    return "; ".join(
        row["substance"]
        + (
            f" ({', '.join(x for x in (row['reaction'], row['severity']) if x)})"
            if row["reaction"] or row["severity"]
            else ""
        )
        for row in rows
    )


def show(store: Store, patient_ref: str, *, user: str, now: datetime, tz: ZoneInfo) -> dict:
    """The whole current chart of one patient; the view is audited."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        pid = patient["id"]
        allergy_rows = core.allergies(store, pid, tz=tz)
        chart = {
            "patient": {
                "mrn": patient["mrn"],
                "name": patient["name"],
                "dob": patient["dob"],
                "age": readings.age_on(patient["dob"], now.astimezone(tz).date())[0],
                "sex": patient["sex"],
            },
            "allergy_status": allergy_status(allergy_rows),
            "allergies": allergy_rows,
            "problems": core.problems(store, pid, tz=tz),
            "medications": core.medications(store, pid, tz=tz),
            "vitals": (readings.sets(store, pid, tz, last=1) or [None])[0],
            "results": findings.results(store, pid, tz=tz, last=RECENT_RESULTS),
            "notes": findings.notes(store, pid, tz=tz, last=RECENT_NOTES),
            "lab": lab_results.for_patient(store, pid, tz=tz, last=RECENT_RESULTS),
        }
        audit.record(store, user=user, action="chart.view", now=now, patient_id=pid, detail="chart")
    return chart


def vitals_history(store: Store, patient_ref: str, *, user: str, now: datetime, tz: ZoneInfo):
    """Every live vitals set of a patient, oldest first; the view is audited."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        rows = readings.sets(store, patient["id"], tz)
        audit.record(
            store,
            user=user,
            action="chart.view",
            now=now,
            patient_id=patient["id"],
            detail="vitals",
        )
    return rows


def trend(
    store: Store, patient_ref: str, vital: str, *, user: str, now: datetime, tz: ZoneInfo
) -> list[dict]:
    """The sets that hold `vital`, oldest first; the view is audited."""
    if vital not in TREND_VITALS:
        raise Invalid(f"unknown vital {vital!r} (use {', '.join(TREND_VITALS)})")
    name = "systolic" if vital == "bp" else vital
    with store.write():
        patient = patients.resolve(store, patient_ref)
        rows = [r for r in readings.sets(store, patient["id"], tz) if name in r["values"]]
        audit.record(
            store,
            user=user,
            action="chart.view",
            now=now,
            patient_id=patient["id"],
            detail=f"trend {vital}",
        )
    return rows
