"""Booking through the core functions: conflicts of every kind, force, DST, series,
cancelling, moving and check-in statuses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from macli import audit
from macli.errors import Conflict, Invalid, NotFound
from macli.schedule import core, hours
from tests.schedule.conftest import NOW, TZ


def book(store, patient, at, provider="chen", **options):
    if "type_ref" not in options:
        options.setdefault("minutes", 20)
    return core.add(store, patient, provider, at, tz=TZ, user="tester", now=NOW, **options)["ids"]


def count(store):
    return store.scalar("SELECT COUNT(*) FROM appointments")


def test_booking_stores_utc_and_sets_contract_columns(store, clinic):
    [appointment_id] = book(store, clinic["ana"], "2026-12-01 09:30", type_ref="new")
    row = core.get(store, appointment_id)
    assert row["starts_at"] == "2026-12-01T14:30:00Z"
    assert row["ends_at"] == "2026-12-01T15:10:00Z"  # the type's 40 minutes
    assert row["status"] == "scheduled"
    assert row["status_at"] == "2026-11-26T14:00:00Z"
    assert row["series_id"] is None
    assert row["created_by"] == "tester"
    last = audit.entries(store)[-1]
    assert (last["action"], last["mrn"]) == ("schedule.add", clinic["ana"])


def test_relative_times_are_read_in_the_clinic_zone(store, clinic):
    [first] = book(store, clinic["ana"], "tomorrow 9:30")
    [second] = book(store, clinic["ana"], "mon 14:00")
    [third] = book(store, clinic["ana"], "+5d 10:00")
    assert core.get(store, first)["starts_at"] == "2026-11-27T14:30:00Z"
    assert core.get(store, second)["starts_at"] == "2026-11-30T19:00:00Z"
    assert core.get(store, third)["starts_at"] == "2026-12-01T15:00:00Z"


def test_same_provider_overlap_is_refused_and_names_the_appointment(store, clinic):
    [first] = book(store, clinic["ana"], "2026-12-01 09:00", minutes=30)
    with pytest.raises(Conflict) as refused:
        book(store, clinic["bo"], "2026-12-01 09:20")
    assert f"Dr. Ana Chen already has appointment {first} (2026-12-01 09:00-09:30)" in str(
        refused.value
    )
    assert count(store) == 1


def test_back_to_back_is_not_a_conflict(store, clinic):
    book(store, clinic["ana"], "2026-12-01 09:00", minutes=30)
    book(store, clinic["bo"], "2026-12-01 09:30")
    book(store, clinic["cy"], "2026-12-01 08:40")
    assert count(store) == 3


def test_same_patient_with_another_provider_is_refused(store, clinic):
    [first] = book(store, clinic["ana"], "2026-12-01 09:00")
    with pytest.raises(Conflict, match=f"the patient already has appointment {first} "):
        book(store, clinic["ana"], "2026-12-01 09:10", provider="okafor")


def test_same_room_is_refused(store, clinic):
    [first] = book(store, clinic["ana"], "2026-12-01 09:00", room="exam 1")
    assert core.get(store, first)["room"] == "Exam 1"  # spelled as registered
    with pytest.raises(Conflict, match=f"room Exam 1 is taken by appointment {first} "):
        book(store, clinic["bo"], "2026-12-01 09:10", provider="okafor", room="Exam 1")
    book(store, clinic["bo"], "2026-12-01 09:10", provider="okafor", room="Exam 2")


def test_outside_working_hours_and_at_lunch_is_refused(store, clinic):
    with pytest.raises(Conflict, match=r"outside Dr. Ana Chen's working hours \(tue 08:00-12:00"):
        book(store, clinic["ana"], "2026-12-01 11:50")
    with pytest.raises(Conflict, match="outside Dr. Ana Chen's working hours"):
        book(store, clinic["ana"], "2026-12-01 07:45")
    with pytest.raises(Conflict, match=r"\(sat off\)"):
        book(store, clinic["ana"], "2026-12-05 09:00")
    assert count(store) == 0


def test_inside_a_block_is_refused(store, clinic):
    block = hours.add_block(
        store,
        "chen",
        "2026-12-01 13:00",
        "2026-12-01 15:00",
        reason="training",
        tz=TZ,
        user="tester",
        now=NOW,
    )
    with pytest.raises(Conflict, match=rf"blocked .* \(training\) \(block {block['id']}\)"):
        book(store, clinic["ana"], "2026-12-01 14:50")
    book(store, clinic["ana"], "2026-12-01 15:00")


def test_cancelled_appointment_frees_its_slot(store, clinic):
    [first] = book(store, clinic["ana"], "2026-12-01 09:00", room="Exam 1")
    core.cancel(store, first, reason="feeling better", user="tester", now=NOW)
    [second] = book(store, clinic["bo"], "2026-12-01 09:00", room="Exam 1")
    cancelled = core.get(store, first)
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "feeling better")
    assert core.get(store, second)["status"] == "scheduled"


def test_no_show_keeps_the_slot_held(store, clinic):
    [first] = book(store, clinic["ana"], "2026-11-26 09:00")
    later = NOW + timedelta(minutes=30)
    core.set_status(store, first, "no-show", tz=TZ, user="tester", now=later)
    assert core.get(store, first)["status_at"] == "2026-11-26T14:30:00Z"
    with pytest.raises(Conflict, match=f"appointment {first}"):
        core.add(
            store,
            clinic["bo"],
            "chen",
            "2026-11-26 09:10",
            minutes=10,
            tz=TZ,
            user="t",
            now=NOW - timedelta(hours=2),
        )


def test_force_books_anyway_and_audits_the_reason(store, clinic):
    book(store, clinic["ana"], "2026-12-01 09:00")
    result = core.add(
        store,
        clinic["bo"],
        "chen",
        "2026-12-01 09:00",
        minutes=20,
        force_why="urgent, doctor agreed",
        tz=TZ,
        user="tester",
        now=NOW,
    )
    assert len(result["overridden"]) == 1
    last = audit.entries(store)[-1]
    assert last["mrn"] == clinic["bo"]
    assert "forced past 1 conflict(s): urgent, doctor agreed" in last["detail"]


def test_past_start_is_refused(store, clinic):
    with pytest.raises(Conflict, match="starts in the past"):
        book(store, clinic["ana"], "2026-11-26 08:00")


def test_dst_gap_is_refused(store, clinic):
    hours.set_hours(store, "chen", None, tz=TZ, now=NOW)
    with pytest.raises(Invalid, match="2026-03-08 02:30 does not exist in America/New_York"):
        core.add(
            store,
            clinic["ana"],
            "chen",
            "2026-03-08 02:30",
            minutes=20,
            tz=TZ,
            user="t",
            now=NOW - timedelta(days=300),
        )


def test_dst_fold_needs_an_explicit_offset(store, clinic):
    hours.set_hours(store, "chen", None, tz=TZ, now=NOW)
    earlier = NOW - timedelta(days=60)
    with pytest.raises(Invalid, match=r"happens twice .* 2026-11-01 01:30-04:00 or .*-05:00"):
        core.add(
            store,
            clinic["ana"],
            "chen",
            "2026-11-01 01:30",
            minutes=20,
            tz=TZ,
            user="t",
            now=earlier,
        )
    first = core.add(
        store,
        clinic["ana"],
        "chen",
        "2026-11-01 01:30-04:00",
        minutes=20,
        tz=TZ,
        user="t",
        now=earlier,
    )["ids"][0]
    second = core.add(
        store,
        clinic["bo"],
        "chen",
        "2026-11-01 01:30-05:00",
        minutes=20,
        tz=TZ,
        user="t",
        now=earlier,
    )["ids"][0]
    # Same wall-clock time, an hour apart: no conflict between them.
    assert core.get(store, first)["starts_at"] == "2026-11-01T05:30:00Z"
    assert core.get(store, second)["starts_at"] == "2026-11-01T06:30:00Z"


def test_series_is_booked_with_series_id_on_every_occurrence(store, clinic):
    ids = book(store, clinic["ana"], "2026-12-01 09:00", repeat="FREQ=WEEKLY;COUNT=6")
    assert len(ids) == 6
    rows = store.query("SELECT id, series_id, starts_at FROM appointments ORDER BY starts_at")
    assert {row["series_id"] for row in rows} == {ids[0]}
    assert [row["starts_at"][:10] for row in rows] == [
        "2026-12-01",
        "2026-12-08",
        "2026-12-15",
        "2026-12-22",
        "2026-12-29",
        "2027-01-05",
    ]


def test_series_keeps_local_time_across_dst(store, clinic):
    ids = book(store, clinic["ana"], "2027-03-02 09:00", repeat="FREQ=WEEKLY;COUNT=2")
    starts = [core.get(store, i)["starts_at"] for i in ids]
    assert starts == ["2027-03-02T14:00:00Z", "2027-03-09T14:00:00Z"]  # EST, then EST
    ids = book(store, clinic["ana"], "2027-03-10 09:00", repeat="FREQ=WEEKLY;COUNT=2")
    starts = [core.get(store, i)["starts_at"] for i in ids]
    assert starts == ["2027-03-10T14:00:00Z", "2027-03-17T13:00:00Z"]  # clocks sprang forward


def test_series_with_one_conflict_is_refused_whole_listing_every_conflict(store, clinic):
    [taken] = book(store, clinic["bo"], "2026-12-15 09:10")
    hours.add_block(
        store, "chen", "2026-12-29", "2026-12-29", reason="holiday", tz=TZ, user="t", now=NOW
    )
    with pytest.raises(Conflict) as refused:
        book(store, clinic["ana"], "2026-12-01 09:00", repeat="FREQ=WEEKLY;COUNT=6")
    message = str(refused.value)
    assert "cannot book the series of 6 appointments" in message
    assert f"2026-12-15 09:00-09:20: Dr. Ana Chen already has appointment {taken}" in message
    assert "2026-12-29 09:00-09:20: Dr. Ana Chen is blocked" in message
    assert count(store) == 1


def test_monthly_series_must_start_on_its_first_occurrence(store, clinic):
    with pytest.raises(Invalid, match="its first is 2026-12-08 09:00"):
        book(store, clinic["ana"], "2026-12-01 09:00", repeat="FREQ=MONTHLY;BYDAY=2TU;COUNT=3")
    ids = book(
        store, clinic["ana"], "2026-12-08 09:00", repeat="FREQ=MONTHLY;BYDAY=2TU;UNTIL=20270301"
    )
    assert [core.get(store, i)["starts_at"][:10] for i in ids] == [
        "2026-12-08",
        "2027-01-12",
        "2027-02-09",
    ]


@pytest.mark.parametrize(
    "rule, message",
    [
        ("FREQ=WEEKLY", "never ends"),
        ("FREQ=HOURLY;COUNT=3", "needs FREQ=DAILY"),
        ("FREQ=WEEKLY;COUNT=500", "more than 200"),
        ("FREQ=WEEKLY;COUNT=x", "cannot read the rule"),
        ("FREQ=WEEKLY;UNTIL=2027", "cannot read UNTIL=2027"),
        ("COUNT=3;COUNT=4;FREQ=DAILY", "COUNT is given twice"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=2", "cannot read the rule"),
        ("weekly", "cannot read 'weekly' in the rule"),
    ],
)
def test_bad_repeat_rules_are_refused(store, clinic, rule, message):
    with pytest.raises(Invalid, match=message):
        book(store, clinic["ana"], "2026-12-01 09:00", repeat=rule)
    assert count(store) == 0


def test_cancelling_one_occurrence_leaves_the_rest(store, clinic):
    ids = book(store, clinic["ana"], "2026-12-01 09:00", repeat="FREQ=WEEKLY;COUNT=4")
    assert core.cancel(store, ids[1], user="tester", now=NOW) == [ids[1]]
    statuses = [core.get(store, i)["status"] for i in ids]
    assert statuses == ["scheduled", "cancelled", "scheduled", "scheduled"]


def test_cancelling_with_series_takes_this_and_later_ones(store, clinic):
    ids = book(store, clinic["ana"], "2026-12-01 09:00", repeat="FREQ=WEEKLY;COUNT=4")
    core.cancel(store, ids[3], user="tester", now=NOW)
    assert core.cancel(store, ids[1], series=True, user="tester", now=NOW) == [ids[1], ids[2]]
    statuses = [core.get(store, i)["status"] for i in ids]
    assert statuses == ["scheduled", "cancelled", "cancelled", "cancelled"]
    with pytest.raises(Conflict, match="is cancelled; only scheduled appointments"):
        core.cancel(store, ids[1], user="tester", now=NOW)


def test_moving_keeps_length_and_checks_conflicts_without_itself(store, clinic):
    [first] = book(store, clinic["ana"], "2026-12-01 09:00", minutes=40)
    [other] = book(store, clinic["bo"], "2026-12-01 10:00")
    core.move(store, first, "2026-12-01 09:20", tz=TZ, user="tester", now=NOW)  # overlaps itself
    assert core.get(store, first)["ends_at"] == "2026-12-01T15:00:00Z"
    with pytest.raises(Conflict, match=f"already has appointment {other}"):
        core.move(store, first, "2026-12-01 09:45", tz=TZ, user="tester", now=NOW)
    core.move(store, first, "2026-12-01 09:45", provider_ref="okafor", tz=TZ, user="t", now=NOW)
    assert core.get(store, first)["provider_id"] == clinic["okafor"]


def test_moving_one_occurrence_or_the_rest_of_the_series(store, clinic):
    ids = book(store, clinic["ana"], "2026-12-01 09:00", repeat="FREQ=WEEKLY;COUNT=4")
    core.move(store, ids[0], "2026-12-02 10:00", tz=TZ, user="tester", now=NOW)
    assert core.get(store, ids[1])["starts_at"] == "2026-12-08T14:00:00Z"
    core.move(store, ids[2], "2026-12-16 11:00", series=True, tz=TZ, user="tester", now=NOW)
    starts = [core.get(store, i)["starts_at"] for i in ids]
    assert starts == [
        "2026-12-02T15:00:00Z",
        "2026-12-08T14:00:00Z",
        "2026-12-16T16:00:00Z",
        "2026-12-23T16:00:00Z",
    ]


def test_status_changes_are_timestamped_and_checked(store, clinic):
    [today] = book(store, clinic["ana"], "2026-11-26 10:00")
    [later] = book(store, clinic["ana"], "2026-12-01 10:00")
    with pytest.raises(Invalid, match="cannot be marked arrived before that day"):
        core.set_status(store, later, "arrived", tz=TZ, user="t", now=NOW)
    with pytest.raises(Invalid, match="cannot be marked no-show before then"):
        core.set_status(store, today, "no-show", tz=TZ, user="t", now=NOW)
    for minutes, status in ((50, "arrived"), (62, "in-room"), (85, "completed")):
        row = core.set_status(
            store, today, status, tz=TZ, user="t", now=NOW + timedelta(minutes=minutes)
        )
        assert row["status"] == status
    assert row["status_at"] == "2026-11-26T15:25:00Z"
    with pytest.raises(Invalid, match="already completed"):
        core.set_status(store, today, "completed", tz=TZ, user="t", now=NOW)
    with pytest.raises(Conflict, match="is completed; only scheduled appointments can be moved"):
        core.move(store, today, "2026-12-02 10:00", tz=TZ, user="t", now=NOW)
    core.cancel(store, later, user="t", now=NOW)
    with pytest.raises(Conflict, match="is cancelled; book a new one"):
        core.set_status(store, later, "arrived", tz=TZ, user="t", now=NOW)
    actions = [row["action"] for row in audit.entries(store)]
    assert actions.count("schedule.status") == 3


def test_unknown_things_are_named(store, clinic):
    with pytest.raises(NotFound, match="no appointment with id 99"):
        core.cancel(store, 99, user="t", now=NOW)
    with pytest.raises(NotFound, match="no room 'Exam 9'"):
        book(store, clinic["ana"], "2026-12-01 09:00", room="Exam 9")
    with pytest.raises(NotFound, match="no appointment type 'x-ray'"):
        book(store, clinic["ana"], "2026-12-01 09:00", type_ref="x-ray")
    with pytest.raises(Invalid, match="give --duration MINUTES or --type TYPE"):
        book(store, clinic["ana"], "2026-12-01 09:00", minutes=None)
    with pytest.raises(Invalid, match="a length of 3 minutes is not possible"):
        book(store, clinic["ana"], "2026-12-01 09:00", minutes=3)
    assert count(store) == 0
