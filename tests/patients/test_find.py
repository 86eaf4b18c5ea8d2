"""Finding the caller (`patient find`) and the one resolver behind every PATIENT argument."""

import json

import pytest

from tests.conftest import dump


@pytest.fixture
def callers(run):
    run("patient add 'Ana García' --dob 1984-03-02 --phone '(401) 555-0148'")
    run("patient add 'Anabel Garcia Lopes' --dob 1990-03-02 --phone '(617) 555-0148'")
    run("patient add 'Tomás Silva' --dob 1984-03-02 --phone 617-555-0163")
    run("patient add \"Sean O'Brien\" --dob 1970-12-25 --phone '+44 20 7946 0958'")


def found(run, text):
    return [row["mrn"] for row in json.loads(run(["patient", "find", *text, "-f", "json"]).stdout)]


@pytest.mark.parametrize(
    "text",
    [
        ["(401) 555-0148"],
        ["401-555-0148"],
        ["401.555.0148"],
        ["+1 401 555 0148"],
        ["+1", "401", "555", "0148"],  # unquoted, as typed
        ["14015550148"],
        ["401", "5550148"],
        ["garcia", "1984-03-02"],
        ["García", "401-555-0148"],
        ["GARCIA", "0148", "3/2/84"],
        ["García,", "Ana,", "3/2/84"],
        ["p1"],
        ["P000001"],
    ],
)
def test_each_form_finds_ana(run, callers, text):
    assert found(run, text) == ["P000001"]


@pytest.mark.parametrize(
    "text",
    [["1984-03-02"], ["03/02/1984"], ["3/2/84"], ["2 March 1984"], ["Mar 2, 1984"], ["1984/3/2"]],
)
def test_each_date_of_birth_form_finds_both_born_that_day(run, callers, text):
    assert found(run, text) == ["P000001", "P000003"]


def test_the_last_four_or_seven_digits_list_every_candidate(run, callers):
    assert found(run, ["0148"]) == ["P000001", "P000002"]
    assert found(run, ["555-0148"]) == ["P000001", "P000002"]
    table = run("patient find 555-0148")
    assert "Anabel Garcia Lopes" in table.stdout and "Ana García" in table.stdout
    assert "2 patients match" in table.stderr


def test_an_international_number_in_national_form(run, callers):
    assert found(run, ["020 7946 0958"]) == ["P000004"]
    assert found(run, ["o'brien"]) == ["P000004"]


def test_the_clinic_date_order_reads_day_first(run, callers):
    assert found(run, ["2/3/1984"]) == []
    run("config set clinic.date_order dmy")
    assert found(run, ["2/3/1984"]) == ["P000001", "P000003"]


def test_no_match_is_an_empty_listing(run, callers):
    assert run("patient find 9999").stdout.strip() == "No patient matches."
    assert found(run, ["ana", "1999-01-01"]) == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("12", "too short to find a phone number"),
        ("3/45/84", "cannot read '3/45/84' as a date of birth"),
        ("1234567890123456", "cannot be a phone number"),
        ("'?!'", "cannot read"),
    ],
)
def test_bad_lookups_are_one_error(run, callers, db_path, text, message):
    before = dump(db_path)
    result = run(f"patient find {text}", expect=1)
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert dump(db_path) == before


def test_find_is_audited_without_what_was_said(run, callers, store):
    run("patient find garcia 0148")
    row = store.one("SELECT * FROM audit WHERE action = 'patient.find'")
    assert row["detail"] == "by=phone+name rows=2"
    assert "garcia" not in row["detail"]


def test_every_patient_argument_takes_the_same_forms(run, callers):
    assert json.loads(run("patient show '(401) 555-0148' -f json").stdout)["mrn"] == "P000001"
    assert json.loads(run("patient show 'garcia 3/2/84' -f json").stdout)["mrn"] == "P000001"
    run("patient edit '617-555-0163' --email tomas@example.org")
    assert json.loads(run("patient show tomas -f json").stdout)["email"] == "tomas@example.org"
    # A whole name that is also the start of another resolves to the exact one.
    assert json.loads(run("patient show 'ana garcia' -f json").stdout)["mrn"] == "P000001"
    # A fragment from inside a name still works when it is unique.
    assert json.loads(run("patient show 'brie' -f json").stdout)["mrn"] == "P000004"


def test_an_ambiguous_reference_lists_the_candidates(run, callers, db_path):
    before = dump(db_path)
    result = run("patient edit 0148 --email x@example.org", expect=1)
    assert "matches several patients" in result.stderr
    assert "Ana García (P000001, born 1984-03-02)" in result.stderr
    assert "Anabel Garcia Lopes (P000002, born 1990-03-02)" in result.stderr
    assert dump(db_path) == before


def test_renamed_patients_are_found_by_their_new_name(run, callers):
    run("patient edit P000003 --name 'Tomás Souza'")
    assert found(run, ["souza"]) == ["P000003"]
    assert found(run, ["silva"]) == []


def test_look_ups_use_indexes(store, callers):
    from macli.patients import find

    for text in ("0148", "garcia", "1984-03-02", "P000001"):
        clauses, params = find.where(find.parse(text))
        plan = store.query(
            f"EXPLAIN QUERY PLAN SELECT p.* FROM patients p WHERE {' AND '.join(clauses)}",
            params,
        )
        details = " ".join(row["detail"] for row in plan)
        assert "SCAN p " not in details + " ", (text, details)  # never a scan of patients
