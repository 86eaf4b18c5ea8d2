"""Contact details: a person's name as given, and the channels a patient may be reached by.

The identifiers they carry (phones, e-mail, NPI, ...) are read in `macli.identifiers`."""

from __future__ import annotations

import unicodedata

from macli.errors import Invalid

CHANNELS = ("sms", "email", "phone")


def person_name(text: str) -> tuple[str, str]:
    """Display name and first name from `First Last` or `Last, First`."""
    value = " ".join(str(text).split())
    if not value or len(value) > 200:
        raise Invalid("a name must have between 1 and 200 characters")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise Invalid("a name may not contain control characters")
    if not any(ch.isalpha() for ch in value):
        raise Invalid(f"{text!r} does not look like a name")
    if "," in value:
        last, _, first = (part.strip() for part in value.partition(","))
        if not last or not first or "," in first:
            raise Invalid(f"cannot read name {text!r} (use 'First Last' or 'Last, First')")
        value = f"{first} {last}"
    return value, value.split(" ")[0]


def channel_list(text: str) -> list[str]:
    """`sms,email` into a list of known channels."""
    channels = [part.strip().lower() for part in text.split(",") if part.strip()]
    for channel in channels:
        if channel not in CHANNELS:
            raise Invalid(f"unknown channel {channel!r} (use {', '.join(CHANNELS)})")
    return sorted(set(channels), key=CHANNELS.index)
