"""Chart core functions against a real store: exact storage, BMI, append-only entries,
amendments and history, problem/medication status, allergies, results, notes, audit."""

import sqlite3
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from macli import audit
from macli.chart import core, corrections, entries, findings, readings, summary
from macli.errors import Conflict, Invalid, NotFound
from tests.chart.conftest import ADULT, CHILD, INFANT, NOW, TODAY

TZ = ZoneInfo("America/New_York")
WHO = {"user": "tester", "now": NOW}


def record(store, patient=ADULT, at=None, confirm=False, clinic_units="us", **values):
    return readings.record(
        store, patient, values, at=at, confirm=confirm, clinic_units=clinic_units, tz=TZ, **WHO
    )


def stored(store, entry_id):
    return {
        row["loinc"]: (row["value"], row["unit"], row["entered"])
        for row in store.query("SELECT * FROM chart_vital_values WHERE entry_id = ?", [entry_id])
    }


def test_a_set_is_stored_canonically_with_what_was_entered(store):
    reading = record(
        store,
        bp="128/82",
        pulse="72",
        temp="98.6F",
        spo2="98%",
        weight="180lb",
        height="5ft10in",
        pain="3",
        resp="16",
    )
    assert stored(store, reading["id"]) == {
        "8480-6": ("128", "mm[Hg]", "128"),
        "8462-4": ("82", "mm[Hg]", "82"),
        "8867-4": ("72", "/min", "72"),
        "9279-1": ("16", "/min", "16"),
        "8310-5": ("37", "Cel", "98.6 °F"),
        "59408-5": ("98", "%", "98"),
        "29463-7": ("81.6466266", "kg", "180 lb"),
        "8302-2": ("177.8", "cm", "5 ft 10 in"),
        "39156-5": ("25.8", "kg/m2", None),
        "72514-3": ("3", "{score}", "3"),
    }
    assert reading["bp_class"] == "stage 1"
    assert readings.people_row(reading, "us")["weight"] == "180 lb"
    assert readings.people_row(reading, "metric")["weight"] == "81.6 kg"
    assert readings.people_row(reading, "metric")["temp"] == "37 °C"
    assert readings.machine_row(reading)["weight_kg"] == 81.6466266


def test_bmi_uses_an_adult_height_from_an_earlier_visit(store):
    first = record(store, height="178cm", at="2025-06-01 10:00")
    later = record(store, weight="81.6kg")
    assert later["values"]["bmi"] == Decimal("25.8")
    bmi_row = store.one(
        "SELECT derived_from FROM chart_vital_values WHERE entry_id = ? AND loinc = '39156-5'",
        [later["id"]],
    )
    assert bmi_row["derived_from"] == first["id"]


def test_a_childs_old_height_is_not_used_for_bmi(store):
    record(store, CHILD, height="100cm", at="2026-01-10 10:00")
    assert "bmi" not in record(store, CHILD, weight="17kg")["values"]
    record(store, CHILD, height="106cm", at="2026-11-20 10:00")
    assert record(store, CHILD, weight="17kg")["values"]["bmi"] == Decimal("15.1")


def test_an_unusual_value_needs_confirm_and_writes_nothing_without_it(store):
    before = store.scalar("SELECT COUNT(*) FROM chart_entries")
    with pytest.raises(Invalid, match="pulse 150 is outside 41–130 /min.*add --confirm"):
        record(store, pulse="150")
    with pytest.raises(Invalid, match="hypertensive crisis"):
        record(store, bp="190/125")
    assert store.scalar("SELECT COUNT(*) FROM chart_entries") == before
    assert record(store, pulse="150", bp="190/125", confirm=True)["bp_class"] == "crisis"


def test_an_infant_weight_in_pounds_and_ounces(store):
    reading = record(store, INFANT, weight="12lb4oz", height="24in")
    assert stored(store, reading["id"])["29463-7"] == ("5.5565065325", "kg", "12 lb 4 oz")
    assert reading["bp_class"] is None  # the AHA table is for adults
    assert record(store, INFANT, pulse="150")["values"]["pulse"] == 150


