"""What happens after a claim is sent: payments, adjustments, denials, and the aging of
what is still owed."""

from __future__ import annotations

import re
from datetime import date, datetime

from macli import audit
from macli.bill import claims
from macli.bill.status import transition
from macli.errors import Conflict, Invalid
from macli.money import cents_text, parse_amount
from macli.store import Store
from macli.when import utc_text

# Claim adjustment reason codes: a group (CO, PR, OA, PI, CR) and the reason, e.g. CO-45.
_REASON = re.compile(r"^(CO|PR|OA|PI|CR)-?([A-Z]?\d{1,3}|[A-Z]\d?)$")
BUCKETS = ("days_0_30", "days_31_60", "days_61_90", "days_over_90")
AGING_BY = ("payer", "patient")


def adjustment_reason(text: str) -> str:
    value = text.strip().upper().replace(" ", "")
    match = _REASON.match(value)
    if not match:
        raise Invalid(
            f"cannot read adjustment reason {text!r}: use a group and a reason code, "
            "e.g. CO-45 (contractual), PR-1 (deductible), PR-2 (coinsurance), PR-3 (copay)"
        )
    return f"{match[1]}-{match[2]}"


def pay(
    store: Store,
    reference: str,
    amount: str,
    *,
    adjust: str | None = None,
    reason: str | None = None,
    received_on: date,
    user: str,
    now: datetime,
    today: date,
) -> dict:
    """Record a payment (and an adjustment) on a sent claim; paid when nothing is left."""
    paid = parse_amount(amount)
    adjusted = parse_amount(adjust) if adjust is not None else 0
    if paid < 0 or adjusted < 0:
        raise Invalid("amounts are positive: a payment or adjustment cannot be negative")
    if adjust is not None and adjusted == 0:
        raise Invalid("--adjust 0 adjusts nothing: leave it out")
    if paid == 0 and adjusted == 0:
        raise Invalid("nothing to record: the payment is 0.00 and there is no --adjust")
    if adjusted and not reason:
        raise Invalid("give the reason for the adjustment with --reason (e.g. CO-45)")
    if reason and not adjusted:
        raise Invalid("--reason explains an adjustment: give --adjust AMOUNT too")
    code = adjustment_reason(reason) if reason else None
    if received_on > today:
        raise Invalid(f"the payment date {received_on} is in the future")
    with store.write():
        claim = claims.get(store, reference)
        label = f"C{claim['id']}"
        if claim["status"] not in ("submitted", "partial"):
            hint = {
                "draft": "it has not been claimed yet",
                "ready": "it has not been sent yet (macli bill export --x12)",
                "paid": "it is paid in full",
                "denied": f"it was denied (correct it: macli bill correct {label})",
                "withdrawn": "it was withdrawn",
            }[claim["status"]]
            raise Conflict(f"cannot record a payment on claim {label}: {hint}")
        if received_on.isoformat() < claim["service_date"]:
            raise Invalid(
                f"the payment date {received_on} is before the visit on {claim['service_date']}"
            )
        balance = claim["balance_cents"] - paid - adjusted
        if balance < 0:
            raise Invalid(
                f"{cents_text(paid + adjusted)} is more than the {cents_text(claim['balance_cents'])} "
                f"still owed on claim {label}; check the amounts"
            )
        stamp = utc_text(now)
        for kind, cents, why in (("payment", paid, None), ("adjustment", adjusted, code)):
            if cents:
                store.insert(
                    "bill_payments",
                    {
                        "claim_id": claim["id"],
                        "kind": kind,
                        "amount_cents": cents,
                        "reason": why,
                        "received_on": received_on.isoformat(),
                        "at": stamp,
                        "user": user,
                    },
                )
        note = f"payment {cents_text(paid)}" + (
            f", adjustment {cents_text(adjusted)} {code}" if adjusted else ""
        )
        status = "paid" if balance == 0 else "partial"
        transition(store, claim, status, note, user=user, now=now)
        audit.record(
            store,
            user=user,
            action="bill.pay",
            now=now,
            patient_id=claim["patient_id"],
            detail=f"claim {label}",
        )
    return claims.get(store, claim["id"])


