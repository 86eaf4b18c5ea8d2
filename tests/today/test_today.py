"""`macli today`: every section of the day sheet checked against the rows in the store."""

from __future__ import annotations

import json

import pytest

from macli.migrations import open_store
from macli.when import zone

DAY = "2026-11-26"
NY = zone("America/New_York")


@pytest.fixture
def demo(demo_db):
    return demo_db


def test_empty_store_collapses_every_section_to_one_line(run):
    lines = run("today").stdout.splitlines()
    assert lines[0] == "Thursday 2026-11-26 · Our Clinic"
    assert [line for line in lines[1:] if line] == [
        "Appointments: none.",
        "Procedures: none planned.",
        "Phone messages: none overdue.",
        "Lab results: nothing to review, tell, chase or send.",
        "Reminders since 2026-11-25 00:00: 0 sent, 0 pending, 0 failed.",
        "Call list: nobody to call.",
        "Supplies: nothing low, nothing expiring within 30 days.",
        "Lab upkeep: nothing due.",
        "Spending 2026-11-01 to 2026-11-26: nothing spent, no budgets set.",
    ]


def test_the_demo_day_sheet_has_content_in_every_section(demo, run):
    sheet = json.loads(run("today -f json").stdout)
    assert set(sheet) == {
        "date",
        "provider",
        "hours",
        "next_open",
        "appointments",
        "procedures",
        "reminders",
        "calls",
        "messages",
        "supplies",
        "results",
        "lab",
        "spending",
    }
    assert sheet["next_open"] is None
    assert {row["provider"] for row in sheet["hours"]} == {
        "Dr. Maya Chen",
        "Dr. Samuel Okafor",
        "Priya Natarajan",
    }
    assert sheet["date"] == DAY
    assert sheet["appointments"] and sheet["calls"] and sheet["messages"]
    assert sheet["reminders"]["sent"] > 0
    assert sheet["supplies"]["low"] and sheet["supplies"]["expiring"]
    assert len(sheet["spending"]["budgets"]) > 1
    text = run("today").stdout
    for heading in (
        "Appointments (",
        "Procedures",
        "Phone messages overdue (",
        "Reminders since",
        "Call list (",
        "Supplies at or below",
        "Spending 2026-11-01 to 2026-11-26 against budget",
    ):
        assert heading in text


def test_appointments_match_the_store(demo, run):
    sheet = json.loads(run("today -f json").stdout)
    store = open_store(demo)
    expected = store.query(
        "SELECT a.id, p.mrn, a.status FROM appointments a JOIN patients p ON p.id = a.patient_id"
        " WHERE a.starts_at >= '2026-11-26T05:00:00Z' AND a.starts_at < '2026-11-27T05:00:00Z'"
        " AND a.status != 'cancelled' ORDER BY a.id"
    )
    assert sorted((r["id"], r["mrn"], r["status"]) for r in sheet["appointments"]) == [
        (r["id"], r["mrn"], r["status"]) for r in expected
    ]
    for row in sheet["appointments"]:
        patient_id = store.scalar("SELECT id FROM patients WHERE mrn = ?", [row["mrn"]])
        completed_before = store.scalar(
            "SELECT COUNT(*) FROM appointments WHERE patient_id = ? AND status = 'completed'"
            " AND starts_at < (SELECT starts_at FROM appointments WHERE id = ?)",
            [patient_id, row["id"]],
        )
        assert row["new_patient"] == (completed_before == 0)
        asked = store.query(
            "SELECT kind FROM chart_current WHERE patient_id = ?"
            " AND kind IN ('allergy', 'no-allergies')",
            [patient_id],
        )
        kinds = {r["kind"] for r in asked}
        assert row["allergies"] == (
            "recorded" if "allergy" in kinds else "none known" if kinds else "not recorded"
        )
        recent = store.scalar(
            "SELECT COUNT(*) FROM chart_entries WHERE patient_id = ? AND kind = 'vitals'"
            " AND at >= '2025-11-27T05:00:00Z'",
            [patient_id],
        )
        assert row["vitals_due"] == (recent == 0)
        assert ("vitals due" in row["flags"]) == row["vitals_due"]


def test_reminders_calls_supplies_and_spending_match_the_store(demo, run):
    sheet = json.loads(run("today -f json").stdout)
    store = open_store(demo)
    since = "2026-11-25T05:00:00Z"
    until = "2026-11-27T05:00:00Z"
    window = "updated_at >= ? AND updated_at < ?"
    sent = store.scalar(
        f"SELECT COUNT(*) FROM reminders WHERE {window} AND status IN ('sent', 'reached',"
        " 'voicemail')",
        [since, until],
    )
    failed = store.query(
        f"SELECT id FROM reminders WHERE {window} AND status IN ('failed', 'unknown',"
        " 'wrong-number') ORDER BY id",
        [since, until],
    )
    assert sheet["reminders"]["sent"] == sent
    assert [r["id"] for r in sheet["reminders"]["failures"]] == [r["id"] for r in failed]
    assert sheet["reminders"]["failed"] == len(failed)
    calls = store.query(
        "SELECT r.id FROM reminders r JOIN appointments a ON a.id = r.appointment_id"
        " WHERE r.channel = 'phone' AND r.due_at < ? AND r.starts_at >= ?"
        " AND r.status != 'withdrawn' AND a.starts_at = r.starts_at AND a.status = 'scheduled'"
        " ORDER BY r.starts_at, r.id",
        [until, "2026-11-26T05:00:00Z"],
    )
    assert [c["id"] for c in sheet["calls"]] == [c["id"] for c in calls]
    low = store.query(
        "SELECT i.sku FROM stock_items i WHERE i.reorder_at IS NOT NULL AND i.reorder_at >="
        " (SELECT coalesce(SUM(l.on_hand), 0) FROM stock_lots l WHERE l.item_id = i.id"
        "  AND (l.expires IS NULL OR l.expires >= ?) AND NOT EXISTS (SELECT 1 FROM stock_holds h"
        "  WHERE h.lot_id = l.id AND h.ended_at IS NULL)) ORDER BY i.sku COLLATE NOCASE",
        [DAY],
    )
    assert [r["sku"] for r in sheet["supplies"]["low"]] == [r["sku"] for r in low]
    expiring = store.query(
        "SELECT lot FROM stock_lots WHERE on_hand > 0 AND expires <= '2026-12-26'"
        " ORDER BY expires, id"
    )
    assert sorted(r["lot"] for r in sheet["supplies"]["expiring"]) == sorted(
        r["lot"] for r in expiring
    )
    total = sheet["spending"]["budgets"][-1]
    spent = store.scalar(
        "SELECT SUM(amount_cents) FROM expenses WHERE spent_on BETWEEN '2026-11-01' AND ?", [DAY]
    )
    assert total["category"] == "total" and total["spent"] == f"{spent // 100}.{spent % 100:02d}"


