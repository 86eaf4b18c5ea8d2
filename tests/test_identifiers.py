"""The identifiers every area checks, each read one way (macli/identifiers.py)."""

from __future__ import annotations

import random

import pytest

from macli.errors import Invalid
from macli.identifiers import (
    check_loinc,
    check_npi,
    email_address,
    fold,
    mrn_for,
    npi_check_digit,
    phone_e164,
    phone_national,
)


def test_phones_are_stored_in_e164_and_shown_nationally_in_tables():
    assert phone_e164("617-555-0142", "US") == "+16175550142"
    assert phone_e164("(617) 555-0142", "US") == "+16175550142"
    assert phone_e164("+44 20 7946 0958", "US") == "+442079460958"
    assert phone_national("+16175550142") == "(617) 555-0142"
    assert phone_national("+442079460958") == "020 7946 0958"
    assert phone_national(None) is None
    for bad in ("555", "not a phone", "+1 000 000 0000"):
        with pytest.raises(Invalid):
            phone_e164(bad, "US")


def test_email_addresses_keep_their_local_part_and_lower_their_domain():
    assert email_address(" Ana.Garcia@Example.ORG ") == "Ana.Garcia@example.org"
    for bad in ("ana", "ana@", "a b@example.org", "ana@example", "x@-example.org"):
        with pytest.raises(Invalid):
            email_address(bad)


def test_npi_check_digit_and_its_check_agree():
    assert check_npi("1234567893") == "1234567893"
    with pytest.raises(Invalid, match="check digit"):
        check_npi("1234567890")
    with pytest.raises(Invalid, match="10 digits"):
        check_npi("12345")
    rng = random.Random(7)
    for _ in range(200):
        body = "".join(str(rng.randrange(10)) for _ in range(9))
        check_npi(body + npi_check_digit(body))


def test_loinc_codes_need_their_mod_10_check_digit():
    for code in ("4548-4", "2345-7", "8480-6", "85354-9"):
        assert check_loinc(code) == code
    for bad in ("4548-5", "4548", "ABC-1", ""):
        with pytest.raises(Invalid):
            check_loinc(bad)


def test_mrns_and_accent_folding():
    assert mrn_for(42) == "P000042"
    assert fold("  José  GARCÍA ") == fold("jose garcia") == "jose garcia"
    assert fold("Müller-Lüdenscheidt") == "muller-ludenscheidt"
