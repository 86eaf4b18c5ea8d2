"""The demo's billing: fees, coverage and, when the demo has visits, claims in every state."""

from __future__ import annotations

import json
import random
from datetime import timedelta

from macli import settings
from macli.bill import batch
from macli.bill import demo as bill_demo
from macli.demo import DemoContext
from macli.identifiers import check_npi
from macli.patients import demo as patients_demo
from tests.bill.helpers import NOW, TODAY, ZONE, visit
from tests.bill.test_x12 import validate


def test_the_demo_has_a_fee_schedule_payers_and_coverage(run, demo_db):
    fees = json.loads(run("bill fees list -f json").stdout)
    assert len(fees) == len(bill_demo.FEE_SCHEDULE)
    payers = json.loads(run("bill payers -f json").stdout)
    assert {p["payer"] for p in payers} == {name for name, _, _ in bill_demo.PAYERS}
    assert all(p["patients"] > 10 for p in payers)
    # The demo's schedule has a year of completed visits: some became claims in every state.
    claims = json.loads(run("bill list -f json").stdout)
    assert {"draft", "ready", "submitted", "paid", "denied"} <= {c["status"] for c in claims}


def test_made_up_npis_carry_a_valid_check_digit():
    rng = random.Random(7)
    for _ in range(50):
        value = bill_demo.npi(rng)
        assert check_npi(value) == value


def test_demo_visits_become_claims_in_every_state_and_export_cleanly(store, tmp_path):
    context = DemoContext(store=store, rng=random.Random(2026), now=NOW, zone=ZONE, today=TODAY)
    settings.put(store, "clinic.phone", "(617) 555-0100", user="demo", now=NOW)  # set by build()
    with store.write():
        patients_demo.populate(context)
    insured = [
        row["patient_id"]
        for row in store.query(
            "SELECT id AS patient_id FROM patients WHERE insurance != 'Self-pay'"
        )
    ]
    # Two visits a day for the four weeks before today (the demo bills three).
    for number in range(56):
        starts = (NOW - timedelta(days=number // 2 + 1)).strftime(f"%Y-%m-%dT1{number % 2}:00:00Z")
        visit(store, insured[number], 1 + number % 3, starts=starts)
    with store.write():
        bill_demo.populate(context)
    statuses = {
        row["status"]: row["n"]
        for row in store.query("SELECT status, COUNT(*) AS n FROM bill_claims GROUP BY status")
    }
    assert set(statuses) == {"draft", "ready", "submitted", "partial", "paid", "denied"}
    balance = store.one(
        "SELECT SUM(charge_cents) AS charges,"
        " (SELECT SUM(amount_cents) FROM bill_payments) AS settled FROM bill_claims"
        " WHERE status != 'draft'"
    )
    assert 0 < balance["settled"] < balance["charges"]
    path = tmp_path / "demo.837"
    result = batch.export(store, path, user="tester", now=NOW, tz=ZONE)
    assert result["claims"] == statuses["ready"]
    ok, errors, _ = validate(path)
    assert (ok, errors) == (True, [])
