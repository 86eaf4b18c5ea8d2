"""Real servers on 127.0.0.1 for reminders: an aiosmtpd mail server and an HTTP server
playing a Twilio-compatible SMS provider, plus a small clinic to remind."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from macli import settings
from macli.patients import core as patients
from macli.patients import providers
from macli.remind import outbox, rules
from macli.when import parse_datetime, utc_text
from tests.servers import Mailbox, start_mail

ZONE = ZoneInfo("America/New_York")
SMS_ACCOUNT = "AC0123456789abcdef"
SMS_TOKEN = "test-token-not-a-secret"
SMTP_PASSWORD = "test-password-not-a-secret"
WAIT_SECONDS = 30  # how long a test waits for a server event before giving up


def at(text: str) -> datetime:
    """A clinic-local wall time as an aware UTC instant."""
    return parse_datetime(text, ZONE)


# -- servers (tests/servers.py) -------------------------------------------------------------


@pytest.fixture
def mail_server():
    mailbox = Mailbox()
    controller = start_mail(mailbox)
    yield mailbox
    if mailbox.hold is not None:
        mailbox.hold.set()
    controller.stop()


# sms_server is shared by every test: tests/conftest.py.


def basic_auth(account: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{account}:{token}".encode()).decode()


# -- a clinic -----------------------------------------------------------------------------


class Clinic:
    """A store set up like a small clinic, with helpers to book and send."""

    NOW = at("2026-11-26 09:00")

    def __init__(self, store, monkeypatch):
        self.store = store
        self.monkeypatch = monkeypatch
        now = self.NOW
        for key, value in (
            ("clinic.name", "Riverside Family Practice"),
            ("clinic.phone", "(617) 555-0100"),
            ("clinic.timezone", "America/New_York"),
        ):
            settings.put(store, key, value, user="tester", now=now)
        self.provider = providers.add(store, "Dr. Maya Chen", title="MD", now=now)["id"]
        with store.write():
            self.type_id = store.insert(
                "appointment_types", {"name": "Follow-up", "duration_minutes": 30, "active": 1}
            )
            self.new_type_id = store.insert(
                "appointment_types", {"name": "New patient", "duration_minutes": 60, "active": 1}
            )

    def use_mail(self, server, **extra):
        values = {
            "smtp.host": "127.0.0.1",
            "smtp.port": str(server.port),
            "smtp.security": "none",
            "smtp.from": "reminders@clinic.example.org",
            **extra,
        }
        for key, value in values.items():
            settings.put(self.store, key, value, user="tester", now=self.NOW)

    def use_sms(self, provider):
        for key, value in (
            ("sms.url", provider.url),
            ("sms.account", SMS_ACCOUNT),
            ("sms.from", "+16175550199"),
        ):
            settings.put(self.store, key, value, user="tester", now=self.NOW)
        self.monkeypatch.setenv("MACLI_SMS_TOKEN", SMS_TOKEN)

    def patient(self, name, *, consent="email,sms", prefers="sms", **fields):
        fields.setdefault("dob", "1980-05-17")
        return patients.add(
            self.store,
            {"name": name, "prefers": prefers, **fields},
            consent=consent or None,
            region="US",
            user="tester",
            now=self.NOW,
            today=self.NOW.astimezone(ZONE).date(),
        )

    def rule(self, before, channel, type_ref=None):
        return rules.add(
            self.store,
            channel=channel,
            before=before,
            type_ref=type_ref,
            user="tester",
            now=self.NOW,
        )["id"]

    def book(self, patient, when, *, minutes=30, type_id=None, status="scheduled", series_id=None):
        """Insert an appointment row as the schedule area would (the contract's columns)."""
        starts = at(when) if isinstance(when, str) else when
        stamp = utc_text(self.NOW)
        with self.store.write():
            return self.store.insert(
                "appointments",
                {
                    "patient_id": patient["id"],
                    "provider_id": self.provider,
                    "type_id": type_id or self.type_id,
                    "starts_at": utc_text(starts),
                    "ends_at": utc_text(starts + timedelta(minutes=minutes)),
                    "status": status,
                    "status_at": stamp,
                    "series_id": series_id,
                    "created_at": stamp,
                    "created_by": "tester",
                    "updated_at": stamp,
                },
            )

    def move(self, appointment_id, when):
        starts = at(when)
        with self.store.write():
            self.store.execute(
                "UPDATE appointments SET starts_at = ?, ends_at = ? WHERE id = ?",
                [utc_text(starts), utc_text(starts + timedelta(minutes=30)), appointment_id],
            )

    def cancel(self, appointment_id):
        with self.store.write():
            self.store.execute(
                "UPDATE appointments SET status = 'cancelled' WHERE id = ?", [appointment_id]
            )

    def send(self, when=None, channels=None):
        now = at(when) if when else self.NOW
        return outbox.send(self.store, now=now, tz=ZONE, user="cron", channels=channels)

    def reminders(self, **where):
        clauses = " AND ".join(f"{key} = ?" for key in where) or "1"
        return self.store.query(
            f"SELECT * FROM reminders WHERE {clauses} ORDER BY id", list(where.values())
        )


@pytest.fixture
def clinic(store, monkeypatch):
    return Clinic(store, monkeypatch)
