"""The demo is one coherent clinic: what each area holds agrees with the others.

Built once at the tests' clock (Thursday 2026-11-26 09:00, America/New_York); a few
more builds check the day sheet the demo ends with on other days and hours.
"""

from __future__ import annotations

import json

import pytest

from macli.chart.demo import CONDITIONS
from macli.demo import DEFAULT_PATH
from macli.migrations import open_store
from macli.procedure.demo import TREATS as PROCEDURE_TREATS
from macli.schedule.demo import FOLLOW_UPS
from macli.stock.demo import VISIT_DOSES

# The demo's year of appointments starts here (local midnight, in UTC).
YEAR_START = "2025-11-26T05:00:00Z"
NOW = "2026-11-26T14:00:00Z"


@pytest.fixture
def clinic(demo_db):
    store = open_store(demo_db)
    yield store
    store.close()


def count(store, sql, params=()):
    return store.scalar(f"SELECT COUNT(*) FROM ({sql})", list(params))


def test_new_patient_visits_are_first_visits_and_only_for_newcomers(clinic):
    typed = (
        "SELECT a.*, t.name AS type, p.created_at AS registered FROM appointments a"
        " JOIN appointment_types t ON t.id = a.type_id JOIN patients p ON p.id = a.patient_id"
    )
    # No "new patient" visit for anyone with a completed visit before it.
    assert not count(
        clinic,
        f"SELECT 1 FROM ({typed}) a WHERE a.type = 'new patient' AND EXISTS (SELECT 1"
        " FROM appointments b WHERE b.patient_id = a.patient_id AND b.status = 'completed'"
        " AND b.starts_at < a.starts_at)",
    )
    # Patients registered before the demo's year never get one ...
    assert not count(
        clinic,
        f"SELECT 1 FROM ({typed}) a WHERE a.type = 'new patient' AND a.registered < ?",
        [YEAR_START],
    )
    # ... and newcomers get nothing else before their new-patient visit went ahead.
    assert not count(
        clinic,
        f"SELECT 1 FROM ({typed}) a WHERE a.type != 'new patient' AND a.registered >= ?"
        " AND NOT EXISTS (SELECT 1 FROM appointments b JOIN appointment_types u"
        " ON u.id = b.type_id WHERE b.patient_id = a.patient_id AND u.name = 'new patient'"
        " AND b.status = 'completed' AND b.starts_at < a.starts_at)",
        [YEAR_START],
    )
    # Nobody is booked before they registered, and some newcomers are still to come.
    assert not count(clinic, f"SELECT 1 FROM ({typed}) a WHERE a.created_at < a.registered")
    upcoming = count(
        clinic,
        f"SELECT 1 FROM ({typed}) a WHERE a.type = 'new patient' AND a.status = 'scheduled'",
    )
    assert upcoming >= 5


