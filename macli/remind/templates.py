"""Reminder texts: templates with named fields, the one-segment SMS rule, rendering.

A template is plain text with fields in braces (`{first_name}`); rendering builds a
new string from the template's parts and never changes the template itself.
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from macli.errors import Invalid
from macli.store import Store
from macli.when import utc_text

FIELDS = ("first_name", "date", "time", "provider", "clinic_name", "clinic_phone")
TEMPLATE_CHANNELS = ("email", "sms")
STOP_TEXT = "Reply STOP to opt out"

# The longest value each field may take in an SMS: a template must fit one segment with
# every field this long, and longer names are cut to it when an SMS is rendered.
# date is "Wed Dec 30", time "12:30 PM", clinic_phone "(617) 555-0100" or "+44 20 7946 0958".
WORST_CASE = {
    "first_name": 12,
    "date": 10,
    "time": 8,
    "provider": 24,
    "clinic_name": 30,
    "clinic_phone": 16,
}
GSM7_LIMIT = 160
UCS2_LIMIT = 70
GSM7_PART, UCS2_PART = 153, 67  # per segment of a concatenated SMS

# The GSM 03.38 default alphabet, and its extension table (two septets each).
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Template:
    channel: str
    body: str
    subject: str | None = None
    custom: bool = False
    language: str | None = None  # None: the clinic's default template


DEFAULTS = {
    "email": Template(
        "email",
        subject="Appointment reminder: {date} at {time}",
        body=(
            "Hello {first_name},\n"
            "\n"
            "This is a reminder of your appointment at {clinic_name} on {date} at {time}.\n"
            "\n"
            "If you need to change it, please call us at {clinic_phone}.\n"
            "\n"
            "{clinic_name}\n"
        ),
    ),
    "sms": Template(
        "sms",
        body=(
            "Hi {first_name}, this is {clinic_name}: your visit is {date} at {time}. "
            "To change it call {clinic_phone}. Reply STOP to opt out"
        ),
    ),
}


# -- SMS length ---------------------------------------------------------------------------


def sms_encoding(text: str) -> tuple[str, int, int]:
    """(encoding, length in that encoding's units, one-segment limit) of an SMS text."""
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENSION for ch in text):
        return "GSM-7", sum(2 if ch in _GSM7_EXTENSION else 1 for ch in text), GSM7_LIMIT
    # UCS-2 counts UTF-16 code units: a character beyond the BMP (an emoji) takes two.
    return "UCS-2", len(text.encode("utf-16-le")) // 2, UCS2_LIMIT


def fits_one_segment(text: str) -> bool:
    _, length, limit = sms_encoding(text)
    return length <= limit


