"""The prep sheet: what the medical assistant needs ready before a procedure, read from
the chart, the supply closet and the sterile packs at the moment it is printed."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Conflict
from macli.procedure import checklist
from macli.procedure.types import planned
from macli.store import Store
from macli.when import day_bounds_text, local_date, local_text

# Substances a procedure tray or prep exposes the patient to: called out when the chart
# lists an allergy to them.
ALLERGY_WATCH = {
    "latex": ("latex", "rubber"),
    "local anaesthetic": ("lidocaine", "lignocaine", "xylocaine", "caine"),
    "iodine": ("iodine", "povidone", "betadine"),
    "adhesive": ("adhesive", "tape", "plaster", "band-aid", "steri-strip"),
    "chlorhexidine": ("chlorhexidine",),
}
# Medications that make a cut bleed longer: called out when on the active list.
BLEEDING_WATCH = (
    "warfarin", "coumadin", "jantoven", "apixaban", "eliquis", "rivaroxaban", "xarelto",
    "dabigatran", "pradaxa", "edoxaban", "savaysa", "heparin", "enoxaparin", "lovenox",
    "dalteparin", "fondaparinux", "clopidogrel", "plavix", "prasugrel", "effient",
    "ticagrelor", "brilinta", "aspirin", "acetylsalicylic", "cilostazol", "dipyridamole",
)  # fmt: skip


def _watched(text: str | None, words) -> bool:
    lowered = (text or "").lower()
    return any(re.search(rf"\b{re.escape(word)}", lowered) for word in words)


def allergy_flags(allergies: list[dict]) -> list[str]:
    """The allergies that matter for a procedure, by what they are."""
    flags = []
    for row in allergies:
        for what, words in ALLERGY_WATCH.items():
            if row.get("substance") and _watched(row["substance"], words):
                flags.append(f"ALLERGY to {row['substance']} ({what})")
    return flags


def bleeding_flags(medications: list[dict]) -> list[str]:
    """The active medications that are anticoagulants or antiplatelets."""
    return [
        f"ON {row['name']} (anticoagulant/antiplatelet)"
        for row in medications
        if _watched(row.get("name"), BLEEDING_WATCH)
    ]


def _tray(store: Store, kit: str | None, today: date) -> tuple[list[dict], list[str]]:
    from macli.stock import core as stock
    from macli.stock import items

    if not kit:
        return [], []
    rows, missing = [], []
    for part in items.get_kit(store, kit)["components"]:
        try:
            lots = stock.would_take(store, part["sku"], part["quantity"], today=today)
            lot_text = ", ".join(
                f"{x['lot']} (exp {x['expires'] or '-'}) x{x['quantity']}" for x in lots
            )
        except Conflict as error:
            lot_text = "MISSING"
            missing.append(error.message)
        rows.append(
            {
                "sku": part["sku"],
                "item": part["name"],
                "quantity": part["quantity"],
                "unit": part["unit"],
                "lots": lot_text,
            }
        )
    return rows, missing


def first_usable_pack(store: Store, pack_type: str, taken: set[str]) -> dict | None:
    """The oldest sterile pack of `pack_type` that may be opened (not one in `taken`)."""
    from macli.qc import packs

    codes = store.query(
        "SELECT p.code FROM qc_packs p JOIN qc_cycles c ON c.id = p.cycle_id"
        " WHERE p.pack_type = ? COLLATE NOCASE"
        " AND NOT EXISTS (SELECT 1 FROM qc_pack_uses u WHERE u.pack_id = p.id)"
        " ORDER BY c.at, p.number",
        [pack_type],
    )
    for row in codes:
        if row["code"] in taken:
            continue
        found = packs.pack(store, row["code"])
        if found["usable"]:
            return found
    return None


def _packs(store: Store, pack_types: list[str], taken: set[str]) -> tuple[list[dict], list[str]]:
    rows, missing = [], []
    for pack_type in pack_types:
        found = first_usable_pack(store, pack_type, taken)
        if found is None:
            missing.append(f"no usable sterile {pack_type} pack (macli qc cycle add ...)")
            rows.append({"pack_type": pack_type, "pack": "MISSING", "load": None, "made": None})
            continue
        taken.add(found["code"])
        rows.append(
            {
                "pack_type": pack_type,
                "pack": found["code"],
                "load": f"{found['sterilizer']} load {found['load']}",
                "made": found["made_day"],
            }
        )
    return rows, missing


def sheet(store: Store, appointment_id, *, now: datetime, tz: ZoneInfo, taken=None) -> dict:
    """Everything on one procedure's prep sheet (not audited: see `prep`)."""
    from macli.chart import core as chart

    plan = planned(store, appointment_id)
    kind = plan["type"]
    allergies = chart.allergies(store, plan["patient_id"], tz=tz)
    medications = chart.medications(store, plan["patient_id"], tz=tz)
    tray, tray_missing = _tray(store, kind["kit"], local_date(now, tz))
    packs, pack_missing = _packs(store, kind["pack_types"], taken if taken is not None else set())
    steps = checklist.current_steps(store, plan["appointment_id"])
    signed = steps.get("sign-in", {}).get("answers", {}).get("consent_signed")
    if kind["consent"] == "none":
        consent = "not required"
    elif signed:
        consent = f"signed (confirmed at sign-in {local_text(steps['sign-in']['at'], tz)})"
    else:
        consent = "REQUIRED: not yet signed"
    warnings = allergy_flags(allergies) + bleeding_flags(medications)
    if not allergies:
        warnings.append("allergies never recorded: ask at sign-in")
    if consent.startswith("REQUIRED"):
        warnings.append("written consent required before sign-in")
    missing = tray_missing + pack_missing
    return {
        "appointment": plan["appointment_id"],
        "when": local_text(plan["starts_at"], tz),
        "room": plan["room"],
        "provider": plan["provider"],
        "patient": plan["patient"],
        "dob": plan["dob"],
        "mrn": plan["mrn"],
        "patient_id": plan["patient_id"],
        "procedure": kind["name"],
        "site": plan["site"],
        "consent": consent,
        "specimen": kind["specimen_test"],
        "checklist": checklist.progress(steps),
        "allergies": [
            {"substance": a["substance"] or a["type"], "reaction": a["reaction"]} for a in allergies
        ],
        "medications": [
            {"name": m["name"], "dose": m["dose"], "frequency": m["frequency"]} for m in medications
        ],
        "tray": tray,
        "tray_name": kind["kit"],
        "packs": packs,
        "missing": missing,
        "warnings": warnings,
    }


