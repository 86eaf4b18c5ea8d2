"""A claim's status changes in one place: bill.status.transition checks the move and
writes its event, for every command that moves a claim."""

from __future__ import annotations

from datetime import timedelta

import pytest

from macli.bill import status
from macli.errors import Conflict
from tests.bill.helpers import NOW, USER, claimed, coded


def claim_row(store, claim_id):
    return store.one("SELECT id, status, status_at FROM bill_claims WHERE id = ?", [claim_id])


def events(store, claim_id):
    return store.query(
        "SELECT status, note FROM bill_claim_events WHERE claim_id = ? ORDER BY id", [claim_id]
    )


def test_every_status_has_its_moves_and_only_known_statuses_appear():
    from macli.bill.schema import STATUSES

    assert set(status.MOVES) == set(STATUSES)
    assert {to for moves in status.MOVES.values() for to in moves} <= set(STATUSES)


def test_a_move_not_allowed_is_refused_and_writes_nothing(clinic):
    store = clinic.store
    claim_id = claimed(clinic)
    before = (claim_row(store, claim_id), events(store, claim_id))
    for to in ("draft", "paid", "denied", "partial"):
        with pytest.raises(Conflict, match=f"is ready: it cannot become {to}"):
            with store.write():
                status.transition(store, claim_row(store, claim_id), to, "x", user=USER, now=NOW)
    assert (claim_row(store, claim_id), events(store, claim_id)) == before


def test_a_move_sets_status_time_and_extra_columns_and_records_the_event(clinic):
    store = clinic.store
    claim_id = claimed(clinic)
    later = NOW + timedelta(hours=2)
    with store.write():
        status.transition(
            store,
            claim_row(store, claim_id),
            "submitted",
            "by hand",
            user="ana",
            now=later,
            changes={"payer_claim_number": "PCN-1"},
        )
    row = store.one(
        "SELECT status, status_at, payer_claim_number FROM bill_claims WHERE id = ?", [claim_id]
    )
    assert row == {
        "status": "submitted",
        "status_at": "2026-11-26T16:00:00Z",
        "payer_claim_number": "PCN-1",
    }
    assert events(store, claim_id)[-1] == {"status": "submitted", "note": "by hand"}


def test_a_recoded_draft_keeps_the_time_it_became_a_draft(clinic):
    store = clinic.store
    appointment = coded(clinic)
    claim = store.one(
        "SELECT id, status, status_at FROM bill_claims WHERE appointment_id = ?", [appointment]
    )
    with store.write():
        status.transition(store, claim, "draft", "recoded", user=USER, now=NOW + timedelta(days=1))
    assert claim_row(store, claim["id"]) == claim
    assert [e["note"] for e in events(store, claim["id"])] == ["coded", "recoded"]