def test_each_patient_comes_a_few_times_a_year_more_with_chronic_problems(clinic):
    visits = {
        row["id"]: row["n"]
        for row in clinic.query(
            "SELECT p.id, COUNT(a.id) AS n FROM patients p LEFT JOIN appointments a"
            " ON a.patient_id = p.id AND a.status = 'completed' AND a.starts_at >= ?"
            " AND a.series_id IS NULL GROUP BY p.id",
            [YEAR_START],
        )
    }
    counts = sorted(visits.values())
    assert counts[-1] <= 12
    assert 2 <= counts[len(counts) // 2] <= 4
    chronic = {
        row["patient_id"]
        for row in clinic.query(
            "SELECT e.patient_id FROM chart_current e JOIN chart_problems p"
            f" ON p.entry_id = e.id WHERE p.code IN ({', '.join('?' * len(FOLLOW_UPS))})",
            list(FOLLOW_UPS),
        )
    }
    with_problems = [n for patient, n in visits.items() if patient in chronic]
    without = [n for patient, n in visits.items() if patient not in chronic]
    assert sum(with_problems) / len(with_problems) > 1.4 * sum(without) / len(without)


def test_follow_ups_are_for_the_patients_own_problems_and_a_physical_is_yearly(clinic):
    problems = {}
    for row in clinic.query(
        "SELECT e.patient_id, p.code FROM chart_current e JOIN chart_problems p"
        " ON p.entry_id = e.id"
    ):
        problems.setdefault(row["patient_id"], set()).add(row["code"])
    reasons = {reason: code for code, reason in FOLLOW_UPS.items()}
    for row in clinic.query(
        "SELECT a.patient_id, a.reason FROM appointments a JOIN appointment_types t"
        " ON t.id = a.type_id WHERE t.name = 'follow-up'"
    ):
        if row["reason"] in reasons:
            assert reasons[row["reason"]] in problems.get(row["patient_id"], ()), row
    assert not count(
        clinic,
        "SELECT 1 FROM appointments a JOIN appointments b ON b.patient_id = a.patient_id"
        " AND b.id != a.id AND b.type_id = a.type_id AND b.starts_at > a.starts_at"
        " AND julianday(b.starts_at) - julianday(a.starts_at) < 300"
        " JOIN appointment_types t ON t.id = a.type_id WHERE t.name = 'physical'"
        " AND a.status = 'completed' AND b.status = 'completed'",
    )


def test_every_vaccine_given_is_a_dose_from_the_closet_for_that_patient(clinic):
    stock_year = clinic.scalar("SELECT MIN(at) FROM stock_ledger")
    visits = clinic.query(
        "SELECT a.patient_id, a.reason, date(a.starts_at, '-5 hours') AS day"
        " FROM appointments a JOIN appointment_types t ON t.id = a.type_id"
        " WHERE t.name = 'vaccine' AND a.status = 'completed' AND a.starts_at >= ?"
        " ORDER BY a.starts_at",
        [stock_year],
    )
    assert len(visits) > 100
    doses = clinic.query(
        "SELECT g.patient_id, i.sku, g.day FROM stock_ledger g JOIN stock_items i"
        " ON i.id = g.item_id WHERE g.kind = 'use' AND g.patient_id IS NOT NULL"
        " AND i.category = 'vaccines'"  # point-of-care kits are also used for patients
    )
    given = sorted((v["patient_id"], VISIT_DOSES[v["reason"]], v["day"]) for v in visits)
    # One dose per visit, on the visit's day (the demo's days are all in EST or EDT;
    # five hours back is within the same local day for office hours either way).
    assert sorted((d["patient_id"], d["sku"], d["day"]) for d in doses) == given
    flu_months = {int(v["day"][5:7]) for v in visits if v["reason"] == "flu shot"}
    assert flu_months <= {9, 10, 11, 12, 1, 2, 3}


def test_medications_match_the_problems_they_treat(clinic):
    treats = {name: code for code, medications in CONDITIONS for name, *_ in medications}
    treats.update(PROCEDURE_TREATS)  # the procedure demo's anticoagulant, with its problem
    rows = clinic.query(
        "SELECT e.patient_id, m.name FROM chart_current e JOIN chart_medications m"
        " ON m.entry_id = e.id"
    )
    assert rows
    for row in rows:
        assert count(
            clinic,
            "SELECT 1 FROM chart_current e JOIN chart_problems p ON p.entry_id = e.id"
            " WHERE e.patient_id = ? AND p.code = ?",
            [row["patient_id"], treats[row["name"]]],
        ), row


def test_vitals_are_taken_at_completed_visits_and_at_every_one_but_nurse_visits(clinic):
    on_a_visit = (
        "EXISTS (SELECT 1 FROM appointments a WHERE a.patient_id = e.patient_id"
        " AND a.status = 'completed' AND e.at BETWEEN a.starts_at AND a.ends_at)"
    )
    assert count(clinic, "SELECT 1 FROM chart_entries e WHERE e.kind = 'vitals'") > 1000
    assert not count(
        clinic, f"SELECT 1 FROM chart_entries e WHERE e.kind = 'vitals' AND NOT {on_a_visit}"
    )
    assert not count(
        clinic,
        "SELECT 1 FROM appointments a JOIN appointment_types t ON t.id = a.type_id"
        " WHERE a.status = 'completed' AND t.name NOT IN ('vaccine', 'injection')"
        " AND NOT EXISTS (SELECT 1 FROM chart_entries e WHERE e.patient_id = a.patient_id"
        " AND e.kind = 'vitals' AND e.at BETWEEN a.starts_at AND a.ends_at)",
    )
    # Everything is charted when it happened: after registration, never after now.
    assert not count(
        clinic,
        "SELECT 1 FROM chart_entries e JOIN patients p ON p.id = e.patient_id"
        " WHERE e.recorded_at < p.created_at OR e.recorded_at > ? OR e.at > e.recorded_at",
        [NOW],
    )
    # Results are charted on the visits that ordered them.
    assert not count(
        clinic,
        "SELECT 1 FROM chart_entries e WHERE e.kind = 'result' AND NOT EXISTS (SELECT 1"
        " FROM appointments a WHERE a.patient_id = e.patient_id AND a.status = 'completed'"
        " AND e.at BETWEEN a.starts_at AND a.ends_at)",
    )


def test_reminders_go_out_before_the_visit_to_consented_channels_only(clinic):
    rows = clinic.query(
        "SELECT r.*, a.starts_at AS visit_at, a.patient_id AS visit_patient,"
        " a.created_at AS booked_at, p.email, p.phone FROM reminders r"
        " JOIN appointments a ON a.id = r.appointment_id JOIN patients p ON p.id = r.patient_id"
    )
    assert len(rows) > 200
    for row in rows:
        assert row["visit_patient"] == row["patient_id"] and row["starts_at"] == row["visit_at"]
        assert row["booked_at"] <= row["claimed_at"] < row["starts_at"], row
        assert row["claimed_at"] <= NOW
        assert row["recipient"] == (row["email"] if row["channel"] == "email" else row["phone"])
        consent = clinic.one(
            "SELECT granted, at FROM patient_consents WHERE patient_id = ? AND channel = ?"
            " ORDER BY id DESC LIMIT 1",
            [row["patient_id"], row["channel"]],
        )
        assert consent["granted"] and consent["at"] <= row["claimed_at"], row


def test_claims_are_for_completed_visits_of_insured_patients_coded_from_the_visit(clinic):
    claims = clinic.query(
        "SELECT c.*, a.status AS visit, a.ends_at, a.reason, t.name AS type, p.dob"
        " FROM bill_claims c JOIN appointments a ON a.id = c.appointment_id"
        " JOIN appointment_types t ON t.id = a.type_id JOIN patients p ON p.id = c.patient_id"
    )
    assert len(claims) >= 50
    for claim in claims:
        assert claim["visit"] == "completed"
        assert clinic.scalar(
            "SELECT 1 FROM patient_coverage WHERE patient_id = ?", [claim["patient_id"]]
        )
        assert claim["ends_at"] <= claim["created_at"] <= NOW, claim
        lines = [
            row["code"]
            for row in clinic.query(
                "SELECT code FROM bill_claim_lines WHERE claim_id = ? ORDER BY line_no",
                [claim["id"]],
            )
        ]
        first = lines[0]
        if claim["type"] == "new patient":
            assert first.startswith("9920"), claim
        elif claim["type"] in ("follow-up", "sick visit"):
            assert first.startswith("9921"), claim
        elif claim["type"] == "physical":
            assert first.startswith("993"), claim
        elif claim["type"] == "vaccine":
            assert {"90686", "90715"} & set(lines), claim
    for row in clinic.query(
        "SELECT c.service_date, e.status, e.at FROM bill_claim_events e"
        " JOIN bill_claims c ON c.id = e.claim_id"
    ):
        assert row["service_date"] <= row["at"][:10] and row["at"] <= NOW
    assert not count(
        clinic,
        "SELECT 1 FROM bill_payments m JOIN bill_claims c ON c.id = m.claim_id"
        " WHERE m.received_on < c.service_date",
    )


def test_closet_deliveries_are_the_supply_expenses_and_medicare_is_for_65_and_over(clinic):
    vendors = {
        row["supplier"]
        for row in clinic.query("SELECT DISTINCT supplier FROM stock_ledger WHERE cost_cents")
    }
    # Closet suppliers are paid through stock receipts, not also as recurring expenses.
    assert not count(
        clinic,
        f"SELECT 1 FROM expenses WHERE vendor IN ({', '.join('?' * len(vendors))})"
        " AND source IS NULL AND import_id IS NULL AND receipt_sha256 IS NULL"
        " AND category_id IN (SELECT id FROM expense_categories WHERE name LIKE 'supplies:%'"
        " AND name != 'supplies:office')",
        sorted(vendors),
    )
    assert not count(
        clinic,
        "SELECT 1 FROM patients WHERE insurance = 'Medicare' AND dob > '1961-11-26'",
    )


def test_the_demo_day_sheet_has_every_section_and_every_flag(demo_db, run):
    sheet = json.loads(run("today -f json").stdout)
    flags = {flag for row in sheet["appointments"] for flag in row["flags"].split(", ")}
    assert {"new patient", "allergies not recorded", "vitals due"} <= flags
    assert sheet["reminders"]["sent"] and sheet["reminders"]["failed"]
    assert sheet["calls"]
    assert sheet["supplies"]["low"] and sheet["supplies"]["expiring"]
    assert len(sheet["spending"]["budgets"]) > 1


@pytest.mark.parametrize(
    ("clock", "shown", "heading"),
    [
        # Saturday morning: Dr. Okafor's hours.
        ("2026-11-28T09:30", "2026-11-28", "Saturday 2026-11-28"),
        # Sunday, closed all day: the demo shows Monday's sheet and says why.
        ("2026-11-29T11:00", "2026-11-30", "The clinic is closed now; the next open day"),
        # Thursday night, after closing: Friday's sheet.
        ("2026-11-26T21:00", "2026-11-27", "The clinic is closed now; the next open day"),
    ],
)
def test_the_demo_ends_with_a_full_sheet_whatever_the_day(tmp_path, run, clock, shown, heading):
    path = tmp_path / DEFAULT_PATH
    output = run(f"--now {clock} demo --db {path}").stdout
    assert heading in output
    sheet = json.loads(run(f"--db {path} --now {clock} today --date {shown} -f json").stdout)
    flags = {flag for row in sheet["appointments"] for flag in row["flags"].split(", ")}
    assert "new patient" in flags and "vitals due" in flags
    assert sheet["hours"] and sheet["calls"] and sheet["supplies"]["low"]
    for section in ("Reminders since", "Call list (", "Supplies at or below", "against budget"):
        assert section in output
    closed = run(f"--db {path} --now {clock} today --date 2026-11-29").stdout
    assert "Appointments: none. Closed on Sundays: no working hours." in closed
    assert "Next open: Monday 2026-11-30 (macli today --date 2026-11-30)." in closed
    # The README's tour shows something whatever day the demo was built on.
    tour = json.loads(
        run(f"--db {path} --now {clock} today --date tue --provider chen -f json").stdout
    )
    assert tour["appointments"] and {row["provider"] for row in tour["appointments"]} == {
        "Dr. Maya Chen"
    }
    free = run(
        f"--db {path} --now {clock} schedule free --provider chen --date tue --type follow-up"
    )
    assert "Dr. Maya Chen" in free.stdout


@pytest.mark.parametrize(
    "clock",
    [
        # The chart's history starts a year back: 2026-09-06, a day that starts at 01:00.
        "2027-09-06T10:00",
        # The fridge readings start 91 days back: 2026-09-06 again.
        "2026-12-06T10:00",
    ],
)
def test_the_demo_builds_where_the_clocks_jump_at_midnight(tmp_path, run, clock):
    # America/Santiago springs forward at 2026-09-06 00:00. The demo once began those
    # histories at that midnight and stopped: "2026-09-06 00:00 does not exist".
    path = tmp_path / DEFAULT_PATH
    run(f"--now {clock} demo --timezone America/Santiago --db {path}")
    sheet = json.loads(run(f"--db {path} --now {clock} today -f json").stdout)
    assert sheet["date"] == clock[:10]
