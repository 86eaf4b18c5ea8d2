"""Misbehaving servers for `remind send`: built on the mail server and SMS provider of
tests/remind (aiosmtpd and an HTTP server on 127.0.0.1), plus the faults real servers
have: a mail server that drops the connection mid-batch, an SMS endpoint that answers
too late, hangs up without answering, or stalls after accepting."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.remind.conftest import LocalController, Mailbox, SmsProvider


class DroppingMailbox(Mailbox):
    """A mail server that hangs up on the Nth message of a connection: before taking it
    ("before") or after taking it but before saying so ("after")."""

    def __init__(self, drop_at: int | None = None, when: str = "before"):
        super().__init__()
        self.drop_at, self.when = drop_at, when
        self.dropped = 0
        self.per_connection: dict[int, int] = {}

    async def handle_DATA(self, server, session, envelope):
        number = self.per_connection[id(session)] = self.per_connection.get(id(session), 0) + 1
        if self.drop_at is not None and number == self.drop_at and not self.dropped:
            self.dropped += 1
            if self.when == "after":
                await super().handle_DATA(server, session, envelope)
            server.transport.close()
            return "421 closing"  # never reaches the client: the connection is gone
        return await super().handle_DATA(server, session, envelope)


def start_mail(mailbox: Mailbox):
    controller = LocalController(mailbox, hostname="127.0.0.1", port=0)
    controller.start()
    mailbox.port = controller.port
    return controller


class FaultySms(SmsProvider):
    """The SMS provider of tests/remind, with faults queued per number, one per attempt:
    "late" (takes the message, answers after `late_seconds`), "hang-up" (takes it, closes
    without answering) or "stall" (answers 201 with headers, then stalls the body). HTTP
    error replies are queued in `replies`, as in tests/remind."""

    def __init__(self, late_seconds: float = 1.0):
        super().__init__()
        self.faults: dict[str, list] = {}
        self.late_seconds = late_seconds
        self.release = threading.Event()  # set at the end so no handler outlives the test

    def fault(self, number: str):
        with self.lock:
            queued = self.faults.get(number)
            return queued.pop(0) if queued else None


def start_sms(provider: FaultySms):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            fault = provider.fault(form.get("To"))
            status, body = provider.answer(self.path, self.headers, form)
            if fault == "hang-up":
                self.close_connection = True
                return
            if fault == "late":
                provider.release.wait(provider.late_seconds)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload) + (100 if fault == "stall" else 0)))
            self.end_headers()
            self.wfile.write(payload)
            if fault == "stall":
                self.wfile.flush()
                provider.release.wait(provider.late_seconds)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/2010-04-01"

    def stop():
        provider.release.set()
        server.shutdown()
        server.server_close()

    return stop


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