def prep(store: Store, appointment_id, *, user: str, now: datetime, tz: ZoneInfo) -> dict:
    """One procedure's prep sheet; the view is audited."""
    with store.write():
        found = sheet(store, appointment_id, now=now, tz=tz)
        audit.record(
            store,
            user=user,
            action="procedure.prep",
            now=now,
            patient_id=found["patient_id"],
            detail=f"appointment={found['appointment']}",
        )
    return found


def _sheets_on(
    store: Store, on: date, *, now: datetime, tz: ZoneInfo, provider_id: int | None = None
) -> list[dict]:
    """The sheets of every procedure planned on a day, in time order, sharing one set of
    promised packs so that two procedures are not promised the same one."""
    start, end = day_bounds_text(on, tz)
    mine = " AND a.provider_id = ?" if provider_id is not None else ""
    planned_ids = store.query(
        "SELECT pl.appointment_id FROM procedure_plans pl"
        " JOIN appointments a ON a.id = pl.appointment_id"
        f" WHERE a.starts_at >= ? AND a.starts_at < ? AND a.status != 'cancelled'{mine}"
        " ORDER BY a.starts_at, a.id",
        [start, end, *([provider_id] if provider_id is not None else [])],
    )
    taken: set[str] = set()
    return [sheet(store, row["appointment_id"], now=now, tz=tz, taken=taken) for row in planned_ids]


def day(store: Store, on: date, *, user: str, now: datetime, tz: ZoneInfo) -> list[dict]:
    """The prep sheets of every procedure planned on a day; audited per patient."""
    with store.write():
        sheets = _sheets_on(store, on, now=now, tz=tz)
        if sheets:
            audit.record_many(
                store,
                user=user,
                action="procedure.prep",
                now=now,
                entries=[(s["patient_id"], f"appointment={s['appointment']}") for s in sheets],
            )
    return sheets


def warnings_of_day(
    store: Store, on: date, *, now: datetime, tz: ZoneInfo, provider_id: int | None = None
) -> list[dict]:
    """For the day sheet: each procedure of the day with what needs attention (no chart
    details beyond the flags); not audited here, the day sheet audits its own view."""
    return [
        {
            "time": found["when"][11:],
            "appointment": found["appointment"],
            "patient": found["mrn"],
            "procedure": found["procedure"],
            "checklist": found["checklist"],
            "attention": "; ".join(found["warnings"] + found["missing"]) or "ready",
        }
        for found in _sheets_on(store, on, now=now, tz=tz, provider_id=provider_id)
    ]


def write_pdf(sheets: list[dict], path, *, head: dict) -> None:
    """The prep sheets as a PDF, one procedure a page."""
    from macli import pdf

    doc = None
    for found in sheets:
        title = f"Procedure prep: {found['procedure']} - appointment {found['appointment']}"
        if doc is None:
            doc = pdf.start(head, title)
        else:
            doc.head_title = title
            pdf.new_page(doc)
        pdf.text(
            doc,
            f"Patient: {found['patient']}  DOB {found['dob']}  MRN {found['mrn']}",
            bold=True,
        )
        pdf.text(
            doc,
            f"When: {found['when']}  Room: {found['room'] or '-'}  Provider: {found['provider']}",
        )
        pdf.text(doc, f"Site: {found['site'] or '-'}  Consent: {found['consent']}")
        pdf.text(doc, f"Checklist: {found['checklist']}")
        for line in found["warnings"] + [f"MISSING: {m}" for m in found["missing"]]:
            pdf.text(doc, "! " + line, bold=True)
        allergies = ", ".join(a["substance"] for a in found["allergies"]) or "never recorded"
        pdf.text(doc, f"Allergies: {allergies}")
        meds = ", ".join(m["name"] for m in found["medications"]) or "none listed"
        pdf.text(doc, f"Active medications: {meds}")
        if found["tray"]:
            pdf.text(doc, f"Tray: {found['tray_name']}", bold=True)
            pdf.table(doc, found["tray"], ("sku", "item", "quantity", "unit", "lots"))
        if found["packs"]:
            pdf.text(doc, "Sterile packs", bold=True)
            pdf.table(doc, found["packs"], ("pack_type", "pack", "load", "made"))
        if found["specimen"]:
            pdf.text(doc, f"Specimen to: {found['specimen']} (label printed at sign-out)")
    pdf.save(doc, path)
