"""Temperatures are read exactly: °C and °F to integer hundredths of a degree Celsius."""

from decimal import Decimal

import pytest

from macli.errors import Invalid
from macli.qc import temps


@pytest.mark.parametrize(
    ("text", "c100"),
    [
        ("5.2C", 520),
        ("5.2 °C", 520),
        ("41F", 500),
        ("46.4 °F", 800),
        ("-4F", -2000),
        ("-20c", -2000),
        ("35.6f", 200),
        ("41.3F", 517),  # 5.1666... °C rounds to 5.17
    ],
)
def test_reads_both_scales_exactly(text, c100):
    assert temps.parse(text) == c100


def test_a_bare_number_is_read_only_where_one_scale_fits_the_band():
    fridge = (200, 800)
    assert temps.parse("5", band=fridge) == 500
    assert temps.parse("41", band=fridge) == 500
    with pytest.raises(Invalid, match="Celsius or Fahrenheit"):
        temps.parse("11.2", band=fridge)  # out of range either way: say which
    freezer = (-5000, -1500)
    with pytest.raises(Invalid, match="Celsius or Fahrenheit"):
        temps.parse("-20", band=freezer)  # -20 °C and -20 °F (-28.9 °C) both fit


def test_ranges_and_display():
    assert temps.parse_range("2..8") == (200, 800)
    assert temps.parse_range("36F..46F") == (222, 778)
    with pytest.raises(Invalid, match="low end above"):
        temps.parse_range("8..2")
    assert temps.text(1120) == "11.2 °C"
    assert temps.text(-2000) == "-20.0 °C"
    assert temps.text(517) == "5.17 °C"
    assert temps.text(500, "F") == "41.0 °F"
    assert temps.f_to_c100(Decimal("32")) == 0