def deny(
    store: Store,
    reference: str,
    reason: str,
    *,
    payer_claim_number: str | None = None,
    user: str,
    now: datetime,
) -> dict:
    """Record the payer's denial of a sent claim, with its reason."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid("give the payer's reason for the denial with --reason")
    if payer_claim_number is not None:
        from macli.bill.coverage import identifier

        payer_claim_number = identifier(payer_claim_number, "payer claim number")
    with store.write():
        claim = claims.get(store, reference)
        if claim["status"] != "submitted":
            raise Conflict(
                f"claim C{claim['id']} is {claim['status']}: only a submitted claim "
                "that has no payment yet can be denied"
            )
        number = {"payer_claim_number": payer_claim_number} if payer_claim_number else None
        transition(store, claim, "denied", reason, user=user, now=now, changes=number)
        audit.record(
            store,
            user=user,
            action="bill.deny",
            now=now,
            patient_id=claim["patient_id"],
            detail=f"claim C{claim['id']}",
        )
    return claims.get(store, claim["id"])


def aging(
    store: Store, *, as_of: date, by: str | None = None, user: str, now: datetime
) -> list[dict]:
    """What is owed as of a date, in buckets by days since the date of service.

    A claim counts once it has left draft, until a corrected version that has left draft
    replaces it; payments count from the day they were received.
    """
    if by is not None and by not in AGING_BY:
        raise Invalid(f"--by must be one of {', '.join(AGING_BY)}")
    key = {
        None: "'all' AS total_of",
        "payer": "COALESCE(c.payer_name, '(none)') AS payer",
        "patient": "p.mrn, p.name AS patient",
    }[by]
    group = {None: "", "payer": "GROUP BY 1", "patient": "GROUP BY p.id"}[by]
    order = {None: "", "payer": "ORDER BY 1", "patient": "ORDER BY p.search_name, p.id"}[by]
    rows = store.query(
        f"""
        WITH owed AS (
            SELECT c.id, c.patient_id, c.payer_name,
                CAST(julianday(?1) - julianday(c.service_date) AS INTEGER) AS age,
                c.charge_cents - COALESCE((SELECT SUM(amount_cents) FROM bill_payments m
                    WHERE m.claim_id = c.id AND m.received_on <= ?1), 0) AS balance
            FROM bill_claims c
            WHERE c.status NOT IN ('draft', 'withdrawn') AND c.service_date <= ?1
                AND NOT EXISTS (SELECT 1 FROM bill_claims n
                    WHERE n.parent_id = c.id AND n.status != 'draft')
        )
        SELECT {key}, COUNT(*) AS claims,
            SUM(CASE WHEN age <= 30 THEN balance ELSE 0 END) AS days_0_30,
            SUM(CASE WHEN age BETWEEN 31 AND 60 THEN balance ELSE 0 END) AS days_31_60,
            SUM(CASE WHEN age BETWEEN 61 AND 90 THEN balance ELSE 0 END) AS days_61_90,
            SUM(CASE WHEN age > 90 THEN balance ELSE 0 END) AS days_over_90,
            SUM(balance) AS total
        FROM owed c JOIN patients p ON p.id = c.patient_id
        WHERE balance > 0 {group} {order}
        """,
        [as_of.isoformat()],
    )
    rows = [row for row in rows if row["claims"]]
    for row in rows:
        for column in (*BUCKETS, "total"):
            row[column] = cents_text(row[column])
    if by == "patient":
        audit.record(
            store, user=user, action="bill.aging", now=now, detail=f"by=patient rows={len(rows)}"
        )
    return rows


def patient_balance(store: Store, patient_id: int, *, as_of: date) -> dict:
    """What is still owed on one patient's claims as of a date (by the rule of `aging`):
    the total in cents and how many claims carry it."""
    row = store.one(
        """
        SELECT COUNT(*) AS claims, COALESCE(SUM(balance), 0) AS cents FROM (
            SELECT c.charge_cents - COALESCE((SELECT SUM(amount_cents) FROM bill_payments m
                WHERE m.claim_id = c.id AND m.received_on <= ?2), 0) AS balance
            FROM bill_claims c
            WHERE c.patient_id = ?1 AND c.status != 'draft' AND c.service_date <= ?2
                AND NOT EXISTS (SELECT 1 FROM bill_claims n
                    WHERE n.parent_id = c.id AND n.status != 'draft')
        ) WHERE balance > 0
        """,
        [patient_id, as_of.isoformat()],
    )
    return {"claims": row["claims"], "cents": row["cents"]}
