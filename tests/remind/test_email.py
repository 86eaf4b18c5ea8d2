"""E-mail reminders against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from macli.patients.core import consents
from macli.remind import consent, outbox, planner

from .conftest import ZONE, at


def test_an_email_reminder_reaches_the_server_with_proper_headers(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    ana = clinic.patient("Ana García", email="ana@example.org")
    clinic.book(ana, "2026-11-28 10:00")

    assert clinic.send("2026-11-26 09:59").outcomes == []  # due at 10:00, two days before
    result = clinic.send("2026-11-26 10:00")

    assert result.exit_code == outbox.EXIT_OK
    assert len(mail_server.received) == 1
    received = mail_server.received[0]
    assert received.recipients == ["ana@example.org"]
    assert received.mail_from == "reminders@clinic.example.org"
    message = received.message
    assert message["To"] == "ana@example.org"
    assert message["From"] == "Riverside Family Practice <reminders@clinic.example.org>"
    assert message["Subject"] == "Appointment reminder: Sat Nov 28 at 10:00 AM"
    assert parsedate_to_datetime(message["Date"]) == at("2026-11-26 10:00")
    assert message["Message-ID"].endswith("@clinic.example.org>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert b"\n" not in received.raw.replace(b"\r\n", b"")  # CRLF only: no bare LF
    body = message.get_content()
    assert "Hello Ana," in body
    assert "Riverside Family Practice on Sat Nov 28 at 10:00 AM" in body
    assert "(617) 555-0100" in body
    assert "Chen" not in body  # the default carries no provider, reason or diagnosis
    [row] = clinic.reminders()
    assert row["status"] == "sent"
    assert row["transport_id"] == message["Message-ID"]
    assert row["recipient"] == "ana@example.org"


def test_names_and_a_template_outside_ascii_arrive_intact(clinic, mail_server):
    from macli import settings
    from macli.remind import templates

    clinic.use_mail(mail_server)
    settings.put(clinic.store, "clinic.name", "Clínica Riverside", user="t", now=clinic.NOW)
    custom = (
        "Subject: Recordatorio: su cita el {date}\n\nHola {first_name}: {clinic_name}, {time}.\n"
    )
    templates.put(clinic.store, templates.parse("email", custom), user="t", now=clinic.NOW)
    clinic.rule("2d", "email")
    clinic.book(clinic.patient("Zoë Müller", email="zoe@example.org"), "2026-11-28 10:00")

    clinic.send("2026-11-26 10:00")

    [received] = mail_server.received
    assert received.raw.isascii()  # encoded words and a transfer encoding, no raw UTF-8
    assert received.message["Subject"] == "Recordatorio: su cita el Sat Nov 28"
    assert received.message["From"] == "Clínica Riverside <reminders@clinic.example.org>"
    assert received.message.get_content() == "Hola Zoë: Clínica Riverside, 10:00 AM.\n"


def test_an_address_outside_ascii_goes_only_where_the_server_speaks_smtputf8(clinic, mail_server):
    from tests.servers import LocalController, Mailbox

    clinic.rule("2d", "email")
    clinic.book(clinic.patient("Zoë Müller", email="zoë@example.org"), "2026-11-28 10:00")
    plain = Mailbox()
    controller = LocalController(plain, hostname="127.0.0.1", port=0, enable_SMTPUTF8=False)
    controller.start()
    try:
        plain.port = controller.port
        clinic.use_mail(plain)
        refused = clinic.send("2026-11-26 10:00")
    finally:
        controller.stop()
    assert refused.exit_code == outbox.EXIT_FAILED
    assert [o.summary for o in refused.outcomes] == [
        "address not in ASCII and the server offers no SMTPUTF8"
    ]
    assert plain.received == []

    clinic.book(clinic.patient("Zoë Okafor", email="zoë.o@example.org"), "2026-11-28 11:00")
    clinic.use_mail(mail_server)  # aiosmtpd's controller offers SMTPUTF8
    assert clinic.send("2026-11-26 11:00").exit_code == outbox.EXIT_OK
    assert [item.recipients for item in mail_server.received] == [["zoë.o@example.org"]]


def test_a_second_run_sends_nothing(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00")

    clinic.send("2026-11-26 10:00")
    again = clinic.send("2026-11-26 10:15")
    later = clinic.send("2026-11-27 18:00")

    assert again.outcomes == [] and later.outcomes == []
    assert len(mail_server.received) == 1


def test_a_batch_goes_over_one_connection_and_each_patient_gets_their_own_text(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    names = ["Ana García", "Liam Smith", "Zoë Okafor", "Wei Chen", "Grace Murphy"]
    for index, name in enumerate(names):
        patient = clinic.patient(name, email=f"patient{index}@example.org")
        clinic.book(patient, f"2026-11-28 {7 + index}:00")

    result = clinic.send("2026-11-26 15:00")

    assert result.count("sent") == 5
    assert mail_server.connections == 1
    for index, name in enumerate(names):
        [received] = mail_server.to(f"patient{index}@example.org")
        body = received.message.get_content()
        assert f"Hello {name.split()[0]}," in body
        assert f"at {7 + index}:00 AM" in body
    ids = {item.message["Message-ID"] for item in mail_server.received}
    assert len(ids) == 5


def test_a_missed_day_is_caught_up_while_the_appointment_is_ahead(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    ana = clinic.patient("Ana García", email="ana@example.org")
    liam = clinic.patient("Liam Smith", email="liam@example.org")
    clinic.book(ana, "2026-11-28 10:00")
    clinic.book(liam, "2026-11-27 08:00")

    # No run on Wednesday or Thursday; Friday 09:00 is after Liam's visit, before Ana's.
    result = clinic.send("2026-11-27 09:00")

    assert result.count("sent") == 1
    assert len(mail_server.to("ana@example.org")) == 1
    assert mail_server.to("liam@example.org") == []


def test_two_rules_due_in_one_run_send_only_the_closer_one(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("3d", "email")
    one_day = clinic.rule("1d", "email")
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00")

    clinic.send("2026-11-27 12:00")  # both rules are past due: one e-mail, not two

    assert len(mail_server.received) == 1
    [row] = clinic.reminders()
    assert row["rule_id"] == one_day
    reasons = {d.reason for d in planner.plan(clinic.store, now=at("2026-11-27 12:05"), tz=ZONE)}
    assert reasons == {"already sent", f"superseded by rule {one_day} (1d before)"}


def test_a_rescheduled_appointment_is_reminded_again_for_its_new_time(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    appointment = clinic.book(
        clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00"
    )
    clinic.send("2026-11-26 10:00")

    clinic.move(appointment, "2026-12-03 14:00")
    assert clinic.send("2026-11-27 09:00").outcomes == []  # not due for the new time yet
    clinic.send("2026-12-01 14:00")
    clinic.send("2026-12-01 15:00")

    subjects = [item.message["Subject"] for item in mail_server.received]
    assert subjects == [
        "Appointment reminder: Sat Nov 28 at 10:00 AM",
        "Appointment reminder: Thu Dec 3 at 2:00 PM",
    ]


def test_a_cancelled_appointment_is_not_reminded(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    appointment = clinic.book(
        clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00"
    )
    clinic.cancel(appointment)

    assert clinic.send("2026-11-26 10:00").outcomes == []
    assert mail_server.received == []
    [decision] = planner.plan(clinic.store, now=at("2026-11-26 10:00"), tz=ZONE)
    assert (decision.action, decision.reason) == ("skip", "appointment cancelled")


def test_a_reminder_left_due_is_withdrawn_when_the_appointment_is_cancelled(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    mail_server.refusals["ana@example.org"] = ["451 4.3.0 Try again later"]
    appointment = clinic.book(
        clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00"
    )
    assert clinic.send("2026-11-26 10:00").exit_code == outbox.EXIT_LEFT_DUE

    clinic.cancel(appointment)
    assert clinic.send("2026-11-26 11:00").outcomes == []

    [row] = clinic.reminders()
    assert (row["status"], row["error"]) == ("withdrawn", "appointment cancelled")
    assert mail_server.received == []


def test_a_reminder_left_due_follows_its_appointment_when_it_moves(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    mail_server.refusals["ana@example.org"] = ["451 4.3.0 Try again later"]
    appointment = clinic.book(
        clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00"
    )
    clinic.send("2026-11-26 10:00")

    clinic.move(appointment, "2026-11-28 15:00")
    clinic.send("2026-11-26 15:00")

    old, new = clinic.reminders()
    assert (old["status"], old["error"]) == ("withdrawn", "appointment moved")
    assert (new["status"], new["starts_at"]) == ("sent", "2026-11-28T20:00:00Z")
    assert [item.message["Subject"] for item in mail_server.received] == [
        "Appointment reminder: Sat Nov 28 at 3:00 PM"
    ]


def test_each_occurrence_of_a_series_gets_its_own_reminder(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("1d", "email")
    ana = clinic.patient("Ana García", email="ana@example.org")
    first = clinic.book(ana, "2026-11-30 09:00")
    clinic.book(ana, "2026-12-07 09:00", series_id=first)
    clinic.book(ana, "2026-12-14 09:00", series_id=first)
    with clinic.store.write():
        clinic.store.execute("UPDATE appointments SET series_id = id WHERE id = ?", [first])

    for day in ("2026-11-29", "2026-12-06", "2026-12-13"):
        clinic.send(f"{day} 09:00")
        clinic.send(f"{day} 17:00")

    subjects = [item.message["Subject"] for item in mail_server.received]
    assert subjects == [
        "Appointment reminder: Mon Nov 30 at 9:00 AM",
        "Appointment reminder: Mon Dec 7 at 9:00 AM",
        "Appointment reminder: Mon Dec 14 at 9:00 AM",
    ]


def test_no_consent_no_address_and_opt_out_each_stop_the_email(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    never = clinic.patient("Liam Smith", email="liam@example.org", consent="sms")
    nowhere = clinic.patient("Wei Chen", consent="email")
    changed = clinic.patient("Ana García", email="ana@example.org")
    for patient in (never, nowhere, changed):
        clinic.book(patient, "2026-11-28 10:00")
    consent.optout(clinic.store, changed["mrn"], ["email"], user="tester", now=clinic.NOW)

    assert clinic.send("2026-11-26 10:00").outcomes == []
    assert mail_server.received == []
    reasons = {
        d.patient_id: d.reason
        for d in planner.plan(clinic.store, now=at("2026-11-26 10:00"), tz=ZONE)
    }
    assert reasons == {
        never["id"]: "no email consent",
        nowhere["id"]: "no e-mail address",
        changed["id"]: "opted out (remind optout)",
    }
    assert consents(clinic.store, changed["id"])["email"] is False


def test_smtp_451_leaves_it_due_and_550_fails_it_for_good(clinic, mail_server):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    mail_server.refusals["ana@example.org"] = [
        "451 4.3.0 Mailbox busy, try later",
        "550 5.1.1 <ana@example.org>: no such user",
    ]
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00")
    clinic.book(clinic.patient("Liam Smith", email="liam@example.org"), "2026-11-28 11:00")

    first = clinic.send("2026-11-26 11:00")
    assert first.exit_code == outbox.EXIT_LEFT_DUE
    assert [o.status for o in first.outcomes] == ["deferred", "sent"]  # the batch went on
    ana_row = clinic.reminders(recipient="ana@example.org")[0]
    assert ana_row["status"] == "deferred" and "451" in ana_row["error"]

    second = clinic.send("2026-11-26 12:00")
    assert second.exit_code == outbox.EXIT_FAILED
    assert [o.summary for o in second.outcomes] == ["recipient refused (SMTP 550)"]

    third = clinic.send("2026-11-26 13:00")
    assert third.outcomes == []
    ana_row = clinic.reminders(recipient="ana@example.org")[0]
    assert ana_row["status"] == "failed" and "no such user" in ana_row["error"]
    assert ana_row["attempts"] == 2
    assert len(mail_server.received) == 1  # Liam's


def test_a_refused_connection_leaves_everything_due_for_the_next_run(clinic, mail_server):
    import socket

    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    clinic.use_mail(mail_server, **{"smtp.port": str(closed_port)})
    clinic.rule("2d", "email")
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00")
    clinic.book(clinic.patient("Liam Smith", email="liam@example.org"), "2026-11-28 11:00")

    down = clinic.send("2026-11-26 11:00")
    assert down.exit_code == outbox.EXIT_LEFT_DUE
    assert {(o.status, o.summary) for o in down.outcomes} == {("deferred", "connection refused")}

    clinic.use_mail(mail_server)
    back = clinic.send("2026-11-26 11:15")
    assert back.count("sent") == 2
    assert len(mail_server.received) == 2
