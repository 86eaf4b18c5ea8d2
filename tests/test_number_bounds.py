"""Numbers too large for what they count are refused where they are read, with the
bound named, never as "the store could not be used" (issue 21 items 12 and 13)."""

from __future__ import annotations

import pytest

from tests.conftest import dump

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "command",
    [
        f"patient list --limit {HUGE}",
        f"expense list --limit {HUGE}",
        f"chart icd search pain --limit {HUGE}",
        "patient list --limit 1000001",
    ],
)
def test_a_limit_past_the_bound_is_a_usage_mistake_naming_the_bound(run, command):
    result = run(command, expect=2)
    assert "1000000" in result.stderr
    assert "store could not be used" not in result.stderr


def test_a_limit_within_the_bound_lists(run):
    run("patient add 'Ana García' --dob 1984-03-02")
    assert "Ana García" in run("patient list --limit 1000000").stdout


def stocked(run):
    run("stock item add GLV-M --name 'Nitrile gloves, medium' --unit box")
    run("stock receive GLV-M 5 --lot G1 --expires 2027-06-30")


@pytest.mark.parametrize(
    "command",
    [
        f"stock receive GLV-M {HUGE} --lot G1 --expires 2027-06-30",
        "stock receive GLV-M 9223372036854775806 --lot G1 --expires 2027-06-30",
        "stock receive GLV-M 10001 --lot G1 --expires 2027-06-30",
        "stock use GLV-M 10001",
        "stock count GLV-M 10001 --lot G1 --reason 'monthly count'",
        "stock discard GLV-M 10001 --lot G1 --reason damaged",
    ],
)
def test_a_quantity_past_the_clinic_limit_is_refused_by_name(run, db_path, command):
    stocked(run)
    before = dump(db_path)
    result = run(command, expect=1)
    assert "more than stock.max_quantity (10,000)" in result.stderr
    assert "macli config set stock.max_quantity" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert dump(db_path) == before


def test_a_clinic_that_receives_more_raises_the_limit(run):
    stocked(run)
    run("config set stock.max_quantity 50000")
    assert "20005 on hand" in run("stock receive GLV-M 20000 --lot G1 --expires 2027-06-30").stdout
    assert "from 1 to 1,000,000" in run("config set stock.max_quantity 0", expect=1).stderr
