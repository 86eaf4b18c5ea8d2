"""Procedure types (what the clinic performs, with its tray, packs, consent and specimen)
and plans (which procedure an appointment is, and on which site)."""

from __future__ import annotations

import json
from datetime import datetime

from macli import audit
from macli.errors import Conflict, Invalid, NotFound
from macli.lab.common import clean
from macli.store import Store
from macli.when import utc_text

CONSENT = ("required", "none")


def add(
    store: Store,
    name: str,
    *,
    kit: str | None = None,
    pack_types: list[str] | tuple = (),
    consent: str = "required",
    specimen: str | None = None,
    appointment_type: str | None = None,
    lateral: bool = False,
    user: str,
    now: datetime,
) -> dict:
    """Add a procedure type; its kit, specimen test and appointment type must exist."""
    from macli.lab import catalogue
    from macli.schedule import catalog
    from macli.stock import items

    name = clean(name, "the procedure name")
    if not name:
        raise Invalid("a procedure type needs a name")
    if consent not in CONSENT:
        raise Invalid("consent is required or none")
    packs = []
    for pack_type in pack_types:
        text = clean(pack_type, "the pack type")
        if text and text.lower() not in (p.lower() for p in packs):
            packs.append(text)
    with store.write():
        if store.scalar("SELECT 1 FROM procedure_types WHERE name = ? COLLATE NOCASE", [name]):
            raise Conflict(f"there is already a procedure type {name!r}")
        kit_name = items.get_kit(store, kit)["name"] if kit else None
        test = catalogue.get(store, specimen) if specimen else None
        if test is not None and test["poc"]:
            raise Invalid(f"{test['name']} is an in-office test; a specimen goes to a lab test")
        booked_as = catalog.resolve_type(store, appointment_type) if appointment_type else None
        type_id = store.insert(
            "procedure_types",
            {
                "name": name,
                "kit": kit_name,
                "pack_types": json.dumps(packs),
                "consent": consent,
                "specimen_test_id": test["id"] if test else None,
                "appointment_type_id": booked_as["id"] if booked_as else None,
                "lateral": int(bool(lateral)),
                "created_at": utc_text(now),
                "created_by": user,
            },
        )
    return get(store, str(type_id))


_TYPE_SQL = (
    "SELECT t.*, l.name AS specimen_test, a.name AS appointment_type FROM procedure_types t"
    " LEFT JOIN lab_tests l ON l.id = t.specimen_test_id"
    " LEFT JOIN appointment_types a ON a.id = t.appointment_type_id"
)


def _decoded(row: dict) -> dict:
    return {**row, "pack_types": json.loads(row["pack_types"])}


def get(store: Store, reference: str) -> dict:
    """A type by its id, its name (any case) or the start of exactly one name."""
    text = " ".join(str(reference or "").split())
    if not text:
        raise Invalid("no procedure type given")
    rows = store.query(_TYPE_SQL + " ORDER BY t.name COLLATE NOCASE")
    matches = [r for r in rows if str(r["id"]) == text or r["name"].lower() == text.lower()]
    if not matches:
        matches = [r for r in rows if r["name"].lower().startswith(text.lower())]
    if not matches:
        known = ", ".join(r["name"] for r in rows) or "none yet: macli procedure type add"
        raise NotFound(f"no procedure type {reference!r} (known: {known})")
    if len(matches) > 1:
        names = ", ".join(r["name"] for r in matches)
        raise Invalid(f"{reference!r} could be any of: {names}")
    return _decoded(matches[0])


def listing(store: Store) -> list[dict]:
    """Every procedure type as `procedure type list` shows it."""
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "tray": row["kit"],
            "packs": ", ".join(row["pack_types"]) or None,
            "consent": row["consent"],
            "specimen": row["specimen_test"],
            "booked_as": row["appointment_type"],
            "lateral": bool(row["lateral"]),
        }
        for row in map(_decoded, store.query(_TYPE_SQL + " ORDER BY t.name COLLATE NOCASE"))
    ]


def plan(
    store: Store, appointment_id: int, type_name: str, *, site: str | None, user: str, now
) -> dict:
    """Say which procedure an appointment is (and on which site); re-planning is refused
    once its checklist has begun."""
    site = clean(site, "the site")
    with store.write():
        appointment = store.one(
            "SELECT a.*, t.name AS type_name FROM appointments a"
            " LEFT JOIN appointment_types t ON t.id = a.type_id WHERE a.id = ?",
            [int(appointment_id)],
        )
        if appointment is None:
            raise NotFound(f"no appointment with id {appointment_id}")
        if appointment["status"] == "cancelled":
            raise Conflict(f"appointment {appointment_id} was cancelled")
        kind = get(store, type_name)
        if kind["lateral"] and not site:
            raise Invalid(f"{kind['name']} needs its site, with the side (--site 'left forearm')")
        if store.scalar(
            "SELECT 1 FROM procedure_steps WHERE appointment_id = ? LIMIT 1", [appointment["id"]]
        ):
            raise Conflict(f"appointment {appointment_id}'s checklist has begun; it cannot change")
        store.execute("DELETE FROM procedure_plans WHERE appointment_id = ?", [appointment["id"]])
        store.insert(
            "procedure_plans",
            {
                "appointment_id": appointment["id"],
                "type_id": kind["id"],
                "site": site,
                "planned_at": utc_text(now),
                "planned_by": user,
            },
        )
        audit.record(
            store,
            user=user,
            action="procedure.plan",
            now=now,
            patient_id=appointment["patient_id"],
            detail=f"appointment={appointment['id']} type={kind['id']}",
        )
    return {"appointment": appointment["id"], "procedure": kind["name"], "site": site}


def planned(store: Store, appointment_id) -> dict:
    """The plan of an appointment with its type, patient, provider and room."""
    try:
        number = int(str(appointment_id).strip())
    except ValueError:
        raise Invalid(f"{appointment_id!r} is not an appointment id") from None
    row = store.one(
        "SELECT pl.appointment_id, pl.site, pl.type_id, a.patient_id, a.starts_at, a.room,"
        " a.status, p.mrn, p.name AS patient, p.dob, pr.name AS provider"
        " FROM procedure_plans pl JOIN appointments a ON a.id = pl.appointment_id"
        " JOIN patients p ON p.id = a.patient_id JOIN providers pr ON pr.id = a.provider_id"
        " WHERE pl.appointment_id = ?",
        [number],
    )
    if row is None:
        if store.scalar("SELECT 1 FROM appointments WHERE id = ?", [number]):
            raise NotFound(
                f"appointment {number} has no procedure planned"
                f" (macli procedure plan {number} TYPE --site SITE)"
            )
        raise NotFound(f"no appointment with id {number}")
    row["type"] = get(store, str(row["type_id"]))
    return row
