"""Demo billing: a made-up fee schedule in the clinic's own words, payers and coverage for
the insured demo patients, and claims in every state for completed past visits (when
the demo has appointments)."""

from __future__ import annotations

from datetime import date, timedelta

from macli import settings
from macli.bill import claims, coverage, fees, ledger, superbill
from macli.money import cents_text
from macli.patients import providers

FEE_SCHEDULE = [
    ("99202", "New patient visit - straightforward", "110.00", ""),
    ("99203", "New patient visit - low complexity", "165.00", ""),
    ("99212", "Return visit - straightforward", "70.00", ""),
    ("99213", "Return visit - low complexity", "110.00", ""),
    ("99214", "Return visit - moderate complexity", "160.00", ""),
    ("99396", "Yearly wellness visit - age 40 to 64", "210.00", ""),
    ("36415", "Blood draw from a vein", "15.00", ""),
    ("81002", "Urine dipstick in office", "10.00", ""),
    ("87880", "Rapid strep swab", "25.00", "QW"),
    ("87804", "Rapid flu swab", "30.00", "QW"),
    ("90471", "Giving a vaccine - first one", "28.00", ""),
    ("90686", "Flu vaccine - preservative free", "35.00", ""),
    ("93000", "Heart tracing (ECG) with reading", "55.00", ""),
    ("96372", "Shot into muscle or under skin", "32.00", ""),
    ("J1100", "Dexamethasone - per 1 mg", "4.00", ""),
    ("G0008", "Giving a flu vaccine - Medicare", "28.00", ""),
]
# name, payer id, plan type; the names match the demo patients' insurance field.
PAYERS = [
    ("Blue Harbor PPO", "BHP01", "ppo"),
    ("Commonwealth Care", "CWC77", "medicaid"),
    ("Medicare", "MCRMA", "medicare"),
    ("Atlantic Health HMO", "AHH42", "hmo"),
]
# What a visit was for: diagnoses and service lines as staff would type them.
VISITS = [
    (["J02.9"], ["99213", "87880"]),
    (["J06.9", "R05.9"], ["99213@1,2"]),
    (["I10", "E78.5"], ["99214@1,2", "36415@2"]),
    (["E11.9", "I10"], ["99214@1,2", "36415@1"]),
    (["Z00.00"], ["99396"]),
    (["Z23"], ["90471", "90686"]),
    (["M54.50"], ["99213", "96372", "J1100x10"]),
    (["N39.0"], ["99213", "81002"]),
    (["F41.1"], ["99214"]),
]
ZIP_CODES = ["02110", "02114", "02116", "02118", "02127", "02130", "02134"]
CLAIMED_VISITS = 60


