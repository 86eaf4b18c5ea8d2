"""Payers and each patient's insurance coverage: what a claim needs to reach the payer."""

from __future__ import annotations

import re
from datetime import date, datetime

from macli import audit
from macli.bill.schema import RELATIONS
from macli.errors import Invalid, NotFound
from macli.patients import core as patients
from macli.patients.contact import person_name
from macli.store import Store
from macli.when import parse_date, utc_text

# Claim filing indicator codes (837P SBR09) by the names staff use.
PLAN_TYPES = {
    "commercial": "CI",
    "ppo": "12",
    "pos": "13",
    "epo": "14",
    "hmo": "HM",
    "blue-cross": "BL",
    "medicare": "MB",
    "medicaid": "MC",
    "tricare": "CH",
    "va": "VA",
    "workers-comp": "WC",
    "other": "ZZ",
}
PLAN_NAMES = {code: name for name, code in PLAN_TYPES.items()}
SEXES = ("female", "male", "unknown")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/]{0,79}$")


def identifier(text: str, what: str) -> str:
    """A member, group or payer id: letters, digits, spaces, . - / (no X12 separators)."""
    value = " ".join(str(text).split())
    if not _IDENTIFIER.match(value):
        raise Invalid(f"{what} {text!r} must be 1-80 letters or digits (and . - / or spaces)")
    return value


def payer_name(text: str) -> str:
    value = " ".join(str(text).split())
    if not value or len(value) > 60:
        raise Invalid("a payer name must have between 1 and 60 characters")
    if any(ch in value for ch in "*~^:|"):
        raise Invalid(f"payer name {text!r} may not contain * ~ ^ : or |")
    return value


def find_payer(store: Store, name: str) -> dict | None:
    return store.one("SELECT * FROM bill_payers WHERE lower(name) = lower(?)", [name.strip()])


def ensure_payer(
    store: Store, name: str, code: str | None, plan: str | None, *, now: datetime
) -> dict:
    """The payer called `name`, created (or its id and plan type changed) as given."""
    name = payer_name(name)
    if plan is not None and plan not in PLAN_TYPES:
        raise Invalid(f"unknown plan type {plan!r} (use {', '.join(PLAN_TYPES)})")
    row = find_payer(store, name)
    if row is None:
        if not code:
            raise Invalid(
                f"{name!r} is a new payer: give its electronic payer id with --payer-id "
                "(it is on the insurance card or the clearinghouse's payer list)"
            )
        payer_id = store.insert(
            "bill_payers",
            {
                "name": name,
                "payer_id": identifier(code, "payer id"),
                "plan_type": PLAN_TYPES[plan or "commercial"],
                "created_at": utc_text(now),
            },
        )
        return store.one("SELECT * FROM bill_payers WHERE id = ?", [payer_id])
    changes = {}
    if code:
        changes["payer_id"] = identifier(code, "payer id")
    if plan:
        changes["plan_type"] = PLAN_TYPES[plan]
    if changes:
        assignments = ", ".join(f"{column} = ?" for column in changes)
        store.execute(
            f"UPDATE bill_payers SET {assignments} WHERE id = ?", [*changes.values(), row["id"]]
        )
    return store.one("SELECT * FROM bill_payers WHERE id = ?", [row["id"]])


