"""Demo charts: problems with matching medications and allergies (some none known, some
never asked) for patients registered before the demo's year, then, once the schedule
exists, vitals at every completed visit, results on the visits that ordered them,
newcomers' allergies asked at their first visit, and a few notes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from macli.chart import core, findings, readings, units
from macli.when import day_start, from_utc_text, local_text, localize, utc_text

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
    ("J30.9", [("cetirizine", "10 mg", "by mouth", "once daily")]),
    ("N39.0", [("nitrofurantoin", "100 mg", "by mouth", "twice daily for 5 days")]),
]
# Visits a nurse handles without taking vitals.
NURSE_VISITS = ("vaccine", "injection")
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


def populate_history(context) -> None:
    """Before the schedule: what the charts of patients registered before the demo's year
    already hold. Problems (more with age) with their medications, recorded when they
    were diagnosed or the patient registered; allergies, none known, or never asked
    (charts carried over from paper), recorded at registration."""
    store, rng = context.store, context.rng
    history = utc_text(day_start(history_start(context), context.zone))
    for patient in store.query(
        "SELECT id, mrn, dob, created_at FROM patients WHERE created_at < ? ORDER BY id",
        [history],
    ):
        registered = from_utc_text(patient["created_at"])
        years = readings.age_on(patient["dob"], context.today)[0]
        if years >= 18 and rng.random() < 0.3 + years / 150:
            _problems(context, patient, years, registered)
        draw = rng.random()
        if draw < 0.2:
            _allergies(context, patient, registered)
        elif draw < 0.7:
            core.no_known_allergies(
                store, patient["mrn"], user=context.user, now=registered, tz=context.zone
            )


def populate(context) -> None:
    """After the schedule: vitals taken at every completed visit (vaccine and injection
    visits are nurse visits without them), newcomers' allergies asked at their first
    visit, results on the visits that ordered them, a few notes. A visit in progress is
    charted when it ends, so the day sheet still shows what it needs."""
    store, rng = context.store, context.rng
    visits = store.query(
        "SELECT a.patient_id, a.starts_at, a.ends_at, a.reason, t.name AS type, p.mrn, p.dob,"
        " p.sex, p.created_at FROM appointments a JOIN patients p ON p.id = a.patient_id"
        " JOIN appointment_types t ON t.id = a.type_id"
        " WHERE a.status = 'completed' ORDER BY a.starts_at, a.id"
    )
    problems = {}
    for row in store.query(
        "SELECT e.patient_id, p.code FROM chart_current e JOIN chart_problems p"
        " ON p.entry_id = e.id WHERE e.kind = 'problem'"
    ):
        problems.setdefault(row["patient_id"], set()).add(row["code"])
    history = utc_text(day_start(history_start(context), context.zone))
    baselines, asked = {}, set()
    for visit in visits:
        patient_id = visit["patient_id"]
        roomed = min(
            from_utc_text(visit["starts_at"]) + timedelta(minutes=rng.randint(2, 8)),
            context.now,
        )
        if visit["type"] not in NURSE_VISITS:
            if patient_id not in baselines:
                baselines[patient_id] = _baseline(context, visit, problems.get(patient_id, ()))
            _vitals(context, visit, baselines[patient_id], roomed)
        if visit["created_at"] >= history and patient_id not in asked:
            asked.add(patient_id)  # a newcomer's first visit: allergies asked at intake
            if rng.random() < 0.2:
                _allergies(context, visit, roomed)
            else:
                core.no_known_allergies(
                    store, visit["mrn"], user=context.user, now=roomed, tz=context.zone
                )
        for test, value, unit, range_text, loinc in _ordered(
            rng, visit, problems.get(patient_id, ())
        ):
            _result(context, visit, test, value, unit, range_text, loinc, roomed)
        if rng.random() < 0.015:  # written as the visit ends
            ended = from_utc_text(visit["ends_at"])
            findings.add_note(store, visit["mrn"], rng.choice(NOTES), user=context.user, now=ended)


def history_start(context):
    """The first day of the demo's year of appointments."""
    return context.today - timedelta(days=365)


def _allergies(context, patient, when: datetime) -> None:
    rng = context.rng
    for substance, reaction, severity in rng.sample(ALLERGIES, rng.choice((1, 1, 2))):
        core.add_allergy(
            context.store,
            patient["mrn"],
            substance,
            reaction=reaction,
            severity=severity,
            user=context.user,
            now=when,
        )


