"""`lab notify --how letter` writes the results letter through the letters of
macli/documents: filed on the chart, tests in plain words, the notification naming it."""

from __future__ import annotations

import io
import json

from tests.lab.messages import oru


def _text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _clinic_with_results(run, tmp_path, observations=None):
    run("config set clinic.name 'Maple Street Clinic'")
    run("config set clinic.phone '(617) 555-0100'")
    run("config set clinic.address '12 Maple Street, Springfield, MA 01103'")
    run("patient add 'Ana Lima' --dob 1990-01-01")
    run("provider add 'Dr. Maya Chen' --title MD")
    run(
        "lab test add 'Basic metabolic panel' --loinc 51990-0 --specimen blood"
        " --container 'gold top (SST)' --lab Quest --turnaround 24h"
    )
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab collect LO000001")
    messages = tmp_path / "results.hl7"
    messages.write_text(oru("M1", "LO000001", observations=observations), newline="")
    run(f"lab import {messages}")
    run("lab review 1 --by chen --comment 'fine'")


def test_a_normal_result_gets_the_all_in_range_letter(run, tmp_path, store):
    _clinic_with_results(run, tmp_path)
    out = tmp_path / "letter.pdf"
    result = run(f"lab notify 1 --how letter -o {out}")
    assert 'Filed the letter "Your test results" as document 1 for Ana Lima (P000001).' in (
        result.stdout
    )
    assert "Result 1: patient told by letter; closed: yes." in result.stdout
    text = _text(out.read_bytes())
    for needed in (
        "Maple Street Clinic",
        "12 Maple Street",
        "Dear Ana,",
        "potassium (a body salt) (Potassium): 4.2 mmol/L (normal: 3.5-5.1 mmol/L), in the normal",
        "blood sugar (Glucose): 92 mg/dL",
        "November 25, 2026",  # the day the sample was taken (OBR-7)
    ):
        assert needed in text, (needed, text)
    assert "not in the normal range" not in text
    # Filed on the chart as a letter; the notification names the document.
    rows = json.loads(run("chart files P000001 --kind letter -f json").stdout)
    assert [row["id"] for row in rows] == [1]
    assert store.scalar("SELECT note FROM lab_notifications") == "letter: document 1"
    assert json.loads(run("lab open -f json").stdout) == []


def test_a_result_out_of_range_asks_the_patient_to_come_in(run, tmp_path, store):
    _clinic_with_results(
        run,
        tmp_path,
        observations=[
            "OBX|1|NM|2823-3^Potassium^LN||5.6|mmol/L^^UCUM|3.5-5.1|H|||F",
            "OBX|2|NM|2345-7^Glucose^LN||92|mg/dL^^UCUM|70-99|N|||F",
        ],
    )
    # Asking for the all-clear letter is refused, and nothing is recorded.
    refused = run("lab notify 1 --how letter --template normal-results", expect=1)
    assert "Potassium 5.6 (lab result 1) is not in the normal range" in refused.stderr
    assert store.scalar("SELECT count(*) FROM lab_notifications") == 0
    assert store.scalar("SELECT count(*) FROM documents") == 0
    result = run("lab notify 1 --how letter --note 'mailed'")
    assert 'Filed the letter "Your test results: please come in"' in result.stdout
    assert "Print it with: macli chart file show 1 -o letter.pdf" in result.stdout
    shown = tmp_path / "again.pdf"
    run(f"chart file show 1 -o {shown}")
    text = _text(shown.read_bytes())
    assert "potassium (a body salt) (Potassium): 5.6 mmol/L" in text
    assert "not in the normal range" in text
    assert store.scalar("SELECT note FROM lab_notifications") == "letter: document 1; mailed"


def test_a_template_or_a_pdf_needs_how_letter(run, tmp_path):
    _clinic_with_results(run, tmp_path)
    assert (
        "goes with --how letter"
        in run("lab notify 1 --how phone --template normal-results", expect=1).stderr
    )
    assert (
        "goes with --how letter"
        in run(f"lab notify 1 --how phone -o {tmp_path}/x.pdf", expect=2).stderr
    )


def test_a_letter_that_cannot_be_written_records_nothing(run, tmp_path, store):
    _clinic_with_results(run, tmp_path)
    result = run(f"lab notify 1 --how letter -o {tmp_path}/missing/letter.pdf", expect=1)
    assert "the folder" in result.stderr and "does not exist" in result.stderr
    assert store.scalar("SELECT count(*) FROM lab_notifications") == 0
    assert store.scalar("SELECT count(*) FROM documents") == 0
