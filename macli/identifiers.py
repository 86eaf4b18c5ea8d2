"""Identifiers whose form can be checked: LOINC codes (a number and its mod-10 check digit)."""

from __future__ import annotations

import re

from macli.errors import Invalid

_LOINC = re.compile(r"^(\d{1,7})-(\d)$")


def loinc_check_digit(number: str) -> int:
    """The LOINC mod-10 check digit of the part before the hyphen (Luhn: the rightmost
    digit and every second one leftwards are doubled, their digits summed)."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit = digit // 10 + digit % 10
        total += digit
    return (10 - total % 10) % 10


def loinc(code: str) -> str:
    """`code` as a LOINC code (`2823-3`), or Invalid naming what is wrong with it."""
    text = (code or "").strip()
    found = _LOINC.match(text)
    if not found:
        raise Invalid(f"{code!r} is not a LOINC code (digits, a hyphen, a check digit: 2823-3)")
    expected = loinc_check_digit(found[1])
    if int(found[2]) != expected:
        raise Invalid(f"LOINC {text} has a wrong check digit (for {found[1]} it is {expected})")
    return text
