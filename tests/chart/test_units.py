"""The unit grammar: every form converts exactly, nonsense is refused with an example."""

from decimal import Decimal

import pytest

from macli.chart import units
from macli.errors import Invalid


@pytest.mark.parametrize(
    "text, kg, entered, system",
    [
        ("180lb", "81.6466266", "180 lb", "us"),
        ("180 lbs", "81.6466266", "180 lb", "us"),
        ("81.6kg", "81.6", "81.6 kg", "metric"),
        ("12lb4oz", "5.5565065325", "12 lb 4 oz", "us"),
        ("12 lb 4 oz", "5.5565065325", "12 lb 4 oz", "us"),
        ("7 lb 8.5 oz", "3.4161175365625", "7 lb 8.5 oz", "us"),
        ("3500g", "3.5", "3500 g", "metric"),
        ("10oz", "0.28349523125", "10 oz", "us"),
    ],
)
def test_weight_forms_convert_exactly(text, kg, entered, system):
    quantity = units.parse_weight(text)
    assert units.decimal_text(quantity.value) == kg
    assert (quantity.entered, quantity.system) == (entered, system)


@pytest.mark.parametrize(
    "text, cm, entered",
    [
        ("70in", "177.8", "70 in"),
        ("5ft10in", "177.8", "5 ft 10 in"),
        ("5'10\"", "177.8", "5 ft 10 in"),
        ("5 ft 10.5 in", "179.07", "5 ft 10.5 in"),
        ("6ft", "182.88", "6 ft"),
        ("178cm", "178", "178 cm"),
        ("1.78m", "178", "1.78 m"),
    ],
)
def test_height_forms_convert_exactly(text, cm, entered):
    quantity = units.parse_height(text)
    assert units.decimal_text(quantity.value) == cm
    assert quantity.entered == entered


@pytest.mark.parametrize(
    "text, message",
    [
        ("180", "needs a unit"),
        ("12kg4lb", r"combine only lb\+oz or ft\+in"),
        ("12lb16oz", "oz must be below 16"),
        ("5ft12in", "in must be below 12"),
        ("80 stone", "unknown unit 'stone'"),
        ("heavy", "cannot read"),
        ("-80kg", "cannot read"),
        ("1e2kg", "unknown unit 'e'"),
    ],
)
def test_weight_and_height_nonsense_is_refused(text, message):
    parse = units.parse_height if ("ft" in text or "in" in text) else units.parse_weight
    with pytest.raises(Invalid, match=message):
        parse(text)


@pytest.mark.parametrize(
    "text, clinic, celsius, letter",
    [
        ("98.6F", "us", "37", "F"),
        ("98.6 °F", "metric", "37", "F"),
        ("37C", "us", "37", "C"),
        ("37.2 °C", "us", "37.2", "C"),
        ("98.6", "us", "37", "F"),
        ("37", "metric", "37", "C"),
        ("99F", "us", "37.222", "F"),
    ],
)
def test_temperature_forms_and_the_clinic_unit(text, clinic, celsius, letter):
    quantity, read_as = units.parse_temperature(text, clinic)
    assert units.decimal_text(quantity.value) == celsius
    assert read_as == letter


def test_fahrenheit_round_trips_through_the_stored_celsius():
    for tenths in range(950, 1080):
        fahrenheit = Decimal(tenths) / 10
        quantity, _ = units.parse_temperature(f"{fahrenheit}F", "us")
        assert units.temperature_text(quantity.value, "us") == f"{fahrenheit.normalize():f} °F"


def test_weights_round_trip_to_the_tenth_of_a_pound():
    for tenths in range(1, 5000, 7):
        pounds = Decimal(tenths) / 10
        quantity = units.parse_weight(f"{pounds}lb")
        assert units.weight_text(quantity.value, "us") == f"{pounds.normalize():f} lb"


def test_blood_pressure_and_whole_numbers():
    systolic, diastolic = units.parse_bp(" 120 / 80 ")
    assert (systolic.value, diastolic.value) == (120, 80)
    assert units.parse_whole("98%", "SpO2", suffix="%").value == 98
    with pytest.raises(Invalid, match="SYSTOLIC/DIASTOLIC"):
        units.parse_bp("120")
    with pytest.raises(Invalid, match="whole number"):
        units.parse_whole("72.5", "pulse")


def test_display_in_either_system():
    assert units.weight_text(Decimal("81.6466266"), "metric") == "81.6 kg"
    assert units.weight_text(Decimal("5.5565065325"), "metric") == "5.56 kg"
    assert units.height_text(Decimal("177.8"), "us") == "5 ft 10 in"
    assert units.height_text(Decimal("50"), "us") == "1 ft 7.7 in"
    assert units.temperature_text(Decimal("37"), "us") == "98.6 °F"
    assert units.temperature_text(Decimal("37"), "metric") == "37 °C"
