"""Coding a visit: the line syntax, diagnoses, pointers, units, the fee schedule, and
visits that may not be billed."""

from __future__ import annotations

import pytest

from macli.bill import superbill
from macli.bill.superbill import parse_line
from macli.errors import Conflict, Invalid, NotFound
from tests.bill.helpers import NOW, USER, ZONE, visit
from tests.conftest import dump


def code(clinic, appointment, dx, lines):
    return superbill.code_visit(clinic.store, appointment, dx, lines, user=USER, now=NOW, tz=ZONE)


def lines_of(store, claim):
    return store.query(
        "SELECT code, modifiers, units, fee_cents, charge_cents, pointers FROM bill_claim_lines"
        " WHERE claim_id = ? ORDER BY line_no",
        [int(claim[1:])],
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("99213", ("99213", [], 1, None)),
        ("99214:25x2@1,2", ("99214", ["25"], 2, [1, 2])),
        ("87880:qw:59X3@A,b", ("87880", ["QW", "59"], 3, [1, 2])),
        ("99213:XSx2@1", ("99213", ["XS"], 2, [1])),
        ("99213:XS", ("99213", ["XS"], 1, None)),
        ("g0008@4:3", ("G0008", [], 1, [4, 3])),
        (" 1036F ", ("1036F", [], 1, None)),
        ("96372x12@L", ("96372", [], 12, [12])),
    ],
)
def test_lines_are_read_with_modifiers_units_and_pointers(text, expected):
    line = parse_line(text)
    assert (line.code, line.modifiers, line.units, line.pointers) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("99213x0", "units must be a positive whole number, not '0'"),
        ("99213x-1", "units must be a positive whole number"),
        ("99213x1.5", "units must be a positive whole number"),
        ("99213x", "units must be a positive whole number"),
        ("99213x1000", "1000 units is more than 999"),
        ("99213:2", "modifier '2' must be two letters or digits"),
        ("99213:ABC", "modifier 'ABC' must be two letters or digits"),
        ("99213:25:25", "modifier repeated"),
        ("99213:25:59:76:77:91", "at most 4 modifiers, not 5"),
        ("9921", "is not a procedure code"),
        ("99213@", "give the diagnoses it treats after '@'"),
        ("99213@13", "pointer 13 must be 1-12 or A-L"),
        ("99213@M", "pointer 'M' must be 1-12 or A-L"),
        ("99213@1,,2", "pointer '(empty)' must be 1-12 or A-L"),
        ("99213@1,1", "pointer 1 is given twice"),
        ("99213@1,2,3,4,5", "5 diagnosis pointers; a line points at most at 4"),
        ("99213@1@2", "'@' appears twice"),
        ("", "an empty --line"),
    ],
)
def test_bad_lines_say_what_to_fix(text, message):
    with pytest.raises(Invalid, match=None) as raised:
        parse_line(text)
    assert message in raised.value.message


def test_a_visit_is_coded_as_a_draft_with_charges_from_the_fee_schedule(clinic):
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"])
    result = code(clinic, appointment, ["j02.9", "R50.9"], ["99213:25@1,2", "87880@1", "96372x2@B"])
    assert result == {
        "claim": "C1",
        "appointment": appointment,
        "lines": 3,
        "diagnoses": 2,
        "charges": 9500 + 1850 + 2 * 3000,
    }
    assert lines_of(clinic.store, "C1") == [
        {
            "code": "99213",
            "modifiers": "25",
            "units": 1,
            "fee_cents": 9500,
            "charge_cents": 9500,
            "pointers": "1:2",
        },
        # 87880 takes its default modifier QW from the fee schedule.
        {
            "code": "87880",
            "modifiers": "QW",
            "units": 1,
            "fee_cents": 1850,
            "charge_cents": 1850,
            "pointers": "1",
        },
        {
            "code": "96372",
            "modifiers": None,
            "units": 2,
            "fee_cents": 3000,
            "charge_cents": 6000,
            "pointers": "2",
        },
    ]
    claim = clinic.store.one("SELECT * FROM bill_claims")
    assert (claim["status"], claim["service_date"], claim["charge_cents"]) == (
        "draft",
        "2026-11-20",
        17350,
    )
    assert [
        d["code"]
        for d in clinic.store.query("SELECT code FROM bill_claim_diagnoses ORDER BY position")
    ] == ["J02.9", "R50.9"]
    assert clinic.store.one("SELECT action, patient_id FROM audit ORDER BY id DESC LIMIT 1") == {
        "action": "bill.code",
        "patient_id": clinic.ana["id"],
    }


