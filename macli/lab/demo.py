"""A demo lab: the weekly primary-care catalogue, draws at physicals and follow-ups sent
by courier each afternoon, the reference lab's HL7 results the next morning (imported
through the same reader as real files), reviews and calls for the older ones; rapid
strep, fingerstick glucose and urine pregnancy tests done in the office on kits from
stock, with their controls. This morning's results include a critical potassium no
provider has seen yet, and one CBC sent last week never came back."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from macli.lab import catalogue, imports, orders, poc, results
from macli.when import from_utc_text, localize

LAB = "Quest Diagnostics"
# name | LOINC | specimen | container | turnaround | value type | unit | range | poc kit | qc
CATALOGUE = """
CBC                          | 58410-2 | blood | lavender top (EDTA)   | 24h | numeric |       |          |           |
Basic metabolic panel        | 51990-0 | blood | gold top (SST)        | 24h | numeric |       |          |           |
Comprehensive metabolic panel| 24323-8 | blood | gold top (SST)        | 24h | numeric |       |          |           |
Lipid panel                  | 24331-1 | blood | gold top (SST)        | 24h | numeric |       |          |           |
HbA1c                        | 4548-4  | blood | lavender top (EDTA)   | 2d  | numeric | %     | 4.0-5.6  |           |
TSH                          | 3016-3  | blood | gold top (SST)        | 2d  | numeric | mIU/L | 0.4-4.0  |           |
Urinalysis                   | 24356-8 | urine | urine cup + UA tube   | 24h | text    |       |          |           |
INR                          | 6301-6  | blood | light blue top (citrate) | 24h | numeric |    | 0.8-1.1  |           |
Glucose meter                | 41653-7 | blood | fingerstick           |     | numeric | mg/dL | 70-99    | GLU-STRIP | low,high daily
Rapid strep                  | 78012-2 | swab  | throat swab           |     | text    |       |          | STREP-KIT | positive,negative lot
Urine pregnancy              | 2106-3  | urine | urine cup             |     | text    |       |          | HCG-CUP   | positive,negative lot
12-lead EKG                  | 34534-8 | other |                       |     | text    |       |          |           |
"""
# analyte LOINC | name | unit | range | mean | sd | decimals
PANELS = {
    "CBC": [
        ("6690-2", "WBC", "10*3/uL", "4.5-11.0", 7.2, 1.9, 1),
        ("718-7", "Hemoglobin", "g/dL", "12.0-17.5", 14.1, 1.4, 1),
        ("4544-3", "Hematocrit", "%", "36-50", 42, 3.6, 1),
        ("777-3", "Platelets", "10*3/uL", "150-400", 255, 60, 0),
    ],
    "Basic metabolic panel": [
        ("2951-2", "Sodium", "mmol/L", "135-145", 139.5, 2.4, 0),
        ("2823-3", "Potassium", "mmol/L", "3.5-5.1", 4.3, 0.38, 1),
        ("2075-0", "Chloride", "mmol/L", "98-107", 102, 2.5, 0),
        ("2028-9", "Carbon dioxide", "mmol/L", "22-29", 25.5, 2, 0),
        ("3094-0", "Urea nitrogen", "mg/dL", "7-20", 14, 4, 0),
        ("2160-0", "Creatinine", "mg/dL", "0.6-1.3", 0.95, 0.2, 2),
        ("2345-7", "Glucose", "mg/dL", "70-99", 94, 14, 0),
        ("17861-6", "Calcium", "mg/dL", "8.6-10.3", 9.4, 0.4, 1),
    ],
    "Lipid panel": [
        ("2093-3", "Cholesterol", "mg/dL", "<200", 192, 32, 0),
        ("2571-8", "Triglycerides", "mg/dL", "<150", 135, 55, 0),
        ("2085-9", "HDL cholesterol", "mg/dL", ">40", 52, 12, 0),
        ("13457-7", "LDL cholesterol (calculated)", "mg/dL", "<100", 112, 30, 0),
    ],
    "TSH": [("3016-3", "TSH", "mIU/L", "0.4-4.0", 2.0, 1.1, 2)],
}
PANELS["Comprehensive metabolic panel"] = PANELS["Basic metabolic panel"] + [
    ("1751-7", "Albumin", "g/dL", "3.5-5.0", 4.3, 0.3, 1),
    ("1742-6", "ALT", "U/L", "7-56", 26, 11, 0),
    ("1920-8", "AST", "U/L", "10-40", 23, 8, 0),
]
# Which visits order what (reason of the appointment -> tests).
ORDERS = {
    "annual physical": ["CBC", "Comprehensive metabolic panel", "Lipid panel"],
    "blood pressure check": ["Basic metabolic panel"],
    "thyroid follow-up": ["TSH"],
    "cholesterol follow-up": ["Lipid panel"],
}
KITS = [
    ("GLU-STRIP", "Glucose meter test strips (50)", "strip"),
    ("STREP-KIT", "Rapid strep A test kit (25)", "test"),
    ("HCG-CUP", "Urine hCG pregnancy test cup", "test"),
]
DEMO_DAYS = 28


def populate(context) -> None:
    """Lab orders, specimens, results and point-of-care tests for the last four weeks."""
    store, rng, zone = context.store, context.rng, context.zone
    start = context.now - timedelta(days=DEMO_DAYS + 7)
    _kits(context, start)
    _catalogue(context, start)
    visits = store.query(
        "SELECT a.id, a.patient_id, a.provider_id, a.starts_at, a.reason, p.mrn, p.sex, p.dob,"
        " p.name FROM appointments a JOIN patients p ON p.id = a.patient_id"
        " WHERE a.status = 'completed' AND a.starts_at >= ? AND a.starts_at < ?"
        " ORDER BY a.starts_at, a.id",
        [_utc(context.now - timedelta(days=DEMO_DAYS)), _utc(context.now)],
    )
    providers = {r["id"]: r["name"] for r in store.query("SELECT id, name FROM providers")}
    sent_days: dict[date, datetime] = {}
    drawn = []

    def courier(until):
        # The courier comes at 16:30 on each day something was drawn (not today's yet).
        for day in sorted(sent_days):
            pickup = sent_days[day]
            if pickup <= until and day < context.today:
                orders.send(store, lab=LAB, user=context.user, now=pickup, tz=zone)
                del sent_days[day]

    previous = start
    for visit in visits:
        at = from_utc_text(visit["starts_at"]) + timedelta(minutes=rng.randint(10, 25))
        # Never before the last visit's work (and its controls, 5 minutes earlier): the
        # closet's ledger is written in time order.
        at = max(at, previous + timedelta(minutes=6))
        previous = at
        courier(at)
        reason = visit["reason"]
        provider = providers[visit["provider_id"]]
        if reason in ORDERS:
            order = orders.place(
                store,
                visit["mrn"],
                ORDERS[reason],
                provider=provider,
                fasting=reason == "annual physical",
                appointment=visit["id"],
                user=context.user,
                now=at,
            )
            orders.collect(
                store, order["order"], site="left antecubital", user=context.user, now=at
            )
            drawn.append((visit, order, at))
            day = at.astimezone(zone).date()
            sent_days.setdefault(day, localize(datetime.combine(day, time(16, 30)), zone))
        elif reason == "sore throat":
            _poc(
                context,
                visit,
                "Rapid strep",
                rng.choice(["negative"] * 3 + ["positive"]),
                at,
                provider,
            )
        elif reason == "diabetes follow-up":
            _poc(context, visit, "Glucose meter", str(int(rng.gauss(165, 35))), at, provider)
        elif reason == "joint injection" and visit["sex"] == "female" and _age(visit, at) < 50:
            _poc(context, visit, "Urine pregnancy", "negative", at, provider)
    courier(context.now)
    _results(context, drawn)


def _utc(instant: datetime) -> str:
    from macli.when import utc_text

    return utc_text(instant)


def _age(visit, at) -> int:
    born = date.fromisoformat(visit["dob"])
    today = at.date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _catalogue(context, at) -> None:
    for line in CATALOGUE.strip().splitlines():
        name, loinc, specimen, container, turnaround, kind, unit, span, kit, qc = (
            part.strip() for part in line.split("|")
        )
        levels, every = (qc.split() + [None, None])[:2] if qc else (None, None)
        catalogue.add(
            context.store,
            name,
            loinc=loinc,
            specimen=specimen,
            container=container or None,
            lab=None if kit or name == "12-lead EKG" else LAB,
            turnaround=turnaround or None,
            poc=bool(kit) or name == "12-lead EKG",
            kit=kit or None,
            value_type=kind,
            unit=unit or None,
            reference_range=span or None,
            qc_levels=levels,
            qc_every=every,
            user=context.user,
            now=at,
        )


def _kits(context, at) -> None:
    from macli.stock import core, items

    for sku, name, unit in KITS:
        items.add(
            context.store,
            sku,
            {"name": name, "unit": unit, "category": "lab", "location": "Lab counter"},
            now=at,
        )
        for number, (months, quantity) in enumerate(((2, 60), (9, 60))):
            lot = f"{sku.split('-')[0]}{24 + number}{context.rng.randint(100, 999)}"
            core.receive(
                context.store,
                sku,
                quantity,
                lot=lot,
                expires=(context.today + timedelta(days=30 * months)),
                expense=False,
                user=context.user,
                now=at,
                tz=context.zone,
            )


def _poc(context, visit, test_name, value, at, provider) -> None:
    """An in-office test, after the controls its kit lot needs today."""
    store = context.store
    test = catalogue.get(store, test_name)
    lot = poc._kit_lot(store, test["kit_sku"], None, today=at.astimezone(context.zone).date())
    missing = poc.missing_controls(store, test, lot["lot"], now=at, tz=context.zone)
    for level in [m.split(" ")[0] for m in missing]:
        poc.control(
            store,
            test_name,
            lot=lot["lot"],
            level=level,
            passed=True,
            user=context.user,
            now=at - timedelta(minutes=5),
            tz=context.zone,
        )
    poc.perform(
        store,
        visit["mrn"],
        test_name,
        value,
        flag="A" if value == "positive" else None,
        provider=provider,
        user=context.user,
        now=at,
        tz=context.zone,
    )


def _value(rng, mean, sd, decimals):
    value = max(rng.gauss(mean, sd), 0.1 if decimals else 1)
    return f"{value:.{decimals}f}" if decimals else str(int(round(value)))


def _results(context, drawn) -> None:
    """The lab's answers, as HL7 files each morning at 7; older ones reviewed and told."""
    store, rng, zone = context.store, context.rng, context.zone
    providers = {r["name"]: r["id"] for r in store.query("SELECT id, name FROM providers")}
    due = []
    overdue_left = False
    for visit, order, at in drawn:
        if not _sent(store, order):
            continue  # drawn today: still waiting for the courier
        day = at.astimezone(zone).date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        morning = localize(datetime.combine(day, time(7, 0)), zone)
        if morning > context.now:
            continue
        for test in order["tests"].split(", "):
            lost = context.now - timedelta(days=8) < morning < context.now - timedelta(days=4)
            if test == "CBC" and not overdue_left and lost:
                overdue_left = True  # the tube the lab lost: never resulted
                continue
            due.append((visit, order["order"], test, morning))
    # This morning's critical potassium: the last metabolic panel reported.
    metabolic = [i for i, row in enumerate(due) if "metabolic" in row[2]]
    critical_index = metabolic[-1] if metabolic else None
    by_morning: dict[datetime, list[str]] = {}
    for index, (visit, order_ref, test, morning) in enumerate(due):
        by_morning.setdefault(morning, []).append(
            _message(context, visit, order_ref, test, morning, potassium=index == critical_index)
        )
    for morning, messages in sorted(by_morning.items()):
        parsed = imports.parse_texts([(f"quest-{morning:%Y%m%d}.hl7", "".join(messages))], zone)
        imports.import_parsed(store, parsed, user=context.user, now=morning)
    # Results older than two days were reviewed; most patients were told.
    for row in store.query(
        "SELECT r.id, r.reported_at, r.abnormal, o.provider_id FROM lab_results r"
        " JOIN lab_order_items i ON i.result_id = r.id JOIN lab_orders o ON o.id = r.order_id"
        " ORDER BY r.id"
    ):
        reported = from_utc_text(row["reported_at"])
        if reported > context.now - timedelta(days=2) or row["provider_id"] is None:
            continue
        doctor = next(name for name, pid in providers.items() if pid == row["provider_id"])
        seen = reported + timedelta(hours=rng.randint(2, 30))
        normal = not row["abnormal"]
        results.review(
            store,
            row["id"],
            by=doctor,
            comment=None if normal else rng.choice(REVIEW_COMMENTS),
            notify_needed=not (normal and rng.random() < 0.3),
            user=context.user,
            now=seen,
        )
        if rng.random() < 0.9 and seen + timedelta(hours=4) < context.now:
            results.notify(
                store,
                row["id"],
                how=rng.choice(["phone", "portal", "portal", "letter"]),
                note=None if normal else "spoke with patient, plan explained",
                user=context.user,
                now=seen + timedelta(hours=rng.randint(1, 20)),
            )


