"""The FHIR export validates as R4 (fhir.resources' R4B models, the R4-compatible
release it ships) and carries the codes a receiving system needs."""

import json
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B.bundle import Bundle

from macli.chart import core, corrections, fhir, findings, readings
from tests.chart.conftest import ADULT, NOW, TODAY

TZ = ZoneInfo("America/New_York")
WHO = {"user": "tester", "now": NOW}


@pytest.fixture
def full_chart(store):
    readings.record(
        store,
        ADULT,
        {
            "bp": "128/82",
            "pulse": "72",
            "temp": "98.6F",
            "weight": "180lb",
            "height": "5ft10in",
            "spo2": "97",
            "resp": "16",
            "pain": "2",
        },
        clinic_units="us",
        tz=TZ,
        **WHO,
    )
    problem = core.add_problem(store, ADULT, "E11.9", onset="2019-05-01", today=TODAY, **WHO)
    low_back = core.add_problem(store, ADULT, "M54.50", today=TODAY, **WHO)
    core.resolve_problem(store, low_back["id"], today=TODAY, **WHO)
    medication = core.add_medication(
        store,
        ADULT,
        "metformin",
        dose="500 mg",
        route="by mouth",
        frequency="twice daily",
        start="2024-01-15",
        today=TODAY,
        **WHO,
    )
    core.add_medication(store, ADULT, "ibuprofen", today=TODAY, **WHO)
    core.stop_medication(store, medication["id"] + 1, today=TODAY, **WHO)
    core.add_allergy(store, ADULT, "penicillin", reaction="hives", severity="moderate", **WHO)
    findings.add_result(
        store,
        ADULT,
        "Hemoglobin A1c",
        "7.2",
        unit="%",
        range_text="4.0-5.6",
        loinc="4548-4",
        tz=TZ,
        **WHO,
    )
    findings.add_result(store, ADULT, "EKG", "Normal sinus rhythm", tz=TZ, **WHO)
    corrections.amend(
        store,
        problem["id"],
        {"note": "diet controlled"},
        reason="add note",
        clinic_units="us",
        today=TODAY,
        tz=TZ,
        **WHO,
    )
    return store


def resources(document, kind):
    return [e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_validates_as_fhir_r4(full_chart):
    document = fhir.bundle(full_chart, ADULT, user="tester", now=NOW, tz=TZ)
    parsed = Bundle.model_validate(json.loads(json.dumps(document)))
    kinds = sorted({e.resource.__resource_type__ for e in parsed.entry})
    assert kinds == [
        "AllergyIntolerance",
        "Condition",
        "MedicationStatement",
        "Observation",
        "Patient",
    ]


def test_vital_signs_carry_loinc_and_ucum(full_chart):
    document = fhir.bundle(full_chart, ADULT, user="tester", now=NOW, tz=TZ)
    vital = [
        o
        for o in resources(document, "Observation")
        if o["category"][0]["coding"][0]["code"] == "vital-signs"
    ]
    codes = {o["code"]["coding"][0]["code"]: o for o in vital}
    assert set(codes) == {
        "85354-9",
        "8867-4",
        "9279-1",
        "8310-5",
        "59408-5",
        "29463-7",
        "8302-2",
        "39156-5",
        "72514-3",
    }
    panel = codes["85354-9"]
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
        for c in panel["component"]
    ] == [
        ("8480-6", 128, "mm[Hg]"),
        ("8462-4", 82, "mm[Hg]"),
    ]
    weight = codes["29463-7"]["valueQuantity"]
    assert weight == {
        "value": 81.6466266,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    assert codes["29463-7"]["note"] == [{"text": "entered as 180 lb"}]
    assert codes["8310-5"]["valueQuantity"]["code"] == "Cel"
    patient_url = document["entry"][0]["fullUrl"]
    assert all(o["subject"]["reference"] == patient_url for o in vital)


def test_conditions_medications_allergies_and_results(full_chart):
    document = fhir.bundle(full_chart, ADULT, user="tester", now=NOW, tz=TZ)
    conditions = {c["code"]["coding"][0]["code"]: c for c in resources(document, "Condition")}
    assert set(conditions) == {"E11.9", "M54.50"}
    assert conditions["E11.9"]["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm"
    assert conditions["E11.9"]["clinicalStatus"]["coding"][0]["code"] == "active"
    assert conditions["E11.9"]["note"] == [{"text": "diet controlled"}]  # the amended version
    assert conditions["M54.50"]["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert conditions["M54.50"]["abatementDateTime"] == "2026-11-26"
    statuses = {
        m["medicationCodeableConcept"]["text"]: m["status"]
        for m in resources(document, "MedicationStatement")
    }
    assert statuses == {"metformin": "active", "ibuprofen": "stopped"}
    (allergy,) = resources(document, "AllergyIntolerance")
    assert allergy["code"] == {"text": "penicillin"}
    assert allergy["reaction"][0]["severity"] == "moderate"
    labs = [
        o
        for o in resources(document, "Observation")
        if o["category"][0]["coding"][0]["code"] == "laboratory"
    ]
    a1c, ekg = labs
    assert a1c["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "4548-4",
        "display": "Hemoglobin A1c",
    }
    assert a1c["valueQuantity"] == {"value": 7.2, "unit": "%"}
    assert a1c["referenceRange"] == [
        {"low": {"value": 4.0, "unit": "%"}, "high": {"value": 5.6, "unit": "%"}}
    ]
    assert ekg["valueString"] == "Normal sinus rhythm"


def test_no_known_allergies_is_exported_as_such(store):
    core.no_known_allergies(store, ADULT, user="tester", now=NOW, tz=TZ)
    document = fhir.bundle(store, ADULT, user="tester", now=NOW, tz=TZ)
    Bundle.model_validate(document)
    (allergy,) = resources(document, "AllergyIntolerance")
    assert allergy["code"]["coding"][0]["code"] == "716186003"


def test_exporting_twice_gives_the_same_ids(full_chart):
    first = fhir.bundle(full_chart, ADULT, user="tester", now=NOW, tz=TZ)
    second = fhir.bundle(full_chart, ADULT, user="tester", now=NOW, tz=TZ)
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    assert len({e["fullUrl"] for e in first["entry"]}) == len(first["entry"])


def test_an_invalid_resource_would_be_caught():
    # The validator is real: a Condition without a subject is refused.
    broken = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Condition", "code": {"text": "x"}}}],
    }
    with pytest.raises(ValueError):
        Bundle.model_validate(broken)
