"""What the lab modules share: order and specimen numbers, clean text."""

from __future__ import annotations

from macli.errors import Invalid
from macli.text import clean as text_rule


def clean(value, field: str, *, multiline: bool = False):
    """Text as it may be stored in `field`, held to the one rule for text (macli/text.py:
    no control characters; line breaks and tabs only when multi-line), trimmed; empty
    and None become None. HL7 fields, notes and reasons all come through here."""
    value = text_rule(value, field, multiline=multiline)
    if value is None:
        return None
    return value.strip() or None


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
