"""Withdrawn consent: `remind optout` and the STOP replies exported by an SMS provider.

Both go through `patients.core.set_consent`, so the patient's record shows each
withdrawal with its date and source, and the planner stops at once.
"""

from __future__ import annotations

import re
from datetime import datetime

from macli import csvfile
from macli.errors import Invalid
from macli.identifiers import phone_e164
from macli.patients.contact import CHANNELS
from macli.patients.core import consents, resolve, set_consent
from macli.store import Store

# Column names providers use, compared without case, spaces, dashes or underscores.
NUMBER_COLUMNS = {"phone", "phonenumber", "number", "from", "mobile", "msisdn", "sender"}
DATE_COLUMNS = {
    "date",
    "datesent",
    "sentdate",
    "datecreated",
    "createdat",
    "receivedat",
    "optedoutat",
    "optoutdate",
    "timestamp",
}
BODY_COLUMNS = {"body", "message", "text", "keyword"}
# The opt-out keywords carriers and providers honour (CTIA).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}


def optout(store: Store, reference: str, channels: list[str], *, user: str, now: datetime) -> dict:
    """Withdraw a patient's consent for reminders on the given channels."""
    if not channels:
        raise Invalid("give at least one --channel")
    for channel in channels:
        if channel not in CHANNELS:
            raise Invalid(f"unknown channel {channel!r} (use {', '.join(CHANNELS)})")
    with store.write():
        patient = resolve(store, reference)
        for channel in channels:
            set_consent(
                store, patient["id"], channel, False, source="remind optout", user=user, now=now
            )
    return patient


def stop_import(
    store: Store, data: bytes, *, filename: str, region: str, user: str, now: datetime
) -> dict:
    """Record SMS opt-out for every patient whose number replied STOP; all or nothing."""
    records = list(csvfile.reader(csvfile.decode(data)))
    if not records:
        raise Invalid("the file is empty")
    header = [re.sub(r"[\s_-]", "", cell).lower() for cell in records[0]]
    number_at = _column(header, NUMBER_COLUMNS)
    if number_at is None:
        if len(header) != 1:
            raise Invalid("line 1: no column of phone numbers (name it phone, number or from)")
        number_at, first_line = 0, 1  # one bare column of numbers, no header
    else:
        first_line = 2
    date_at, body_at = _column(header, DATE_COLUMNS), _column(header, BODY_COLUMNS)
    replies: dict[str, str] = {}
    ignored = 0
    line = first_line
    try:
        # `line` outlives the loop on purpose: the error names the row that failed.
        for line, record in enumerate(records[first_line - 1 :], start=first_line):  # noqa: B007
            if not any(cell.strip() for cell in record):
                continue
            if len(record) <= number_at:
                raise Invalid("has no phone number")
            if body_at is not None and len(record) > body_at:
                if re.sub(r"[^A-Z]", "", record[body_at].upper()) not in STOP_WORDS:
                    ignored += 1
                    continue
            number = phone_e164(record[number_at], region)
            when = (
                record[date_at].strip()[:40]
                if date_at is not None and len(record) > date_at
                else ""
            )
            replies.setdefault(number, when)
    except Invalid as error:
        raise Invalid(f"line {line}: {error.message}; nothing was recorded") from error
    counts = {"recorded": 0, "already": 0, "unmatched": 0, "ignored": ignored}
    with store.write():
        for number, when in replies.items():
            patients = store.query("SELECT id FROM patients WHERE phone = ? ORDER BY id", [number])
            if not patients:
                counts["unmatched"] += 1
            for patient in patients:
                if not consents(store, patient["id"])["sms"]:
                    counts["already"] += 1
                    continue
                reply = f"STOP reply {when}" if when else "STOP reply"
                set_consent(
                    store,
                    patient["id"],
                    "sms",
                    False,
                    source=f"{reply} (stop-import {filename})",
                    user=user,
                    now=now,
                )
                counts["recorded"] += 1
    return counts


def _column(header: list[str], names: set[str]) -> int | None:
    for index, name in enumerate(header):
        if name in names:
            return index
    return None
