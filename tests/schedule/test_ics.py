"""The .ics export read back by the icalendar library and imported into khal, a real
calendar program, with every appointment at the right local time."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import icalendar

from macli import audit
from macli.schedule import core
from tests.schedule.conftest import NOW, TZ

KHAL = Path(sys.executable).parent / "khal"


def booked(store, clinic):
    """Appointments on both sides of the March 2027 clock change, one cancelled."""

    def add(patient, at, **options):
        return core.add(store, patient, "chen", at, tz=TZ, user="t", now=NOW, **options)["ids"]

    ids = add(
        clinic["ana"],
        "2027-03-05 09:00",
        type_ref="follow-up",
        room="Exam 1",
        reason="blood pressure check",
    )
    ids += add(clinic["bo"], "2027-03-09 09:00", minutes=40, room="Exam 2")
    ids += add(clinic["cy"], "2027-03-09 16:30", type_ref="vaccine", repeat="FREQ=WEEKLY;COUNT=2")
    [dropped] = add(clinic["cy"], "2027-03-10 10:00", minutes=20)
    core.cancel(store, dropped, user="t", now=NOW)
    return ids


def read(path):
    return icalendar.Calendar.from_ical(Path(path).read_bytes())


def test_export_reads_back_with_stable_uids_times_rooms_and_no_reason(store, clinic, run, tmp_path):
    ids = booked(store, clinic)
    target = tmp_path / "chen.ics"
    result = run(f"schedule export --from 2027-03-01 --to 2027-03-31 --provider chen -o {target}")
    assert result.stdout == f"Wrote 4 appointment(s) to {target}.\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    calendar = read(target)
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "America/New_York"
    events = calendar.walk("VEVENT")
    domain = store.scalar("SELECT uid_domain FROM schedule_calendar")
    assert [str(e["UID"]) for e in events] == [f"appointment-{i}@{domain}" for i in ids]
    starts = [e.decoded("DTSTART") for e in events]
    assert [s.strftime("%Y-%m-%d %H:%M %Z") for s in starts] == [
        "2027-03-05 09:00 EST",
        "2027-03-09 09:00 EST",
        "2027-03-09 16:30 EST",
        "2027-03-16 16:30 EDT",
    ]
    assert starts[3] == datetime(2027, 3, 16, 16, 30, tzinfo=TZ)
    assert events[1].decoded("DTEND") - starts[1] == timedelta(minutes=40)
    assert [str(e.get("LOCATION")) for e in events[:2]] == ["Exam 1", "Exam 2"]
    assert str(events[0]["SUMMARY"]) == "Ana García, follow-up"
    assert events[0]["CATEGORIES"].cats == ["Dr. Ana Chen"]
    assert "Provider: Dr. Ana Chen" in str(events[0]["DESCRIPTION"])
    assert "blood pressure" not in target.read_text()
    # Exporting again gives the same UIDs: calendar programs update, not duplicate.
    run(f"schedule export --from 2027-03-01 --to 2027-03-31 --with-reason -o {target}")
    again = read(target).walk("VEVENT")
    assert [str(e["UID"]) for e in again] == [str(e["UID"]) for e in events]
    assert "Reason: blood pressure check" in str(again[0]["DESCRIPTION"])
    exports = [row for row in audit.entries(store) if row["action"] == "schedule.export"]
    assert [row["detail"] for row in exports] == [
        "2027-03-01..2027-03-31 events=4",
        "2027-03-01..2027-03-31 events=4 with reasons",
    ]


def test_khal_imports_every_appointment_at_its_local_time(store, clinic, run, tmp_path):
    booked(store, clinic)
    target = tmp_path / "clinic.ics"
    run(f"schedule export --from 2027-03-01 --to 2027-03-31 -o {target}")
    (tmp_path / "calendar").mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(
        f"""[calendars]
[[clinic]]
path = {tmp_path / "calendar"}
type = calendar
[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = America/New_York
default_timezone = America/New_York
[sqlite]
path = {tmp_path / "khal.db"}
"""
    )
    env = {**os.environ, "TZ": "America/New_York"}

    def khal(*args):
        done = subprocess.run(
            [str(KHAL), "-c", str(config), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    khal("import", "--batch", str(target))
    listed = khal(
        "list",
        "--day-format",
        "",
        "--format",
        "{start} {end}|{title}|{location}",
        "2027-03-01",
        "2027-03-31",
    )
    assert [line for line in listed.splitlines() if line] == [
        "2027-03-05 09:00 2027-03-05 09:20|Ana García, follow-up|Exam 1",
        "2027-03-09 09:00 2027-03-09 09:40|Bo Smith|Exam 2",
        "2027-03-09 16:30 2027-03-09 16:40|Cy Jones, vaccine|",
        "2027-03-16 16:30 2027-03-16 16:40|Cy Jones, vaccine|",
    ]


def test_each_event_is_the_bytes_icalendar_event_writes(store, clinic, tmp_path):
    """The export builds each property with icalendar's types and content lines instead
    of an Event per appointment; the result must be what Event.to_ical() gives."""
    from macli.patients import core as patients
    from macli.schedule import ics

    long_name = "Zoë Ångström-Núñez, Jr. " + "Ñ" * 30
    patient = patients.add(
        store,
        {"name": long_name, "dob": "1970-01-01"},
        region="US",
        user="t",
        now=NOW,
        today=NOW.date(),
    )["mrn"]
    ids = booked(store, clinic)
    ids += core.add(
        store,
        patient,
        "okafor",
        "2027-03-11 10:00",
        minutes=30,
        reason='knee; left\\right, "sore" — ' + "é" * 60,
        tz=TZ,
        user="t",
        now=NOW,
    )["ids"]
    target = tmp_path / "all.ics"
    count = ics.export(
        store,
        target,
        first=datetime(2027, 3, 1).date(),
        last=datetime(2027, 3, 31).date(),
        with_reason=True,
        clinic="Test",
        tz=TZ,
        user="t",
        now=NOW,
    )
    assert count == len(ids) == 5
    text = target.read_bytes()
    domain = store.scalar("SELECT uid_domain FROM schedule_calendar")
    for row in store.query(
        "SELECT a.id, a.starts_at, a.ends_at, a.status, a.room, a.reason, a.updated_at,"
        " pr.name AS provider, pa.name AS patient, pa.mrn, t.name AS type FROM appointments a"
        " JOIN providers pr ON pr.id = a.provider_id JOIN patients pa ON pa.id = a.patient_id"
        " LEFT JOIN appointment_types t ON t.id = a.type_id WHERE a.status != 'cancelled'"
    ):
        event = icalendar.Event()
        event.add("uid", f"appointment-{row['id']}@{domain}")
        event.add("dtstamp", NOW)
        event.add("last-modified", datetime.fromisoformat(row["updated_at"]))
        event.add("dtstart", datetime.fromisoformat(row["starts_at"]).astimezone(TZ))
        event.add("dtend", datetime.fromisoformat(row["ends_at"]).astimezone(TZ))
        event.add("summary", row["patient"] + (f", {row['type']}" if row["type"] else ""))
        if row["room"]:
            event.add("location", row["room"])
        event.add("categories", [row["provider"]])
        lines = [f"Provider: {row['provider']}", f"Patient: {row['patient']} ({row['mrn']})"]
        lines.append("Status: scheduled")
        if row["reason"]:
            lines.append(f"Reason: {row['reason']}")
        event.add("description", "\n".join(lines))
        event.add("status", "CONFIRMED")
        assert event.to_ical() in text
    assert b"\r\n " in text  # the long lines were folded
    assert all(len(line) <= 75 for line in text.split(b"\r\n"))