def segments(text: str) -> dict:
    """How an SMS text goes out: its encoding, its length in that encoding's units, and
    how many segments it takes. A text longer than one segment is sent concatenated, and
    each part gives up room for the header that joins them: 153 GSM-7 characters, or 67
    UCS-2 ones."""
    encoding, length, limit = sms_encoding(text)
    per_part = limit if length <= limit else (GSM7_PART if encoding == "GSM-7" else UCS2_PART)
    return {"encoding": encoding, "length": length, "segments": max(1, -(-length // per_part))}


def capacity(encoding: str, count: int) -> int:
    """The most characters `count` segments hold in an encoding."""
    single, part = (GSM7_LIMIT, GSM7_PART) if encoding == "GSM-7" else (UCS2_LIMIT, UCS2_PART)
    return single if count == 1 else part * count


def fits(text: str, max_segments: int = 1) -> bool:
    return segments(text)["segments"] <= max_segments


def to_gsm7(text: str) -> str:
    """Letters outside the GSM-7 alphabet written without their accents (Zoë -> Zoe)."""
    out = []
    for ch in text:
        if ch in _GSM7_BASIC:
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(c in _GSM7_BASIC for c in base) else ch)
    return "".join(out)


# -- parsing and rendering ----------------------------------------------------------------


def _parts(text: str) -> list[tuple[str, str | None]]:
    """(literal, field) pairs of a template, refusing anything but plain known fields."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise Invalid(
            f"cannot read the template: {error} (write a literal brace as {{{{)"
        ) from error
    parts = []
    for literal, field, spec, conversion in parsed:
        if field is not None:
            if field not in FIELDS or spec or conversion:
                raise Invalid(f"unknown field {{{field}}}; fields: " + ", ".join(FIELDS))
        parts.append((literal, field))
    return parts


def fill(text: str, values: dict[str, str]) -> str:
    """The template text with each field replaced by its value."""
    return "".join(literal + (values[field] if field else "") for literal, field in _parts(text))


def fields_used(template: Template) -> set[str]:
    texts = [template.body, template.subject or ""]
    return {field for text in texts for _, field in _parts(text) if field}


def render_sms(template: Template, values: dict[str, str], max_segments: int = 1) -> str | None:
    """SMS text of at most `max_segments` segments, or None when even the shortest
    spelling does not fit."""
    cut = {key: value[: WORST_CASE[key]].rstrip() for key, value in values.items()}
    # Names as written; else cut to their worst-case length (a fit the template check
    # promised for GSM-7); else also in GSM-7 letters: a "Zoë" makes the whole text
    # UCS-2 (70 characters), as "Zoe" it fits the 160 of GSM-7, as providers'
    # "smart encoding" does.
    for attempt in (values, cut, {key: to_gsm7(value) for key, value in cut.items()}):
        text = fill(template.body, attempt)
        if fits(text, max_segments):
            return text
    return None


def render_email(template: Template, values: dict[str, str]) -> tuple[str, str]:
    """(subject, body) of an e-mail reminder."""
    subject = " ".join(fill(template.subject or "", values).split())
    return subject, fill(template.body, values)


# -- stored templates ---------------------------------------------------------------------


def get(store: Store, channel: str, language: str | None = None) -> Template:
    """The template for a channel in a patient's language: that language's (`pt-BR`),
    else its primary language's (`pt`), else the clinic's default, else the built-in."""
    _check_channel(channel)
    if language:
        for code in dict.fromkeys((language, language.split("-")[0])):
            row = store.one(
                "SELECT subject, body FROM reminder_language_templates"
                " WHERE channel = ? AND language = ?",
                [channel, code],
            )
            if row is not None:
                return Template(
                    channel, body=row["body"], subject=row["subject"], custom=True, language=code
                )
    row = store.one("SELECT subject, body FROM reminder_templates WHERE channel = ?", [channel])
    if row is None:
        return DEFAULTS[channel]
    return Template(channel, body=row["body"], subject=row["subject"], custom=True)


def for_patients(store: Store, channel: str):
    """A function from a patient's language to their template, reading each one once."""
    chosen: dict[str | None, Template] = {}

    def template(language: str | None) -> Template:
        if language not in chosen:
            chosen[language] = get(store, channel, language)
        return chosen[language]

    return template


def listing(store: Store) -> list[dict]:
    """Every template in use: the default per channel, and each language's."""
    rows = []
    for channel in TEMPLATE_CHANNELS:
        default = get(store, channel)
        rows.append(_listed(default, None))
    for row in store.query(
        "SELECT t.channel, t.language, t.subject, t.body, l.name AS language_name"
        " FROM reminder_language_templates t LEFT JOIN languages l ON l.code = t.language"
        " ORDER BY t.channel, t.language"
    ):
        template = Template(
            row["channel"], body=row["body"], subject=row["subject"], custom=True,
            language=row["language"],
        )  # fmt: skip
        rows.append(_listed(template, row["language_name"]))
    return rows


def _listed(template: Template, language_name: str | None) -> dict:
    worst = worst_case(template) if template.channel == "sms" else None
    return {
        "channel": template.channel,
        "language": template.language or "default",
        "language_name": language_name,
        "source": "clinic" if template.custom else "built-in",
        "encoding": worst[0] if worst else None,
        "longest": worst[1] if worst else None,
        "segments": segments_needed(worst) if worst else None,
    }


def segments_needed(worst: tuple[str, int, int]) -> int:
    encoding, length, limit = worst
    if length <= limit:
        return 1
    return -(-length // (GSM7_PART if encoding == "GSM-7" else UCS2_PART))


def text_of(template: Template) -> str:
    """A template as `template show` prints it and `template set` reads it."""
    if template.channel == "email":
        return f"Subject: {template.subject}\n\n{template.body}"
    return template.body


def parse(
    channel: str, text: str, *, language: str | None = None, max_segments: int = 1
) -> Template:
    """Read and check a template; an SMS template must fit `max_segments` segments (the
    setting remind.sms_segments) in the worst case."""
    _check_channel(channel)
    from macli.text import clean

    text = clean(text, "the template", multiline=True)
    if channel == "email":
        head, _, body = text.partition("\n")
        if not head.lower().startswith("subject:"):
            raise Invalid("an e-mail template starts with a 'Subject: ...' line, then the body")
        template = Template(
            "email",
            subject=head[len("subject:") :].strip(),
            body=body.lstrip("\n"),
            language=language,
        )
        if not template.subject or not template.body.strip():
            raise Invalid("an e-mail template needs a subject and a body")
        fields_used(template)
        return template
    body = " ".join(text.split())
    template = Template("sms", body=body, language=language)
    fields_used(template)
    if language is None and not body.rstrip(".").endswith(STOP_TEXT):
        raise Invalid(f"an SMS template must end with {STOP_TEXT!r}")
    if language is not None and "STOP" not in body.split()[-8:]:
        # Carriers act on the English keyword whatever the language of the text.
        raise Invalid("an SMS template must end by saying to reply STOP to opt out")
    encoding, length, limit = worst_case(template)
    room = capacity(encoding, max_segments)
    if length > room:
        holds = (
            f"one message holds {limit}"
            if max_segments == 1
            else f"{max_segments} segments hold {room}"
        )
        raise Invalid(
            f"the SMS could be {length} characters ({encoding}) with the longest names and "
            f"numbers; {holds}. Shorten it"
            + (" or raise remind.sms_segments." if encoding == "UCS-2" else ".")
        )
    return template


def worst_case(template: Template) -> tuple[str, int, int]:
    """(encoding, length, limit) of an SMS template with every field at its longest."""
    return sms_encoding(fill(template.body, {key: "x" * n for key, n in WORST_CASE.items()}))


def put(store: Store, template: Template, *, user: str, now: datetime) -> None:
    """Store the clinic's template for its channel (and language, when it has one)."""
    with store.write():
        if template.language:
            store.execute(
                "INSERT INTO reminder_language_templates"
                " (channel, language, subject, body, updated_at, updated_by)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, language) DO UPDATE SET"
                " subject = excluded.subject, body = excluded.body,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                [template.channel, template.language, template.subject, template.body,
                 utc_text(now), user],
            )  # fmt: skip
            return
        store.execute(
            "INSERT INTO reminder_templates (channel, subject, body, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel) DO UPDATE SET subject = excluded.subject,"
            " body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            [template.channel, template.subject, template.body, utc_text(now), user],
        )


def reset(store: Store, channel: str, language: str | None = None) -> bool:
    """Go back to the default template for a channel, or drop a language's template (the
    patients who speak it get the default); False when there was none to drop."""
    _check_channel(channel)
    with store.write():
        if language:
            return bool(
                store.execute(
                    "DELETE FROM reminder_language_templates WHERE channel = ? AND language = ?",
                    [channel, language],
                ).rowcount
            )
        return bool(
            store.execute("DELETE FROM reminder_templates WHERE channel = ?", [channel]).rowcount
        )


def _check_channel(channel: str) -> None:
    if channel not in TEMPLATE_CHANNELS:
        raise Invalid(f"templates exist for {' and '.join(TEMPLATE_CHANNELS)}, not {channel!r}")
