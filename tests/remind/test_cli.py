"""`macli remind ...` as staff and cron use it."""

from __future__ import annotations

import json

import pytest

from macli.cli import cli
from macli.patients.core import consents, show
from tests.conftest import dump


def test_rules_through_the_cli(run, clinic):
    assert run("remind rule add --before 2d --channel email").stdout == "1\n"
    assert run("remind rule add --before 1d --channel sms --type follow-up").stdout == "2\n"
    rows = json.loads(run("remind rule list -f json").stdout)
    assert [(r["id"], r["channel"], r["before"], r["type"]) for r in rows] == [
        (1, "email", "2d", None),
        (2, "sms", "1d", "Follow-up"),
    ]
    assert run("remind rule remove 2").stdout == "Removed rule 2 (sms 1d before).\n"
    assert "No reminder rules." not in run("remind rule list").stdout


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        ("remind rule add --before 2days --channel email", "cannot read duration '2days'", 1),
        ("remind rule add --before 0m --channel email", "must be longer than zero", 1),
        ("remind rule add --before 2d --channel email --type x", "no appointment type 'x'", 1),
        ("remind rule add --before 2d --channel email", "rule 1 already sends email 2d before", 1),
        ("remind rule add --before 2d --channel fax", "Invalid value for '--channel'", 2),
        ("remind rule remove 99", "no reminder rule 99", 1),
        ("remind mark 99 reached", "no reminder 99", 1),
        ("remind mark 1 answered", "Invalid value for 'OUTCOME'", 2),
        ("remind optout nobody --channel sms", "no patient matches 'nobody'", 1),
        ("remind optout P000001", "Missing option '--channel'", 2),
        ("remind log --date someday", "cannot read date 'someday'", 1),
        ("remind template show phone", "Invalid value for 'CHANNEL'", 2),
    ],
)
def test_bad_input_is_one_error_line_and_changes_nothing(run, clinic, db_path, args, message, code):
    clinic.patient("Ana García", email="ana@example.org")
    run("remind rule add --before 2d --channel email")
    before = dump(db_path)

    result = run(args, expect=code)

    assert message in result.stderr
    if code == 1:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert dump(db_path) == before


def test_due_shows_what_send_would_do_and_why_not(run, clinic):
    clinic.use_mail(type("Unused", (), {"port": 2525}))
    run("remind rule add --before 2d --channel email")
    ana = clinic.patient("Ana García", email="ana@example.org")
    liam = clinic.patient("Liam Smith", email="liam@example.org", consent="sms")
    clinic.book(ana, "2026-11-28 10:00")
    clinic.book(liam, "2026-11-28 11:00")

    rows = json.loads(run("--now 2026-11-26T12:00 remind due -f json").stdout)

    assert [(r["mrn"], r["action"], r["reason"]) for r in rows] == [
        (ana["mrn"], "send", ""),
        (liam["mrn"], "skip", "no email consent"),
    ]
    assert rows[0]["appointment_at"] == "2026-11-28 10:00"
    assert rows[0]["due_at"] == "2026-11-26 10:00"
    table = run("--now 2026-11-26T12:00 remind send --dry-run").stdout
    assert ana["mrn"] in table and liam["mrn"] not in table
    assert run("--now 2026-11-26T09:00 remind due").stdout == "No reminders are due.\n"


def test_send_prints_nothing_on_success_and_log_shows_the_transport_id(run, clinic, mail_server):
    clinic.use_mail(mail_server)
    run("remind rule add --before 2d --channel email")
    ana = clinic.patient("Ana García", email="ana@example.org")
    clinic.book(ana, "2026-11-28 10:00")

    result = run("--now 2026-11-26T10:00 remind send")
    assert (result.stdout, result.stderr) == ("", "")

    [row] = json.loads(run(f"remind log --patient {ana['mrn']} -f json").stdout)
    message_id = mail_server.received[0].message["Message-ID"]
    assert (row["status"], row["transport_id"], row["channel"]) == ("sent", message_id, "email")
    assert row["sent_at"] == "2026-11-26 10:00:00"
    assert json.loads(run("remind log --status failed -f json").stdout) == []
    assert len(json.loads(run("remind log --date 2026-11-26 -f json").stdout)) == 1
    assert json.loads(run("remind log --date 2026-11-25 -f json").stdout) == []
    actions = [r["action"] for r in json.loads(run("audit list -f json").stdout)]
    assert "remind.send" in actions and actions.count("remind.log") == 4

    verbose = run("--now 2026-11-26T10:05 remind send --verbose")
    assert verbose.stdout == ""  # nothing left to send