REVIEW_COMMENTS = [
    "recheck in 3 months",
    "discuss at next visit; diet and exercise",
    "call patient: start statin",
    "repeat fasting",
    "mildly out of range, not significant",
]


def _sent(store, order) -> bool:
    order_id = orders.get(store, order["order"])["id"]
    return bool(
        store.scalar(
            "SELECT 1 FROM lab_specimens WHERE order_id = ? AND sent_at IS NOT NULL", [order_id]
        )
    )


def _message(context, visit, order_ref, test, morning, *, potassium=False, status="F"):
    """One ORU^R01 as the lab would send it, written out by hand."""
    rng = context.rng
    code = catalogue.get(context.store, test)["loinc"]
    given, family = visit["name"].split(" ")[0], visit["name"].split(" ")[-1]
    reported = morning.astimezone(context.zone).strftime("%Y%m%d%H%M%S")
    collected = reported[:8] + "0900"
    observations = []
    for number, (loinc, name, unit, span, mean, sd, decimals) in enumerate(PANELS[test], start=1):
        value = _value(rng, mean, sd, decimals)
        if loinc == "2823-3" and potassium:
            value = "6.4"
        flag = results.flag_for(float(value), span) or "N"
        if loinc == "2823-3" and potassium:
            flag = "HH"
        observations.append(
            f"OBX|{number}|NM|{loinc}^{name}^LN||{value}|{unit}^^UCUM|{span}|{flag}|||{status}"
        )
    control = f"QD{morning:%y%m%d}-{order_ref}-{code}"
    segments = [
        f"MSH|^~\\&|QUESTLAB|QUEST|MACLI|CLINIC|{reported}||ORU^R01^ORU_R01|{control}|P|2.5.1",
        f"PID|1||{visit['mrn']}^^^CLINIC^MR||{family.upper()}^{given.upper()}||"
        f"{visit['dob'].replace('-', '')}|{visit['sex'][:1].upper()}",
        f"ORC|RE|{order_ref}|Q{control[-12:]}",
        f"OBR|1|{order_ref}|Q{control[-12:]}|{code}^{test}^LN|||{collected}"
        f"|||||||||||||||{reported}|||{status}",
        *observations,
    ]
    if potassium:
        segments.append("NTE|1||Critical potassium repeated and confirmed; called to the clinic.")
    return "\r".join(segments) + "\r"
