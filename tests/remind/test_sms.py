"""SMS reminders against a local HTTP server playing a Twilio-compatible provider."""

from __future__ import annotations

from macli.patients.core import consents, show
from macli.remind import outbox, planner, templates

from .conftest import SMS_ACCOUNT, SMS_TOKEN, ZONE, at, basic_auth


def test_an_sms_is_posted_with_basic_auth_and_the_provider_id_is_kept(clinic, sms_server):
    clinic.use_sms(sms_server)
    clinic.rule("1d", "sms")
    ana = clinic.patient("Ana García", phone="617-555-0142")
    clinic.book(ana, "2026-11-27 10:00")

    result = clinic.send("2026-11-26 10:00")

    assert result.exit_code == outbox.EXIT_OK
    [request] = sms_server.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SMS_ACCOUNT}/Messages.json"
    assert request["authorization"] == basic_auth(SMS_ACCOUNT, SMS_TOKEN)
    assert request["To"] == "+16175550142"
    assert request["From"] == "+16175550199"
    assert request["Body"] == (
        "Hi Ana, this is Riverside Family Practice: your visit is Fri Nov 27 at 10:00 AM."
        " To change it call (617) 555-0100. Reply STOP to opt out"
    )
    assert templates.fits_one_segment(request["Body"])
    [row] = clinic.reminders()
    assert row["status"] == "sent"
    assert row["transport_id"] == "SM" + f"{1:032x}"


def test_two_patients_in_a_row_get_two_different_texts(clinic, sms_server):
    clinic.use_sms(sms_server)
    clinic.rule("1d", "sms")
    clinic.book(clinic.patient("Ana García", phone="617-555-0142"), "2026-11-27 10:00")
    clinic.book(clinic.patient("Zoë Okafor", phone="617-555-0143"), "2026-11-27 11:30")
    before = templates.get(clinic.store, "sms")

    clinic.send("2026-11-26 12:00")

    [ana] = sms_server.to("+16175550142")
    [zoe] = sms_server.to("+16175550143")
    assert ana["Body"].startswith("Hi Ana,") and "10:00 AM" in ana["Body"]
    # "Zoë" would make the default text UCS-2 (70 characters); written "Zoe" it fits.
    assert zoe["Body"].startswith("Hi Zoe,") and "11:30 AM" in zoe["Body"]
    assert templates.get(clinic.store, "sms") == before


def test_a_short_template_keeps_the_name_as_written_in_ucs2(clinic, sms_server):
    clinic.use_sms(sms_server)
    clinic.rule("1d", "sms")
    short = templates.parse("sms", "{first_name}: visit {date} {time}. Reply STOP to opt out")
    templates.put(clinic.store, short, user="tester", now=clinic.NOW)
    clinic.book(clinic.patient("Zoë Okafor", phone="617-555-0143"), "2026-11-27 11:30")

    clinic.send("2026-11-26 12:00")

    [request] = sms_server.requests
    assert request["Body"] == "Zoë: visit Fri Nov 27 11:30 AM. Reply STOP to opt out"
    assert templates.sms_encoding(request["Body"])[0] == "UCS-2"


def test_http_429_stops_the_batch_and_500_leaves_one_due(clinic, sms_server):
    clinic.use_sms(sms_server)
    clinic.rule("1d", "sms")
    sms_server.replies["+16175550142"] = [
        (429, {"code": 20429, "message": "Too Many Requests", "status": 429}),
        (500, {"message": "Internal Server Error", "status": 500}),
    ]
    clinic.book(clinic.patient("Ana García", phone="617-555-0142"), "2026-11-27 09:00")
    clinic.book(clinic.patient("Liam Smith", phone="617-555-0144"), "2026-11-27 10:00")

    first = clinic.send("2026-11-26 10:00")
    assert first.exit_code == outbox.EXIT_LEFT_DUE
    assert [o.summary for o in first.outcomes] == ["rate limited (HTTP 429)"] * 2
    assert len(sms_server.requests) == 1  # Liam's was not tried against a rate limit

    second = clinic.send("2026-11-26 10:15")
    assert second.exit_code == outbox.EXIT_LEFT_DUE
    assert [(o.status, o.summary) for o in second.outcomes] == [
        ("deferred", "provider error (HTTP 500)"),
        ("sent", ""),
    ]

    third = clinic.send("2026-11-26 10:30")
    assert third.exit_code == outbox.EXIT_OK and third.count("sent") == 1
    assert len(sms_server.to("+16175550142")) == 3
    assert len(sms_server.to("+16175550144")) == 1


