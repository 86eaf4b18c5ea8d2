"""Templates: named fields, one SMS segment, rendering that leaves the template alone."""

from __future__ import annotations

import pytest

from macli.errors import Invalid
from macli.remind import templates

VALUES = {
    "first_name": "Ana",
    "date": "Fri Nov 27",
    "time": "10:00 AM",
    "provider": "Dr. Maya Chen",
    "clinic_name": "Riverside Family Practice",
    "clinic_phone": "(617) 555-0100",
}


def test_rendering_two_patients_gives_two_texts_and_leaves_the_template_alone():
    template = templates.DEFAULTS["sms"]
    body_before = template.body

    first = templates.render_sms(template, VALUES)
    second = templates.render_sms(template, {**VALUES, "first_name": "Liam", "time": "2:30 PM"})

    assert first.startswith("Hi Ana,") and "10:00 AM" in first
    assert second.startswith("Hi Liam,") and "2:30 PM" in second
    assert template.body == body_before and "{first_name}" in template.body
    assert first.endswith(templates.STOP_TEXT) and second.endswith(templates.STOP_TEXT)


def test_the_default_templates_carry_the_minimum():
    for template in templates.DEFAULTS.values():
        assert templates.fields_used(template) == {
            "first_name",
            "date",
            "time",
            "clinic_name",
            "clinic_phone",
        }


def test_sms_length_counts_gsm7_extension_characters_twice_and_ucs2_units():
    assert templates.sms_encoding("Hello") == ("GSM-7", 5, 160)
    assert templates.sms_encoding("a{b}€") == ("GSM-7", 8, 160)
    assert templates.sms_encoding("Müller é ñ") == ("GSM-7", 10, 160)
    assert templates.sms_encoding("Zoë") == ("UCS-2", 3, 70)
    assert templates.sms_encoding("ok 👍") == ("UCS-2", 5, 70)
    assert templates.fits_one_segment("x" * 160) and not templates.fits_one_segment("x" * 161)
    assert templates.fits_one_segment("ë" * 70) and not templates.fits_one_segment("ë" * 71)


def test_names_that_force_ucs2_are_written_in_gsm7_only_when_they_must():
    template = templates.DEFAULTS["sms"]
    text = templates.render_sms(template, {**VALUES, "first_name": "Zoë"})
    assert text.startswith("Hi Zoe,") and templates.sms_encoding(text)[0] == "GSM-7"
    # Letters GSM-7 has keep their accents.
    text = templates.render_sms(template, {**VALUES, "first_name": "José"})
    assert text.startswith("Hi José,")
    short = templates.parse("sms", "{first_name} {time}. Reply STOP to opt out")
    assert templates.render_sms(short, {**VALUES, "first_name": "Zoë"}) == (
        "Zoë 10:00 AM. Reply STOP to opt out"
    )


def test_long_names_are_cut_and_a_text_that_cannot_fit_is_refused():
    template = templates.DEFAULTS["sms"]
    text = templates.render_sms(template, {**VALUES, "first_name": "Maximilianusz"})
    assert text.startswith("Hi Maximilianusz,")  # longer than 12, but it fits
    text = templates.render_sms(
        template, {**VALUES, "first_name": "Wolfeschlegelsteinhausenbergerdorff"}
    )
    assert text.startswith("Hi Wolfeschlege,") and len(text) <= 160
    # No GSM-7 spelling for these letters: UCS-2 would need more than 70 characters.
    assert templates.render_sms(template, {**VALUES, "first_name": "王伟"}) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hi {name}. Reply STOP to opt out", "unknown field {name}"),
        ("Hi {first_name.upper}. Reply STOP to opt out", "unknown field"),
        ("Hi {first_name:>300}. Reply STOP to opt out", "unknown field"),
        ("Hi {first_name!r}. Reply STOP to opt out", "unknown field"),
        ("Hi {first_name, see you {date}.", "cannot read the template"),
        ("Hi {first_name}, see you {date}.", "must end with 'Reply STOP to opt out'"),
        (
            "Hello {first_name}, your appointment with {provider} at {clinic_name} is on {date}"
            " at {time}. Call {clinic_phone} to change it. Reply STOP to opt out",
            "could be 188 characters (GSM-7)",
        ),
        (
            "Rappël {first_name}: {clinic_name} {date} {time}. Reply STOP to opt out",
            "could be 94 characters (UCS-2)",
        ),
    ],
)
def test_a_template_that_could_not_fit_or_is_malformed_is_refused(text, message):
    with pytest.raises(Invalid) as refused:
        templates.parse("sms", text)
    assert message in refused.value.message


def test_the_same_template_in_gsm7_letters_fits():
    text = "Rappel {first_name}: {clinic_name} {date} {time}. Reply STOP to opt out"
    assert templates.parse("sms", text).body == text
    assert templates.worst_case(templates.parse("sms", text)) == ("GSM-7", 94, 160)


def test_email_templates_need_a_subject_and_known_fields():
    parsed = templates.parse("email", "Subject: See you {date}\n\nHi {first_name}.\n")
    assert (parsed.subject, parsed.body) == ("See you {date}", "Hi {first_name}.\n")
    assert templates.text_of(parsed) == "Subject: See you {date}\n\nHi {first_name}.\n"
    with pytest.raises(Invalid, match="starts with a 'Subject: ...' line"):
        templates.parse("email", "Hi {first_name}.")
    with pytest.raises(Invalid, match="unknown field {diagnosis}"):
        templates.parse("email", "Subject: x\n\nAbout your {diagnosis}")
    with pytest.raises(Invalid, match="templates exist for email and sms"):
        templates.parse("phone", "Hi")
    subject, body = templates.render_email(parsed, VALUES)
    assert (subject, body) == ("See you Fri Nov 27", "Hi Ana.\n")
