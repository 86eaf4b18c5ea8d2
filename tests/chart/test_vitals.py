"""Blood-pressure classes, BMI, and the two tiers of checks (refused; needs --confirm)."""

from decimal import Decimal as D

import pytest

from macli.chart import vitals
from macli.errors import Invalid


@pytest.mark.parametrize(
    "bp, expected",
    [
        ("119/79", "normal"),
        ("120/79", "elevated"),
        ("129/79", "elevated"),
        ("130/79", "stage 1"),
        ("120/80", "stage 1"),
        ("139/89", "stage 1"),
        ("140/90", "stage 2"),
        ("180/120", "stage 2"),
        ("181/100", "crisis"),
        ("110/121", "crisis"),
        # the higher of the two readings' categories wins
        ("118/85", "stage 1"),
        ("145/70", "stage 2"),
    ],
)
def test_aha_acc_2017_boundaries(bp, expected):
    systolic, diastolic = (D(x) for x in bp.split("/"))
    assert vitals.bp_class(systolic, diastolic) == expected


def test_bmi():
    assert vitals.bmi(D("81.6466266"), D("177.8")) == D("25.8")
    assert vitals.bmi(D("70"), D("175")) == D("22.9")
    assert vitals.bmi(D("5.5565065325"), D("60")) == D("15.4")


@pytest.mark.parametrize(
    "option, text, message",
    [
        ("bp", "120/130", "diastolic must be below systolic"),
        ("bp", "120/120", "diastolic must be below systolic"),
        ("bp", "320/80", "accepted 50–300 mmHg$"),
        ("bp", "120/10", "accepted 20–200 mmHg$"),
        ("spo2", "101", "accepted 50–100 %"),
        ("spo2", "101%", "accepted 50–100 %"),
        ("pulse", "400", "accepted 20–300 /min"),
        ("resp", "0", "accepted 3–100 /min"),
        ("pain", "11", "accepted 0–10$"),
        ("weight", "1800lb", r"accepted 0.44–1543 lb \(0.2–700 kg\)"),
        ("weight", "900kg", r"accepted 0.2–700 kg \(0.44–1543 lb\)"),
        ("height", "10ft", r"accepted 7.9–108.3 in \(20–275 cm\)"),
        ("temp", "986F", r"accepted 25–45 °C \(77–113 °F\); did you mean 98.6F\?"),
        ("temp", "98.6C", "did you mean 98.6F"),
        ("temp", "37F", "did you mean 37C"),
    ],
)
def test_impossible_values_are_refused_with_the_accepted_range(option, text, message):
    with pytest.raises(Invalid, match=message):
        vitals.parse_set({option: text}, "us")


@pytest.mark.parametrize(
    "option, text",
    [("bp", "320/80"), ("bp", "120/10"), ("pain", "11"), ("pulse", "400"), ("temp", "50C")],
)
def test_refusals_show_units_as_people_write_them_not_ucum_codes(option, text):
    with pytest.raises(Invalid) as refused:
        vitals.parse_set({option: text}, "us")
    for code in ("mm[Hg]", "{score}", "Cel", "kg/m2"):
        assert code not in refused.value.message


def test_a_bare_temperature_in_the_wrong_unit_gets_a_hint():
    with pytest.raises(Invalid, match=r"read as °C: clinic.units is metric.*did you mean 98.6F"):
        vitals.parse_set({"temp": "98.6"}, "metric")
    assert vitals.parse_set({"temp": "98.6"}, "us")["temp"].value == D(37)
    assert vitals.parse_set({"temp": "37"}, "metric")["temp"].value == D(37)


def adult(**values):
    return vitals.unusual({k: D(v) for k, v in values.items()}, age_years=40)


@pytest.mark.parametrize(
    "values, fragment",
    [
        ({"pulse": "150"}, "pulse 150 /min is outside 41–130"),
        ({"pulse": "40"}, "pulse 40 /min is outside 41–130"),
        ({"systolic": "190", "diastolic": "125"}, "hypertensive crisis"),
        ({"systolic": "181", "diastolic": "100"}, "hypertensive crisis"),
        ({"systolic": "110", "diastolic": "121"}, "hypertensive crisis"),
        ({"systolic": "88", "diastolic": "60"}, "90 or less"),
        ({"resp": "26"}, "outside 9–24"),
        ({"resp": "8"}, "outside 9–24"),
        ({"spo2": "91"}, "91% or less"),
        ({"temp": "34.9"}, "hypothermia"),
        ({"temp": "41.1"}, "hyperpyrexia"),
        ({"weight": "260"}, "outside 30–250 kg"),
        ({"height": "110"}, "outside 120–220 cm"),
        ({"bmi": "75"}, "outside 12–70"),
    ],
)
def test_unusual_adult_values_need_a_second_look(values, fragment):
    found = adult(**values)
    assert len(found) == 1 and fragment in found[0]


@pytest.mark.parametrize(
    "values",
    [
        {
            "pulse": "130",
            "resp": "24",
            "spo2": "92",
            "temp": "41",
            "systolic": "180",
            "diastolic": "120",
            "weight": "250",
            "height": "220",
            "bmi": "70",
        },
        {
            "pulse": "41",
            "resp": "9",
            "temp": "35",
            "systolic": "91",
            "diastolic": "50",
            "weight": "30",
            "height": "120",
            "bmi": "12",
        },
    ],
)
def test_values_at_the_edges_pass_without_confirming(values):
    assert adult(**values) == []


def test_children_are_checked_against_pals():
    child = dict(age_years=5, age_months=64)
    assert vitals.unusual({"pulse": D(150)}, **child) == []
    assert "60–179" in vitals.unusual({"pulse": D(185)}, **child)[0]
    infant = dict(age_years=0, age_months=5)
    assert vitals.unusual({"pulse": D(200)}, **infant) == []
    assert "60–219" in vitals.unusual({"pulse": D(225)}, **infant)[0]
    assert vitals.unusual({"resp": D(45)}, **infant) == []
    assert "10–60" in vitals.unusual({"resp": D(65)}, **infant)[0]
    # PALS hypotension: 70 + 2 x age in years for ages 1 to 10
    assert vitals.unusual({"systolic": D(80), "diastolic": D(50)}, **child) == []
    assert "below 80" in vitals.unusual({"systolic": D(79), "diastolic": D(50)}, **child)[0]
    # adult weight and height bounds do not apply to children
    assert vitals.unusual({"weight": D(12), "height": D(90)}, **child) == []


def test_a_weight_far_from_last_month_needs_confirming():
    before = (D("81.6"), "2026-11-20", 6)
    found = vitals.unusual(
        {"weight": D("37")}, age_years=40, previous_weight=before, entered={"weight": "81.6 lb"}
    )
    assert "weight 81.6 lb differs by 55% from the 81.6 kg of 2026-11-20" in found[0]
    assert vitals.unusual({"weight": D("84")}, age_years=40, previous_weight=before) == []
    old = (D("81.6"), "2026-01-20", 310)
    assert vitals.unusual({"weight": D("60")}, age_years=40, previous_weight=old) == []


def test_flags_mark_values_outside_the_normal_band():
    values = {"pulse": D(95), "resp": D(16), "spo2": D(94), "temp": D("38.4")}
    assert vitals.flags(values, 40) == {"pulse": "H", "spo2": "L", "temp": "H"}
    assert vitals.flags(values, 5) == {"spo2": "L", "temp": "H"}
