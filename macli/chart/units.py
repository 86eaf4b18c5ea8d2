"""Reading vital-sign quantities with their units, exactly (decimal, never float).

Each parser returns a `Quantity`: the canonical value in its UCUM unit, the quantity as
entered with its unit made explicit, and the unit system it was entered in. Conversion
factors are exact by definition (1 lb = 0.45359237 kg, 1 in = 2.54 cm), so weights and
heights convert without rounding; Fahrenheit to Celsius divides by 9 and is kept to
0.001 degC, far finer than any clinical thermometer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from macli.errors import Invalid

POUND_KG = Decimal("0.45359237")
OUNCE_KG = POUND_KG / 16  # 0.028349523125, exact
INCH_CM = Decimal("2.54")
FOOT_CM = INCH_CM * 12
CELSIUS_STEP = Decimal("0.001")

_NUMBER = r"(\d+(?:\.\d+)?)"
_TERM = re.compile(_NUMBER + r"\s*([a-z°'\"]+)\s*", re.IGNORECASE)
_TEMPERATURE = re.compile(r"^" + _NUMBER + r"\s*(?:°|deg)?\s*([fc])?$", re.IGNORECASE)
_WHOLE = re.compile(r"^\d+$")

WEIGHT_UNITS = {
    "lb": ("lb", "us", POUND_KG),
    "lbs": ("lb", "us", POUND_KG),
    "pound": ("lb", "us", POUND_KG),
    "pounds": ("lb", "us", POUND_KG),
    "oz": ("oz", "us", OUNCE_KG),
    "ounce": ("oz", "us", OUNCE_KG),
    "ounces": ("oz", "us", OUNCE_KG),
    "kg": ("kg", "metric", Decimal(1)),
    "g": ("g", "metric", Decimal("0.001")),
}
HEIGHT_UNITS = {
    "ft": ("ft", "us", FOOT_CM),
    "feet": ("ft", "us", FOOT_CM),
    "foot": ("ft", "us", FOOT_CM),
    "'": ("ft", "us", FOOT_CM),
    "in": ("in", "us", INCH_CM),
    "inch": ("in", "us", INCH_CM),
    "inches": ("in", "us", INCH_CM),
    '"': ("in", "us", INCH_CM),
    "cm": ("cm", "metric", Decimal(1)),
    "m": ("m", "metric", Decimal(100)),
}
# Compound forms allowed: the larger unit first, the smaller below one of the larger.
COMPOUNDS = {("lb", "oz"): 16, ("ft", "in"): 12}


@dataclass(frozen=True)
class Quantity:
    value: Decimal  # canonical, in the UCUM unit of its vital
    entered: str  # as entered, unit made explicit: "12 lb 4 oz", "98.6 °F"
    system: str | None  # "us", "metric", or None when the unit is the same in both


def decimal_text(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros: 81.6466266, 120."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def parse_compound(text: str, units: dict, what: str, example: str) -> Quantity:
    """A weight or height: one term (`81.6kg`) or a compound (`12lb4oz`, `5ft10in`)."""
    raw = (text or "").strip()
    position, terms = 0, []
    while position < len(raw):
        match = _TERM.match(raw, position)
        if not match:
            break
        terms.append((match[1], match[2].lower()))
        position = match.end()
    if not terms or position != len(raw):
        if re.fullmatch(_NUMBER, raw):
            raise Invalid(f"{what} {raw!r} needs a unit (e.g. {example})")
        raise Invalid(f"cannot read {what} {raw!r} (e.g. {example})")
    parsed = []
    for number, unit in terms:
        if unit not in units:
            known = ", ".join(sorted({u[0] for u in units.values()}))
            raise Invalid(f"unknown unit {unit!r} in {what} {raw!r} (use {known})")
        name, system, factor = units[unit]
        parsed.append((Decimal(number), name, system, factor, number))
    names = tuple(p[1] for p in parsed)
    if len(parsed) > 1:
        if names not in COMPOUNDS:
            raise Invalid(f"cannot read {what} {raw!r}: combine only lb+oz or ft+in")
        limit = COMPOUNDS[names]
        if parsed[1][0] >= limit:
            raise Invalid(f"{what} {raw!r}: {parsed[1][1]} must be below {limit}")
    value = sum((p[0] * p[3] for p in parsed), Decimal(0))
    entered = " ".join(f"{p[4]} {p[1]}" for p in parsed)
    return Quantity(value, entered, parsed[0][2])


def parse_weight(text: str) -> Quantity:
    """`180lb`, `81.6kg`, `12lb4oz`, `3500g` -> kg."""
    return parse_compound(text, WEIGHT_UNITS, "weight", "180lb, 81.6kg or 12lb4oz")


def parse_height(text: str) -> Quantity:
    """`70in`, `5ft10in`, `5'10"`, `178cm`, `1.78m` -> cm."""
    return parse_compound(text, HEIGHT_UNITS, "height", "70in, 5ft10in or 178cm")


def parse_temperature(text: str, default_system: str) -> tuple[Quantity, str]:
    """`98.6F`, `37C`, `37.2 °C`; a bare number is in the clinic's unit -> (Cel, letter)."""
    raw = (text or "").strip()
    match = _TEMPERATURE.match(raw)
    if not match:
        raise Invalid(f"cannot read temperature {raw!r} (e.g. 98.6F or 37C)")
    letter = (match[2] or ("F" if default_system == "us" else "C")).upper()
    return celsius_quantity(match[1], letter), letter


def celsius_quantity(number: str, letter: str) -> Quantity:
    """A temperature in F or C as a Celsius quantity."""
    value = Decimal(number)
    if letter == "F":
        celsius = ((value - 32) * 5 / 9).quantize(CELSIUS_STEP)
        return Quantity(celsius, f"{number} °F", "us")
    return Quantity(value, f"{number} °C", "metric")


def parse_whole(text: str, what: str, suffix: str = "") -> Quantity:
    """A whole number such as a pulse, or `98%` when `suffix` is `%`."""
    raw = (text or "").strip()
    if suffix and raw.endswith(suffix):
        raw = raw[: -len(suffix)].strip()
    if not _WHOLE.match(raw):
        raise Invalid(f"{what} must be a whole number, not {text!r}")
    return Quantity(Decimal(raw), raw, None)


def parse_bp(text: str) -> tuple[Quantity, Quantity]:
    """`120/80` -> (systolic, diastolic) in mm[Hg]."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match:
        raise Invalid(f"cannot read blood pressure {text!r} (use SYSTOLIC/DIASTOLIC, e.g. 120/80)")
    return Quantity(Decimal(match[1]), match[1], None), Quantity(Decimal(match[2]), match[2], None)


# -- display ---------------------------------------------------------------------------


def rounded(value: Decimal, places: int) -> str:
    return decimal_text(value.quantize(Decimal(1).scaleb(-places)))


def weight_text(kg: Decimal, system: str) -> str:
    if system == "us":
        return f"{rounded(kg / POUND_KG, 1)} lb"
    return f"{rounded(kg, 2 if kg < 20 else 1)} kg"


def height_text(cm: Decimal, system: str) -> str:
    if system == "us":
        inches = cm / INCH_CM
        feet = int(inches // 12)
        rest = rounded(inches - feet * 12, 1)
        if rest == "12":
            feet, rest = feet + 1, "0"
        return f"{feet} ft {rest} in" if feet else f"{rest} in"
    return f"{rounded(cm, 1)} cm"


def temperature_text(celsius: Decimal, system: str) -> str:
    if system == "us":
        return f"{rounded(celsius * 9 / 5 + 32, 1)} °F"
    return f"{rounded(celsius, 1)} °C"
