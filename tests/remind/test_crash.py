"""`macli remind send` as cron runs it, in its own process: killed mid-send, overlapping
runs, and what it prints. The servers hold a message on cue, so the kill lands exactly
between the server taking the message and the outbox recording it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from macli.remind import outbox

from .conftest import WAIT_SECONDS


def start_send(*args, now="2026-11-26T10:00:00"):
    env = {**os.environ, "MACLI_NOW": now}
    return subprocess.Popen(
        [sys.executable, "-m", "macli", "remind", "send", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process):
    stdout, stderr = process.communicate(timeout=WAIT_SECONDS)
    return process.returncode, stdout, stderr


def three_patients(clinic, **contact):
    patients = []
    for index, name in enumerate(["Ana García", "Liam Smith", "Wei Chen"]):
        fields = {key: value.format(index) for key, value in contact.items()}
        patient = clinic.patient(name, **fields)
        clinic.book(patient, f"2026-11-28 {8 + index}:00")
        patients.append(patient)
    return patients


def test_killed_after_the_mail_server_took_a_message_sends_it_at_most_twice(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    three_patients(clinic, email="patient{}@example.org")
    mail_server.hold = threading.Event()

    process = start_send()
    assert mail_server.arrived.wait(WAIT_SECONDS), "the first message never reached the server"
    process.send_signal(signal.SIGKILL)
    process.wait(WAIT_SECONDS)
    mail_server.hold.set()  # the server now answers "250" to a client that is gone
    mail_server.hold = None

    code, stdout, stderr = finish(start_send(now="2026-11-26T10:05:00"))

    assert (code, stdout, stderr) == (0, "", "")
    first = mail_server.to("patient0@example.org")
    assert len(first) == 2  # the one duplicate e-mail the crash window allows...
    assert first[0].message["Message-ID"] == first[1].message["Message-ID"]  # ...same id
    assert len(mail_server.to("patient1@example.org")) == 1
    assert len(mail_server.to("patient2@example.org")) == 1
    assert [row["status"] for row in clinic.reminders()] == ["sent"] * 3
    assert finish(start_send(now="2026-11-26T10:10:00")) == (0, "", "")
    assert len(mail_server.received) == 4


def test_killed_after_the_sms_provider_took_a_message_never_sends_it_twice(clinic, sms_server):
    clinic.use_sms(sms_server)
    clinic.rule("2d", "sms")
    three_patients(clinic, phone="617-555-014{}")
    sms_server.hold = threading.Event()

    process = start_send()
    assert sms_server.arrived.wait(WAIT_SECONDS), "the first message never reached the provider"
    process.send_signal(signal.SIGKILL)
    process.wait(WAIT_SECONDS)
    sms_server.hold.set()
    sms_server.hold = None

    code, stdout, stderr = finish(start_send(now="2026-11-26T10:05:00"))

    assert code == outbox.EXIT_FAILED
    assert stdout == ""
    assert "reminder 1 sms: outcome unknown" in stderr
    assert [len(sms_server.to(f"+1617555014{i}")) for i in range(3)] == [1, 1, 1]
    assert [row["status"] for row in clinic.reminders()] == ["unknown", "sent", "sent"]
    assert finish(start_send(now="2026-11-26T10:10:00")) == (0, "", "")
    assert len(sms_server.requests) == 3


def test_a_second_run_exits_at_once_while_the_first_is_sending(clinic, mail_server, db_path):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    three_patients(clinic, email="patient{}@example.org")
    mail_server.hold = threading.Event()

    first = start_send()
    assert mail_server.arrived.wait(WAIT_SECONDS)
    code, stdout, stderr = finish(start_send())
    mail_server.hold.set()

    assert code == outbox.EXIT_BUSY
    assert stdout == ""
    assert stderr == "Error: another `macli remind send` is running; this run did nothing\n"
    assert finish(first) == (0, "", "")
    assert len(mail_server.received) == 3
    lock = db_path.parent / (db_path.name + ".remind-send.lock")
    assert oct(lock.stat().st_mode & 0o777) == "0o600"


def test_two_runs_started_together_send_each_reminder_once(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    for index in range(12):
        patient = clinic.patient(f"Patient{index} Test", email=f"p{index}@example.org")
        clinic.book(patient, f"2026-11-28 {8 + index % 8}:{index * 4:02d}")

    runs = [start_send(now="2026-11-26T18:00:00"), start_send(now="2026-11-26T18:00:00")]
    codes = sorted(finish(run)[0] for run in runs)

    assert codes in ([0, 0], [0, outbox.EXIT_BUSY])
    assert sorted(len(mail_server.to(f"p{index}@example.org")) for index in range(12)) == [1] * 12


def test_failures_print_ids_only_and_success_prints_nothing(clinic, mail_server, sms_server):
    clinic.use_mail(mail_server)
    clinic.use_sms(sms_server)
    clinic.rule("2d", "email")
    clinic.rule("2d", "sms")
    ana = clinic.patient("Ana García", email="ana@example.org", phone="617-555-0142")
    clinic.book(ana, "2026-11-28 09:00")
    mail_server.refusals["ana@example.org"] = ["550 5.1.1 <ana@example.org>: Recipient unknown"]
    sms_server.replies["+16175550142"] = [
        (400, {"code": 21211, "message": "Invalid 'To' Phone Number: +16175550142", "status": 400})
    ]

    code, stdout, stderr = finish(start_send())

    assert code == outbox.EXIT_FAILED
    assert stdout == ""
    assert stderr.splitlines() == [
        "macli remind send: 0 sent, 2 failed or unknown",
        "  reminder 1 email: failed: recipient refused (SMTP 550)",
        "  reminder 2 sms: failed: invalid number (error 21211)",
        "  (details: macli remind log --date today)",
    ]
    for private in ("Ana", "García", "ana@", "555", ana["mrn"], "Riverside"):
        assert private not in stderr
    liam = clinic.patient("Liam Smith", email="liam@example.org")
    clinic.book(liam, "2026-11-28 11:00")
    assert finish(start_send(now="2026-11-26T11:00:00")) == (0, "", "")
