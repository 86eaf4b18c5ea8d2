"""Reminders for appointments booked, moved and cancelled through `macli schedule`."""

from __future__ import annotations

import json


def setup_clinic(run, clinic, mail_server):
    clinic.use_mail(mail_server)
    run("remind rule add --before 2d --channel email")
    return clinic.patient("Ana García", email="ana@example.org")


def subjects(mail_server):
    return [item.message["Subject"] for item in mail_server.received]


def test_a_moved_appointment_is_reminded_again_for_its_new_time(run, clinic, mail_server):
    ana = setup_clinic(run, clinic, mail_server)
    booked = run(
        f'schedule add {ana["mrn"]} --provider chen --type follow-up --at "2026-11-28 10:00" -q'
    )
    appointment = booked.stdout.strip()

    run("--now 2026-11-26T10:00 remind send")
    run(f'--now 2026-11-26T11:00 schedule move {appointment} --at "2026-12-03 14:00"')
    run("--now 2026-11-27T09:00 remind send")  # not due yet for the new time
    run("--now 2026-12-01T14:00 remind send")
    run("--now 2026-12-01T15:00 remind send")

    assert subjects(mail_server) == [
        "Appointment reminder: Sat Nov 28 at 10:00 AM",
        "Appointment reminder: Thu Dec 3 at 2:00 PM",
    ]


def test_a_cancelled_appointment_gets_no_reminder(run, clinic, mail_server):
    ana = setup_clinic(run, clinic, mail_server)
    appointment = run(
        f'schedule add {ana["mrn"]} --provider chen --type follow-up --at "2026-11-28 10:00" -q'
    ).stdout.strip()
    run(f'schedule cancel {appointment} --reason "feeling better"')

    [row] = json.loads(run("--now 2026-11-26T10:00 remind due -f json").stdout)
    run("--now 2026-11-26T10:00 remind send")

    assert (row["action"], row["reason"]) == ("skip", "appointment cancelled")
    assert mail_server.received == []


def test_each_occurrence_of_a_booked_series_is_reminded_and_a_cancelled_one_is_not(
    run, clinic, mail_server
):
    ana = setup_clinic(run, clinic, mail_server)
    ids = run(
        f'schedule add {ana["mrn"]} --provider chen --type follow-up --at "2026-11-30 09:00"'
        ' --repeat "FREQ=WEEKLY;COUNT=3" -q'
    ).stdout.split()
    assert len(ids) == 3
    run(f"schedule cancel {ids[1]}")

    for day in ("2026-11-28", "2026-12-05", "2026-12-12"):
        run(f"--now {day}T09:00 remind send")
        run(f"--now {day}T18:00 remind send")

    assert subjects(mail_server) == [
        "Appointment reminder: Mon Nov 30 at 9:00 AM",
        "Appointment reminder: Mon Dec 14 at 9:00 AM",
    ]
