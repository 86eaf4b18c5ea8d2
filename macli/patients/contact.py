"""Validation of the ways to reach people and of identifiers: phone, e-mail, names, NPI."""

from __future__ import annotations

import re
import unicodedata

from macli.errors import Invalid

CHANNELS = ("sms", "email", "phone")
_EMAIL = re.compile(
    r"^[^@\s,;<>()\[\]\\\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def fold(text: str) -> str:
    """Text for case- and accent-insensitive search: `José` and `JOSE` both give `jose`."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def phone_e164(text: str, region: str) -> str:
    """A valid phone number in E.164 (`+16175550123`), or a clear error."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise Invalid(f"cannot read phone number {text!r}: {error}") from error
    if not phonenumbers.is_valid_number(number):
        raise Invalid(f"{text!r} is not a valid phone number for region {region}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str | None) -> str | None:
    """A stored number as people read it: national format at home, international abroad."""
    if not e164:
        return e164
    if len(e164) == 12 and e164.startswith("+1"):
        # Stored numbers are validated E.164; North American ones read (617) 555-0142.
        # Formatting them here keeps listings from importing phonenumbers (~30 ms).
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def email_address(text: str) -> str:
    """A plausible single e-mail address, lower-cased domain, or a clear error."""
    value = text.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise Invalid(f"{text!r} is not a valid e-mail address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


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


def check_npi(text: str) -> str:
    """A 10-digit National Provider Identifier with a valid Luhn check digit."""
    value = text.strip()
    if not re.fullmatch(r"\d{10}", value):
        raise Invalid(f"NPI {text!r} must be 10 digits")
    # The NPI check digit is the Luhn digit of the number prefixed with 80840.
    digits = [int(d) for d in "80840" + value]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    if total % 10:
        raise Invalid(f"NPI {text!r} fails its check digit")
    return value
