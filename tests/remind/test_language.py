"""Reminders in the patient's language, through the real SMTP and SMS test servers, and
SMS segment counting (GSM-7 or UCS-2, single or concatenated)."""

from __future__ import annotations

import pytest

from macli import settings
from macli.errors import Invalid
from macli.remind import templates

SMS_ES = (
    "Hola {first_name}: le recordamos su cita en {clinic_name} el {date} a las {time}."
    " Para cambiarla llame al {clinic_phone}. Responda STOP para no recibir más mensajes"
)
EMAIL_ES = (
    "Subject: Recordatorio de su cita: {date} a las {time}\n\n"
    "Hola {first_name}:\n\nLe recordamos su cita en {clinic_name} el {date} a las {time}.\n"
    "Si necesita cambiarla, llámenos al {clinic_phone}.\n\n{clinic_name}\n"
)


def _set(clinic, channel, text, language):
    from macli.patients.language import register

    parsed = templates.parse(
        channel,
        text,
        language=language,
        max_segments=int(settings.get(clinic.store, "remind.sms_segments")),
    )
    with clinic.store.write():
        register(clinic.store, language)
        templates.put(clinic.store, parsed, user="tester", now=clinic.NOW)


def test_a_spanish_speaker_gets_the_spanish_sms_and_mail(clinic, sms_server, mail_server):
    clinic.use_sms(sms_server)
    clinic.use_mail(mail_server)
    clinic.rule("1d", "sms")
    clinic.rule("1d", "email")
    settings.put(clinic.store, "remind.sms_segments", "3", user="tester", now=clinic.NOW)
    _set(clinic, "sms", SMS_ES, "es")
    _set(clinic, "email", EMAIL_ES, "es")
    lucia = clinic.patient(
        "Lucía Pérez", phone="617-555-0144", email="lucia@example.org", language="es"
    )
    ana = clinic.patient("Ana Smith", phone="617-555-0142", email="ana@example.org")
    clinic.book(lucia, "2026-11-27 10:00")
    clinic.book(ana, "2026-11-27 11:00")

    clinic.send("2026-11-26 11:30")

    [spanish] = sms_server.to("+16175550144")
    assert spanish["Body"] == (
        "Hola Lucía: le recordamos su cita en Riverside Family Practice el vie 27 nov a las"
        " 10:00. Para cambiarla llame al (617) 555-0100. Responda STOP para no recibir más"
        " mensajes"
    )
    counted = templates.segments(spanish["Body"])
    # "í" is outside GSM-7, so the whole text goes as UCS-2: 67 characters per part.
    assert counted["encoding"] == "UCS-2"
    assert counted["length"] == len(spanish["Body"]) == 172
    assert counted["segments"] == 3
    [english] = sms_server.to("+16175550142")
    assert english["Body"].startswith("Hi Ana, this is Riverside Family Practice")
    assert templates.segments(english["Body"])["segments"] == 1

    [mail] = mail_server.to("lucia@example.org")
    assert mail.message["Subject"] == "Recordatorio de su cita: vie 27 nov a las 10:00"
    body = mail.message.get_content()
    assert "Hola Lucía:" in body and "llámenos al (617) 555-0100" in body
    [other] = mail_server.to("ana@example.org")
    assert other.message["Subject"] == "Appointment reminder: Fri Nov 27 at 11:00 AM"


def test_a_regional_code_falls_back_to_its_language_then_the_default(clinic, sms_server):
    clinic.use_sms(sms_server)
    clinic.rule("1d", "sms")
    settings.put(clinic.store, "remind.sms_segments", "2", user="tester", now=clinic.NOW)
    _set(clinic, "sms", "Olá {first_name}, consulta {date} {time}. Responda STOP para sair", "pt")
    joao = clinic.patient("João Souza", phone="617-555-0145", language="pt-BR")
    vu = clinic.patient("Vu Tran", phone="617-555-0146", language="vi")
    clinic.book(joao, "2026-11-27 10:00")
    clinic.book(vu, "2026-11-27 10:30")

    clinic.send("2026-11-26 10:30")

    [portuguese] = sms_server.to("+16175550145")
    assert portuguese["Body"] == "Olá João, consulta sex 27 nov 10:00. Responda STOP para sair"
    [default] = sms_server.to("+16175550146")
    assert default["Body"].startswith("Hi Vu, this is Riverside Family Practice")


def test_a_language_template_must_fit_the_segments_allowed(clinic):
    with pytest.raises(Invalid, match=r"\(UCS-2\).*one message holds 70.*remind.sms_segments"):
        templates.parse("sms", SMS_ES, language="es")
    assert templates.parse("sms", SMS_ES, language="es", max_segments=4).language == "es"
    with pytest.raises(Invalid, match="reply STOP"):
        templates.parse("sms", "Hola {first_name}, su cita es el {date}.", language="es")


@pytest.mark.parametrize(
    "text, encoding, length, count",
    [
        ("x" * 160, "GSM-7", 160, 1),
        ("x" * 161, "GSM-7", 161, 2),
        ("x" * 306, "GSM-7", 306, 2),
        ("x" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # the euro sign takes two septets
        ("ñ" * 160, "GSM-7", 160, 1),  # ñ is in the GSM-7 alphabet
        ("ã" * 70, "UCS-2", 70, 1),  # ã is not
        ("ã" * 71, "UCS-2", 71, 2),
        ("ã" * 134, "UCS-2", 134, 2),
        ("ã" * 135, "UCS-2", 135, 3),
        ("ok 👍", "UCS-2", 5, 1),  # beyond the BMP: two UTF-16 units
    ],
)
def test_segments_are_counted_by_encoding(text, encoding, length, count):
    assert templates.segments(text) == {"encoding": encoding, "length": length, "segments": count}


def test_template_commands_take_a_language(run, tmp_path):
    path = tmp_path / "es.txt"
    path.write_text(SMS_ES, encoding="utf-8")
    result = run(f"remind template set sms --language es --file {path}", expect=1)
    assert "one message holds 70" in result.stderr
    run("config set remind.sms_segments 3")
    out = run(f"remind template set sms --language ES --file {path}").stdout
    assert out == "SMS template for es saved: at most 189 of 201 characters (UCS-2, 3 segments).\n"
    assert run("remind template show sms --language es-MX").stdout == SMS_ES + "\n"
    assert run("remind template show sms --language fr").stdout.startswith("Hi {first_name}")
    listed = run("remind template list -f csv").stdout.splitlines()
    assert listed[0] == "channel,language,language_name,source,encoding,longest,segments"
    assert "sms,es,Spanish,clinic,UCS-2,189,3" in listed
    assert (
        "not a BCP 47"
        in run(f"remind template set sms --language zz9 --file {path}", expect=1).stderr
    )
    out = run("remind template reset sms --language es").stdout
    assert out == "Patients speaking es get the clinic's sms template again.\n"
    assert (
        "no sms template for es" in run("remind template reset sms --language es", expect=1).stderr
    )
