"""Vital signs: what each one is (LOINC, UCUM), reading a set, the two tiers of checks,
BMI, the AHA/ACC 2017 blood-pressure classes and the flags shown beside a reading.

Pure functions over decimals: no store, no clock. docs/chart.md lists every range below
and where it comes from; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from macli.chart import units
from macli.errors import Invalid


@dataclass(frozen=True)
class Vital:
    name: str
    loinc: str
    unit: str  # UCUM, for stored values and FHIR; never shown to people
    label: str
    shown: str  # the unit as people write it, for messages, tables and plots


VITALS = {
    v.name: v
    for v in (
        Vital("systolic", "8480-6", "mm[Hg]", "systolic blood pressure", "mmHg"),
        Vital("diastolic", "8462-4", "mm[Hg]", "diastolic blood pressure", "mmHg"),
        Vital("pulse", "8867-4", "/min", "pulse", "/min"),
        Vital("resp", "9279-1", "/min", "respiratory rate", "/min"),
        Vital("temp", "8310-5", "Cel", "temperature", "°C"),
        Vital("spo2", "59408-5", "%", "SpO2", "%"),
        Vital("weight", "29463-7", "kg", "weight", "kg"),
        Vital("height", "8302-2", "cm", "height", "cm"),
        Vital("bmi", "39156-5", "kg/m2", "BMI", "kg/m²"),
        Vital("pain", "72514-3", "{score}", "pain", ""),
    )
}
BY_LOINC = {v.loinc: v for v in VITALS.values()}
BP_PANEL_LOINC = "85354-9"
ADULT_YEARS = 18
BMI_STEP = Decimal("0.1")

D = Decimal
# Tier 1: refused outright. (low, high) in the canonical unit, inclusive.
POSSIBLE = {
    "systolic": (D(50), D(300)),
    "diastolic": (D(20), D(200)),
    "pulse": (D(20), D(300)),
    "resp": (D(3), D(100)),
    "temp": (D(25), D(45)),
    "spo2": (D(50), D(100)),
    "weight": (D("0.2"), D(700)),
    "height": (D(20), D(275)),
    "pain": (D(0), D(10)),
}
WEIGHT_CHANGE_DAYS = 30
WEIGHT_CHANGE_SHARE = D("0.2")


def parse_set(values: dict[str, str | None], clinic_units: str) -> dict[str, units.Quantity]:
    """Read the options of `chart vitals` into quantities; refuse what cannot be true."""
    readings: dict[str, units.Quantity] = {}
    if values.get("bp") is not None:
        readings["systolic"], readings["diastolic"] = units.parse_bp(values["bp"])
    for name in ("pulse", "resp", "pain"):
        if values.get(name) is not None:
            readings[name] = units.parse_whole(values[name], VITALS[name].label)
    if values.get("spo2") is not None:
        readings["spo2"] = units.parse_whole(values["spo2"], "SpO2", suffix="%")
    if values.get("weight") is not None:
        readings["weight"] = units.parse_weight(values["weight"])
    if values.get("height") is not None:
        readings["height"] = units.parse_height(values["height"])
    if values.get("temp") is not None:
        readings["temp"] = _temperature(values["temp"], clinic_units)
    for name, quantity in readings.items():
        if name != "temp":
            _check_possible(name, quantity)
    if "systolic" in readings and readings["diastolic"].value >= readings["systolic"].value:
        bp = f"{readings['systolic'].entered}/{readings['diastolic'].entered}"
        raise Invalid(f"blood pressure {bp} is not possible: diastolic must be below systolic")
    return readings


def _range_text(name: str, system: str | None) -> str:
    low, high = POSSIBLE[name]
    unit = VITALS[name].shown
    if name == "weight":
        metric = f"{units.decimal_text(low)}–{units.decimal_text(high)} kg"
        us = (
            f"{units.rounded(low / units.POUND_KG, 2)}–{units.rounded(high / units.POUND_KG, 0)} lb"
        )
        return f"{us} ({metric})" if system == "us" else f"{metric} ({us})"
    if name == "height":
        metric = f"{units.decimal_text(low)}–{units.decimal_text(high)} cm"
        us = f"{units.rounded(low / units.INCH_CM, 1)}–{units.rounded(high / units.INCH_CM, 1)} in"
        return f"{us} ({metric})" if system == "us" else f"{metric} ({us})"
    return f"{units.decimal_text(low)}–{units.decimal_text(high)} {unit}".rstrip()


def _check_possible(name: str, quantity: units.Quantity) -> None:
    low, high = POSSIBLE[name]
    if not low <= quantity.value <= high:
        raise Invalid(
            f"{VITALS[name].label} {quantity.entered} is not possible: "
            f"accepted {_range_text(name, quantity.system)}"
        )


def _temperature(text: str, clinic_units: str) -> units.Quantity:
    quantity, letter = units.parse_temperature(text, clinic_units)
    low, high = POSSIBLE["temp"]
    if low <= quantity.value <= high:
        return quantity
    number = quantity.entered.split()[0]
    other = "C" if letter == "F" else "F"
    hint = ""
    if low <= units.celsius_quantity(number, other).value <= high:
        hint = f"; did you mean {number}{other}?"
    else:
        tenth = units.decimal_text(D(number) / 10)
        if low <= units.celsius_quantity(tenth, letter).value <= high:
            hint = f"; did you mean {tenth}{letter}?"
    bare = text.strip()[-1:].upper() not in ("F", "C")
    read_as = (
        f" (a number without a unit is read as °{letter}: clinic.units is {clinic_units})"
        if bare
        else ""
    )
    raise Invalid(
        f"temperature {quantity.entered}{read_as} is not possible: "
        f"accepted 25–45 °C (77–113 °F){hint}"
    )


# -- derived values and classes -------------------------------------------------------


def bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """Body-mass index in kg/m2, to 0.1 (as CDC reports it)."""
    metres = height_cm / 100
    return (weight_kg / (metres * metres)).quantize(BMI_STEP)


def bp_class(systolic: Decimal, diastolic: Decimal) -> str:
    """AHA/ACC 2017 adult category; the higher of the two readings' categories wins."""
    if systolic > 180 or diastolic > 120:
        return "crisis"
    if systolic >= 140 or diastolic >= 90:
        return "stage 2"
    if systolic >= 130 or diastolic >= 80:
        return "stage 1"
    if systolic >= 120:
        return "elevated"
    return "normal"


