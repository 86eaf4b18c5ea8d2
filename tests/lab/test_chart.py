"""Lab results where people look: `chart show`, and `chart export --fhir` (validated)."""

import json

from .messages import oru
from .test_loop import setup_clinic


def test_chart_show_lists_recent_and_pending_results_and_the_bundle_validates(run, tmp_path):
    from fhir.resources.R4B.bundle import Bundle

    setup_clinic(run)
    run("lab order P000001 --test 'Basic metabolic panel' --test HbA1c --provider chen")
    run("lab collect LO000001")
    path = tmp_path / "r.hl7"
    path.write_text(oru("C1", "LO000001"), newline="")
    run(f"lab import {path}")
    text = run("chart show P000001").stdout
    lab = text[text.index("Lab results:") :]
    assert "Basic metabolic panel" in lab and "review" in lab
    pending = text[text.index("Lab tests pending:") :]
    assert "HbA1c" in pending
    chart = json.loads(run("chart show P000001 -f json").stdout)
    assert [r["test"] for r in chart["lab"]["pending"]] == ["HbA1c"]

    out = tmp_path / "bundle.json"
    run(f"chart export P000001 --fhir -o {out}")
    document = json.loads(out.read_text())
    Bundle.model_validate(document)
    kinds = [e["resource"]["resourceType"] for e in document["entry"]]
    for kind in ("ServiceRequest", "Specimen", "DiagnosticReport"):
        assert kind in kinds
    urls = {e["fullUrl"] for e in document["entry"]}
    report = next(
        e["resource"]
        for e in document["entry"]
        if e["resource"]["resourceType"] == "DiagnosticReport"
    )
    references = [report["basedOn"][0]["reference"], report["specimen"][0]["reference"]]
    references += [r["reference"] for r in report["result"]]
    assert len(report["result"]) == 2 and set(references) <= urls
    potassium = next(
        e["resource"]
        for e in document["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"].get("coding", [{}])[0].get("code") == "2823-3"
    )
    assert potassium["valueQuantity"] == {
        "value": 4.2,
        "unit": "mmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "mmol/L",
    }
