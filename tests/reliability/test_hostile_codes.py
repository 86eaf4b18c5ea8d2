"""A malformed ICD-10-CM code is refused before the code set is loaded, on every path
that takes one (problems, their corrections, superbills and so claims)."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from macli.bill import superbill
from macli.chart import icd
from macli.errors import Invalid
from tests.reliability.hostile import FUZZ, argv_text, judge

MALFORMED = [
    "E11.9'; DROP TABLE patients; --",
    "' OR 1=1 --",
    "250.00",
    "E11..9",
    "E1",
    "EE11.9",
    "E11.99999",
    "E11.9\x1b[2J",
    "%",
    "E11_9",
]


def _malformed(text: str) -> bool:
    try:
        icd.normalise(text)
    except Invalid:
        return True
    return False


def _loaded(db_path) -> int:
    db = sqlite3.connect(db_path)
    try:
        return db.execute("SELECT count(*) FROM icd10cm_codes").fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def fresh(run, db_path):
    """A store with one patient and no code set loaded yet."""
    run("patient add 'Ana Lima' --dob 1984-03-02")
    assert _loaded(db_path) == 0
    return db_path


@pytest.mark.parametrize("code", MALFORMED)
def test_a_problem_with_a_malformed_code_loads_nothing(run, fresh, code):
    result = judge(run, fresh, ["chart", "problem", "add", "P000001", "--icd", code])
    assert result.exit_code in (1, 2)
    assert _loaded(fresh) == 0


@FUZZ
@given(code=argv_text().filter(_malformed))
def test_any_malformed_code_loads_nothing(run, fresh, code):
    judge(run, fresh, ["chart", "problem", "add", "P000001", "--icd", code])
    assert _loaded(fresh) == 0


@pytest.mark.parametrize(
    "extra", [["--onset", "2999-01-01"], ["--note", "bad\x1b[2J"], ["--onset", "not a date"]]
)
def test_a_good_code_with_a_bad_companion_loads_nothing(run, fresh, extra):
    result = judge(run, fresh, ["chart", "problem", "add", "P000001", "--icd", "E11.9", *extra])
    assert result.exit_code in (1, 2)
    assert _loaded(fresh) == 0


@pytest.mark.parametrize("code", MALFORMED)
def test_a_superbill_with_one_malformed_code_loads_nothing(store, code):
    with pytest.raises(Invalid):
        superbill.check_diagnoses(store, ["J06.9", code])
    assert store.scalar("SELECT count(*) FROM icd10cm_codes") == 0


@pytest.mark.parametrize("code", MALFORMED[:4])
def test_coding_a_visit_with_a_malformed_code_writes_nothing(run, demo_db, code):
    visit = (
        sqlite3.connect(demo_db)
        .execute(
            "SELECT a.id FROM appointments a LEFT JOIN bill_claims c ON c.appointment_id = a.id"
            " WHERE a.status = 'completed' AND c.id IS NULL LIMIT 1"
        )
        .fetchone()[0]
    )
    result = judge(
        run, demo_db, ["bill", "code", str(visit), "--dx", f"J06.9,{code}", "--line", "99213@1"]
    )
    assert result.exit_code == 1


def test_icd_lookup_refuses_a_malformed_code_before_loading(store):
    with pytest.raises(Invalid):
        icd.lookup(store, "E11.9'; --")
    assert store.scalar("SELECT count(*) FROM icd10cm_codes") == 0


@given(st.from_regex(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", fullmatch=True))
def test_well_formed_codes_pass_the_form_check(code):
    assert icd.normalise(code) == code
