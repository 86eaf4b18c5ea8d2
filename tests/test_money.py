import pytest

from macli.errors import Invalid
from macli.money import cents_text, parse_amount


@pytest.mark.parametrize(
    "text, cents",
    [
        ("12.5", 1250),
        ("12.50", 1250),
        ("$1,234.56", 123456),
        ("-3.00", -300),
        ("(3.00)", -300),
        ("-$5", -500),
        ("0.01", 1),
        ("1234567.89", 123456789),
    ],
)
def test_amounts_are_exact_cents(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "1,23", "12.345", "1e3", "$", "-", "1.2.3", "NaN"])
def test_malformed_amounts_are_refused(text):
    with pytest.raises(Invalid, match="cannot read amount"):
        parse_amount(text)


def test_cents_text():
    assert cents_text(-1) == "-0.01"
    assert cents_text(123456) == "1234.56"
    assert cents_text(0) == "0.00"