def test_an_unsubscribed_answer_records_the_opt_out_and_is_not_retried(clinic, sms_server):
    clinic.use_sms(sms_server)
    clinic.rule("1d", "sms")
    clinic.rule("2h", "sms")
    ana = clinic.patient("Ana García", phone="617-555-0142")
    clinic.book(ana, "2026-11-27 10:00")
    sms_server.replies["+16175550142"] = [
        (
            400,
            {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400},
        )
    ]

    result = clinic.send("2026-11-26 10:00")

    assert result.exit_code == outbox.EXIT_FAILED
    assert consents(clinic.store, ana["id"])["sms"] is False
    history = show(clinic.store, ana["mrn"], user="tester", now=clinic.NOW)["consent_history"]
    assert history[-1]["consent"] == "withdrawn"
    assert history[-1]["source"] == "sms provider: unsubscribed"
    assert clinic.send("2026-11-27 08:00").outcomes == []  # the 2h rule does not try again
    assert len(sms_server.requests) == 1
    [row] = clinic.reminders()
    assert row["status"] == "failed" and "21610" in row["error"]


def test_an_invalid_number_fails_for_good(clinic, sms_server):
    clinic.use_sms(sms_server)
    clinic.rule("1d", "sms")
    clinic.book(clinic.patient("Ana García", phone="617-555-0142"), "2026-11-27 10:00")
    sms_server.replies["+16175550142"] = [
        (400, {"code": 21211, "message": "The 'To' number is not valid.", "status": 400})
    ]

    assert clinic.send("2026-11-26 10:00").exit_code == outbox.EXIT_FAILED
    assert clinic.send("2026-11-26 11:00").outcomes == []
    assert len(sms_server.requests) == 1
    assert clinic.reminders()[0]["status"] == "failed"


def test_no_sms_in_quiet_hours_but_email_goes_and_sms_waits_for_the_morning(
    clinic, sms_server, mail_server
):
    clinic.use_sms(sms_server)
    clinic.use_mail(mail_server)
    clinic.rule("12h", "sms")
    clinic.rule("12h", "email")
    clinic.book(
        clinic.patient("Ana García", phone="617-555-0142", email="ana@example.org"),
        "2026-11-27 10:00",
    )

    evening = clinic.send("2026-11-26 22:00")
    assert [o.channel for o in evening.outcomes] == ["email"]
    assert sms_server.requests == []
    waiting = [
        d
        for d in planner.plan(clinic.store, now=at("2026-11-27 07:59"), tz=ZONE)
        if d.channel == "sms"
    ]
    assert [(d.action, d.reason) for d in waiting] == [("wait", "quiet hours until 08:00")]

    assert clinic.send("2026-11-27 07:59").outcomes == []
    morning = clinic.send("2026-11-27 08:00")
    assert [o.channel for o in morning.outcomes] == ["sms"]
    assert len(sms_server.requests) == 1


def test_quiet_hours_follow_the_settings(clinic, sms_server):
    from macli import settings

    clinic.use_sms(sms_server)
    settings.put(clinic.store, "remind.quiet_start", "12:00", user="tester", now=clinic.NOW)
    settings.put(clinic.store, "remind.quiet_end", "13:30", user="tester", now=clinic.NOW)
    clinic.rule("1d", "sms")
    clinic.book(clinic.patient("Ana García", phone="617-555-0142"), "2026-11-27 10:00")

    assert clinic.send("2026-11-26 12:30").outcomes == []
    assert clinic.send("2026-11-26 13:30").count("sent") == 1
