"""The one pair of fake servers the tests talk to, on 127.0.0.1 with OS-chosen ports: an
aiosmtpd mail server and an HTTP server playing a Twilio-compatible SMS provider, each
able to refuse, hold or misbehave on cue (tests/remind and tests/reliability use them)."""

from __future__ import annotations

import asyncio
import email
import json
import threading
from dataclasses import dataclass
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller

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


def start_mail(mailbox: Mailbox):
    """Serve `mailbox` with aiosmtpd on 127.0.0.1; returns the controller (`.stop()`)."""
    controller = LocalController(mailbox, hostname="127.0.0.1", port=0)
    controller.start()
    mailbox.port = controller.port
    return controller


# -- SMS ----------------------------------------------------------------------------------


class SmsProvider:
    """Twilio's Messages API, as far as macli uses it: POST .../Messages.json.

    HTTP error replies are queued per number in `replies`; transport faults in `faults`,
    one per attempt: "late" (takes the message, answers after `late_seconds`), "hang-up"
    (takes it, closes without answering) or "stall" (answers 201 with headers, then
    stalls the body)."""

    def __init__(self, late_seconds: float = 1.0):
        self.requests: list[dict] = []
        self.replies: dict[str, list[tuple[int, dict]]] = {}  # To -> replies, one per attempt
        self.faults: dict[str, list] = {}
        self.late_seconds = late_seconds
        self.release = threading.Event()  # set at the end so no handler outlives the test
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()
        self.lock = threading.Lock()

    def fault(self, number: str):
        with self.lock:
            queued = self.faults.get(number)
            return queued.pop(0) if queued else None

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


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that gave up on a late answer (the point of the "late" and "stall"
        # faults) closes its end; the traceback socketserver would print for that lands in
        # whatever command's stderr is being captured at the time.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def start_sms(provider: SmsProvider):
    """Serve `provider` on 127.0.0.1 (an OS-chosen port); returns the function that stops it."""

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

    server = _QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/2010-04-01"

    def stop():
        provider.release.set()
        if provider.hold is not None:
            provider.hold.set()
        server.shutdown()
        server.server_close()

    return stop
