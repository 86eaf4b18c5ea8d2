"""The identifiers every area checks, each read one way: phone numbers (E.164), e-mail
addresses, NPIs (Luhn), LOINC codes (mod 10), MRNs, and accent folding for search.

Each `check_`/reading function returns the stored form or raises Invalid with a message
a person can act on; `phone_national` is the one display form, for tables.
"""

from __future__ import annotations

import re
import unicodedata

from macli.errors import Invalid

_EMAIL = re.compile(
    r"^[^@\s,;<>()\[\]\\\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def fold(text: str) -> str:
    """Text for case- and accent-insensitive search: `José` and `JOSE` both give `jose`."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


# -- phones and mail --------------------------------------------------------------------


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


def phone_national(e164: str | None) -> str | None:
    """A stored E.164 number as people read it in a table: `(617) 555-0142` at home,
    the international form abroad. Machine formats (csv, json) carry the E.164 itself."""
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


# -- record numbers and codes -----------------------------------------------------------


def mrn_for(patient_id: int) -> str:
    """The medical record number of a patient id: it never changes."""
    return f"P{patient_id:06d}"


def npi_check_digit(first_nine: str) -> str:
    """The NPI check digit: the Luhn digit of the nine digits prefixed with 80840."""
    total = 0
    for index, char in enumerate(reversed("80840" + first_nine)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return str((10 - total % 10) % 10)


def check_npi(text: str) -> str:
    """A 10-digit National Provider Identifier with a valid Luhn check digit."""
    value = text.strip()
    if not re.fullmatch(r"\d{10}", value):
        raise Invalid(f"NPI {text!r} must be 10 digits")
    if npi_check_digit(value[:9]) != value[9]:
        raise Invalid(f"NPI {text!r} fails its check digit")
    return value


def check_loinc(code: str) -> str:
    """A LOINC code with a correct mod-10 check digit (e.g. 4548-4), or Invalid."""
    text = (code or "").strip()
    match = re.fullmatch(r"(\d{1,7})-(\d)", text)
    if not match:
        raise Invalid(f"{code!r} is not a LOINC code (digits, a dash, a check digit: 4548-4)")
    digits = match[1]
    odd = digits[::-1][0::2][::-1]  # 1st, 3rd, ... from the right, in reading order
    even = digits[::-1][1::2][::-1]
    total = sum(int(d) for d in even + str(int(odd) * 2))
    if (10 - total % 10) % 10 != int(match[2]):
        raise Invalid(f"{text} is not a LOINC code: its check digit is wrong")
    return text