def test_send_verbose_names_each_reminder_by_id(run, clinic, mail_server):
    clinic.use_mail(mail_server)
    run("remind rule add --before 2d --channel email")
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00")

    result = run("--now 2026-11-26T10:00 remind send -v")

    message_id = mail_server.received[0].message["Message-ID"]
    assert result.stdout == f"reminder 1 email: sent {message_id}\n"


def test_send_without_mail_settings_is_an_error_and_claims_nothing(run, clinic, db_path):
    run("remind rule add --before 2d --channel email")
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00")
    before = dump(db_path)

    result = run("--now 2026-11-26T10:00 remind send", expect=1)

    assert result.stderr == (
        "Error: email reminders are due but these are not set: smtp.host, smtp.from"
        " (see `macli config list` and docs/remind.md)\n"
    )
    assert dump(db_path) == before


def test_send_left_due_exits_3(run, clinic, mail_server):
    clinic.use_mail(mail_server)
    mail_server.refusals["ana@example.org"] = ["452 4.2.2 Mailbox full"]
    run("remind rule add --before 2d --channel email")
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00")

    result = run("--now 2026-11-26T10:00 remind send", expect=3)

    assert result.stdout == ""
    assert "reminder 1 email: left due: recipient refused for now (SMTP 452)" in result.stderr
    assert "1 left due for the next run" in result.stderr


def test_calls_and_marks(run, clinic):
    run("remind rule add --before 1d --channel phone")
    ana = clinic.patient("Ana García", phone="617-555-0142", consent="phone", prefers="phone")
    clinic.book(ana, "2026-11-27 10:00")
    run("--now 2026-11-26T10:00 remind send")

    rows = json.loads(run("remind calls -f json").stdout)
    assert [(r["id"], r["name"], r["phone"], r["status"]) for r in rows] == [
        (1, "Ana García", "+16175550142", "to-call")
    ]
    # Machine formats carry E.164, as `patient list -f json` does; the table reads nationally.
    assert json.loads(run("patient list -f json").stdout)[0]["phone"] == "+16175550142"
    assert "(617) 555-0142" in run("remind calls").stdout
    assert "+16175550142" in run("remind calls -f csv").stdout
    assert "(617) 555-0142" in run("today").stdout
    assert json.loads(run("today -f json").stdout)["calls"][0]["phone"] == "+16175550142"
    assert run("remind mark 1 voicemail").stdout == "Reminder 1: voicemail.\n"
    [row] = json.loads(run("remind calls --date 2026-11-26 -f json").stdout)
    assert (row["status"], row["marked_by"]) == ("voicemail", "tester")
    assert run("remind calls --date 2026-11-28").stdout == "No calls to make.\n"


def test_mark_refuses_an_email_reminder(run, clinic, mail_server, db_path):
    clinic.use_mail(mail_server)
    run("remind rule add --before 2d --channel email")
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00")
    run("--now 2026-11-26T10:00 remind send")
    before = dump(db_path)

    result = run("remind mark 1 reached", expect=1)

    assert result.stderr == "Error: reminder 1 is an email reminder, not a call\n"
    assert dump(db_path) == before


def test_templates_through_the_cli(run, clinic, tmp_path, db_path):
    default = run("remind template show sms").stdout
    assert default.endswith("Reply STOP to opt out\n")
    path = tmp_path / "sms.txt"
    path.write_text("{first_name}, {clinic_name} visit {date} {time}. Reply STOP to opt out\n")
    assert run(f"remind template set sms --file {path}").stdout == (
        "SMS template saved: at most 93 of 160 characters (GSM-7, 1 segment).\n"
    )
    assert run("remind template show sms").stdout == (
        "{first_name}, {clinic_name} visit {date} {time}. Reply STOP to opt out\n"
    )
    email = "Subject: Your visit {date}\n\nDear {first_name}, see you at {time}.\n"
    assert run("remind template set email", input=email).stdout == "E-mail template saved.\n"
    assert run("remind template show email").stdout == email

    before = dump(db_path)
    long = "Dear {first_name}, " * 10 + "Reply STOP to opt out"
    result = run("remind template set sms", input=long, expect=1)
    assert "one message holds 160. Shorten it." in result.stderr
    assert dump(db_path) == before

    run("remind template reset sms")
    assert run("remind template show sms").stdout == default


