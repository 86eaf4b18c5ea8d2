"""Views of claims: one claim in full, listings, and the plain export of claims with
their coding. Each names patients, so each is written to the audit log."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.bill import coverage as coverages
from macli.bill.claims import MONEY_COLUMNS, resolve
from macli.errors import NotFound
from macli.money import cents_text
from macli.store import Store

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
        f"SELECT c.*, p.mrn, p.name AS patient, v.name AS provider, {MONEY_COLUMNS}"
        " FROM bill_claims c JOIN patients p ON p.id = c.patient_id"
        f" JOIN providers v ON v.id = c.provider_id {where}"
        " ORDER BY c.service_date, c.id",
        params,
    )
    for row in rows:
        row["balance_cents"] = row["charge_cents"] - row["paid_cents"] - row["adjusted_cents"]
    return rows


def history_for_people(events: list[dict], tz: ZoneInfo) -> list[dict]:
    """A claim's events as a table shows them: instants in the clinic's time (machine
    formats keep the stored UTC)."""
    from macli.when import local_text

    return [{**event, "at": local_text(event["at"], tz)} for event in events]


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
