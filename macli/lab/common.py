"""What the lab modules share: order and specimen numbers, clean text."""

from __future__ import annotations

import re

from macli.errors import Invalid

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(value, field: str, *, multiline: bool = False):
    """Text as it may be stored in `field`: no control characters; None stays None."""
    if value is None:
        return None
    if _CONTROL.search(value.replace("\n", "") if multiline else value):
        raise Invalid(f"{field} may not contain control characters")
    value = value.strip()
    return value or None


def order_number(order_id: int) -> str:
    """How an order is named on labels, manifests and in HL7 (ORC-2/OBR-2)."""
    return f"LO{order_id:06d}"


def specimen_number(specimen_id: int) -> str:
    """The specimen id printed under its barcode."""
    return f"SP{specimen_id:06d}"


def parse_number(text, prefix: str, what: str) -> int:
    """`LO000012`, `lo12` or `12` -> 12."""
    value = str(text or "").strip().upper()
    if value.startswith(prefix):
        value = value[len(prefix) :]
    if not value.isdigit() or len(value) > 12:
        raise Invalid(f"{text!r} is not {what} number (e.g. {prefix}000012 or 12)")
    return int(value)
