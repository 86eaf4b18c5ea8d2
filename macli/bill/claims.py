"""Claims: a coded visit made ready for the payer, its checks, corrections after a denial,
and the views of claims (one claim, listings)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.bill import coverage as coverages
from macli.bill import superbill
from macli.bill.address import split_address
from macli.errors import Conflict, Invalid, NotFound
from macli.money import cents_text
from macli.patients.contact import check_npi
from macli.store import Store
from macli.when import utc_text

# Money per claim, from the append-only payments; balance = charges - payments - adjustments.
_MONEY = """
    (SELECT COALESCE(SUM(amount_cents), 0) FROM bill_payments
        WHERE claim_id = c.id AND kind = 'payment') AS paid_cents,
    (SELECT COALESCE(SUM(amount_cents), 0) FROM bill_payments
        WHERE claim_id = c.id AND kind = 'adjustment') AS adjusted_cents
"""
LIST_COLUMNS = (
    "claim",
    "appointment",
    "version",
    "service_date",
    "mrn",
    "patient",
    "provider",
    "payer",
    "status",
    "charges",
    "paid",
    "adjusted",
    "balance",
)


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
    row = store.one(f"SELECT c.*, {_MONEY} FROM bill_claims c WHERE c.id = ?", [number])
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
        stamp = utc_text(now)
        assignments = ", ".join(f"{column} = ?" for column in snapshot)
        store.execute(
            f"UPDATE bill_claims SET {assignments}, status = 'ready', status_at = ? WHERE id = ?",
            [*snapshot.values(), stamp, claim["id"]],
        )
        store.insert(
            "bill_claim_events",
            {"claim_id": claim["id"], "status": "ready", "at": stamp, "user": user, "note": None},
        )
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
            problems.append(f"{where} points past the {count} diagnoses")
        if line["units"] < 1:
            problems.append(f"{where} has {line['units']} units")
        if line["charge_cents"] != line["fee_cents"] * line["units"]:
            problems.append(f"{where} charge is not fee times units")
        total += line["charge_cents"]
    if lines and total != claim["charge_cents"]:
        problems.append(f"{label} total {cents_text(claim['charge_cents'])} is not its lines' sum")
    if lines and total <= 0:
        problems.append(f"{label} charges nothing (check the fee schedule)")
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
        store.insert(
            "bill_claim_events",
            {
                "claim_id": new_id,
                "status": "draft",
                "at": stamp,
                "user": user,
                "note": f"corrects C{claim['id']}",
            },
        )
        audit.record(
            store,
            user=user,
            action="bill.correct",
            now=now,
            patient_id=claim["patient_id"],
            detail=f"claim C{new_id} corrects C{claim['id']}",
        )
    return get(store, new_id)


def show(store: Store, reference: str, *, user: str, now: datetime, tz: ZoneInfo) -> dict:
    """One claim with its coding, payments and history; the view is audited."""
    claim = resolve(store, reference, tz)
    summary = store.one(
        "SELECT p.mrn, p.name AS patient, p.dob, v.name AS provider, v.npi AS provider_npi"
        " FROM patients p, providers v WHERE p.id = ? AND v.id = ?",
        [claim["patient_id"], claim["provider_id"]],
    )
    newer = store.scalar("SELECT id FROM bill_claims WHERE parent_id = ?", [claim["id"]])
    record = {
        "claim": f"C{claim['id']}",
        "appointment": claim["appointment_id"],
        "version": claim["version"],
        "corrects": f"C{claim['parent_id']}" if claim["parent_id"] else None,
        "corrected_by": f"C{newer}" if newer else None,
        "status": claim["status"],
        "service_date": claim["service_date"],
        **summary,
        "payer": claim["payer_name"],
        "payer_id": claim["payer_code"],
        "plan_type": coverages.PLAN_NAMES.get(claim["plan_type"], claim["plan_type"]),
        "member_id": claim["member_id"],
        "group": claim["group_number"],
        "relation": claim["relation"],
        "subscriber_name": claim["subscriber_name"],
        "payer_claim_number": claim["payer_claim_number"],
        "interchange": claim["export_id"],
        "charges": cents_text(claim["charge_cents"]),
        "paid": cents_text(claim["paid_cents"]),
        "adjusted": cents_text(claim["adjusted_cents"]),
        "balance": cents_text(claim["balance_cents"]),
        "diagnoses": store.query(
            "SELECT position AS pointer, code, description FROM bill_claim_diagnoses"
            " WHERE claim_id = ? ORDER BY position",
            [claim["id"]],
        ),
        "lines": [
            {
                "line": line["line_no"],
                "code": line["code"],
                "modifiers": line["modifiers"],
                "units": line["units"],
                "pointers": line["pointers"],
                "fee": cents_text(line["fee_cents"]),
                "charge": cents_text(line["charge_cents"]),
                "description": line["description"],
            }
            for line in store.query(
                "SELECT * FROM bill_claim_lines WHERE claim_id = ? ORDER BY line_no", [claim["id"]]
            )
        ],
        "payments": [
            {
                "date": row["received_on"],
                "kind": row["kind"],
                "amount": cents_text(row["amount_cents"]),
                "reason": row["reason"],
                "user": row["user"],
            }
            for row in store.query(
                "SELECT * FROM bill_payments WHERE claim_id = ? ORDER BY received_on, id",
                [claim["id"]],
            )
        ],
        "history": store.query(
            "SELECT at, status, user, note FROM bill_claim_events WHERE claim_id = ? ORDER BY id",
            [claim["id"]],
        ),
    }
    audit.record(
        store,
        user=user,
        action="bill.view",
        now=now,
        patient_id=claim["patient_id"],
        detail=f"claim C{claim['id']}",
    )
    return record


def query_rows(
    store: Store,
    *,
    status: str | None = None,
    payer: str | None = None,
    claim_ids: list[int] | None = None,
    all_versions: bool = False,
) -> list[dict]:
    """Claims with patient, provider and money; newest versions only unless asked."""
    clauses, params = [], []
    if status:
        clauses.append("c.status = ?")
        params.append(status)
    if payer:
        clauses.append("lower(c.payer_name) = lower(?)")
        params.append(payer.strip())
    if claim_ids is not None:
        clauses.append(f"c.id IN ({', '.join('?' for _ in claim_ids)})")
        params.extend(claim_ids)
    elif not all_versions:
        clauses.append("NOT EXISTS (SELECT 1 FROM bill_claims n WHERE n.parent_id = c.id)")
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = store.query(
        f"SELECT c.*, p.mrn, p.name AS patient, v.name AS provider, {_MONEY}"
        " FROM bill_claims c JOIN patients p ON p.id = c.patient_id"
        f" JOIN providers v ON v.id = c.provider_id {where}"
        " ORDER BY c.service_date, c.id",
        params,
    )
    for row in rows:
        row["balance_cents"] = row["charge_cents"] - row["paid_cents"] - row["adjusted_cents"]
    return rows


def list_row(row: dict) -> dict:
    """A claim as a listing shows it."""
    return {
        "claim": f"C{row['id']}",
        "appointment": row["appointment_id"],
        "version": row["version"],
        "service_date": row["service_date"],
        "mrn": row["mrn"],
        "patient": row["patient"],
        "provider": row["provider"],
        "payer": row["payer_name"],
        "status": row["status"],
        "charges": cents_text(row["charge_cents"]),
        "paid": cents_text(row["paid_cents"]),
        "adjusted": cents_text(row["adjusted_cents"]),
        "balance": cents_text(row["balance_cents"]),
    }


def listing(
    store: Store,
    *,
    status: str | None = None,
    payer: str | None = None,
    all_versions: bool = False,
    user: str,
    now: datetime,
) -> list[dict]:
    """Claims for `bill list`; the listing names patients, so it is audited."""
    rows = [
        list_row(row)
        for row in query_rows(store, status=status, payer=payer, all_versions=all_versions)
    ]
    detail = f"rows={len(rows)}" + (f" status={status}" if status else "")
    audit.record(store, user=user, action="bill.list", now=now, detail=detail)
    return rows


EXPORT_COLUMNS = (
    "claim",
    "version",
    "corrects",
    "appointment",
    "service_date",
    "mrn",
    "patient",
    "provider",
    "payer",
    "payer_id",
    "member_id",
    "status",
    "diagnoses",
    "lines",
    "charges",
    "paid",
    "adjusted",
    "balance",
)


def line_text(line: dict) -> str:
    """A stored line written back the way `bill code --line` reads it: 99214:25x1@1,2."""
    modifiers = "".join(f":{m}" for m in (line["modifiers"] or "").split(":") if m)
    return f"{line['code']}{modifiers}x{line['units']}@{line['pointers'].replace(':', ',')}"


def export_rows(
    store: Store,
    *,
    status: str | None = None,
    claim_ids: list[int] | None = None,
    user: str,
    now: datetime,
) -> list[dict]:
    """Claims with their coding as plain rows (`bill export -f csv`); audited per patient."""
    rows = query_rows(store, status=status, claim_ids=claim_ids)
    if claim_ids is not None:
        found = {row["id"] for row in rows}
        missing = [f"C{number}" for number in claim_ids if number not in found]
        if missing:
            raise NotFound(f"no claim {', '.join(missing)}")
    coding = {row["id"]: {"diagnoses": [], "lines": []} for row in rows}
    ids = list(coding)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in store.query(
            f"SELECT claim_id, code FROM bill_claim_diagnoses WHERE claim_id IN ({marks})"
            " ORDER BY claim_id, position",
            chunk,
        ):
            coding[row["claim_id"]]["diagnoses"].append(row["code"])
        for line in store.query(
            f"SELECT * FROM bill_claim_lines WHERE claim_id IN ({marks}) ORDER BY claim_id, line_no",
            chunk,
        ):
            coding[line["claim_id"]]["lines"].append(line_text(line))
    out = []
    for row in rows:
        coded = coding[row["id"]]
        out.append(
            {
                **list_row(row),
                "corrects": f"C{row['parent_id']}" if row["parent_id"] else None,
                "payer_id": row["payer_code"],
                "member_id": row["member_id"],
                "diagnoses": " ".join(coded["diagnoses"]),
                "lines": " ".join(coded["lines"]),
            }
        )
    audit.record_many(
        store,
        user=user,
        action="bill.export",
        now=now,
        entries=[(row["patient_id"], f"claim C{row['id']}") for row in rows],
    )
    return out
