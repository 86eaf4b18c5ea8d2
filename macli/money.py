"""Exact amounts in integer cents: money never touches a float."""

from __future__ import annotations

import re

from macli.errors import Invalid

_AMOUNT = re.compile(
    r"^(?P<sign>[-+])?\$?(?P<whole>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<frac>\d{1,2}))?$"
)
# Far beyond any clinic's expense, and small enough that sums of tens of thousands of
# such amounts stay inside SQLite's 64-bit integers.
MAX_CENTS = 999_999_999_999_99


def parse_amount(text: str) -> int:
    """`12.5`, `12.50`, `$1,234.56`, `-3.00`, `(3.00)` into cents; anything else is refused."""
    value = str(text).strip().replace(" ", "")
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.startswith("-$") or value.startswith("+$"):
        value = value[0] + value[2:]
    elif value.startswith("$-") or value.startswith("$+"):
        value = value[1] + value[2:]
    match = _AMOUNT.match(value)
    if not value or not match or (match["whole"] is None and match["frac"] is None):
        raise Invalid(f"cannot read amount {text!r} (use e.g. 12.50, $1,234.56 or -3.00)")
    whole_text = (match["whole"] or "0").replace(",", "")
    if len(whole_text.lstrip("0")) > 12:
        raise Invalid(f"amount {text!r} is too large (at most {cents_text(MAX_CENTS)})")
    whole = int(whole_text.lstrip("0") or "0")
    cents = whole * 100 + int((match["frac"] or "0").ljust(2, "0"))
    if match["sign"] == "-":
        negative = not negative
    return -cents if negative else cents


def cents_text(cents: int | None) -> str:
    """Cents as a plain decimal string: `-1234.56` (no float on the way)."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def sql_cents_text(column: str) -> str:
    """SQL that shows integer cents in `column` as exact decimal text, like cents_text."""
    return (
        f"(CASE WHEN {column} < 0 THEN '-' ELSE '' END || (abs({column}) / 100) || '.'"
        f" || printf('%02d', abs({column}) % 100))"
    )
