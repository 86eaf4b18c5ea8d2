"""Clinic settings (`macli config`): a fixed set of known keys, each validated when set.

Secrets (mail and SMS passwords, tokens) are never settings: they come from the
environment only (MACLI_SMTP_PASSWORD, MACLI_SMS_TOKEN) and are never printed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from macli.errors import Invalid
from macli.store import Store
from macli.when import parse_time, system_zone_name, utc_text, zone

EMERGENCY_WORDS = (
    "chest pain, chest pressure, trouble breathing, can't breathe, cannot breathe,"
    " short of breath, shortness of breath, stroke, face drooping, slurred speech,"
    " severe bleeding, bleeding heavily, won't stop bleeding, suicidal, suicide,"
    " kill myself, overdose, unconscious, passed out, seizure, anaphylaxis, throat swelling"
)
EMERGENCY_TEXT = (
    "This may be an emergency. Do not triage: tell a clinician now. If the caller is in"
    " danger, tell them to hang up and call 911."
)


class Setting:
    """One known key: its help, its default and its check. A plain class, not a
    dataclass: dataclasses (and copy) would be imported by every command that reads the
    clinic's zone."""

    __slots__ = ("key", "help", "default", "validate")

    def __init__(
        self,
        key: str,
        help: str,
        default: Callable[[], str | None],
        validate: Callable[[str], str],
    ):
        self.key, self.help, self.default, self.validate = key, help, default, validate


def _any_text(value: str) -> str:
    value = value.strip()
    if not value:
        raise Invalid("the value may not be empty")
    return value


def _timezone(value: str) -> str:
    return zone(value.strip()).key


def _choice(*choices: str) -> Callable[[str], str]:
    def validate(value: str) -> str:
        value = value.strip().lower()
        if value not in choices:
            raise Invalid(f"must be one of: {', '.join(choices)}")
        return value

    return validate


