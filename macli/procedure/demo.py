"""The demo's procedure room: the six procedures a primary-care office performs, their
trays, and the coming two weeks' procedure appointments planned with their sites, one
patient allergic to latex and one on an anticoagulant among them."""

from __future__ import annotations

from datetime import date, timedelta

from macli.procedure import types
from macli.when import utc_text

# Items the trays need beyond the closet's (stock demo), received today.
ITEMS = (
    ("PUNCH-4MM", "Punch biopsy, 4 mm, disposable", "each", 10, "2028-06-30"),
    ("BLADE-15", "Scalpel blade no. 15, sterile", "each", 20, "2029-01-31"),
    ("FORMALIN-20", "Formalin 10% specimen jar, 20 mL", "each", 2, "2027-09-30"),
    ("ANTIBIOTIC-OINT", "Petrolatum ointment, single use", "each", 30, "2027-12-31"),
)
KITS = {
    "Biopsy tray": ["PUNCH-4MM:1", "LIDO-1PCT:1", "GAUZE-4X4:2", "FORMALIN-20:1"],
    "Shave tray": ["BLADE-15:1", "LIDO-1PCT:1", "GAUZE-2X2:2", "FORMALIN-20:1"],
    "Excision tray": ["BLADE-15:1", "SUTURE-4-0:1", "LIDO-1PCT:1", "GAUZE-4X4:2", "FORMALIN-20:1"],
    "I&D tray": ["BLADE-15:1", "LIDO-1PCT:1", "GAUZE-4X4:4"],
    "Toenail tray": ["LIDO-1PCT:1", "GAUZE-4X4:2", "ANTIBIOTIC-OINT:1", "BANDAGE-ADH:1"],
}
# name, tray, pack types, consent, specimen test, lateral
TYPES = (
    ("Punch biopsy", "Biopsy tray", ["suture set"], "required", "Surgical pathology", True),
    ("Shave biopsy", "Shave tray", [], "required", "Surgical pathology", True),
    ("Excision of a lesion", "Excision tray", ["suture set"], "required", "Surgical pathology", True),
    ("Laceration repair", "Suture tray", ["suture set"], "none", None, False),
    ("Incision and drainage", "I&D tray", ["I&D tray"], "required", None, False),
    ("Ingrown toenail removal", "Toenail tray", ["suture set"], "required", None, True),
)  # fmt: skip
# The anticoagulant the demo adds, and what it treats (unspecified atrial fibrillation).
TREATS = {"apixaban": "I48.91"}
# What the schedule demo's procedure visits are, by their reason.
BY_REASON = {
    "mole removal": [("Shave biopsy", "back"), ("Punch biopsy", "left forearm")],
    "wart removal": [("Shave biopsy", "right hand")],
    "ingrown toenail": [("Ingrown toenail removal", "left great toe")],
}


def populate(context) -> None:
    from macli.chart import core as chart
    from macli.lab import catalogue
    from macli.stock import core as stock
    from macli.stock import items

    store, now, user = context.store, context.now, context.user
    for sku, name, unit, quantity, expires in ITEMS:
        items.add(
            store,
            sku,
            {"name": name, "unit": unit, "category": "medical", "location": "Procedure room"},
            now=now,
        )
        stock.receive(
            store,
            sku,
            quantity,
            lot=f"{sku[:4]}-{context.rng.randint(1000, 9999)}",
            expires=date.fromisoformat(expires),
            expense=False,
            user=user,
            now=now,
            tz=context.zone,
        )
    for name, parts in KITS.items():
        items.add_kit(store, name, parts, user=user, now=now)
    if not store.scalar("SELECT 1 FROM lab_tests WHERE name = 'Surgical pathology'"):
        catalogue.add(
            store,
            "Surgical pathology",
            loinc="11526-1",
            specimen="other",
            container="formalin jar",
            lab="Bayside Pathology",
            turnaround="5d",
            value_type="text",
            user=user,
            now=now,
        )
    for name, kit, packs, consent, specimen, lateral in TYPES:
        types.add(
            store,
            name,
            kit=kit,
            pack_types=packs,
            consent=consent,
            specimen=specimen,
            appointment_type="procedure",
            lateral=lateral,
            user=user,
            now=now,
        )
    upcoming = store.query(
        "SELECT a.id, a.reason, a.patient_id, p.mrn FROM appointments a"
        " JOIN appointment_types t ON t.id = a.type_id JOIN patients p ON p.id = a.patient_id"
        " WHERE t.name = 'procedure' AND a.status = 'scheduled' AND a.starts_at >= ?"
        " AND a.starts_at < ? ORDER BY a.starts_at",
        [utc_text(now), utc_text(now + timedelta(days=14))],
    )
    planned = []
    for number, row in enumerate(upcoming):
        choices = BY_REASON.get(row["reason"])
        if not choices:
            continue
        kind, site = choices[number % len(choices)]
        types.plan(store, row["id"], kind, site=site, user=user, now=now)
        planned.append(row)
    # The prep sheet's call-outs, on real patients of the coming week.
    if planned:
        chart.add_allergy(store, planned[0]["mrn"], "latex", reaction="hives", user=user, now=now)
    if len(planned) > 1:
        for code in TREATS.values():
            chart.add_problem(
                store, planned[1]["mrn"], code, user=user, now=now, today=context.today
            )
        chart.add_medication(
            store,
            planned[1]["mrn"],
            "apixaban",
            dose="5 mg",
            frequency="twice daily",
            user=user,
            now=now,
            today=context.today,
        )
