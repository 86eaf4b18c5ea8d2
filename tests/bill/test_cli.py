"""The bill commands as front-desk staff and scripts use them."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys

import pytest

from tests.bill.helpers import NOW, TODAY, claimed, visit
from tests.conftest import dump


def refused(run, db_path, args, message, code=1):
    """Run a command that must fail: its one Error line, its exit code, the store unchanged."""
    before = dump(db_path)
    result = run(args, expect=code)
    assert message in result.stderr, result.stderr
    if code == 1:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert dump(db_path) == before
    return result


def test_fee_schedule_import_and_list(run, tmp_path):
    path = tmp_path / "fees.csv"
    path.write_text(
        "code,description,fee,modifiers\n"
        "99213,Office visit - established - low,95.00,\n"
        '87880,"Rapid strep test, in office",$18.50,QW\n'
        "g0008,Flu shot administration,25,\n"
    )
    assert (
        run(f"bill fees import {path}").stdout == "Fee schedule: 3 added, 0 updated, 0 removed.\n"
    )
    listed = json.loads(run("bill fees list -f json").stdout)
    assert listed == [
        {
            "code": "87880",
            "description": "Rapid strep test, in office",
            "fee": "18.50",
            "modifiers": "QW",
        },
        {
            "code": "99213",
            "description": "Office visit - established - low",
            "fee": "95.00",
            "modifiers": None,
        },
        {
            "code": "G0008",
            "description": "Flu shot administration",
            "fee": "25.00",
            "modifiers": None,
        },
    ]
    path.write_text("code,description,fee\n99213,Office visit - established - low,98.00\n")
    result = run(f"bill fees import {path} --replace")
    assert result.stdout == "Fee schedule: 0 added, 1 updated, 2 removed.\n"
    assert run("bill fees list -f csv").stdout == (
        "code,description,fee,modifiers\n99213,Office visit - established - low,98.00,\n"
    )
    assert (
        run("bill fees list -s strep").stdout == "The fee schedule is empty (bill fees import).\n"
    )


@pytest.mark.parametrize(
    "content, message",
    [
        ("code,description,price\n99213,Visit,95\n", "line 1: unknown column(s) price"),
        ("code,description\n99213,Visit\n", "line 1: the column(s) fee are required"),
        (
            "code,description,fee\n99213,Visit,95\n9921,Visit,95\n",
            "line 3: '9921' is not a procedure code",
        ),
        ("code,description,fee\n99213,Visit,-95\n", "line 2: code 99213: a fee cannot be negative"),
        ("code,description,fee\n99213,Visit,ninety\n", "line 2: cannot read amount 'ninety'"),
        (
            "code,description,fee\n99213,Visit,95\n99213,Again,95\n",
            "line 3: code 99213 appears twice",
        ),
        ("code,description,fee,modifiers\n99213,Visit,95,2\n", "line 2: modifier '2' must be two"),
        ("code,description,fee\n99213,,95\n", "line 2: code 99213 has no description"),
        ("code,description,fee\n99213,Visit\n", "line 2: has 2 fields, the header has 3"),
        ("", "the file is empty"),
        ("code,description,fee\n", "the file has no fees"),
    ],
)
def test_bad_fee_files_import_nothing(run, db_path, tmp_path, content, message):
    path = tmp_path / "fees.csv"
    path.write_text(content)
    run("bill fees list")  # the store exists before the attempt
    refused(run, db_path, f"bill fees import {path}", message)


def test_coverage_is_set_shown_and_audited(run, db_path):
    run('patient add "Ana García" --dob 1984-03-02')
    run('patient add "Leo García" --dob 2015-07-09')
    result = run(
        'bill coverage P000001 --payer "Blue Harbor PPO" --payer-id BHP01 --plan-type ppo'
        " --member-id XJH123456789 --group G-4410"
    )
    assert result.stdout == "Coverage saved: Blue Harbor PPO, member XJH123456789.\n"
    run(
        'bill coverage Leo --payer "blue harbor ppo" --member-id XJH02 --relation child'
        ' --subscriber-name "García, Ana" --subscriber-dob 1984-03-02'
    )
    shown = json.loads(run("bill coverage P000002 -f json").stdout)
    assert shown == {
        "mrn": "P000002",
        "name": "Leo García",
        "payer": "Blue Harbor PPO",
        "payer_id": "BHP01",
        "plan_type": "ppo",
        "member_id": "XJH02",
        "group": None,
        "relation": "child",
        "subscriber_name": "Ana García",
        "subscriber_dob": "1984-03-02",
        "subscriber_sex": None,
    }
    run("bill coverage P000001 --member-id XJH999")  # the rest is kept
    assert json.loads(run("bill coverage P000001 -f json").stdout)["group"] == "G-4410"
    payers = json.loads(run("bill payers -f json").stdout)
    assert payers == [
        {
            "payer": "Blue Harbor PPO",
            "payer_id": "BHP01",
            "plan_type": "ppo",
            "patients": 2,
            "open_claims": 0,
        }
    ]
    actions = [
        row["action"] for row in json.loads(run("audit list --patient P000002 -f json").stdout)
    ]
    assert actions == ["patient.add", "bill.coverage", "bill.coverage.view"]


def test_coverage_mistakes_are_refused(run, db_path):
    run('patient add "Ana García" --dob 1984-03-02')
    run('patient add "Leo García" --dob 2015-07-09')
    run('bill coverage P000001 --payer "Blue Harbor PPO" --payer-id BHP01 --member-id X1')
    refused(
        run,
        db_path,
        "bill coverage P000002 --payer Acme --member-id X2",
        "'Acme' is a new payer: give its electronic payer id with --payer-id",
    )
    refused(
        run,
        db_path,
        'bill coverage P000002 --payer "Blue Harbor PPO"',
        "give the member id from the insurance card",
    )
    refused(run, db_path, "bill coverage P000002 --member-id X2", "P000002 has no insurance yet")
    refused(
        run,
        db_path,
        "bill coverage P000001 --relation spouse",
        "give the subscriber's name with --subscriber-name",
    )
    refused(
        run,
        db_path,
        "bill coverage P000001 --member-id 'X*1'",
        "member id 'X*1' must be 1-80 letters or digits",
    )
    refused(run, db_path, "bill coverage P000002", "P000002 has no insurance on file")
    refused(
        run,
        db_path,
        "bill coverage P000001 --relation cousin",
        "Invalid value for '--relation'",
        code=2,
    )


def test_from_a_finished_visit_to_a_paid_claim(run, clinic, tmp_path, db_path):
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"])
    result = run(f"bill code {appointment} --dx J02.9,R50.9 --line 99213:25@1,2 --line 87880@A")
    assert (
        result.stdout
        == f"Coded appointment {appointment} as draft claim C1: 2 diagnoses, 2 lines, 113.50.\n"
    )
    assert (
        run(f"bill claim {appointment}").stdout == "Claim C1 is ready: 113.50 to Blue Harbor PPO.\n"
    )
    shown = json.loads(run(f"bill show {appointment} -f json").stdout)
    assert (shown["claim"], shown["status"], shown["balance"]) == ("C1", "ready", "113.50")
    assert [line["pointers"] for line in shown["lines"]] == ["1:2", "1"]
    assert [d["code"] for d in shown["diagnoses"]] == ["J02.9", "R50.9"]
    table = run("bill show C1").stdout
    assert "Diagnoses:" in table and "Rapid strep test in office" in table

    batch = tmp_path / "batch.837"
    result = run(f"bill export --x12 -o {batch}")
    assert (
        result.stdout == f"Wrote 1 claim to {batch} (interchange 000000001); it is now submitted.\n"
    )
    assert stat.S_IMODE(os.stat(batch).st_mode) == 0o600
    assert batch.read_text().startswith("ISA*00*")

    assert run("bill pay C1 80.00 --adjust 20.00 --reason CO-45 --date 2026-11-25").stdout == (
        "Claim C1 is partial: balance 13.50.\n"
    )
    aging = json.loads(run("bill aging --by payer -f json").stdout)
    assert aging == [
        {
            "payer": "Blue Harbor PPO",
            "claims": 1,
            "days_0_30": "13.50",
            "days_31_60": "0.00",
            "days_61_90": "0.00",
            "days_over_90": "0.00",
            "total": "13.50",
        }
    ]
    assert run("bill pay C1 13.50").stdout == "Claim C1 is paid: balance 0.00.\n"
    assert run("bill aging").stdout == "Nothing is owed.\n"
    listed = list(csv.DictReader(io.StringIO(run("bill list --status paid -f csv").stdout)))
    assert [(r["claim"], r["paid"], r["adjusted"], r["balance"]) for r in listed] == [
        ("C1", "93.50", "20.00", "0.00")
    ]
    history = [h["status"] for h in json.loads(run("bill show C1 -f json").stdout)["history"]]
    assert history == ["draft", "ready", "submitted", "partial", "paid"]


def test_denial_and_correction_through_the_cli(run, clinic, tmp_path, db_path):
    claim = claimed(clinic)
    run(f"bill export --x12 --claims C{claim} -o {tmp_path / 'one.837'}")
    result = run(
        f'bill deny C{claim} --reason "CO-16 missing information" --payer-claim 2026330000123'
    )
    assert (
        result.stdout
        == f"Claim C{claim} is denied; start a correction with: macli bill correct C{claim}\n"
    )
    result = run(f"bill correct C{claim}")
    assert result.stdout.startswith("Claim C2 (version 2) is a draft correcting C1")
    run("bill code 1 --dx J02.9 --line 99214")
    run("bill claim 1")
    assert [r["claim"] for r in json.loads(run("bill list -f json").stdout)] == ["C2"]
    every = json.loads(run("bill list --all-versions -f json").stdout)
    assert [(r["claim"], r["version"], r["status"]) for r in every] == [
        ("C1", 1, "denied"),
        ("C2", 2, "ready"),
    ]
    run(f"bill export --x12 --ready -o {tmp_path / 'two.837'}")
    text = (tmp_path / "two.837").read_text()
    assert "CLM*C2*140***11:B:7*Y*A*Y*Y~" in text and "REF*F8*2026330000123~" in text


def test_command_mistakes_are_refused_with_one_error_line(run, clinic, tmp_path, db_path):
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"])
    cancelled = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"], status="cancelled")
    run("bill list")
    refused(
        run,
        db_path,
        f"bill code {appointment} --dx J02.9 --line 99999",
        "99999 is not in the fee schedule",
    )
    refused(
        run,
        db_path,
        f"bill code {appointment} --dx J02.9 --line 99213x0",
        "units must be a positive whole number",
    )
    refused(
        run,
        db_path,
        f"bill code {appointment} --dx J02.9,R50.9 --line 99213@3",
        "pointer 3 points past the 2 diagnoses",
    )
    refused(run, db_path, f"bill code {cancelled} --dx J02.9 --line 99213", "marked cancelled")
    refused(run, db_path, f"bill claim {appointment}", "has not been coded")
    refused(run, db_path, "bill show C9", "no claim C9")
    refused(run, db_path, "bill show 99", "no appointment with id 99")
    refused(run, db_path, "bill pay C9 10", "no claim C9")
    refused(run, db_path, "bill pay X9 10", "'X9' is not a claim id")
    refused(run, db_path, "bill aging --as-of 2026-13-01", "cannot read date '2026-13-01'")
    refused(
        run, db_path, f"bill export --x12 -o {tmp_path / 'b.837'}", "no claims are ready to send"
    )
    refused(run, db_path, "bill export --x12", "an X12 batch needs a file: -o FILE", code=2)
    refused(
        run,
        db_path,
        "bill export --claims C1 --ready",
        "give --claims, or --ready/--status, not both",
        code=2,
    )
    refused(run, db_path, "bill list --status lost", "Invalid value for '--status'", code=2)
    refused(run, db_path, "bill deny C1", "Missing option '--reason'", code=2)


def test_listings_keep_their_columns_when_empty_and_exports_are_private(run, clinic, tmp_path):
    assert run("bill list -f csv").stdout == (
        "claim,appointment,version,service_date,mrn,patient,provider,payer,status,charges,paid,adjusted,balance\n"
    )
    assert run("bill aging --by patient -f csv").stdout == (
        "mrn,patient,claims,days_0_30,days_31_60,days_61_90,days_over_90,total\n"
    )
    claimed(clinic, dx=("J02.9", "R50.9"), lines=("99213:25@1,2", "87880@1"))
    out = tmp_path / "claims.csv"
    result = run(f"bill export -f csv -o {out}")
    assert result.stderr == f"Wrote 1 claim to {out}.\n"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    rows = list(csv.DictReader(out.open()))
    assert (rows[0]["diagnoses"], rows[0]["lines"], rows[0]["status"]) == (
        "J02.9 R50.9",
        "99213:25x1@1,2 87880:QWx1@1",
        "ready",
    )
    audit = json.loads(run("audit list -f json").stdout)
    assert audit[-1]["action"] == "bill.export" and audit[-1]["mrn"] == "P000001"


def test_the_installed_command_reports_aging_for_a_cron_job(clinic, db_path):
    claimed(clinic)
    env = {**os.environ, "MACLI_DB": str(db_path)}
    macli = os.path.join(os.path.dirname(sys.executable), "macli")
    done = subprocess.run(
        [macli, "bill", "aging", "--as-of", "2026-12-31", "-f", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["days_31_60"] == "95.00"


def test_diagnoses_default_to_the_active_problems_once_confirmed(run, clinic, db_path):
    from macli.chart import core as chart

    for code in ("I10", "E78.5"):
        chart.add_problem(clinic.store, "P000001", code, user="tester", now=NOW, today=TODAY)
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"])
    declined = run(f"bill code {appointment} --line 99214@1,2", input="n\n", expect=1)
    assert "  1. I10  Essential (primary) hypertension" in declined.stderr
    assert (
        "Error: not coded: confirm the problems, or give the diagnoses with --dx" in declined.stderr
    )
    assert run(f"bill show {appointment}", expect=1).stderr.startswith(
        f"Error: appointment {appointment} has not been coded yet"
    )
    run(f"bill code {appointment} --line 99214@1,2", input="", expect=1)  # no answer: no
    result = run(f"bill code {appointment} --line 99214@1,2", input="y\n")
    assert result.stdout.endswith("draft claim C1: 2 diagnoses, 1 line, 140.00.\n")
    shown = json.loads(run("bill show C1 -f json").stdout)
    assert [d["code"] for d in shown["diagnoses"]] == ["I10", "E78.5"]
    run(f"bill code {appointment} --line 99213@2 --yes")  # scripts skip the question
    assert [d["code"] for d in json.loads(run("bill show C1 -f json").stdout)["diagnoses"]] == [
        "I10",
        "E78.5",
    ]
    audit = json.loads(run("audit list --patient P000001 -f json").stdout)
    # Each reading of the problem list is a view of the chart, declined or not.
    assert [row["detail"] for row in audit if row["action"] == "chart.view"] == ["problems"] * 4


def test_a_patient_without_problems_needs_dx(run, clinic, db_path):
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"])
    run("bill list")
    before = dump(db_path)
    result = run(f"bill code {appointment} --line 99213", expect=1)
    assert result.stderr == (
        "Error: P000001 has no active problems on the chart: give the visit's diagnoses with --dx\n"
    )
    assert dump(db_path) == before