def test_optout_records_the_withdrawal_with_date_and_source(run, clinic):
    ana = clinic.patient("Ana García", email="ana@example.org", consent="sms,email")

    result = run(f"remind optout {ana['mrn']} --channel sms --channel email")

    assert result.stdout == f"{ana['mrn']}: no more sms, email reminders.\n"
    assert consents(clinic.store, ana["id"]) == {"sms": False, "email": False, "phone": False}
    history = show(clinic.store, ana["mrn"], user="t", now=clinic.NOW)["consent_history"]
    assert [(h["channel"], h["consent"], h["source"]) for h in history[-2:]] == [
        ("sms", "withdrawn", "remind optout"),
        ("email", "withdrawn", "remind optout"),
    ]
    assert history[-1]["at"] == "2026-11-26T14:00:00Z"


def test_stop_import_records_sms_opt_outs_from_a_provider_export(run, clinic, tmp_path):
    ana = clinic.patient("Ana García", phone="617-555-0142")
    liam = clinic.patient("Liam Smith", phone="617-555-0144")
    wei = clinic.patient("Wei Chen", phone="617-555-0145", consent="email")
    path = tmp_path / "stop.csv"
    path.write_text(
        "From,To,Body,Date Sent\n"
        "+16175550142,+16175550199,STOP,2026-11-20T18:03:00Z\n"
        "(617) 555-0144,+16175550199,Thanks see you then,2026-11-20T18:04:00Z\n"
        "+16175550145,+16175550199,stop.,2026-11-21T08:00:00Z\n"
        "+16175550177,+16175550199,Unsubscribe,2026-11-21T09:00:00Z\n"
    )

    result = run(f"remind stop-import {path}")

    assert result.stdout == (
        "Recorded 1 SMS opt-out(s); 1 already without SMS consent,"
        " 1 number(s) matched no patient, 1 row(s) were not STOP replies.\n"
    )
    assert consents(clinic.store, ana["id"])["sms"] is False
    assert consents(clinic.store, liam["id"])["sms"] is True
    assert consents(clinic.store, wei["id"])["sms"] is False
    history = show(clinic.store, ana["mrn"], user="t", now=clinic.NOW)["consent_history"]
    assert history[-1]["source"] == "STOP reply 2026-11-20T18:03:00Z (stop-import stop.csv)"
    again = run(f"remind stop-import {path}")
    assert again.stdout.startswith("Recorded 0 SMS opt-out(s); 2 already")


def test_stop_import_of_a_bare_list_and_a_bad_number(run, clinic, tmp_path, db_path):
    ana = clinic.patient("Ana García", phone="617-555-0142")
    bare = tmp_path / "numbers.csv"
    bare.write_text("+16175550142\n")
    assert run(f"remind stop-import {bare}").stdout.startswith("Recorded 1 SMS opt-out(s)")
    assert consents(clinic.store, ana["id"])["sms"] is False

    liam = clinic.patient("Liam Smith", phone="617-555-0144")
    bad = tmp_path / "bad.csv"
    bad.write_text("phone,date\n+16175550144,2026-11-20\n12,2026-11-20\n")
    before = dump(db_path)
    result = run(f"remind stop-import {bad}", expect=1)
    assert result.stderr.startswith("Error: line 3: ")
    assert result.stderr.endswith("; nothing was recorded\n")
    assert dump(db_path) == before
    assert consents(clinic.store, liam["id"])["sms"] is True


def test_every_remind_command_has_help_with_an_example(run):
    group = cli.get_command(None, "remind")
    names = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in subcommands] if subcommands else [name]
    assert len(names) == 14
    for name in names:
        assert "Example:" in run(f"remind {name} --help").stdout, name
