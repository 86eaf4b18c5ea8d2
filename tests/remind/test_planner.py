"""Due times in the clinic's zone across DST, rules by type, the phone list's rules."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from macli.errors import Conflict, Invalid, NotFound
from macli.remind import planner, rules
from macli.when import utc_text

from .conftest import ZONE, at


@pytest.mark.parametrize(
    ("appointment", "before", "due_utc"),
    [
        # Fall back on 2026-11-01 02:00: the day before is in daylight time.
        ("2026-11-01 10:00", "1d", "2026-10-31T14:00:00Z"),
        ("2026-11-02 09:00", "1d", "2026-11-01T14:00:00Z"),
        # Spring forward on 2026-03-08 02:00: the day before is in standard time.
        ("2026-03-08 10:00", "1d", "2026-03-07T15:00:00Z"),
        ("2026-03-09 09:00", "2d", "2026-03-07T14:00:00Z"),
        # Whole days on the calendar, the rest exact: 1d12h before 10:00 is 22:00 two days back.
        ("2026-03-09 10:00", "1d12h", "2026-03-08T02:00:00Z"),
        ("2026-11-02 09:00", "90m", "2026-11-02T12:30:00Z"),
    ],
)
def test_due_times_keep_the_wall_clock_across_dst(appointment, before, due_utc):
    from macli.when import parse_duration

    seconds = int(parse_duration(before).total_seconds())
    assert utc_text(planner.due_at(at(appointment), seconds, ZONE)) == due_utc


def test_a_day_before_a_visit_after_the_fall_back_goes_at_the_same_clock_time(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("1d", "email")
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-01 10:00")

    assert clinic.send("2026-10-31 09:59").outcomes == []
    assert clinic.send("2026-10-31 10:00").count("sent") == 1
    assert clinic.reminders()[0]["due_at"] == "2026-10-31T14:00:00Z"


def test_a_day_before_a_visit_after_the_spring_forward_goes_at_the_same_clock_time(
    clinic, sms_server
):
    clinic.use_sms(sms_server)
    clinic.rule("1d", "sms")
    clinic.book(clinic.patient("Ana García", phone="617-555-0142"), "2026-03-08 10:00")

    assert clinic.send("2026-03-07 09:59").outcomes == []
    assert clinic.send("2026-03-07 10:00").count("sent") == 1
    assert "Sun Mar 8 at 10:00 AM" in sms_server.requests[0]["Body"]


def test_quiet_hours_are_read_on_the_clinic_clock():
    start, end = planner.parse_time("20:00"), planner.parse_time("08:00")
    zone = ZoneInfo("America/New_York")
    assert planner.quiet_until(at("2026-11-26 19:59").astimezone(zone), start, end) is None
    assert planner.quiet_until(at("2026-11-26 20:00").astimezone(zone), start, end) == end
    assert planner.quiet_until(at("2026-11-27 07:59").astimezone(zone), start, end) == end
    assert planner.quiet_until(at("2026-11-27 08:00").astimezone(zone), start, end) is None
    same = planner.parse_time("08:00")
    assert planner.quiet_until(at("2026-11-27 03:00").astimezone(zone), same, same) is None


def test_a_rule_for_one_type_skips_the_others(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email", type_ref="new patient")
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00")
    clinic.book(
        clinic.patient("Liam Smith", email="liam@example.org"),
        "2026-11-28 11:00",
        type_id=clinic.new_type_id,
    )

    clinic.send("2026-11-26 12:00")

    assert [item.recipients for item in mail_server.received] == [["liam@example.org"]]


def test_phone_reminders_go_on_the_call_list_for_patients_who_prefer_calls(clinic):
    from macli.remind import history

    clinic.rule("1d", "phone")
    caller = clinic.patient("Ana García", phone="617-555-0142", consent="phone", prefers="phone")
    texter = clinic.patient("Liam Smith", phone="617-555-0144", consent="phone,sms")
    clinic.book(caller, "2026-11-27 07:00")
    clinic.book(texter, "2026-11-27 07:15")

    assert clinic.send("2026-11-26 07:30").outcomes == []  # no calls in quiet hours
    result = clinic.send("2026-11-26 08:00")

    assert [(o.channel, o.status) for o in result.outcomes] == [("phone", "to-call")]
    assert result.exit_code == 0
    [call] = history.calls(
        clinic.store, day=at("2026-11-26 10:00").date(), tz=ZONE, user="tester", now=clinic.NOW
    )
    assert (call["mrn"], call["phone"], call["status"]) == (
        caller["mrn"],
        "+16175550142",  # core returns the stored E.164; tables show (617) 555-0142
        "to-call",
    )
    reasons = {
        d.patient_id: d.reason
        for d in planner.plan(clinic.store, now=at("2026-11-26 10:05"), tz=ZONE)
    }
    assert reasons[texter["id"]] == "does not prefer phone calls"

    history.mark(clinic.store, call["id"], "no-answer", user="front", now=at("2026-11-26 11:00"))
    [call] = history.calls(
        clinic.store, day=at("2026-11-26 10:00").date(), tz=ZONE, user="t", now=clinic.NOW
    )
    assert (call["status"], call["marked_by"]) == ("no-answer", "front")
    history.mark(clinic.store, call["id"], "reached", user="front", now=at("2026-11-26 14:00"))
    assert clinic.reminders()[0]["status"] == "reached"
    assert clinic.send("2026-11-26 15:00").outcomes == []


def test_a_call_for_a_cancelled_appointment_is_withdrawn_and_cannot_be_marked(clinic):
    from macli.remind import history

    clinic.rule("1d", "phone")
    caller = clinic.patient("Ana García", phone="617-555-0142", consent="phone", prefers="phone")
    appointment = clinic.book(caller, "2026-11-27 10:00")
    clinic.send("2026-11-26 10:00")
    clinic.cancel(appointment)
    clinic.send("2026-11-26 10:30")

    [row] = clinic.reminders()
    assert row["status"] == "withdrawn"
    with pytest.raises(Conflict, match="withdrawn"):
        history.mark(clinic.store, row["id"], "reached", user="front", now=clinic.NOW)


def test_rules_are_validated_and_listed(clinic):
    first = clinic.rule("2d", "email")
    clinic.rule("90m", "sms")
    with pytest.raises(Conflict, match="already sends email 2d before"):
        clinic.rule("48h", "email")
    with pytest.raises(Invalid, match="cannot read duration"):
        clinic.rule("2 days", "email")
    with pytest.raises(Invalid, match="unknown channel"):
        clinic.rule("2d", "fax")
    with pytest.raises(NotFound, match="known types: Follow-up, New patient"):
        clinic.rule("2d", "email", type_ref="Surgery")
    assert [(r["channel"], r["before"]) for r in rules.listing(clinic.store)] == [
        ("email", "2d"),
        ("sms", "1h30m"),
    ]
    rules.remove(clinic.store, first, user="tester", now=clinic.NOW)
    assert [r["channel"] for r in rules.listing(clinic.store)] == ["sms"]
    with pytest.raises(Conflict, match="already removed"):
        rules.remove(clinic.store, first, user="tester", now=clinic.NOW)
    assert clinic.rule("2d", "email") != first  # the same rule may come back
