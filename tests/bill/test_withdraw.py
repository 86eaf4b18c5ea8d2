"""A completed, claimed visit stays completed; a claim never sent can be withdrawn; a
batch sends the claims that can go (issue 21 item 1)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from macli.bill import claims, payments, superbill
from macli.errors import Conflict, Invalid
from macli.patients import core as patients
from macli.schedule import core as schedule
from tests.bill.helpers import NOW, TODAY, USER, ZONE, claimed, coded, send, submitted, visit


def set_status(clinic, appointment, status, reason=None):
    return schedule.set_status(
        clinic.store, appointment, status, reason=reason, tz=ZONE, user=USER, now=NOW
    )


def test_a_claimed_completed_visit_cannot_be_moved_back(clinic):
    claim = claims.get(clinic.store, claimed(clinic))
    appointment = claim["appointment_id"]
    for status in ("arrived", "scheduled", "no-show"):
        with pytest.raises(Invalid, match="is completed; correcting it needs a reason"):
            set_status(clinic, appointment, status)
        with pytest.raises(Conflict, match="a claim stands on this completed visit: withdraw"):
            set_status(clinic, appointment, status, reason="wrong visit")
    assert schedule.get(clinic.store, appointment)["status"] == "completed"
    # The store itself refuses, whatever code runs against it.
    with pytest.raises(sqlite3.IntegrityError, match="a claim stands on this completed visit"):
        clinic.store.conn.execute(
            "UPDATE appointments SET status = 'no-show' WHERE id = ?", [appointment]
        )


def test_a_withdrawn_claim_frees_the_visit_for_a_correction(clinic):
    claim = claims.get(clinic.store, claimed(clinic))
    appointment = claim["appointment_id"]
    with pytest.raises(Invalid, match="say why"):
        claims.withdraw(clinic.store, f"C{claim['id']}", " ", user=USER, now=NOW)
    withdrawn = claims.withdraw(
        clinic.store, f"C{claim['id']}", "completed by mistake", user=USER, now=NOW
    )
    assert withdrawn["status"] == "withdrawn"
    events = clinic.store.query(
        "SELECT status, note FROM bill_claim_events WHERE claim_id = ? ORDER BY id", [claim["id"]]
    )
    assert events[-1] == {"status": "withdrawn", "note": "completed by mistake"}
    row = set_status(clinic, appointment, "arrived", reason="completed on the wrong visit")
    assert row["status"] == "arrived"
    [correction] = clinic.store.query(
        "SELECT from_status, to_status, reason, user FROM appointment_corrections"
    )
    assert correction == {
        "from_status": "completed",
        "to_status": "arrived",
        "reason": "completed on the wrong visit",
        "user": USER,
    }
    # Coded again, the visit gets the claim's next version.
    set_status(clinic, appointment, "completed")
    superbill.code_visit(
        clinic.store, appointment, ["J02.9"], ["99213"], user=USER, now=NOW, tz=ZONE
    )
    again = superbill.current_claim(clinic.store, appointment)
    assert (again["status"], again["version"]) == ("draft", 2)


def test_only_a_claim_never_sent_can_be_withdrawn(clinic, tmp_path):
    sent = submitted(clinic, tmp_path)
    with pytest.raises(Conflict, match="only a draft or ready claim"):
        claims.withdraw(clinic.store, f"C{sent}", "oops", user=USER, now=NOW)
    draft = superbill.current_claim(clinic.store, coded(clinic, starts="2026-11-21T15:00:00Z"))
    assert (
        claims.withdraw(clinic.store, f"C{draft['id']}", "x", user=USER, now=NOW)["status"]
        == "withdrawn"
    )
    with pytest.raises(Conflict, match="is withdrawn"):
        claims.withdraw(clinic.store, f"C{draft['id']}", "again", user=USER, now=NOW)


def test_a_withdrawn_claim_is_not_owed(clinic):
    claim = claimed(clinic)
    assert payments.aging(clinic.store, as_of=TODAY, user=USER, now=NOW)
    claims.withdraw(clinic.store, f"C{claim}", "not billable", user=USER, now=NOW)
    assert payments.aging(clinic.store, as_of=TODAY, user=USER, now=NOW) == []


def test_status_changes_follow_the_visit(clinic):
    appointment = visit(
        clinic.store, clinic.ana["id"], clinic.doctor["id"], "2026-11-26T13:00:00Z", "scheduled"
    )
    set_status(clinic, appointment, "arrived")
    with pytest.raises(Invalid, match="is arrived: it can go to in-room, .* not no-show"):
        set_status(clinic, appointment, "no-show")
    set_status(clinic, appointment, "scheduled")  # a mistaken check-in undone
    later = NOW + timedelta(hours=1)
    schedule.set_status(clinic.store, appointment, "no-show", tz=ZONE, user=USER, now=later)
    # The patient turns up late after all.
    assert set_status(clinic, appointment, "arrived")["status"] == "arrived"


def test_a_batch_sends_the_claims_that_can_go_and_lists_the_rest(clinic, tmp_path):
    good = claimed(clinic)
    held = claimed(clinic, patient=clinic.leo, starts="2026-11-21T15:00:00Z")
    patients.edit(
        clinic.store,
        clinic.leo["mrn"],
        {"address": ""},
        region="US",
        user=USER,
        now=NOW,
        today=TODAY,
    )
    with pytest.raises(Invalid, match=f"nothing was exported: C{held}: P000002's address"):
        send(clinic, tmp_path / "strict.837", all_or_nothing=True)
    assert not (tmp_path / "strict.837").exists()
    result = send(clinic, tmp_path / "batch.837")
    assert result["claims"] == 1
    [kept] = result["held"]
    assert kept["claim"] == f"C{held}"
    assert any("address is missing" in problem for problem in kept["problems"])
    assert claims.get(clinic.store, good)["status"] == "submitted"
    assert claims.get(clinic.store, held)["status"] == "ready"


def test_cli_withdraw_and_partial_batch(clinic, run, tmp_path):
    good = claimed(clinic)
    held = claimed(clinic, patient=clinic.leo, starts="2026-11-21T15:00:00Z")
    appointment = claims.get(clinic.store, held)["appointment_id"]
    refused = run(f"schedule status {appointment} arrived --reason 'wrong visit'", expect=1)
    assert "withdraw it first (macli bill withdraw CLAIM --reason ...)" in refused.stderr
    assert run(f"bill withdraw C{held}", expect=2).exit_code == 2  # --reason is required
    done = run(f"bill withdraw C{held} --reason 'completed by mistake'")
    assert done.stdout == f"Claim C{held} is withdrawn; appointment {appointment} is free.\n"
    run(f"schedule status {appointment} arrived --reason 'wrong visit'")
    out = tmp_path / "batch.837"
    sent = run(f"bill export --x12 -o {out}")
    assert sent.stdout.startswith(f"Wrote 1 claim to {out} (interchange ")
    assert sent.stdout.endswith("it is now submitted.\n")
    assert claims.get(clinic.store, good)["status"] == "submitted"


def test_cli_lists_the_claims_held_back(clinic, run, tmp_path):
    claimed(clinic)
    held = claimed(clinic, patient=clinic.leo, starts="2026-11-21T15:00:00Z")
    patients.edit(
        clinic.store,
        clinic.leo["mrn"],
        {"address": ""},
        region="US",
        user=USER,
        now=NOW,
        today=TODAY,
    )
    strict = run(f"bill export --x12 --all-or-nothing -o {tmp_path / 'a.837'}", expect=1)
    assert strict.stderr.startswith("Error: nothing was exported: ")
    sent = run(f"bill export --x12 -o {tmp_path / 'b.837'}")
    assert sent.stdout.startswith("Wrote 1 claim to ")
    assert sent.stderr.startswith(f"Held back 1 (not sent):\n  C{held}: P000002's")