# Shown beside a reading: outside the NEWS2 zero-score band (adults), or fever/low SpO2.
NORMAL_ADULT = {
    "pulse": (D(51), D(90)),
    "resp": (D(12), D(20)),
    "spo2": (D(96), D(100)),
    "temp": (D("36.1"), D("38.0")),
}
NORMAL_ANY_AGE = ("spo2", "temp")


def flags(values: dict[str, Decimal], age_years: int) -> dict[str, str]:
    """`H` or `L` for each reading outside its normal band (see NORMAL_ADULT)."""
    out = {}
    for name, (low, high) in NORMAL_ADULT.items():
        if name not in values or (age_years < ADULT_YEARS and name not in NORMAL_ANY_AGE):
            continue
        if values[name] < low:
            out[name] = "L"
        elif values[name] > high:
            out[name] = "H"
    return out


# -- tier 2: unusual values that need --confirm ---------------------------------------


def unusual(
    values: dict[str, Decimal],
    *,
    age_years: int,
    age_months: int = 12,
    entered: dict[str, str] | None = None,
    previous_weight: tuple[Decimal, str, int] | None = None,
    height_source: str | None = None,
) -> list[str]:
    """Why each possible-but-unusual value needs a second look (empty when none).

    `entered` gives the text to quote per vital; `previous_weight` is (kg, local date,
    days before) of the last weight recorded, if any.
    """
    found = []
    adult = age_years >= ADULT_YEARS
    entered = entered or {}

    def note(name: str, why: str) -> None:
        shown = entered.get(name) or f"{units.decimal_text(values[name])} {VITALS[name].unit}"
        found.append(f"{VITALS[name].label} {shown} {why}")

    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if systolic is not None:
        if systolic > 180 or diastolic > 120:
            found.append(
                f"blood pressure {systolic}/{diastolic} is a hypertensive crisis "
                "(above 180 and/or 120, AHA/ACC 2017)"
            )
        if adult and systolic <= 90:
            note("systolic", "is 90 or less (NEWS2 scores it 3)")
        elif not adult and systolic < _pals_hypotension(age_years, age_months):
            floor = _pals_hypotension(age_years, age_months)
            note("systolic", f"is below {floor}, hypotension for this age (PALS)")
    pulse = values.get("pulse")
    if pulse is not None:
        if adult and (pulse <= 40 or pulse >= 131):
            note("pulse", "is outside 41–130 /min (NEWS2 scores it 3)")
        elif not adult:
            ceiling = 220 if age_years < 1 else 180
            if pulse < 60 or pulse >= ceiling:
                note("pulse", f"is outside 60–{ceiling - 1} /min for a child (PALS)")
    resp = values.get("resp")
    if resp is not None:
        if adult and (resp <= 8 or resp >= 25):
            note("resp", "is outside 9–24 /min (NEWS2 scores it 3)")
        elif not adult and (resp < 10 or resp > 60):
            note("resp", "is outside 10–60 /min for a child (PALS)")
    temp = values.get("temp")
    if temp is not None and temp < 35:
        note("temp", "is below 35 °C (95 °F): hypothermia")
    elif temp is not None and temp > 41:
        note("temp", "is above 41 °C (105.8 °F): hyperpyrexia")
    spo2 = values.get("spo2")
    if spo2 is not None and spo2 <= 91:
        note("spo2", "is 91% or less (NEWS2 scores it 3)")
    weight = values.get("weight")
    if weight is not None:
        if adult and not D(30) <= weight <= D(250):
            note("weight", "is outside 30–250 kg (66–551 lb) for an adult")
        if previous_weight is not None:
            before, when, days = previous_weight
            if days <= WEIGHT_CHANGE_DAYS and abs(weight - before) > before * WEIGHT_CHANGE_SHARE:
                change = abs(weight - before) / before * 100
                note(
                    "weight",
                    f"differs by {change:.0f}% from the {units.rounded(before, 1)} kg of {when} "
                    f"(more than 20% within {WEIGHT_CHANGE_DAYS} days: check the unit)",
                )
    height = values.get("height")
    if height is not None and adult and not D(120) <= height <= D(220):
        note("height", "is outside 120–220 cm (47–87 in) for an adult")
    value = values.get("bmi")
    if value is not None and not D(12) <= value <= D(70):
        source = f", height from {height_source}" if height_source else ""
        note("bmi", f"is outside 12–70 (check weight and height{source})")
    return found


def _pals_hypotension(age_years: int, age_months: int) -> Decimal:
    """PALS: systolic below 60 (first month), 70 (to 1 y), 70 + 2 x age (1-10 y), 90."""
    if age_years == 0:
        return D(60) if age_months < 1 else D(70)
    if age_years <= 10:
        return D(70 + 2 * age_years)
    return D(90)