def test_given_modifiers_replace_the_default_ones(clinic):
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"])
    code(clinic, appointment, ["J02.9"], ["87880:59"])
    assert lines_of(clinic.store, "C1")[0]["modifiers"] == "59"


def test_the_date_of_service_is_the_local_date(clinic):
    # 03:30 UTC on the 21st is still the evening of the 20th in Boston.
    appointment = visit(
        clinic.store, clinic.ana["id"], clinic.doctor["id"], starts="2026-11-21T03:30:00Z"
    )
    code(clinic, appointment, ["J02.9"], ["99213"])
    assert clinic.store.scalar("SELECT service_date FROM bill_claims") == "2026-11-20"


def test_one_diagnosis_is_pointed_at_when_no_pointer_is_given(clinic):
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"])
    code(clinic, appointment, ["J02.9"], ["99213", "87880"])
    assert [line["pointers"] for line in lines_of(clinic.store, "C1")] == ["1", "1"]


def test_coding_again_replaces_the_draft(clinic):
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"])
    code(clinic, appointment, ["J02.9", "R50.9"], ["99213@1,2", "87880@1"])
    result = code(clinic, appointment, ["I10"], ["99214"])
    assert result["claim"] == "C1"
    assert lines_of(clinic.store, "C1") == [
        {
            "code": "99214",
            "modifiers": None,
            "units": 1,
            "fee_cents": 14000,
            "charge_cents": 14000,
            "pointers": "1",
        }
    ]
    assert clinic.store.scalar("SELECT charge_cents FROM bill_claims WHERE id = 1") == 14000
    assert clinic.store.scalar("SELECT group_concat(code) FROM bill_claim_diagnoses") == "I10"
    notes = [
        r["note"] for r in clinic.store.query("SELECT note FROM bill_claim_events ORDER BY id")
    ]
    assert notes == ["coded", "recoded"]


@pytest.mark.parametrize(
    "dx, lines, error, message",
    [
        (["J02.9"], ["99999"], Invalid, "99999 is not in the fee schedule"),
        (["J02.9"], ["99213@2"], Invalid, "pointer 2 points past the 1 diagnosis given"),
        (["J02.9", "R50.9"], ["99213"], Invalid, "say which diagnoses justify it, e.g. 99213@1"),
        (["J02.9", "R50.9"], ["99213@1,3"], Invalid, "pointer 3 points past the 2 diagnoses given"),
        ([], ["99213"], Invalid, "give the visit's diagnoses with --dx"),
        (["J02.9"], [], Invalid, "give at least one service line"),
        (["J02.9", "j029"], ["99213@1"], Invalid, "diagnosis J02.9 is given twice"),
        (["E11"], ["99213"], Invalid, "is a header, not billable"),
        (["Q99.999"], ["99213"], Invalid, "Q99.999"),
        (["J02.9"] * 13, ["99213@1"], Invalid, "13 diagnoses; a claim carries at most 12"),
        (["J02.9"], ["99213@1"] * 51, Invalid, "51 lines; a claim carries at most 50"),
        (["J02.9"], ["99213x0"], Invalid, "units must be a positive whole number"),
    ],
)
def test_coding_mistakes_are_refused_and_nothing_is_written(
    clinic, db_path, dx, lines, error, message
):
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"])
    before = dump(db_path)
    with pytest.raises(error) as raised:
        code(clinic, appointment, dx, lines)
    assert message in raised.value.message
    assert dump(db_path) == before


@pytest.mark.parametrize("status", ["cancelled", "no-show", "left-without-visit"])
def test_visits_that_did_not_happen_are_not_billed(clinic, db_path, status):
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"], status=status)
    before = dump(db_path)
    with pytest.raises(Conflict, match=f"marked {status}: a visit that did not take place"):
        code(clinic, appointment, ["J02.9"], ["99213"])
    assert dump(db_path) == before


def test_a_visit_not_yet_started_is_not_coded(clinic):
    appointment = visit(clinic.store, clinic.ana["id"], clinic.doctor["id"], status="scheduled")
    with pytest.raises(Conflict, match="still scheduled"):
        code(clinic, appointment, ["J02.9"], ["99213"])


def test_an_unknown_appointment_is_named(clinic):
    with pytest.raises(NotFound, match="no appointment with id 77"):
        code(clinic, "77", ["J02.9"], ["99213"])
    with pytest.raises(Invalid, match="is not an appointment id"):
        code(clinic, "C7", ["J02.9"], ["99213"])
