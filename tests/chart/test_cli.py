"""`macli chart ...` as a user runs it: output, formats, errors and an unchanged store."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from tests.chart.conftest import ADULT, INFANT
from tests.conftest import dump


def test_record_vitals_and_list_them(run):
    out = run(
        f"chart vitals {ADULT} --bp 128/82 --pulse 72 --temp 98.6F --spo2 98 "
        "--weight 180lb --height 5ft10in"
    ).stdout
    assert "BP 128/82 (stage 1), pulse 72, temp 98.6 °F, SpO2 98%, weight 180 lb" in out
    assert "BMI 25.8" in out
    table = run(f"chart vitals {ADULT} --list").stdout
    assert "5 ft 10 in" in table and "stage 1" in table
    rows = list(csv.DictReader(io.StringIO(run(f"chart vitals {ADULT} --list -f csv").stdout)))
    assert rows[0]["weight_kg"] == "81.6466266" and rows[0]["height_cm"] == "177.8"
    assert rows[0]["temp_cel"] == "37" and rows[0]["bp_class"] == "stage 1"
    data = json.loads(run(f"chart vitals {ADULT} --list -f json").stdout)
    assert data[0]["systolic_mmhg"] == 128 and data[0]["bmi"] == 25.8


def test_metric_display_follows_the_setting(run):
    run(f"chart vitals {INFANT} --weight 12lb4oz --temp 99.5")
    run("config set clinic.units metric")
    table = run(f"chart vitals {INFANT} --list").stdout
    assert "5.56 kg" in table and "37.5 °C" in table
    run(f"chart vitals {INFANT} --temp 37.9")  # now read as Celsius
    assert "37.9 °C" in run(f"chart vitals {INFANT} --list").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (
            "--bp 120/130",
            "Error: blood pressure 120/130 is not possible: diastolic must be below systolic",
        ),
        ("--spo2 101", "Error: SpO2 101 is not possible: accepted 50–100 %"),
        (
            "--temp 986F",
            "Error: temperature 986 °F is not possible: accepted 25–45 °C (77–113 °F); did you mean 98.6F?",
        ),
        (
            "--weight 1800lb",
            "Error: weight 1800 lb is not possible: accepted 0.44–1543 lb (0.2–700 kg)",
        ),
        ("--weight 180", "Error: weight '180' needs a unit (e.g. 180lb, 81.6kg or 12lb4oz)"),
        (
            "--pulse 150",
            "Error: unusual value(s): pulse 150 is outside 41–130 /min (NEWS2 scores it 3).",
        ),
        (
            "--bp 190/125",
            "Error: unusual value(s): blood pressure 190/125 is a hypertensive crisis",
        ),
        ("--pulse 72 --at tomorrow 9:00", "is in the future"),
        ("", "Error: give at least one measurement"),
    ],
)
def test_refused_vitals_leave_the_store_unchanged(run, db_path, args, message):
    before = dump(db_path)
    result = run(
        f"chart vitals {ADULT} {args}".replace("tomorrow 9:00", "'tomorrow 9:00'"), expect=1
    )
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert dump(db_path) == before


def test_confirm_records_an_unusual_value(run):
    out = run(f"chart vitals {ADULT} --bp 190/125 --pulse 150 --confirm").stdout
    assert "BP 190/125 (crisis), pulse 150 H" in out


def test_usage_mistakes_exit_2(run):
    assert run(f"chart vitals {ADULT} --list --pulse 70", expect=2).exit_code == 2
    assert run(f"chart export {ADULT}", expect=2).exit_code == 2
    assert run(f"chart show {ADULT} -f csv", expect=2).exit_code == 2
    assert run(f"chart trend {ADULT} --vital mood", expect=2).exit_code == 2


@pytest.mark.parametrize(
    "code, fragments",
    [
        ("E11", ["E11 (Type 2 diabetes mellitus) is a header, not billable", "\n  E11.9  "]),
        ("M54.5", ["M54.50  Low back pain, unspecified", "M54.51  ", "M54.59  "]),
        ("S72.001", ["needs its 7th character", "S72.001A  ", "S72.001B  "]),
        ("250.00", ["looks like an ICD-9-CM code"]),
        ("E11.99X", ["E11.99X is not in ICD-10-CM (April 2026); the nearest code is E11.9"]),
    ],
)
def test_problem_codes_must_be_billable(run, db_path, code, fragments):
    before = dump(db_path)
    error = run(f"chart problem add {ADULT} --icd {code}", expect=1).stderr
    assert error.startswith("Error: ")
    for fragment in fragments:
        assert fragment in error
    assert dump(db_path) == before


def test_a_problem_already_active_is_refused_unless_it_is_a_new_episode(run, db_path):
    run(f"chart problem add {ADULT} --icd J02.0 --onset 2026-11-20")
    before = dump(db_path)
    error = run(f"chart problem add {ADULT} --icd j02.0", expect=1).stderr
    assert error == (
        f"Error: {ADULT} already has J02.0 Streptococcal pharyngitis on the active problem list"
        " (entry 1, onset 2026-11-20): resolve it first (macli chart problem resolve 1), or add"
        " --again to record a new episode\n"
    )
    assert dump(db_path) == before
    assert "(entry 2)" in run(f"chart problem add {ADULT} --icd J02.0 --again").stdout
    # Once resolved, the code is no longer active: a later episode needs no --again.
    run("chart problem resolve 1 --on 2026-11-24")
    run("chart problem resolve 2 --on 2026-11-24")
    assert "(entry 5)" in run(f"chart problem add {ADULT} --icd J02.0").stdout


def test_problem_med_allergy_result_note_round(run):
    assert (
        "Added problem E11.9 Type 2 diabetes mellitus without complications (entry 1)."
        in run(f"chart problem add {ADULT} --icd E11.9 --onset 2019-05-01").stdout
    )
    run(f"chart problem add {ADULT} --icd M54.50")
    assert "resolved on 2026-11-20" in run("chart problem resolve 2 --on 2026-11-20").stdout
    assert "M54.50" not in run(f"chart problem list {ADULT}").stdout
    assert "resolved 2026-11-20" in run(f"chart problem list {ADULT} --all").stdout
    run(f"chart med add {ADULT} metformin --dose '500 mg' --frequency 'twice daily'")
    assert "metformin" in run(f"chart med list {ADULT} -f csv").stdout
    assert "Allergies not recorded" in run(f"chart allergy list {ADULT}").stdout
    run(f"chart allergy none {ADULT}")
    assert "none known" in run(f"chart allergy list {ADULT}").stdout
    run(f"chart allergy add {ADULT} penicillin --reaction hives --severity moderate")
    run(
        f"chart result add {ADULT} --test 'Hemoglobin A1c' --value 7.2 --unit % --range 4.0-5.6 --loinc 4548-4"
    )
    assert json.loads(run(f"chart result list {ADULT} -f json").stdout)[0]["flag"] == "H"
    run(f"chart note add {ADULT}", input="Seen for follow-up.\nDoing well.\n")
    assert json.loads(run(f"chart note list {ADULT} -f json").stdout)[0]["text"] == (
        "Seen for follow-up.\nDoing well."
    )
    shown = run(f"chart show {ADULT}").stdout
    assert "Allergies: penicillin (hives, moderate)" in shown
    assert "E11.9" in shown and "metformin" in shown and "Hemoglobin A1c" in shown
    assert "Seen for follow-up. …" in shown
    data = json.loads(run(f"chart show {ADULT} -f json").stdout)
    assert data["patient"]["mrn"] == ADULT and data["vitals"] is None


def test_note_from_a_file(run, tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("From a file.\n", encoding="utf-8")
    run(f"chart note add {ADULT} --file {path}")
    assert "From a file." in run(f"chart note list {ADULT}").stdout
    assert "Error: the note is empty" in run(f"chart note add {ADULT}", input="", expect=1).stderr


def test_allergy_none_refused_when_allergies_are_recorded(run, db_path):
    run(f"chart allergy add {ADULT} latex")
    before = dump(db_path)
    error = run(f"chart allergy none {ADULT}", expect=1).stderr
    assert "has recorded allergies (entries 1)" in error
    assert dump(db_path) == before


def test_amend_and_history(run, db_path):
    run(f"chart vitals {ADULT} --bp 128/82 --pulse 72")
    out = run("chart amend 1 --bp 132/84 --reason 'misread the gauge'").stdout
    assert out == "Amended entry 1: the vitals entry is now 2.\n"
    listed = run(f"chart vitals {ADULT} --list").stdout
    assert "132/84" in listed and "128/82" not in listed and "amended 2026-11-26" in listed
    history = json.loads(run("chart history 1 -f json").stdout)
    assert [(h["id"], h["state"], h["reason"]) for h in history] == [
        (1, "superseded", None),
        (2, "current", "misread the gauge"),
    ]
    before = dump(db_path)
    assert (
        "already amended by entry 2; amend 2 instead"
        in run("chart amend 1 --pulse 70 --reason x", expect=1).stderr
    )
    assert "--icd does not apply" in run("chart amend 2 --icd I10 --reason x", expect=1).stderr
    assert "Missing option '--reason'" in run("chart amend 2 --pulse 70", expect=2).stderr
    assert (
        "no chart entry with id 99" in run("chart amend 99 --pulse 70 --reason x", expect=1).stderr
    )
    assert dump(db_path) == before
    assert "Voided entry 2" in run("chart amend 2 --void --reason 'wrong patient'").stdout
    assert "No vitals recorded." in run(f"chart vitals {ADULT} --list").stdout


def test_icd_search_and_show(run):
    rows = json.loads(run("chart icd search type 2 diabetes -f json").stdout)
    assert rows[0]["code"] == "E11"
    assert "E11.9" in run("chart icd search diabetes without complications --billable").stdout
    shown = run("chart icd show M54.5").stdout
    assert "no (choose a code below)" in shown and "ICD-10-CM April 2026" in shown
    assert "M54.59" in shown
    data = json.loads(run("chart icd show E11.9 -f json").stdout)
    assert data["billable"] is True and data["release"] == "April 2026"
    assert (
        "Error: 250.00 looks like an ICD-9-CM code" in run("chart icd show 250.00", expect=1).stderr
    )
    assert "No codes found." in run("chart icd search zzzqqq").stdout
    cut = run("chart icd search hypertension --limit 3")
    assert len(cut.stdout.splitlines()) == 2 + 3
    assert cut.stderr.startswith("3 of ") and cut.stderr.endswith(" shown; --limit N for more.\n")
    assert run("chart icd search essential primary hypertension").stderr == ""


def test_trend_draws_and_lists(run):
    for at, weight in (
        ("2026-03-01 10:00", "182lb"),
        ("2026-07-01 10:00", "179lb"),
        ("2026-11-01 10:00", "176lb"),
    ):
        run(["chart", "vitals", ADULT, "--weight", weight, "--at", at, "--confirm"])
    out = run(f"chart trend {ADULT} --vital weight").stdout
    assert "weight, lb" in out and "┤" in out
    assert out.index("┤") < out.index("182 lb") < out.index("176 lb")
    csv_out = run(f"chart trend {ADULT} --vital weight -f csv").stdout
    assert "┤" not in csv_out and len(csv_out.strip().splitlines()) == 4
    assert "No bp readings recorded." in run(f"chart trend {ADULT} --vital bp").stdout


def test_trend_without_plotext_still_lists_the_readings(run, monkeypatch):
    run(f"chart vitals {ADULT} --pulse 70")
    monkeypatch.setitem(sys.modules, "plotext", None)  # import plotext now raises ImportError
    result = run(f"chart trend {ADULT} --vital pulse")
    assert "pip install 'macli[plot]'" in result.stderr
    assert "70" in result.stdout and "┤" not in result.stdout


def test_export_writes_a_private_file(run, tmp_path):
    run(f"chart vitals {ADULT} --bp 120/80")
    target = tmp_path / "out.json"
    result = run(f"chart export {ADULT} --fhir -o {target}")
    assert "Wrote 2 resources" in result.stderr
    assert os.stat(target).st_mode & 0o777 == 0o600
    assert json.loads(target.read_text())["resourceType"] == "Bundle"
    assert json.loads(run(f"chart export {ADULT} --fhir").stdout)["type"] == "collection"


def test_views_and_exports_are_in_the_audit_log(run):
    run(f"chart show {ADULT}")
    run(f"chart vitals {ADULT} --list")
    run(f"chart export {ADULT} --fhir")
    rows = json.loads(run(f"audit list --patient {ADULT} -f json").stdout)
    actions = [(r["action"], r["detail"]) for r in rows if r["action"].startswith("chart")]
    assert actions == [("chart.view", "chart"), ("chart.view", "vitals"), ("chart.export", "fhir")]


def test_unknown_patient(run, db_path):
    before = dump(db_path)
    assert "Error: no patient with MRN P999999" in run("chart show P999999", expect=1).stderr
    assert dump(db_path) == before


def test_the_installed_command_runs():
    result = subprocess.run(
        [sys.executable, "-m", "macli", "chart", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "vitals" in result.stdout and "amend" in result.stdout