def npi(rng) -> str:
    """A made-up NPI with a valid check digit (Luhn over 80840 + the first nine digits)."""
    body = "1" + "".join(str(rng.randrange(10)) for _ in range(8))
    total = 0
    for index, char in enumerate(reversed("80840" + body)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return body + str((10 - total % 10) % 10)


def populate(context) -> None:
    store, rng, now = context.store, context.rng, context.now
    for key, value in (
        ("clinic.npi", npi(rng)),
        ("clinic.tax_id", "12-3456789"),
        ("clinic.address", "100 Example Street, Boston, MA 02110-1301"),
        ("bill.receiver_id", "EXAMPLECH"),
        ("bill.receiver_name", "Example Clearinghouse"),
    ):
        settings.put(store, key, value, user=context.user, now=now)
    csv_text = "code,description,fee,modifiers\n" + "".join(
        f"{code},{description},{fee},{modifiers}\n"
        for code, description, fee, modifiers in FEE_SCHEDULE
    )
    fees.import_csv(store, csv_text.encode(), replace=False, user=context.user, now=now)
    for row in providers.listing(store, include_inactive=True):
        if not row["npi"]:
            providers.edit(store, str(row["id"]), npi=npi(rng))
    # Claims need a ZIP code on the patient's address.
    for row in store.query("SELECT id, address FROM patients WHERE address IS NOT NULL"):
        if not row["address"][-5:].isdigit():
            store.execute(
                "UPDATE patients SET address = ? WHERE id = ?",
                [f"{row['address']} {rng.choice(ZIP_CODES)}", row["id"]],
            )
    for name, code, plan in PAYERS:
        coverage.ensure_payer(store, name, code, plan, now=now)
    _coverage(context)
    _claims(context)


def _coverage(context) -> None:
    store, rng = context.store, context.rng
    adult = context.today.replace(year=context.today.year - 18).isoformat()
    adults = store.query("SELECT name FROM patients WHERE dob <= ? ORDER BY id", [adult])
    for patient in store.query("SELECT * FROM patients ORDER BY id"):
        if patient["insurance"] not in {name for name, _, _ in PAYERS}:
            continue
        values = {
            "payer": patient["insurance"],
            "member_id": f"{patient['insurance'][:2].upper()}{rng.randrange(10**8, 10**9)}",
            "group": f"G-{rng.randrange(1000, 9999)}" if rng.random() < 0.7 else None,
        }
        if patient["dob"] > adult:
            parent = rng.choice(adults)["name"].split(" ")[0]
            values.update(
                relation="child",
                subscriber_name=f"{parent} {patient['name'].split(' ', 1)[-1]}",
                subscriber_dob=(date(1975, 1, 1) + timedelta(days=rng.randrange(7000))).isoformat(),
            )
        coverage.set_coverage(
            store, patient["mrn"], values, user=context.user, now=context.now, today=context.today
        )


def _claims(context) -> None:
    """Code and claim recent completed visits of insured patients, and move them along."""
    store, rng, now, zone = context.store, context.rng, context.now, context.zone
    visits = store.query(
        "SELECT a.id FROM appointments a JOIN patient_coverage c ON c.patient_id = a.patient_id"
        " WHERE a.status = 'completed' AND a.starts_at < ? ORDER BY a.starts_at DESC LIMIT ?",
        [now.strftime("%Y-%m-%dT%H:%M:%SZ"), CLAIMED_VISITS],
    )
    user = context.user
    for number, visit in enumerate(visits):
        dx, lines = rng.choice(VISITS)
        superbill.code_visit(store, visit["id"], dx, lines, user=user, now=now, tz=zone)
        if number % 10 == 0:
            continue  # left as a draft superbill
        claim = claims.make_ready(store, visit["id"], user=user, now=now, tz=zone)
        if number % 10 == 1:
            continue  # ready to send
        _mark_submitted(store, claim["id"], user, now)
        service = date.fromisoformat(claim["service_date"])
        received = min(context.today, service + timedelta(days=rng.randrange(14, 40)))
        owed = claim["charge_cents"]
        step = number % 10
        if step in (2, 3) or received == service:
            continue  # waiting on the payer
        if step == 4:
            ledger.deny(
                store, f"C{claim['id']}", "CO-16 claim lacks information", user=user, now=now
            )
            if rng.random() < 0.5:
                claims.correct(store, f"C{claim['id']}", user=user, now=now)
            continue
        allowed = owed * rng.choice([70, 75, 80]) // 100
        common = {"received_on": received, "user": user, "now": now, "today": context.today}
        if step == 5:  # the payer paid part and the patient's share is still open
            ledger.pay(store, f"C{claim['id']}", cents_text(allowed * 8 // 10), **common)
            continue
        ledger.pay(
            store,
            f"C{claim['id']}",
            cents_text(allowed),
            adjust=cents_text(owed - allowed),
            reason="CO-45",
            **common,
        )


def _mark_submitted(store, claim_id: int, user: str, now) -> None:
    # The demo writes no X12 file: it only records the claim as sent.
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    store.execute(
        "UPDATE bill_claims SET status = 'submitted', status_at = ? WHERE id = ?", [stamp, claim_id]
    )
    store.insert(
        "bill_claim_events",
        {"claim_id": claim_id, "status": "submitted", "at": stamp, "user": user, "note": "demo"},
    )
