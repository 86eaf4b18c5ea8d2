"""The front desk's views: free-slot search around lunch and blocks, the day sheet
with its open gaps, the week, listings and their audit rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from macli import audit
from macli.errors import Invalid
from macli.schedule import core, hours, sheets
from tests.schedule.conftest import NOW, TZ

TUESDAY = date(2026, 12, 1)


def book(store, patient, at, minutes=20, provider="chen"):
    return core.add(store, patient, provider, at, minutes=minutes, tz=TZ, user="t", now=NOW)["ids"][
        0
    ]


def spans(rows):
    return [(row["start"], row["end"]) for row in rows]


def test_free_time_stops_at_lunch_and_skips_bookings_and_blocks(store, clinic):
    book(store, clinic["ana"], "2026-12-01 09:00", minutes=30)
    book(store, clinic["bo"], "2026-12-01 11:30", minutes=20)
    hours.add_block(
        store,
        "chen",
        "2026-12-01 14:00",
        "2026-12-01 15:30",
        reason="meeting",
        tz=TZ,
        user="t",
        now=NOW,
    )
    rows = sheets.free(store, "chen", TUESDAY, minutes=20, tz=TZ, now=NOW)
    assert spans(rows) == [
        ("08:00", "09:00"),
        ("09:30", "11:30"),
        ("13:00", "14:00"),
        ("15:30", "17:00"),
    ]
    assert [row["minutes"] for row in rows] == [60, 120, 60, 90]


def test_free_time_respects_the_length_asked_for(store, clinic):
    book(store, clinic["ana"], "2026-12-01 11:30", minutes=20)  # leaves 11:50-12:00
    short = sheets.free(store, "chen", TUESDAY, minutes=10, tz=TZ, now=NOW)
    assert ("11:50", "12:00") in spans(short)
    longer = sheets.free(store, "chen", TUESDAY, type_ref="new patient", tz=TZ, now=NOW)
    assert ("11:50", "12:00") not in spans(longer)
    assert all(row["minutes"] >= 40 for row in longer)


def test_free_time_never_starts_before_now_and_spans_days(store, clinic):
    rows = sheets.free(
        store, "chen", NOW.date(), minutes=30, days=5, tz=TZ, now=NOW + timedelta(minutes=3)
    )
    assert rows[0]["date"] == "2026-11-26"
    assert rows[0]["start"] == "09:05"  # the next five-minute mark after 09:03
    assert {row["date"] for row in rows} == {"2026-11-26", "2026-11-27", "2026-11-30"}


def test_free_time_needs_working_hours(store, clinic):
    hours.set_hours(store, "chen", None, tz=TZ, now=NOW)
    with pytest.raises(Invalid, match="Dr. Ana Chen has no working hours"):
        sheets.free(store, "chen", TUESDAY, minutes=20, tz=TZ, now=NOW)


def test_day_sheet_shows_appointments_gaps_and_blocks_per_provider(store, clinic):
    first = book(store, clinic["ana"], "2026-12-01 08:00", minutes=30)
    book(store, clinic["bo"], "2026-12-01 08:30", minutes=20, provider="okafor")
    hours.add_block(
        store,
        "chen",
        "2026-12-01 13:00",
        "2026-12-01 14:00",
        reason="training",
        tz=TZ,
        user="t",
        now=NOW,
    )
    sections = sheets.day_schedule(store, TUESDAY, None, tz=TZ, user="t", now=NOW)
    assert [s["provider"] for s in sections] == ["Dr. Ana Chen", "Dr. Ben Okafor"]
    assert sections[0]["hours"] == "tue 08:00-12:00,13:00-17:00"
    chen = [(r["kind"], r["start"], r["end"], r.get("id")) for r in sections[0]["rows"]]
    assert chen == [
        ("appointment", "08:00", "08:30", first),
        ("open", "08:30", "12:00", None),
        ("blocked", "13:00", "14:00", chen[2][3]),
        ("open", "14:00", "17:00", None),
    ]
    assert sections[0]["rows"][0]["patient"] == "Ana García"
    last = audit.entries(store)[-1]
    assert (last["action"], last["detail"]) == ("schedule.day", "2026-12-01 appointments=2")


def test_whole_day_block_shows_across_working_hours(store, clinic):
    hours.add_block(
        store, "chen", "2026-12-01", "2026-12-01", reason="vacation", tz=TZ, user="t", now=NOW
    )
    [section] = sheets.day_schedule(store, TUESDAY, "chen", tz=TZ, user="t", now=NOW)
    assert [(r["kind"], r["start"], r["end"]) for r in section["rows"]] == [
        ("blocked", "08:00", "17:00")
    ]


def test_week_counts_booked_and_open_time(store, clinic):
    book(store, clinic["ana"], "2026-12-01 08:00", minutes=30)
    book(store, clinic["bo"], "2026-12-01 09:00", minutes=20)
    rows = sheets.week(store, date(2026, 12, 3), "chen", tz=TZ)
    assert [row["date"] for row in rows][0] == "2026-11-30"
    assert len(rows) == 7
    tuesday = rows[1]
    assert (tuesday["appointments"], tuesday["booked_minutes"]) == (2, 50)
    assert tuesday["open_minutes"] == 480 - 50
    assert tuesday["longest_open"] == 240  # the afternoon, 13:00-17:00
    assert rows[5]["hours"] == "off"


def test_list_filters_and_is_audited_as_one_view(store, clinic):
    a = book(store, clinic["ana"], "2026-12-01 08:00")
    b = book(store, clinic["bo"], "2026-12-02 08:00")
    c = book(store, clinic["ana"], "2026-12-03 08:00", provider="okafor")
    core.cancel(store, b, user="t", now=NOW)
    common = {"tz": TZ, "user": "t", "now": NOW}
    everything = sheets.appointments(store, first=None, last=None, **common)
    assert [row["id"] for row in everything] == [a, b, c]
    one_day = sheets.appointments(store, first=TUESDAY, last=TUESDAY, **common)
    assert [row["id"] for row in one_day] == [a]
    for_ana = sheets.appointments(store, first=None, last=None, patient_ref=clinic["ana"], **common)
    assert [row["id"] for row in for_ana] == [a, c]
    cancelled = sheets.appointments(store, first=None, last=None, statuses=("cancelled",), **common)
    assert [row["id"] for row in cancelled] == [b]
    okafor = sheets.appointments(store, first=None, last=None, provider_ref="okafor", **common)
    assert [(row["id"], row["start"], row["patient"]) for row in okafor] == [
        (c, "08:00", "Ana García")
    ]
    views = [row for row in audit.entries(store) if row["action"] == "schedule.list"]
    assert len(views) == 5
    assert views[2]["mrn"] == clinic["ana"]