def set_coverage(
    store: Store,
    reference: str,
    values: dict,
    *,
    user: str,
    now: datetime,
    today: date,
) -> dict:
    """Record or change a patient's insurance; options not given keep their value."""
    values = {key: value for key, value in values.items() if value is not None}
    if not values:
        raise Invalid("nothing to change: give --payer, --member-id or another option")
    with store.write():
        patient = patients.resolve(store, reference)
        current = store.one(
            "SELECT * FROM patient_coverage WHERE patient_id = ?", [patient["id"]]
        ) or {"relation": "self"}
        if "payer" in values:
            payer = ensure_payer(
                store, values["payer"], values.get("payer_id"), values.get("plan_type"), now=now
            )
        elif current.get("payer_id"):
            row = store.one("SELECT name FROM bill_payers WHERE id = ?", [current["payer_id"]])
            payer = ensure_payer(
                store, row["name"], values.get("payer_id"), values.get("plan_type"), now=now
            )
        else:
            raise Invalid(f"{patient['mrn']} has no insurance yet: give --payer and --member-id")
        row = {
            "patient_id": patient["id"],
            "payer_id": payer["id"],
            "member_id": current.get("member_id"),
            "group_number": current.get("group_number"),
            "relation": current.get("relation"),
            "subscriber_name": current.get("subscriber_name"),
            "subscriber_dob": current.get("subscriber_dob"),
            "subscriber_sex": current.get("subscriber_sex"),
            "updated_at": utc_text(now),
            "updated_by": user,
        }
        if "member_id" in values:
            row["member_id"] = identifier(values["member_id"], "member id")
        if "group" in values:
            row["group_number"] = identifier(values["group"], "group") if values["group"] else None
        if "relation" in values:
            if values["relation"] not in RELATIONS:
                raise Invalid(
                    f"unknown relation {values['relation']!r} (use {', '.join(RELATIONS)})"
                )
            row["relation"] = values["relation"]
        if "subscriber_name" in values:
            text = values["subscriber_name"]
            row["subscriber_name"] = person_name(text)[0] if text.strip() else None
        if "subscriber_dob" in values:
            text = values["subscriber_dob"].strip()
            born = parse_date(text) if text else None
            if born and born > today:
                raise Invalid(f"subscriber date of birth {born} is in the future")
            row["subscriber_dob"] = born.isoformat() if born else None
        if "subscriber_sex" in values:
            sex = values["subscriber_sex"].strip().lower() or None
            if sex and sex not in SEXES:
                raise Invalid(f"unknown sex {sex!r} (use {', '.join(SEXES)})")
            row["subscriber_sex"] = sex
        if not row["member_id"]:
            raise Invalid("give the member id from the insurance card with --member-id")
        if row["relation"] == "self":
            row.update(subscriber_name=None, subscriber_dob=None, subscriber_sex=None)
        elif not row["subscriber_name"]:
            raise Invalid(
                f"the subscriber is the patient's {row['relation']}: "
                "give the subscriber's name with --subscriber-name"
            )
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        updates = ", ".join(
            f"{column} = excluded.{column}" for column in row if column != "patient_id"
        )
        store.execute(
            f"INSERT INTO patient_coverage ({columns}) VALUES ({marks}) "
            f"ON CONFLICT (patient_id) DO UPDATE SET {updates}",
            row.values(),
        )
        audit.record(
            store,
            user=user,
            action="bill.coverage",
            now=now,
            patient_id=patient["id"],
            detail="changed " + ", ".join(sorted(values)),
        )
    return coverage(store, patient["id"])


def coverage(store: Store, patient_id: int) -> dict | None:
    """A patient's coverage joined with its payer, or None."""
    row = store.one(
        "SELECT p.name AS payer, p.payer_id, p.plan_type, c.member_id, c.group_number AS 'group',"
        " c.relation, c.subscriber_name, c.subscriber_dob, c.subscriber_sex"
        " FROM patient_coverage c JOIN bill_payers p ON p.id = c.payer_id WHERE c.patient_id = ?",
        [patient_id],
    )
    if row:
        row["plan_type"] = PLAN_NAMES.get(row["plan_type"], row["plan_type"])
    return row


def show_coverage(store: Store, reference: str, *, user: str, now: datetime) -> dict:
    """A patient's coverage for display; the view is audited."""
    patient = patients.resolve(store, reference)
    row = coverage(store, patient["id"])
    if row is None:
        raise NotFound(
            f"{patient['mrn']} has no insurance on file "
            f"(add it: macli bill coverage {patient['mrn']} --payer NAME --member-id ID)"
        )
    audit.record(store, user=user, action="bill.coverage.view", now=now, patient_id=patient["id"])
    return {"mrn": patient["mrn"], "name": patient["name"], **row}


def payers(store: Store) -> list[dict]:
    """Every payer with how many patients it covers and what its claims still owe."""
    rows = store.query(
        """
        SELECT p.name AS payer, p.payer_id, p.plan_type,
            (SELECT COUNT(*) FROM patient_coverage c WHERE c.payer_id = p.id) AS patients,
            (SELECT COUNT(*) FROM bill_claims b WHERE b.payer_name = p.name
                AND b.status IN ('ready', 'submitted', 'partial')) AS open_claims
        FROM bill_payers p ORDER BY lower(p.name)
        """
    )
    for row in rows:
        row["plan_type"] = PLAN_NAMES.get(row["plan_type"], row["plan_type"])
    return rows
