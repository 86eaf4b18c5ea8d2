"""Demo charts: a year of vitals for most demo patients, coded problems with matching
medications, allergies (some none known, some never asked), results and notes."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from macli.chart import core, findings, readings, units
from macli.when import local_text, localize

# (ICD-10-CM code, medications as (name, dose, route, frequency)), all billable codes.
CONDITIONS = [
    ("I10", [("lisinopril", "10 mg", "by mouth", "once daily")]),
    ("E11.9", [("metformin", "500 mg", "by mouth", "twice daily")]),
    ("E78.5", [("atorvastatin", "20 mg", "by mouth", "at bedtime")]),
    ("J45.909", [("albuterol inhaler", "90 mcg, 2 puffs", "inhaled", "every 4 hours as needed")]),
    ("K21.9", [("omeprazole", "20 mg", "by mouth", "once daily")]),
    ("F41.1", [("sertraline", "50 mg", "by mouth", "once daily")]),
    ("E03.9", [("levothyroxine", "75 mcg", "by mouth", "once daily before breakfast")]),
    ("M54.50", [("ibuprofen", "400 mg", "by mouth", "every 8 hours as needed")]),
    ("E66.9", []),
    ("G43.909", [("sumatriptan", "50 mg", "by mouth", "at onset, may repeat once")]),
    ("N39.0", [("nitrofurantoin", "100 mg", "by mouth", "twice daily for 5 days")]),
]
ALLERGIES = [
    ("penicillin", "hives", "moderate"),
    ("sulfa drugs", "rash", "mild"),
    ("peanuts", "anaphylaxis", "severe"),
    ("latex", "contact dermatitis", "mild"),
    ("codeine", "nausea and vomiting", "moderate"),
]
NOTES = [
    "Patient reports feeling well. No new complaints.",
    "Reviewed home blood pressure log; readings mostly in the 130s over 80s.",
    "Counselled on diet and exercise; patient will try walking 30 minutes a day.",
    "Patient asked about a flu shot; scheduled with the nurse.",
    "Mild dizziness on standing this morning, resolved after sitting.",
]


def populate(context) -> None:
    store, rng, now, tz = context.store, context.rng, context.now, context.zone
    patients = store.query("SELECT id, mrn, dob FROM patients ORDER BY id")
    for patient in patients:
        if rng.random() < 0.8:
            _vitals_year(context, patient)
        years = readings.age_on(patient["dob"], context.today)[0]
        if years >= 18 and rng.random() < 0.65:
            _problems(context, patient)
        draw = rng.random()
        if draw < 0.2:
            for substance, reaction, severity in rng.sample(ALLERGIES, rng.choice((1, 1, 2))):
                core.add_allergy(
                    store,
                    patient["mrn"],
                    substance,
                    reaction=reaction,
                    severity=severity,
                    user=context.user,
                    now=now,
                )
        elif draw < 0.65:
            core.no_known_allergies(store, patient["mrn"], user=context.user, now=now, tz=tz)
        if rng.random() < 0.15:
            findings.add_note(store, patient["mrn"], rng.choice(NOTES), user=context.user, now=now)


def _visit_times(context, count: int) -> list[datetime]:
    days = sorted(context.rng.sample(range(1, 365), count), reverse=True)
    out = []
    for back in days:
        day = context.today - timedelta(days=back)
        clock = time(context.rng.randint(9, 15), context.rng.choice((0, 15, 30, 45)))
        out.append(localize(datetime.combine(day, clock), context.zone))
    return out


def _vitals_year(context, patient) -> None:
    rng = context.rng
    years = readings.age_on(patient["dob"], context.today)[0]
    if years < 18:
        height = Decimal(50 + 6 * years + rng.randint(-4, 4))
        weight = max(Decimal("3.5"), Decimal(3 + 2.6 * years + rng.uniform(-2, 3)))
        systolic, diastolic, pulse, resp = 100, 62, 95 - years * 2, 24 - years // 2
    else:
        height = Decimal(rng.randint(150, 192))
        weight = Decimal(rng.randint(52, 115))
        systolic, diastolic = rng.randint(108, 150), rng.randint(66, 94)
        pulse, resp = rng.randint(58, 88), rng.randint(12, 18)
    drift = Decimal(str(round(rng.uniform(-0.8, 0.8), 2)))  # kg per visit
    in_pounds = rng.random() < 0.85
    for visit, taken in enumerate(_visit_times(context, rng.randint(3, 8))):
        weight_now = weight + drift * visit
        values = {
            "bp": f"{systolic + rng.randint(-8, 8)}/{diastolic + rng.randint(-6, 6)}",
            "pulse": str(pulse + rng.randint(-6, 6)),
            "resp": str(resp + rng.randint(-2, 2)),
            "temp": f"{Decimal('97.9') + Decimal(rng.randint(0, 12)) / 10}F",
            "spo2": str(rng.randint(95, 100)),
            "weight": (
                f"{units.rounded(weight_now / units.POUND_KG, 1)}lb"
                if in_pounds
                else f"{units.rounded(weight_now, 1)}kg"
            ),
        }
        if visit == 0 or years < 18:
            values["height"] = f"{units.rounded(height / units.INCH_CM, 1)}in"
        if rng.random() < 0.3:
            values["pain"] = str(rng.randint(0, 6))
        readings.record(
            context.store,
            patient["mrn"],
            values,
            at=local_text(taken, context.zone),
            confirm=True,
            clinic_units="us",
            user=context.user,
            now=context.now,
            tz=context.zone,
        )


def _problems(context, patient) -> None:
    store, rng, now = context.store, context.rng, context.now
    for code, medications in rng.sample(CONDITIONS, rng.choice((1, 1, 2, 3))):
        onset = context.today - timedelta(days=rng.randint(60, 3000))
        entry = core.add_problem(
            store,
            patient["mrn"],
            code,
            onset=onset.isoformat(),
            user=context.user,
            now=now,
            today=context.today,
        )
        for name, dose, route, frequency in medications:
            core.add_medication(
                store,
                patient["mrn"],
                name,
                dose=dose,
                route=route,
                frequency=frequency,
                start=onset.isoformat(),
                user=context.user,
                now=now,
                today=context.today,
            )
        if code == "E11.9":
            _result(
                context,
                patient,
                "Hemoglobin A1c",
                f"{rng.uniform(6.2, 8.9):.1f}",
                "%",
                "4.0-5.6",
                "4548-4",
            )
            _result(
                context,
                patient,
                "Glucose, point of care",
                str(rng.randint(95, 210)),
                "mg/dL",
                "70-99",
                "41653-7",
            )
        elif code == "E78.5":
            _result(
                context,
                patient,
                "LDL cholesterol",
                str(rng.randint(90, 190)),
                "mg/dL",
                "<100",
                "13457-7",
            )
        elif code == "N39.0":
            core.resolve_problem(
                store,
                entry["id"],
                on=(onset + timedelta(days=7)).isoformat(),
                user=context.user,
                now=now,
                today=context.today,
            )
        elif code == "I10" and rng.random() < 0.5:
            _result(
                context, patient, "EKG interpretation", "Normal sinus rhythm", None, None, "18844-1"
            )


def _result(context, patient, test, value, unit, range_text, loinc) -> None:
    taken = _visit_times(context, 1)[0]
    findings.add_result(
        context.store,
        patient["mrn"],
        test,
        value,
        unit=unit,
        range_text=range_text,
        loinc=loinc,
        at=local_text(taken, context.zone),
        user=context.user,
        now=context.now,
        tz=context.zone,
    )
