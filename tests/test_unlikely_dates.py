"""Dates that are almost surely typos need --confirm: a booking decades ahead, a date of
birth that makes a patient 136 (issue 21 item 17)."""

from __future__ import annotations

from tests.conftest import dump


def clinic(run):
    run("provider add 'Dr. Ana Chen'")
    run("schedule hours chen --set 'mon-sun 08:00-17:00'")
    run("patient add 'Ana García' --dob 1984-03-02")


def test_a_booking_years_ahead_needs_confirm(run, db_path):
    clinic(run)
    before = dump(db_path)
    error = run(
        "schedule add P000001 --provider chen --at '2099-12-07 10:00' --duration 20", expect=1
    ).stderr
    assert error == (
        "Error: 2099-12-07 10:00 is 73 years away; check the date, or add --confirm to book it\n"
    )
    assert dump(db_path) == before
    run("schedule add P000001 --provider chen --at '2099-12-07 10:00' --duration 20 --confirm")
    # A year ahead (the next yearly physical) is ordinary.
    run("schedule add P000001 --provider chen --at '2027-11-25 10:00' --duration 20")


def test_a_date_of_birth_over_110_years_ago_needs_confirm(run, db_path):
    before = dump(db_path)
    error = run("patient add 'Ruth Old' --dob 1890-03-02", expect=1).stderr
    assert error == (
        "Error: date of birth 1890-03-02 makes the patient 136; check it (a typo for 1990?),"
        " or add --confirm to register it\n"
    )
    assert dump(db_path) == before
    assert run("patient add 'Ruth Old' --dob 1890-03-02 --confirm").stdout == "P000001\n"
    assert run("patient add 'Ben Old' --dob 1920-01-01").stdout == "P000002\n"


def test_an_expense_dated_after_today_needs_confirm(run, db_path):
    before = dump(db_path)
    error = run("expense add 84.20 -c supplies --new-category --date 2027-11-20", expect=1).stderr
    assert error == (
        "Error: the expense is dated 2027-11-20, after today (2026-11-26); check the date, or"
        " add --confirm to record it\n"
    )
    assert dump(db_path) == before
    run("expense add 84.20 -c supplies --new-category --date 2027-11-20 --confirm")
    run("expense add 12.00 -c supplies --date 2026-11-26")
