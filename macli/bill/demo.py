"""Demo billing: a made-up fee schedule in the clinic's own words, payers and coverage for
the insured demo patients, and claims in every state for their recent completed visits
(when the demo has appointments), coded from what each visit was for."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from macli import settings
from macli.bill import claims, coverage, fees, payments, superbill
from macli.money import cents_text
from macli.patients import providers
from macli.when import from_utc_text, utc_text

FEE_SCHEDULE = [
    ("99202", "New patient visit - straightforward", "110.00", ""),
    ("99203", "New patient visit - low complexity", "165.00", ""),
    ("99212", "Return visit - straightforward", "70.00", ""),
    ("99213", "Return visit - low complexity", "110.00", ""),
    ("99214", "Return visit - moderate complexity", "160.00", ""),
    ("99391", "Yearly wellness visit - under 1 year", "150.00", ""),
    ("99392", "Yearly wellness visit - age 1 to 4", "160.00", ""),
    ("99393", "Yearly wellness visit - age 5 to 11", "160.00", ""),
    ("99394", "Yearly wellness visit - age 12 to 17", "170.00", ""),
    ("99395", "Yearly wellness visit - age 18 to 39", "190.00", ""),
    ("99396", "Yearly wellness visit - age 40 to 64", "210.00", ""),
    ("99397", "Yearly wellness visit - age 65 and over", "230.00", ""),
    ("11300", "Shave removal of a small skin growth", "95.00", ""),
    ("11730", "Removal of a nail plate", "120.00", ""),
    ("17110", "Wart removal by freezing - up to 14", "90.00", ""),
    ("20610", "Joint injection - large joint", "85.00", ""),
    ("36415", "Blood draw from a vein", "15.00", ""),
    ("81002", "Urine dipstick in office", "10.00", ""),
    ("83036", "Hemoglobin A1c test in office", "25.00", "QW"),
    ("87880", "Rapid strep swab", "25.00", "QW"),
    ("87804", "Rapid flu swab", "30.00", "QW"),
    ("90471", "Giving a vaccine - first one", "28.00", ""),
    ("90686", "Flu vaccine - preservative free", "35.00", ""),
    ("90715", "Tdap vaccine", "45.00", ""),
    ("93000", "Heart tracing (ECG) with reading", "55.00", ""),
    ("95115", "Allergy shot - one injection", "20.00", ""),
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
# How a visit is coded, by its reason (the schedule demo's words): diagnoses and service
# lines as staff would type them. Follow-ups, new-patient visits and physicals are coded
# from the patient's chart and age instead (see _coding).
BY_REASON = {
    "cough": (["J06.9", "R05.9"], ["99213@1,2"]),
    "sore throat": (["J02.9"], ["99213", "87880"]),
    "back pain": (["M54.50"], ["99213", "96372", "J1100x10"]),
    "rash": (["R21"], ["99212"]),
    "ear pain": (["H66.90"], ["99213"]),
    "mole removal": (["D22.5"], ["11300"]),
    "joint injection": (["M17.11"], ["20610", "J1100x10"]),
    "ingrown toenail": (["L60.0"], ["11730"]),
    "wart removal": (["B07.9"], ["17110"]),
    "flu shot": (["Z23"], ["90471", "90686"]),
    "Tdap booster": (["Z23"], ["90471", "90715"]),
    "allergy shot": (["J30.9"], ["95115"]),
    "sports physical": (["Z02.5"], []),
    "pre-employment physical": (["Z02.1"], []),
}
# Yearly wellness visit codes by the age they start at.
WELLNESS = [(65, "99397"), (40, "99396"), (18, "99395"), (12, "99394"), (5, "99393"), (1, "99392")]
# Visits of the last three weeks are billed through macli; older ones before it.
CLAIM_DAYS = 21


def npi(rng) -> str:
    """A made-up NPI with a valid check digit (Luhn over 80840 + the first nine digits)."""
    body = "1" + "".join(str(rng.randrange(10)) for _ in range(8))
    from macli.identifiers import npi_check_digit

    return body + npi_check_digit(body)


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
    """Claim every completed visit of an insured patient in the last CLAIM_DAYS, each on
    the days it would have happened: coded after the visit, sent the next evening,
    answered by the payer two to four weeks later; the newest still drafts."""
    store, rng, now, zone = context.store, context.rng, context.now, context.zone
    since = datetime.combine(context.today - timedelta(days=CLAIM_DAYS), time()).replace(
        tzinfo=zone
    )
    visits = store.query(
        "SELECT a.id, a.patient_id, a.ends_at, a.reason, t.name AS type, p.dob, p.insurance"
        " FROM appointments a JOIN patient_coverage c ON c.patient_id = a.patient_id"
        " LEFT JOIN appointment_types t ON t.id = a.type_id JOIN patients p ON p.id = a.patient_id"
        " WHERE a.status = 'completed' AND a.starts_at >= ? AND a.ends_at < ?"
        " ORDER BY a.starts_at, a.id",
        [utc_text(since), utc_text(now - timedelta(hours=2))],
    )
    problems: dict[int, list[str]] = {}
    for row in store.query(
        "SELECT e.patient_id, p.code FROM chart_current e JOIN chart_problems p"
        " ON p.entry_id = e.id WHERE e.kind = 'problem' AND NOT EXISTS (SELECT 1"
        " FROM chart_current r JOIN chart_status s ON s.entry_id = r.id"
        " WHERE r.kind = 'resolution' AND s.target_id = e.thread_id) ORDER BY e.id"
    ):
        problems.setdefault(row["patient_id"], []).append(row["code"])
    user, answered_claims = context.user, 0
    for number, visit in enumerate(visits):
        dx, lines = _coding(visit, problems.get(visit["patient_id"], []), context.today)
        ended = from_utc_text(visit["ends_at"])
        coded = min(ended + timedelta(minutes=rng.randint(10, 90)), now)
        superbill.code_visit(store, visit["id"], dx, lines, user=user, now=coded, tz=zone)
        service = ended.astimezone(zone).date()
        if (context.today - service).days <= 1 and number % 3 == 0:
            continue  # left as a draft superbill, to be checked
        claim = claims.make_ready(store, visit["id"], user=user, now=coded, tz=zone)
        sent = datetime.combine(service + timedelta(days=1), time(17)).replace(tzinfo=zone)
        if sent >= now:
            continue  # ready: goes out with tonight's batch
        _mark_submitted(store, claim["id"], user, sent)
        received = service + timedelta(days=rng.randrange(12, 30))
        answered = datetime.combine(received, time(11)).replace(tzinfo=zone)
        if answered >= now:
            continue  # waiting on the payer
        owed = claim["charge_cents"]
        answered_claims += 1
        if answered_claims % 8 == 3:
            payments.deny(
                store, f"C{claim['id']}", "CO-16 claim lacks information", user=user, now=answered
            )
            if rng.random() < 0.5:
                claims.correct(store, f"C{claim['id']}", user=user, now=answered)
            continue
        allowed = owed * rng.choice([70, 75, 80]) // 100
        common = {"received_on": received, "user": user, "now": answered, "today": context.today}
        if answered_claims % 8 == 5:  # the payer paid part and the patient's share is still open
            payments.pay(store, f"C{claim['id']}", cents_text(allowed * 8 // 10), **common)
            continue
        payments.pay(
            store,
            f"C{claim['id']}",
            cents_text(allowed),
            adjust=cents_text(owed - allowed),
            reason="CO-45",
            **common,
        )


def _coding(visit, problems: list[str], today: date) -> tuple[list[str], list[str]]:
    """The diagnoses and lines a visit is coded with: by its reason, its patient's chart
    (follow-ups treat the chronic problems) and age (which wellness code)."""
    age = (today - date.fromisoformat(visit["dob"])).days // 365
    routine = "Z00.00" if age >= 18 else "Z00.129"
    dx, lines = BY_REASON.get(visit["reason"], ([], []))
    dx, lines = list(dx), list(lines)
    if visit["reason"] == "flu shot" and visit["insurance"] == "Medicare":
        lines = ["G0008", "90686"]
    if visit["type"] == "physical":
        dx = dx or [routine]
        lines = [next((code for start, code in WELLNESS if age >= start), "99391")]
    elif visit["type"] == "new patient":
        dx = problems[:4] or [routine]
        lines = ["99203@" + ",".join(str(n + 1) for n in range(len(dx)))]
    elif not dx:  # a follow-up (or a visit of no known kind): the chronic problems
        dx = problems[:4] or ["Z09"]
        pointers = ",".join(str(n + 1) for n in range(len(dx)))
        lines = [("99214@" if len(dx) > 1 else "99213@") + pointers]
        if "E11.9" in dx:
            lines.append(f"83036@{dx.index('E11.9') + 1}")
        elif "E78.5" in dx:
            lines.append(f"36415@{dx.index('E78.5') + 1}")
    return dx, lines


def _mark_submitted(store, claim_id: int, user: str, when: datetime) -> None:
    # The demo writes no X12 file: it only records the claim as sent.
    from macli.bill.status import transition

    transition(store, {"id": claim_id, "status": "ready"}, "submitted", "demo", user=user, now=when)
