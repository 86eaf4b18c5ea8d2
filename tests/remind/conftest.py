"""Real servers on 127.0.0.1 for reminders: an aiosmtpd mail server and an HTTP server
playing a Twilio-compatible SMS provider, plus a small clinic to remind."""

from __future__ import annotations

import asyncio
import base64
import email
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from macli import settings
from macli.patients import core as patients
from macli.patients import providers
from macli.remind import outbox, rules
from macli.when import parse_datetime, utc_text

ZONE = ZoneInfo("America/New_York")
SMS_ACCOUNT = "AC0123456789abcdef"
SMS_TOKEN = "test-token-not-a-secret"
SMTP_PASSWORD = "test-password-not-a-secret"
WAIT_SECONDS = 30  # how long a test waits for a server event before giving up


def at(text: str) -> datetime:
    """A clinic-local wall time as an aware UTC instant."""
    return parse_datetime(text, ZONE)


# -- mail ---------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    recipients: list[str]
    message: email.message.EmailMessage
    session: object
    raw: bytes


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse or hold on cue."""

    def __init__(self):
        self.received: list[Received] = []
        self.refusals: dict[str, list[str]] = {}  # address -> RCPT replies, one per attempt
        self.hold: threading.Event | None = None  # when set: DATA waits for it to be set
        self.arrived = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        replies = self.refusals.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message,
                session,
                envelope.original_content,
            )
        )
        if self.hold is not None:
            # The server has the whole message; the client waits for its "250".
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait)
        return "250 2.0.0 Accepted"

    @property
    def connections(self) -> int:
        return len({id(item.session) for item in self.received})

    def to(self, address: str) -> list[Received]:
        return [item for item in self.received if address in item.recipients]


class LocalController(Controller):
    """aiosmtpd on an OS-chosen port (the stock controller pokes the port it was given)."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def mail_server():
    mailbox = Mailbox()
    controller = LocalController(mailbox, hostname="127.0.0.1", port=0)
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    if mailbox.hold is not None:
        mailbox.hold.set()
    controller.stop()


# -- SMS ----------------------------------------------------------------------------------


class SmsProvider:
    """Twilio's Messages API, as far as macli uses it: POST .../Messages.json."""

    def __init__(self):
        self.requests: list[dict] = []
        self.replies: dict[str, list[tuple[int, dict]]] = {}  # To -> replies, one per attempt
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()
        self.lock = threading.Lock()

    def answer(self, path: str, headers, form: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests.append(
                {"path": path, "authorization": headers.get("Authorization"), **form}
            )
            number = len(self.requests)
            replies = self.replies.get(form.get("To"))
            reply = replies.pop(0) if replies else None
        if self.hold is not None:
            self.arrived.set()
            self.hold.wait()
        if reply is not None:
            return reply
        return 201, {"sid": f"SM{number:032x}", "status": "queued", "to": form.get("To")}

    def to(self, number: str) -> list[dict]:
        return [request for request in self.requests if request.get("To") == number]


@pytest.fixture
def sms_server():
    provider = SmsProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            status, body = provider.answer(self.path, self.headers, form)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/2010-04-01"
    yield provider
    if provider.hold is not None:
        provider.hold.set()
    server.shutdown()
    server.server_close()


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