def test_a_weight_that_looks_like_the_wrong_unit_needs_confirm(store):
    record(store, weight="180lb", at="2026-11-20 10:00")
    with pytest.raises(Invalid, match="differs by 55% .* check the unit"):
        record(store, weight="81.6lb")


def test_vitals_in_the_future_are_refused(store):
    with pytest.raises(Invalid, match="is in the future"):
        record(store, pulse="70", at="2026-11-27 09:00")
    with pytest.raises(Invalid, match="at least one measurement"):
        record(store)


def test_chart_tables_refuse_update_and_delete(store):
    reading = record(store, pulse="72")
    for sql in (
        "UPDATE chart_entries SET recorded_by = 'someone' WHERE id = ?",
        "DELETE FROM chart_entries WHERE id = ?",
        "UPDATE chart_vital_values SET value = '80' WHERE entry_id = ?",
        "DELETE FROM chart_vital_values WHERE entry_id = ?",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute(sql, [reading["id"]])
    names = {
        row["name"] for row in store.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    for table in (
        "chart_problems",
        "chart_medications",
        "chart_allergies",
        "chart_results",
        "chart_notes",
        "chart_status",
    ):
        assert {f"{table}_no_update", f"{table}_no_delete"} <= names


def amend(store, entry_id, reason="typo", void=False, confirm=False, **changes):
    return corrections.amend(
        store,
        entry_id,
        changes,
        reason=reason,
        void=void,
        confirm=confirm,
        clinic_units="us",
        today=TODAY,
        tz=TZ,
        **WHO,
    )


def test_amending_vitals_keeps_both_versions(store):
    first = record(store, bp="128/82", pulse="72", weight="180lb", height="70in")
    new = amend(store, first["id"], reason="misread the gauge", bp="132/84")
    assert (new["amends"], new["thread_id"], new["reason"]) == (
        first["id"],
        first["id"],
        "misread the gauge",
    )
    current = readings.sets(store, 1, TZ)
    assert [r["id"] for r in current] == [new["id"]]
    assert current[0]["values"]["systolic"] == 132 and current[0]["values"]["pulse"] == 72
    assert current[0]["amended"] == "amended 2026-11-26"
    versions = corrections.history(store, first["id"], user="tester", now=NOW, tz=TZ)
    assert [(v["id"], v["version"], v["state"]) for v in versions] == [
        (first["id"], "original", "superseded"),
        (new["id"], f"amends {first['id']}", "current"),
    ]
    assert "systolic_mmhg=128" in versions[0]["values"]
    assert "systolic_mmhg=132" in versions[1]["values"]
    assert versions[1]["reason"] == "misread the gauge"


def test_an_amended_entry_cannot_be_amended_again(store):
    first = record(store, pulse="72")
    new = amend(store, first["id"], pulse="74")
    with pytest.raises(Conflict, match=f"already amended by entry {new['id']}; amend {new['id']}"):
        amend(store, first["id"], pulse="76")


def test_amend_checks_what_applies(store):
    first = record(store, pulse="72")
    with pytest.raises(Invalid, match="vitals entry: --icd does not apply"):
        amend(store, first["id"], icd="I10")
    with pytest.raises(Invalid, match="nothing to change"):
        amend(store, first["id"])
    with pytest.raises(Invalid, match="may not be empty"):
        amend(store, first["id"], reason="  ", pulse="74")
    with pytest.raises(Invalid, match="would hold no measurement"):
        amend(store, first["id"], pulse="")
    with pytest.raises(NotFound):
        amend(store, 999, pulse="74")
    with pytest.raises(Invalid, match="outside 41–130"):
        amend(store, first["id"], pulse="150")
    assert amend(store, first["id"], pulse="150", confirm=True)["amends"] == first["id"]


def test_voiding_hides_an_entry_but_keeps_it_in_the_history(store):
    problem = core.add_problem(store, ADULT, "I10", today=TODAY, **WHO)
    void = amend(store, problem["id"], reason="wrong patient", void=True)
    assert core.problems(store, 1, tz=TZ) == []
    versions = corrections.history(store, problem["id"], user="tester", now=NOW, tz=TZ)
    assert [v["state"] for v in versions] == ["superseded", "voided"]
    with pytest.raises(Conflict, match=f"voided by entry {void['id']}"):
        amend(store, void["id"], note="x")


def test_problems_resolve_as_new_entries(store):
    problem = core.add_problem(
        store, ADULT, "m54.50", onset="2026-10-01", note="after lifting", today=TODAY, **WHO
    )
    assert (problem["code"], problem["description"]) == ("M54.50", "Low back pain, unspecified")
    resolved = core.resolve_problem(store, problem["id"], on="2026-11-20", today=TODAY, **WHO)
    assert resolved["on_date"] == "2026-11-20"
    assert core.problems(store, 1, tz=TZ) == []
    listed = core.problems(store, 1, include_resolved=True, tz=TZ)
    assert listed[0]["status"] == "resolved 2026-11-20"
    with pytest.raises(Conflict, match="already resolved on 2026-11-20"):
        core.resolve_problem(store, problem["id"], today=TODAY, **WHO)
    # a resolution entered in error is voided, and the problem is active again
    amend(store, resolved["status_id"], reason="not resolved", void=True)
    assert core.problems(store, 1, tz=TZ)[0]["status"] == "active"
    kinds = [
        v["kind"] for v in corrections.history(store, problem["id"], user="tester", now=NOW, tz=TZ)
    ]
    assert kinds == ["problem", "resolution", "resolution"]


def test_problem_dates_and_codes_are_checked(store):
    with pytest.raises(Invalid, match="header, not billable"):
        core.add_problem(store, ADULT, "E11", today=TODAY, **WHO)
    with pytest.raises(Invalid, match="in the future"):
        core.add_problem(store, ADULT, "I10", onset="2027-01-01", today=TODAY, **WHO)
    problem = core.add_problem(store, ADULT, "I10", onset="2026-10-01", today=TODAY, **WHO)
    with pytest.raises(Invalid, match="before the problem began"):
        core.resolve_problem(store, problem["id"], on="2026-09-01", today=TODAY, **WHO)
    with pytest.raises(NotFound, match="no problem with id"):
        core.resolve_problem(store, 99, today=TODAY, **WHO)
    amended = amend(store, problem["id"], reason="more specific", icd="I11.9")
    assert amended["code"] == "I11.9" and amended["onset"] == "2026-10-01"
    with pytest.raises(Invalid, match="needs its 7th character"):
        amend(store, amended["id"], icd="S72.001")
    # the first version's id still names the problem: its live version is resolved
    resolved = core.resolve_problem(store, problem["id"], today=TODAY, **WHO)
    assert (resolved["id"], resolved["code"]) == (amended["id"], "I11.9")
    amend(store, amended["id"], reason="wrong patient", void=True)
    with pytest.raises(Conflict, match="was voided"):
        core.resolve_problem(store, problem["id"], today=TODAY, **WHO)


def test_medications_stop_as_new_entries(store):
    med = core.add_medication(
        store,
        ADULT,
        "metformin",
        dose="500 mg",
        route="by mouth",
        frequency="twice daily",
        start="2024-01-15",
        today=TODAY,
        **WHO,
    )
    core.stop_medication(store, med["id"], today=TODAY, **WHO)
    assert core.medications(store, 1, tz=TZ) == []
    row = core.medications(store, 1, include_stopped=True, tz=TZ)[0]
    assert (row["name"], row["status"]) == ("metformin", "stopped 2026-11-26")
    with pytest.raises(NotFound, match="no medication with id"):
        core.stop_medication(store, 99999, today=TODAY, **WHO)


def test_allergies_none_known_and_not_recorded_differ(store):
    assert core.allergies(store, 1, tz=TZ) == []
    assert summary.allergy_status([]) == "allergies not recorded"
    core.no_known_allergies(store, ADULT, user="tester", now=NOW, tz=TZ)
    rows = core.allergies(store, 1, tz=TZ)
    assert [r["type"] for r in rows] == ["none known"]
    assert summary.allergy_status(rows) == "no known allergies (recorded 2026-11-26)"
    allergy = core.add_allergy(
        store, ADULT, "penicillin", reaction="hives", severity="moderate", **WHO
    )
    rows = core.allergies(store, 1, tz=TZ)
    assert [(r["type"], r["substance"]) for r in rows] == [("allergy", "penicillin")]
    with pytest.raises(Conflict, match="has recorded allergies"):
        core.no_known_allergies(store, ADULT, user="tester", now=NOW, tz=TZ)
    with pytest.raises(Invalid, match="unknown severity"):
        core.add_allergy(store, ADULT, "latex", severity="extreme", **WHO)
    amend(store, allergy["id"], reason="was the sister's allergy", void=True)
    assert core.allergies(store, 1, tz=TZ)[0]["type"] == "none known"


def test_results_are_kept_as_reported_and_flagged(store):
    findings.add_result(
        store,
        ADULT,
        "Hemoglobin A1c",
        "7.2",
        unit="%",
        range_text="4.0-5.6",
        loinc="4548-4",
        tz=TZ,
        **WHO,
    )
    findings.add_result(store, ADULT, "LDL", "88", unit="mg/dL", range_text="<100", tz=TZ, **WHO)
    findings.add_result(store, ADULT, "EKG", "Normal sinus rhythm", tz=TZ, **WHO)
    rows = findings.results(store, 1, tz=TZ)
    assert [(r["value"], r["range"], r["flag"]) for r in rows] == [
        ("7.2", "4.0-5.6", "H"),
        ("88", "<100", ""),
        ("Normal sinus rhythm", None, ""),
    ]
    with pytest.raises(Invalid, match="check digit is wrong"):
        findings.add_result(store, ADULT, "A1c", "7", loinc="4548-5", tz=TZ, **WHO)
    with pytest.raises(Invalid, match="cannot read range"):
        findings.add_result(store, ADULT, "A1c", "7", range_text="normal", tz=TZ, **WHO)
    with pytest.raises(Invalid, match="low end is above"):
        findings.add_result(store, ADULT, "A1c", "7", range_text="9-4", tz=TZ, **WHO)


def test_notes_keep_their_text(store):
    findings.add_note(store, ADULT, "Line one.\n  indented line two\n", **WHO)
    assert findings.notes(store, 1, tz=TZ)[0]["text"] == "Line one.\n  indented line two"
    with pytest.raises(Invalid, match="empty"):
        findings.add_note(store, ADULT, " \n ", **WHO)


def test_every_view_and_write_is_audited(store):
    record(store, pulse="72")
    core.add_problem(store, ADULT, "I10", today=TODAY, **WHO)
    summary.show(store, ADULT, user="tester", now=NOW, tz=TZ)
    core.list_problems(store, ADULT, user="tester", now=NOW + timedelta(seconds=1), tz=TZ)
    summary.trend(store, ADULT, "pulse", user="tester", now=NOW, tz=TZ)
    rows = [r for r in audit.entries(store, patient_id=1) if r["action"].startswith("chart.")]
    assert [(r["action"], r["mrn"], r["detail"]) for r in rows] == [
        ("chart.vitals", ADULT, "entry 1"),
        ("chart.problem.add", ADULT, "entry 2"),
        ("chart.view", ADULT, "chart"),
        ("chart.view", ADULT, "problems"),
        ("chart.view", ADULT, "trend pulse"),
    ]
    assert audit.verify(store) is None


def test_show_gathers_the_current_chart(store):
    record(store, bp="118/76", weight="180lb", height="70in", at="2026-10-01 10:00")
    record(store, bp="135/85", pulse="95")
    core.add_problem(store, ADULT, "E11.9", today=TODAY, **WHO)
    chart = summary.show(store, ADULT, user="tester", now=NOW, tz=TZ)
    assert chart["patient"]["age"] == 42
    assert chart["allergy_status"] == "allergies not recorded"
    assert [p["code"] for p in chart["problems"]] == ["E11.9"]
    assert chart["vitals"]["bp_class"] == "stage 1"
    assert chart["vitals"]["flags"] == {"pulse": "H"}
    assert "weight" not in chart["vitals"]["values"]


def test_entry_ids_are_numbers(store):
    with pytest.raises(NotFound, match="entry ids are numbers"):
        entries.get(store, "abc")
