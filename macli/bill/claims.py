"""Claims: a coded visit made ready for the payer, its checks, corrections after a denial,
and the views of claims (one claim, listings)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.bill import coverage as coverages
from macli.bill import superbill
from macli.bill.address import split_address
from macli.bill.status import transition
from macli.errors import Conflict, Invalid, NotFound
from macli.identifiers import check_npi
from macli.money import cents_text
from macli.store import Store
from macli.when import utc_text

# Money per claim, from the append-only payments; balance = charges - payments - adjustments.
MONEY_COLUMNS = """
    (SELECT COALESCE(SUM(amount_cents), 0) FROM bill_payments
        WHERE claim_id = c.id AND kind = 'payment') AS paid_cents,
    (SELECT COALESCE(SUM(amount_cents), 0) FROM bill_payments
        WHERE claim_id = c.id AND kind = 'adjustment') AS adjusted_cents
"""


def claim_id(reference: str | int) -> int:
    """`C12` or `12` into 12."""
    text = str(reference).strip()
    number = text[1:] if text[:1] in "cC" else text
    if not number.isdigit():
        raise Invalid(f"{reference!r} is not a claim id (e.g. C12)")
    return int(number)


def get(store: Store, reference: str | int) -> dict:
    """One claim row with its money, by claim id."""
    number = claim_id(reference)
    row = store.one(f"SELECT c.*, {MONEY_COLUMNS} FROM bill_claims c WHERE c.id = ?", [number])
    if row is None:
        raise NotFound(f"no claim C{number}")
    row["balance_cents"] = row["charge_cents"] - row["paid_cents"] - row["adjusted_cents"]
    return row


def resolve(store: Store, reference: str, tz: ZoneInfo) -> dict:
    """`C12` is claim 12; a plain number is an appointment, meaning its newest claim."""
    text = str(reference).strip()
    if text[:1] in "cC":
        return get(store, text)
    visit = superbill.appointment(store, text, tz)
    claim = superbill.current_claim(store, visit["id"])
    if claim is None:
        raise NotFound(
            f"appointment {visit['id']} has not been coded yet "
            f"(macli bill code {visit['id']} --dx ... --line ...)"
        )
    return get(store, claim["id"])


def make_ready(
    store: Store,
    appointment_id: str | int,
    *,
    payer: str | None = None,
    member_id: str | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Check a coded visit and its insurance, and move its draft claim to ready."""
    with store.write():
        visit = superbill.appointment(store, appointment_id, tz)
        superbill.refuse_unbillable(visit)
        claim = superbill.current_claim(store, visit["id"])
        if claim is None:
            raise Conflict(
                f"appointment {visit['id']} has not been coded: "
                f"run `macli bill code {visit['id']} --dx ... --line ...` first"
            )
        if claim["status"] == "denied":
            raise Conflict(
                f"claim C{claim['id']} was denied: correct it with "
                f"`macli bill correct C{claim['id']}`, recode, then claim again"
            )
        if claim["status"] != "draft":
            raise Conflict(
                f"appointment {visit['id']} is already on claim C{claim['id']} "
                f"({claim['status']}); a visit is billed once"
            )
        if visit["status"] != "completed":
            raise Conflict(
                f"appointment {visit['id']} is {visit['status']}: only a completed visit is claimed"
            )
        snapshot = _insurance(store, visit["patient_id"], payer, member_id)
        problems = claim_problems(store, {**claim, **snapshot})
        if problems:
            raise Invalid(f"claim C{claim['id']} is not ready: " + "; ".join(problems))
        transition(store, claim, "ready", None, user=user, now=now, changes=snapshot)
        audit.record(
            store,
            user=user,
            action="bill.claim",
            now=now,
            patient_id=visit["patient_id"],
            detail=f"claim C{claim['id']} ready",
        )
    return get(store, claim["id"])


