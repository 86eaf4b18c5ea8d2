"""Payments, adjustments, balances, denials and aging buckets on their boundaries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from macli.bill import claims, payments, views
from macli.errors import Conflict, Invalid
from tests.bill.helpers import NOW, TODAY, USER, ZONE, claimed, coded, send, submitted
from tests.conftest import dump


def pay(clinic, claim, amount, received_on=TODAY, **kwargs):
    return payments.pay(
        clinic.store,
        f"C{claim}",
        amount,
        received_on=received_on,
        user=USER,
        now=NOW,
        today=TODAY,
        **kwargs,
    )


def test_payments_and_adjustments_bring_the_balance_to_zero(clinic, tmp_path):
    claim = submitted(clinic, tmp_path, lines=("99214", "96372x2"))  # 140.00 + 60.00
    row = pay(clinic, claim, "120.00", adjust="50.00", reason="co45")
    assert (row["status"], row["paid_cents"], row["adjusted_cents"], row["balance_cents"]) == (
        "partial",
        12000,
        5000,
        3000,
    )
    row = pay(clinic, claim, "$30")
    assert (row["status"], row["balance_cents"]) == ("paid", 0)
    payments = clinic.store.query(
        "SELECT kind, amount_cents, reason FROM bill_payments WHERE claim_id = ? ORDER BY id",
        [claim],
    )
    assert payments == [
        {"kind": "payment", "amount_cents": 12000, "reason": None},
        {"kind": "adjustment", "amount_cents": 5000, "reason": "CO-45"},
        {"kind": "payment", "amount_cents": 3000, "reason": None},
    ]
    assert [
        e["status"] for e in clinic.store.query("SELECT status FROM bill_claim_events ORDER BY id")
    ][-2:] == [
        "partial",
        "paid",
    ]


def test_an_adjustment_alone_can_close_a_claim(clinic, tmp_path):
    claim = submitted(clinic, tmp_path)
    row = pay(clinic, claim, "0", adjust="95.00", reason="PR-1")
    assert (row["status"], row["balance_cents"], row["paid_cents"]) == ("paid", 0, 0)


def test_payment_mistakes_are_refused_and_nothing_is_written(clinic, tmp_path, db_path):
    claim = submitted(clinic, tmp_path)  # 95.00 owed
    ready_claim = claimed(clinic, starts="2026-11-21T14:00:00Z")
    before = dump(db_path)
    cases = [
        ((claim, "95.01"), {}, Invalid, "95.01 is more than the 95.00 still owed"),
        (
            (claim, "90"),
            {"adjust": "10", "reason": "CO-45"},
            Invalid,
            "100.00 is more than the 95.00",
        ),
        ((claim, "-5"), {}, Invalid, "cannot be negative"),
        ((claim, "0"), {}, Invalid, "nothing to record"),
        ((claim, "ten"), {}, Invalid, "cannot read amount 'ten'"),
        (
            (claim, "5"),
            {"adjust": "5"},
            Invalid,
            "give the reason for the adjustment with --reason",
        ),
        ((claim, "5"), {"reason": "CO-45"}, Invalid, "--reason explains an adjustment"),
        (
            (claim, "5"),
            {"adjust": "5", "reason": "because"},
            Invalid,
            "cannot read adjustment reason",
        ),
        ((claim, "5"), {"adjust": "0", "reason": "CO-45"}, Invalid, "--adjust 0 adjusts nothing"),
        ((claim, "5"), {"received_on": TODAY + timedelta(days=1)}, Invalid, "is in the future"),
        (
            (claim, "5"),
            {"received_on": date(2026, 11, 19)},
            Invalid,
            "before the visit on 2026-11-20",
        ),
        ((ready_claim, "5"), {}, Conflict, "it has not been sent yet"),
        ((77, "5"), {}, Exception, "no claim C77"),
    ]
    for (number, amount), options, error, message in cases:
        with pytest.raises(error) as raised:
            pay(clinic, number, amount, **options)
        assert message in raised.value.message, message
    assert dump(db_path) == before


def test_a_paid_or_denied_claim_takes_no_more_payments(clinic, tmp_path):
    paid = submitted(clinic, tmp_path)
    pay(clinic, paid, "95")
    with pytest.raises(Conflict, match="it is paid in full"):
        pay(clinic, paid, "1")
    denied = submitted(clinic, tmp_path, starts="2026-11-21T14:00:00Z")
    payments.deny(clinic.store, f"C{denied}", "CO-29 time limit", user=USER, now=NOW)
    with pytest.raises(
        Conflict, match=f"it was denied \\(correct it: macli bill correct C{denied}\\)"
    ):
        pay(clinic, denied, "1")


def test_only_a_submitted_claim_is_denied(clinic, tmp_path, db_path):
    ready_claim = claimed(clinic)
    partial = submitted(clinic, tmp_path, starts="2026-11-21T14:00:00Z")
    pay(clinic, partial, "10")
    before = dump(db_path)
    with pytest.raises(Conflict, match="is ready: only a submitted claim"):
        payments.deny(clinic.store, f"C{ready_claim}", "CO-16", user=USER, now=NOW)
    with pytest.raises(Conflict, match="is partial: only a submitted claim"):
        payments.deny(clinic.store, f"C{partial}", "CO-16", user=USER, now=NOW)
    with pytest.raises(Invalid, match="give the payer's reason"):
        payments.deny(clinic.store, f"C{partial}", "  ", user=USER, now=NOW)
    assert dump(db_path) == before


def test_balance_is_charges_less_payments_and_adjustments_everywhere(clinic, tmp_path):
    claim = submitted(clinic, tmp_path, lines=("99214", "87880"))  # 158.50
    pay(clinic, claim, "100.25", adjust="20.10", reason="CO-45")
    row = claims.get(clinic.store, claim)
    assert row["balance_cents"] == 15850 - 10025 - 2010 == 3815
    listed = views.listing(clinic.store, user=USER, now=NOW)[0]
    assert (listed["charges"], listed["paid"], listed["adjusted"], listed["balance"]) == (
        "158.50",
        "100.25",
        "20.10",
        "38.15",
    )
    aged = payments.aging(clinic.store, as_of=TODAY, user=USER, now=NOW)
    assert aged[0]["total"] == "38.15"


def _service_day(as_of: date, age: int) -> str:
    day = as_of - timedelta(days=age)
    return f"{day.isoformat()}T15:00:00Z"


def test_aging_buckets_on_their_boundaries(clinic, tmp_path):
    as_of = date(2026, 11, 25)
    ages = [0, 30, 31, 60, 61, 90, 91, 400]
    for age in ages:
        claimed(clinic, starts=_service_day(as_of, age))
    send(clinic, tmp_path / "batch.837")
    rows = payments.aging(clinic.store, as_of=as_of, user=USER, now=NOW)
    # 95.00 each: ages 0 and 30 | 31 and 60 | 61 and 90 | 91 and 400.
    assert rows == [
        {
            "total_of": "all",
            "claims": 8,
            "days_0_30": "190.00",
            "days_31_60": "190.00",
            "days_61_90": "190.00",
            "days_over_90": "190.00",
            "total": "760.00",
        }
    ]
    # A day later every boundary claim has moved one bucket on.
    later = payments.aging(clinic.store, as_of=as_of + timedelta(days=1), user=USER, now=NOW)[0]
    assert (
        later["days_0_30"],
        later["days_31_60"],
        later["days_61_90"],
        later["days_over_90"],
    ) == (
        "95.00",
        "190.00",
        "190.00",
        "285.00",
    )


def test_aging_as_of_an_earlier_date_ignores_later_visits_and_payments(clinic, tmp_path):
    first = submitted(clinic, tmp_path, starts="2026-10-01T15:00:00Z")
    submitted(clinic, tmp_path, starts="2026-11-20T15:00:00Z")
    pay(clinic, first, "95", received_on=date(2026, 11, 10))
    before_payment = payments.aging(clinic.store, as_of=date(2026, 11, 9), user=USER, now=NOW)[0]
    assert (before_payment["claims"], before_payment["days_31_60"], before_payment["total"]) == (
        1,
        "95.00",
        "95.00",
    )
    after = payments.aging(clinic.store, as_of=TODAY, user=USER, now=NOW)[0]
    assert (after["claims"], after["days_0_30"], after["total"]) == (1, "95.00", "95.00")


def test_aging_by_payer_and_by_patient(clinic, tmp_path):
    submitted(clinic, tmp_path)
    submitted(clinic, tmp_path, patient=clinic.leo, starts="2026-09-01T15:00:00Z")
    claimed(clinic, starts="2026-11-21T15:00:00Z")  # ready, not yet sent: still owed
    coded(clinic, starts="2026-11-22T15:00:00Z")  # a draft is not a charge yet
    by_payer = payments.aging(clinic.store, as_of=TODAY, by="payer", user=USER, now=NOW)
    assert [
        (r["payer"], r["claims"], r["days_0_30"], r["days_61_90"], r["total"]) for r in by_payer
    ] == [("Blue Harbor PPO", 3, "190.00", "95.00", "285.00")]
    by_patient = payments.aging(clinic.store, as_of=TODAY, by="patient", user=USER, now=NOW)
    assert [(r["mrn"], r["patient"], r["claims"], r["total"]) for r in by_patient] == [
        ("P000001", "Ana García", 2, "190.00"),
        ("P000002", "Leo García", 1, "95.00"),
    ]
    assert clinic.store.one("SELECT action, detail FROM audit ORDER BY id DESC LIMIT 1") == {
        "action": "bill.aging",
        "detail": "by=patient rows=2",
    }


def test_a_denied_claim_stays_owed_until_its_correction_leaves_draft(clinic, tmp_path):
    first = submitted(clinic, tmp_path)
    payments.deny(clinic.store, f"C{first}", "CO-16", user=USER, now=NOW)
    claims.correct(clinic.store, f"C{first}", user=USER, now=NOW)
    aged = payments.aging(clinic.store, as_of=TODAY, user=USER, now=NOW)
    assert (aged[0]["claims"], aged[0]["total"]) == (1, "95.00")
    appointment = claims.get(clinic.store, first)["appointment_id"]
    claims.make_ready(clinic.store, appointment, user=USER, now=NOW, tz=ZONE)
    aged = payments.aging(clinic.store, as_of=TODAY, user=USER, now=NOW)
    assert (aged[0]["claims"], aged[0]["total"]) == (1, "95.00")
    assert payments.aging(clinic.store, as_of=date(2026, 11, 19), user=USER, now=NOW) == []
