"""Temperatures as the store keeps them: integer hundredths of a degree Celsius.

`5.2C`, `5.2 °C`, `41F`, `-20c` are read exactly (decimal arithmetic; °F converted
and rounded half-even to the hundredth). A bare number is only accepted where it can
mean one scale alone for the unit in question (see `parse`).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from macli.errors import Invalid

_TEMPERATURE = re.compile(
    r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:°|º|deg)?\s*([cf]|celsius|fahrenheit)?\s*$",
    re.IGNORECASE,
)
LOWEST_C100, HIGHEST_C100 = -27315, 20000  # absolute zero .. 200 °C: anything else is a typo


def f_to_c100(value: Decimal) -> int:
    """Degrees Fahrenheit to hundredths of a degree Celsius, rounded half-even."""
    return int(((value - 32) * 500 / 9).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def c_to_c100(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def split(text: str) -> tuple[Decimal, str | None]:
    """(number, 'C' | 'F' | None) from `5.2C`, `41 °F`, `7`."""
    match = _TEMPERATURE.match(text or "")
    if not match:
        raise Invalid(f"cannot read temperature {text!r} (use e.g. 5.2C or 41F)")
    try:
        number = Decimal(match[1])
    except InvalidOperation:
        raise Invalid(f"cannot read temperature {text!r}") from None
    scale = match[2][0].upper() if match[2] else None
    return number, scale


def to_c100(number: Decimal, scale: str) -> int:
    value = c_to_c100(number) if scale == "C" else f_to_c100(number)
    if not LOWEST_C100 <= value <= HIGHEST_C100:
        raise Invalid(f"{number}°{scale} is not a storage temperature")
    return value


def parse(
    text: str, *, band: tuple[int, int] | None = None, default_scale: str | None = None
) -> int:
    """A temperature in hundredths of °C.

    Without C or F, `default_scale` decides; else a bare number is read in the scale
    in which it falls inside `band` (the unit's range) and not in the other one;
    when it fits both or neither, the scale must be said.
    """
    number, scale = split(text)
    if scale is None:
        scale = default_scale
    if scale is None and band is not None:
        low, high = band
        fits = [s for s in ("C", "F") if low <= _quiet(number, s) <= high]
        if len(fits) == 1:
            scale = fits[0]
    if scale is None:
        raise Invalid(
            f"say whether {text.strip()!r} is Celsius or Fahrenheit (e.g. {number}C or {number}F)"
        )
    return to_c100(number, scale)


def _quiet(number: Decimal, scale: str) -> int:
    return c_to_c100(number) if scale == "C" else f_to_c100(number)


def parse_range(text: str) -> tuple[int, int]:
    """`2..8`, `2C..8C`, `36F..46F`, `-50..-15` (bare numbers are °C) as hundredths."""
    parts = (text or "").split("..")
    if len(parts) != 2:
        raise Invalid(f"cannot read range {text!r} (use LOW..HIGH, e.g. 2.0..8.0)")
    low, high = (parse(part, default_scale="C") for part in parts)
    if low >= high:
        raise Invalid(f"the range {text.strip()!r} has its low end above its high end")
    return low, high


def text(c100: int | None, unit: str = "C") -> str:
    """`11.2 °C` (one decimal unless the hundredth matters); `unit='F'` shows °F."""
    if c100 is None:
        return ""
    if unit == "F":
        value = (Decimal(c100) * 9 / 500 + 32).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
        return f"{value} °F"
    return f"{number(c100)} °C"


def number(c100: int) -> str:
    """`11.2`, `-20.0`, `5.25`: the value in °C without the sign of the unit."""
    sign = "-" if c100 < 0 else ""
    whole, hundredths = divmod(abs(c100), 100)
    fraction = f"{hundredths:02d}"
    if fraction.endswith("0"):
        fraction = fraction[0]
    return f"{sign}{whole}.{fraction}"


def range_text(low: int, high: int) -> str:
    return f"{number(low)}..{number(high)} °C"