def _insurance(store: Store, patient_id: int, payer: str | None, member_id: str | None) -> dict:
    """The coverage to send, from the patient's record with --payer/--member-id on top."""
    row = store.one(
        "SELECT p.name AS payer_name, p.payer_id AS payer_code, p.plan_type, c.member_id,"
        " c.group_number, c.relation, c.subscriber_name, c.subscriber_dob, c.subscriber_sex"
        " FROM patient_coverage c JOIN bill_payers p ON p.id = c.payer_id WHERE c.patient_id = ?",
        [patient_id],
    )
    mrn = store.scalar("SELECT mrn FROM patients WHERE id = ?", [patient_id])
    if row is None and not (payer and member_id):
        raise Invalid(
            f"{mrn} has no insurance on file: add it with `macli bill coverage {mrn} --payer NAME "
            "--payer-id ID --member-id ID`, or give --payer and --member-id"
        )
    row = row or {
        "group_number": None,
        "relation": "self",
        "subscriber_name": None,
        "subscriber_dob": None,
        "subscriber_sex": None,
    }
    if payer:
        known = coverages.find_payer(store, payer)
        if known is None:
            raise Invalid(
                f"unknown payer {payer!r}: add it with `macli bill coverage {mrn} --payer NAME "
                "--payer-id ID ...` (see `macli bill payers`)"
            )
        if known["name"] != row.get("payer_name"):
            row["group_number"] = None
        row.update(payer_name=known["name"], payer_code=known["payer_id"])
        row["plan_type"] = known["plan_type"]
    if member_id:
        row["member_id"] = coverages.identifier(member_id, "member id")
    if not row.get("member_id"):
        raise Invalid(f"give the member id for {row['payer_name']} with --member-id")
    return row


def claim_problems(store: Store, claim: dict) -> list[str]:
    """Everything that would make a claim wrong or unsendable, each said so it can be fixed."""
    label = f"C{claim['id']}"
    problems = []
    diagnoses = store.query(
        "SELECT position, code FROM bill_claim_diagnoses WHERE claim_id = ? ORDER BY position",
        [claim["id"]],
    )
    lines = store.query(
        "SELECT * FROM bill_claim_lines WHERE claim_id = ? ORDER BY line_no", [claim["id"]]
    )
    count = len(diagnoses)
    if not diagnoses:
        problems.append(f"{label} has no diagnosis (recode it with --dx)")
    elif count > superbill.MAX_DIAGNOSES or [d["position"] for d in diagnoses] != list(
        range(1, count + 1)
    ):
        problems.append(f"{label} has its diagnoses out of order or more than 12 (recode it)")
    if not lines:
        problems.append(f"{label} has no service line (recode it with --line)")
    if len(lines) > superbill.MAX_LINES:
        problems.append(f"{label} has more than {superbill.MAX_LINES} lines")
    total = 0
    for line in lines:
        where = f"{label} line {line['line_no']} ({line['code']})"
        pointers = [int(p) for p in (line["pointers"] or "").split(":") if p.isdigit()]
        if not pointers:
            problems.append(f"{where} points at no diagnosis")
        elif len(pointers) > superbill.MAX_POINTERS:
            problems.append(f"{where} points at more than {superbill.MAX_POINTERS} diagnoses")
        elif any(not 1 <= p <= count for p in pointers):
            given = "the only diagnosis" if count == 1 else f"the {count} diagnoses"
            problems.append(f"{where} points past {given}")
        if line["units"] < 1:
            problems.append(f"{where} has {line['units']} units")
        if line["charge_cents"] != line["fee_cents"] * line["units"]:
            problems.append(f"{where} charge is not fee times units")
        total += line["charge_cents"]
    if lines and total != claim["charge_cents"]:
        problems.append(f"{label} total {cents_text(claim['charge_cents'])} is not its lines' sum")
    if lines and total <= 0:
        problems.append(f"{label} charges nothing (check the fee schedule)")
    visit_status = store.scalar(
        "SELECT status FROM appointments WHERE id = ?", [claim["appointment_id"]]
    )
    if visit_status != "completed":
        problems.append(
            f"{label}: appointment {claim['appointment_id']} is {visit_status}, not completed"
        )
    patient = store.one("SELECT * FROM patients WHERE id = ?", [claim["patient_id"]])
    mrn = patient["mrn"]
    try:
        split_address(patient["address"] or "")
    except Invalid as error:
        problems.append(
            f"{label}: {mrn}'s address {error.message} "
            f"(macli patient edit {mrn} --address '12 Elm Street, Boston, MA 02110')"
        )
    provider = store.one("SELECT * FROM providers WHERE id = ?", [claim["provider_id"]])
    try:
        check_npi(provider["npi"] or "")
    except Invalid:
        problems.append(
            f"{label}: provider {provider['name']} has no valid NPI "
            f"(macli provider edit {provider['id']} --npi NUMBER)"
        )
    for field, what in (
        ("payer_name", "payer"),
        ("payer_code", "payer id"),
        ("member_id", "member id"),
    ):
        if not claim.get(field):
            problems.append(f"{label} has no {what}")
    if claim.get("relation") not in (None, "self") and not claim.get("subscriber_name"):
        problems.append(f"{label}: the subscriber is not the patient but has no name")
    problems.extend(_unwritable_text(label, claim, patient, provider))
    return problems


_LATIN_HINT = "X12 carries Latin letters only"