def test_a_day_nobody_works_says_so_and_names_the_next_open_day(demo, run):
    sheet = json.loads(run("today --date 2026-11-30 --provider natarajan -f json").stdout)
    assert sheet["hours"] == [] and sheet["next_open"] == "2026-12-01"
    text = run("today --date 2026-11-30 --provider natarajan").stdout
    # Others work on Mondays: the clinic is not closed, this provider is off.
    assert "Appointments: none. Priya Natarajan does not work on Mondays." in text
    assert (
        "Next working day: Tuesday 2026-12-01 (macli today --date 2026-12-01 --provider natarajan)."
        in text
    )
    assert "Closed" not in text
    monday = json.loads(run("today --date 2026-11-30 -f json").stdout)
    assert monday["next_open"] is None and monday["appointments"]


def test_provider_filter_date_and_audit(demo, run):
    chen = json.loads(run("today --provider chen -f json").stdout)["appointments"]
    assert chen and {row["provider"] for row in chen} == {"Dr. Maya Chen"}
    tomorrow = json.loads(run("today --date tomorrow -f json").stdout)
    assert tomorrow["date"] == "2026-11-27"
    every_call = json.loads(run("today -f json").stdout)["calls"]
    chen_calls = json.loads(run("today --provider chen -f json").stdout)["calls"]
    assert {call["provider"] for call in every_call} > {"Dr. Maya Chen"}
    assert chen_calls and {call["provider"] for call in chen_calls} == {"Dr. Maya Chen"}
    assert chen_calls == [call for call in every_call if call["provider"] == "Dr. Maya Chen"]
    assert "today.view" in run("audit list").stdout
    assert "no provider matches" in run("today --provider nobody", expect=1).stderr
    assert run("today --date someday", expect=1).stderr.startswith("Error: cannot read date")


@pytest.mark.parametrize("day", ["2026-09-05", "2026-09-06", "2026-09-07"])
def test_day_sheet_and_call_list_where_the_clocks_jump_at_midnight(run, day):
    # America/Santiago springs forward at 2026-09-06 00:00: that day starts at 01:00 and
    # lasts 23 hours. The day sheet and the call list once refused it ("does not exist").
    run("config set clinic.timezone America/Santiago")
    run("provider add 'Dr. Ana Chen'")
    run("schedule hours chen --set 'mon-sun 08:00-17:00'")
    run("patient add 'Ana García' --dob 1980-02-03 --phone 617-555-0142")
    run(
        "--now 2026-09-01T09:00 schedule add P000001 --provider chen --at '2026-09-07 09:00'"
        " --duration 20"
    )

    sheet = json.loads(run(f"--now '{day}T10:00' today -f json").stdout)
    assert sheet["date"] == day
    booked = [row["time"] for row in sheet["appointments"]]
    assert booked == (["09:00"] if day == "2026-09-07" else [])
    assert run(f"--now '{day}T10:00' remind calls").stdout == "No calls to make.\n"
    assert run(f"--now '{day}T10:00' today").stdout.startswith(day_heading(day))


def day_heading(day):
    from datetime import date

    return f"{date.fromisoformat(day):%A} {day}"


def test_the_day_sheet_flags_late_and_missing_patients(run):
    run("provider add 'Dr. Ana Chen'")
    run("schedule hours chen --set 'mon-fri 08:00-17:00'")
    run("patient add 'Ana García' --dob 1984-03-02")
    run("patient add 'Bo Li' --dob 1990-01-01")
    run(
        "--now 2026-11-26T07:00 schedule add P000001 --provider chen --at '2026-11-26 08:30' --duration 20"
    )
    run(
        "--now 2026-11-26T07:00 schedule add P000002 --provider chen --at '2026-11-26 09:15' --duration 20"
    )

    def flags(now):
        sheet = json.loads(run(f"--now {now} today -f json").stdout)
        return [(row["patient"], row["arrival"]) for row in sheet["appointments"]]

    assert flags("2026-11-26T08:00") == [("Ana García", None), ("Bo Li", None)]
    assert flags("2026-11-26T08:55") == [("Ana García", "late 25 min"), ("Bo Li", None)]
    assert flags("2026-11-26T17:40") == [("Ana García", "not arrived"), ("Bo Li", "not arrived")]
    run("--now 2026-11-26T09:20 schedule status 2 arrived")
    assert flags("2026-11-26T17:40") == [("Ana García", "not arrived"), ("Bo Li", None)]
    text = run("--now 2026-11-26T08:55 today").stdout
    assert "late 25 min, new patient" in text