def _baseline(context, visit, codes) -> dict:
    """A patient's usual readings: what their problems would make them."""
    rng = context.rng
    years = readings.age_on(visit["dob"], context.today)[0]
    if years < 18:
        return {"years": years, "in_pounds": rng.random() < 0.85}
    height = Decimal(rng.randint(163, 192) if visit["sex"] == "male" else rng.randint(150, 178))
    bmi = rng.uniform(31, 38) if "E66.9" in codes else rng.uniform(20, 29.5)
    if "E11.9" in codes:
        bmi += 3
    high = "I10" in codes
    return {
        "years": years,
        "in_pounds": rng.random() < 0.85,
        "height": height,
        "weight": Decimal(str(round(bmi * float(height / 100) ** 2, 1))),
        "systolic": rng.randint(134, 152) if high else rng.randint(106, 128),
        "diastolic": rng.randint(84, 94) if high else rng.randint(64, 82),
        "pulse": rng.randint(58, 88),
        "resp": rng.randint(12, 18),
        "drift": Decimal(str(round(rng.uniform(-0.3, 0.3), 2))),  # kg a visit
        "visits": 0,
    }


def _vitals(context, visit, baseline, roomed) -> None:
    rng = context.rng
    years = baseline["years"]
    if years < 18:  # children grow: height and weight from their age at the visit
        age = (roomed.astimezone(context.zone).date() - date.fromisoformat(visit["dob"])).days
        age /= 365.25
        height = Decimal(str(round(50 + 6.2 * age + rng.uniform(-1, 1), 1)))
        weight = max(Decimal("3.5"), Decimal(str(round(3.4 + 2.6 * age + rng.uniform(-1, 1), 1))))
        systolic, diastolic = 98 + int(age), 60 + int(age) // 2
        pulse, resp = 130 - int(age * 3.5), 30 - int(age)
    else:
        height = baseline["height"]
        weight = baseline["weight"] + baseline["drift"] * baseline["visits"]
        baseline["visits"] += 1
        systolic, diastolic = baseline["systolic"], baseline["diastolic"]
        pulse, resp = baseline["pulse"], baseline["resp"]
    values = {
        "bp": f"{systolic + rng.randint(-8, 8)}/{diastolic + rng.randint(-6, 6)}",
        "pulse": str(pulse + rng.randint(-6, 6)),
        "resp": str(resp + rng.randint(-2, 2)),
        "temp": f"{Decimal('97.9') + Decimal(rng.randint(0, 12)) / 10}F",
        "spo2": str(rng.randint(95, 100)),
        "weight": (
            f"{units.rounded(weight / units.POUND_KG, 1)}lb"
            if baseline["in_pounds"]
            else f"{units.rounded(weight, 1)}kg"
        ),
    }
    if years < 18 or baseline["visits"] == 1:
        values["height"] = f"{units.rounded(height / units.INCH_CM, 1)}in"
    if visit["type"] == "sick visit" or rng.random() < 0.1:
        values["pain"] = str(rng.randint(0, 6))
    readings.record(
        context.store,
        visit["mrn"],
        values,
        at=local_text(roomed, context.zone),
        confirm=True,
        clinic_units="us",
        user=context.user,
        now=roomed,
        tz=context.zone,
    )


def _problems(context, patient, years: int, registered: datetime) -> None:
    store, rng = context.store, context.rng
    adult_days = (years - 18) * 365
    for code, medications in rng.sample(CONDITIONS, rng.choice((1, 1, 2, 3))):
        onset = context.today - timedelta(days=rng.randint(60, max(61, min(3000, adult_days))))
        # On the chart from the day it was diagnosed here, or from registration.
        now = max(registered, localize(datetime.combine(onset, time(10)), context.zone))
        today = now.astimezone(context.zone).date()
        entry = core.add_problem(
            store,
            patient["mrn"],
            code,
            onset=onset.isoformat(),
            user=context.user,
            now=now,
            today=today,
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
                today=today,
            )
        if code == "N39.0":
            cleared = onset + timedelta(days=7)
            core.resolve_problem(
                store,
                entry["id"],
                on=cleared.isoformat(),
                user=context.user,
                now=max(now, localize(datetime.combine(cleared, time(10)), context.zone)),
                today=max(today, cleared),
            )


def _ordered(rng, visit, codes) -> list[tuple]:
    """The results a visit produced: an A1c and fingerstick glucose at diabetes checks,
    a lipid panel at cholesterol checks, an EKG at some hypertensive patients' physicals."""
    reason = visit["reason"]
    if reason == "diabetes follow-up":
        return [
            ("Hemoglobin A1c", f"{rng.uniform(6.2, 8.9):.1f}", "%", "4.0-5.6", "4548-4"),
            ("Glucose, point of care", str(rng.randint(95, 210)), "mg/dL", "70-99", "41653-7"),
        ]
    if reason == "cholesterol follow-up":
        return [("LDL cholesterol", str(rng.randint(90, 190)), "mg/dL", "<100", "13457-7")]
    if visit["type"] == "physical" and "I10" in codes and rng.random() < 0.5:
        return [("EKG interpretation", "Normal sinus rhythm", None, None, "18844-1")]
    return []


def _result(context, visit, test, value, unit, range_text, loinc, taken) -> None:
    findings.add_result(
        context.store,
        visit["mrn"],
        test,
        value,
        unit=unit,
        range_text=range_text,
        loinc=loinc,
        at=local_text(taken, context.zone),
        user=context.user,
        now=taken,
        tz=context.zone,
    )