def _unwritable_text(label: str, claim: dict, patient: dict, provider: dict) -> list[str]:
    """Every free-text element of the claim's 837P that X12's character set cannot carry
    (a name in another script would go out empty or cut), each with how to fix it."""
    from macli.bill import x12

    mrn = patient["mrn"]
    problems = []
    name = patient.get("claim_name") or patient["name"]
    last, first = x12.claim_person(patient)
    lost = x12.unwritable(name)
    if lost or not x12.text(last, 60):
        problems.append(
            f"{label}: {mrn}'s name {name!r} cannot be written on a claim ({_LATIN_HINT}); "
            f"record it as on the insurance card: macli patient edit {mrn} "
            "--claim-name 'Wang Wei'"
        )
    checks = [
        (claim.get("subscriber_name"), "the subscriber's name", f"macli bill coverage {mrn} --subscriber-name ..."),
        (claim.get("payer_name"), "the payer's name", f"macli bill coverage {mrn} --payer ..."),
        (claim.get("member_id"), "the member id", f"macli bill coverage {mrn} --member-id ..."),
        (claim.get("group_number"), "the group number", f"macli bill coverage {mrn} --group ..."),
        (claim.get("payer_code"), "the payer id", "macli bill payers"),
        (claim.get("payer_claim_number"), "the payer's claim number", "record it again"),
        (patient.get("address"), f"{mrn}'s address", f"macli patient edit {mrn} --address ..."),
        (provider["name"], f"provider {provider['name']!r}'s name", f"macli provider edit {provider['id']} --name ..."),
    ]  # fmt: skip
    for value, what, fix in checks:
        lost = x12.unwritable(value)
        if lost:
            problems.append(
                f"{label}: {what} has {lost!r}, which a claim cannot carry "
                f"({_LATIN_HINT}); write it in Latin letters: {fix}"
            )
    return problems


def correct(store: Store, reference: str, *, user: str, now: datetime) -> dict:
    """Start the corrected version of a denied claim: a draft copy, the denial kept."""
    with store.write():
        claim = get(store, reference)
        if claim["status"] != "denied":
            raise Conflict(
                f"claim C{claim['id']} is {claim['status']}: only a denied claim is corrected"
            )
        newer = store.one(
            "SELECT id FROM bill_claims WHERE appointment_id = ? AND version > ?",
            [claim["appointment_id"], claim["version"]],
        )
        if newer:
            raise Conflict(f"claim C{claim['id']} was already corrected as C{newer['id']}")
        stamp = utc_text(now)
        new_id = store.insert(
            "bill_claims",
            {
                "appointment_id": claim["appointment_id"],
                "version": claim["version"] + 1,
                "parent_id": claim["id"],
                "patient_id": claim["patient_id"],
                "provider_id": claim["provider_id"],
                "service_date": claim["service_date"],
                "status": "draft",
                "status_at": stamp,
                "charge_cents": claim["charge_cents"],
                "payer_claim_number": claim["payer_claim_number"],
                "created_at": stamp,
                "created_by": user,
            },
        )
        for table, columns in (
            ("bill_claim_diagnoses", "position, code, description"),
            (
                "bill_claim_lines",
                "line_no, code, description, modifiers, units, fee_cents, charge_cents, pointers",
            ),
        ):
            store.execute(
                f"INSERT INTO {table} (claim_id, {columns}) "
                f"SELECT ?, {columns} FROM {table} WHERE claim_id = ?",
                [new_id, claim["id"]],
            )
        new = {"id": new_id, "status": "draft"}
        transition(store, new, "draft", f"corrects C{claim['id']}", user=user, now=now)
        audit.record(
            store,
            user=user,
            action="bill.correct",
            now=now,
            patient_id=claim["patient_id"],
            detail=f"claim C{new_id} corrects C{claim['id']}",
        )
    return get(store, new_id)


WITHDRAWABLE = ("draft", "ready")


def withdraw(store: Store, reference: str, reason: str, *, user: str, now: datetime) -> dict:
    """Withdraw a draft or ready claim (never sent): it is kept, marked withdrawn, and no
    longer stands on its visit, which may then be corrected or coded again."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("say why the claim is withdrawn (--reason ...)")
    with store.write():
        claim = get(store, reference)
        if claim["status"] not in WITHDRAWABLE:
            raise Conflict(
                f"claim C{claim['id']} is {claim['status']}: only a draft or ready claim"
                " (never sent) can be withdrawn"
            )
        transition(store, claim, "withdrawn", reason, user=user, now=now)
        audit.record(
            store,
            user=user,
            action="bill.withdraw",
            now=now,
            patient_id=claim["patient_id"],
            detail=f"claim C{claim['id']} withdrawn ({claim['status']})",
        )
    return get(store, claim["id"])