def _currency(value: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise Invalid("must be a three-letter ISO 4217 code such as USD")
    return value


def _region(value: str) -> str:
    import phonenumbers

    value = value.strip().upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise Invalid("must be a two-letter region code such as US or CA")
    return value


def _clinic_phone(value: str) -> str:
    from macli.identifiers import phone_e164

    return phone_e164(value, "US")


def _clock(value: str) -> str:
    return parse_time(value).strftime("%H:%M")


def _segments(value: str) -> str:
    if not value.strip().isdigit() or not 1 <= int(value) <= 6:
        raise Invalid("must be a whole number of segments from 1 to 6")
    return str(int(value))


def _phrases(value: str) -> str:
    phrases = [" ".join(part.split()) for part in value.split(",")]
    phrases = [phrase for phrase in phrases if phrase]
    if not phrases:
        raise Invalid("give at least one word or phrase, separated by commas")
    return ", ".join(phrases)


def _port(value: str) -> str:
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise Invalid("must be a TCP port number between 1 and 65535")
    return str(int(value))


def _megabytes(value: str) -> str:
    if not value.strip().isdigit() or not 1 <= int(value) <= 500:
        raise Invalid("must be a whole number of megabytes from 1 to 500")
    return str(int(value))


def _duration(value: str) -> str:
    from macli.when import duration_text, parse_duration

    return duration_text(parse_duration(value.strip()))


def _npi(value: str) -> str:
    from macli.identifiers import check_npi

    return check_npi(value)


def _tax_id(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{9}", digits):
        raise Invalid("must be a nine-digit employer identification number (EIN)")
    return digits


def _x12_id(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[A-Za-z0-9]{2,15}", value):
        raise Invalid("must be 2 to 15 letters or digits (an X12 interchange id)")
    return value


def _retention(value: str) -> str:
    value = value.strip()
    if not value.isdigit() or not 3 <= int(value) <= 100:
        raise Invalid("must be a whole number of years, at least 3 (what inspectors ask for)")
    return str(int(value))


def _quantity_limit(value: str) -> str:
    value = value.strip().replace(",", "")
    if not value.isdigit() or not 1 <= int(value) <= 1_000_000:
        raise Invalid("must be a whole number of units from 1 to 1,000,000")
    return str(int(value))


def _url(value: str) -> str:
    value = value.strip()
    if not re.match(r"^https?://[^\s/]+", value):
        raise Invalid("must be an http:// or https:// URL")
    return value


def _critical_limits(value: str) -> str:
    from macli.lab.critical import limits_text, parse_limits

    return limits_text(parse_limits(value))


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting(
            "clinic.name",
            "The clinic's name, used in reminders and exports.",
            lambda: "Our Clinic",
            _any_text,
        ),
        Setting(
            "clinic.phone",
            "The clinic's phone number, used in reminders.",
            lambda: None,
            _clinic_phone,
        ),
        Setting(
            "clinic.timezone",
            "IANA time zone of the clinic (default: the system zone).",
            system_zone_name,
            _timezone,
        ),
        Setting("clinic.currency", "ISO 4217 currency of all amounts.", lambda: "USD", _currency),
        Setting(
            "clinic.region",
            "Default region for phone numbers without a country code.",
            lambda: "US",
            _region,
        ),
        Setting(
            "clinic.date_order",
            "How people here write dates: mdy (3/2/84 is March 2) or dmy (2 March).",
            lambda: "mdy",
            _choice("mdy", "dmy"),
        ),
        Setting(
            "clinic.units",
            "Units shown for vitals: us or metric.",
            lambda: "us",
            _choice("us", "metric"),
        ),
        Setting("clinic.address", "The clinic's postal address (claims).", lambda: None, _any_text),
        Setting("clinic.npi", "The clinic's 10-digit NPI (claims).", lambda: None, _npi),
        Setting("clinic.tax_id", "The clinic's EIN (claims).", lambda: None, _tax_id),
        Setting(
            "bill.submitter_id",
            "Your submitter id (ETIN) at the clearinghouse (default: clinic.tax_id).",
            lambda: None,
            _x12_id,
        ),
        Setting(
            "bill.receiver_id",
            "The clearinghouse's receiver id (X12 batches).",
            lambda: None,
            _x12_id,
        ),
        Setting(
            "bill.receiver_name", "The clearinghouse's name (X12 batches).", lambda: None, _any_text
        ),
        Setting(
            "bill.usage",
            "test or production: how X12 batches are marked.",
            lambda: "test",
            _choice("test", "production"),
        ),
        Setting("smtp.host", "Mail server for e-mail reminders.", lambda: None, _any_text),
        Setting("smtp.port", "Mail server port.", lambda: "587", _port),
        Setting(
            "smtp.security",
            "none, starttls or tls.",
            lambda: "starttls",
            _choice("none", "starttls", "tls"),
        ),
        Setting(
            "smtp.verify",
            "Verify the mail server's certificate: yes or no.",
            lambda: "yes",
            _choice("yes", "no"),
        ),
        Setting(
            "smtp.user",
            "Mail login (the password comes from MACLI_SMTP_PASSWORD).",
            lambda: None,
            _any_text,
        ),
        Setting("smtp.from", "From address of e-mail reminders.", lambda: None, _any_text),
        Setting("sms.url", "Base URL of the Twilio-compatible Messages API.", lambda: None, _url),
        Setting(
            "sms.account",
            "SMS account id (the token comes from MACLI_SMS_TOKEN).",
            lambda: None,
            _any_text,
        ),
        Setting("sms.from", "Sending number for SMS, E.164.", lambda: None, _clinic_phone),
        Setting(
            "remind.quiet_start", "No SMS or calls from this local time...", lambda: "20:00", _clock
        ),
        Setting(
            "lab.critical_limits",
            "Critical values per LOINC, e.g. '2823-3>6.0, 2823-3<2.8, 2345-7<50' (lab results).",
            lambda: (
                "2823-3<2.8, 2823-3>6.0, 2345-7<50, 2345-7>450, 2951-2<120, 2951-2>160,"
                " 718-7<7, 777-3<20, 6301-6>5, 34714-6>5, 41653-7<50, 41653-7>450"
            ),
            _critical_limits,
        ),
        Setting("remind.quiet_end", "...until this local time.", lambda: "08:00", _clock),
        Setting(
            "qc.retention_years",
            "Years the temperature and sterilizer logs are kept (at least 3; never deleted).",
            lambda: "3",
            _retention,
        ),
        Setting(
            "stock.max_quantity",
            "The most units one stock command may receive, use, count or discard.",
            lambda: "10000",
            _quantity_limit,
        ),
        Setting(
            "documents.max_mb",
            "Largest file `chart file` keeps, in MB.",
            lambda: "20",
            _megabytes,
        ),
        Setting(
            "replicate.max_lag",
            "How far the replica may fall behind before `replicate status` exits 1.",
            lambda: "10m",
            _duration,
        ),
        Setting(
            "remind.sms_segments",
            "The most segments an SMS reminder may take (a segment: 160 characters, or 70"
            " with accents outside GSM-7; each costs one message).",
            lambda: "1",
            _segments,
        ),
        Setting(
            "phone.cutoff",
            "Messages taken before this local time are due by the end of the business day;"
            " after it, by noon of the next open day.",
            lambda: "15:00",
            _clock,
        ),
        Setting(
            "phone.urgent_within",
            "An urgent message is due this long after it was taken.",
            lambda: "1h",
            _duration,
        ),
        Setting(
            "phone.emergency_words",
            "Words in a message that may mean an emergency (comma-separated).",
            lambda: EMERGENCY_WORDS,
            _phrases,
        ),
        Setting(
            "phone.emergency_text",
            "What `phone take` tells the assistant when a note may describe an emergency.",
            lambda: EMERGENCY_TEXT,
            _any_text,
        ),
    ]
}


def _known(key: str) -> Setting:
    if key not in SETTINGS:
        raise Invalid(f"unknown setting {key!r}; known settings: {', '.join(SETTINGS)}")
    return SETTINGS[key]


def get(store: Store, key: str) -> str | None:
    """The value of a setting, or its default."""
    setting = _known(key)
    value = store.scalar("SELECT value FROM settings WHERE key = ?", [key])
    return value if value is not None else setting.default()


def put(store: Store, key: str, value: str, *, user: str, now: datetime) -> str:
    """Validate and store a setting; returns the value as stored."""
    from macli.text import clean

    setting = _known(key)
    try:
        # Every setting is one line: they go into mail headers and subjects, X12
        # elements and calendar properties, where a line break starts a new field.
        value = setting.validate(clean(value, "the value"))
    except Invalid as error:
        raise Invalid(f"{key}: {error.message}") from error
    with store.write():
        store.execute(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            [key, value, utc_text(now), user],
        )
    return value


def listing(store: Store) -> list[dict]:
    """Every known setting with its value and whether it was set or defaulted."""
    stored = {row["key"]: row for row in store.query("SELECT * FROM settings")}
    rows = []
    for key, setting in SETTINGS.items():
        row = stored.get(key)
        rows.append(
            {
                "key": key,
                "value": row["value"] if row else setting.default(),
                "source": "set" if row else "default",
                "help": setting.help,
            }
        )
    return rows
