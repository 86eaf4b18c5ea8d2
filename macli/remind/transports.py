"""The real transports: e-mail through smtplib, SMS through a Twilio-compatible API.

Each failure is classified once, here: a `TemporaryFailure` leaves the reminder due for
the next run (`stop` when the rest of the batch would fail the same way), a
`PermanentFailure` is recorded and never retried, an `UncertainFailure` (an SMS that
went out with no answer back) is recorded as `unknown` and never sent again. `summary` is what may be printed
(codes, no addresses); `detail` is the server's own words, kept in the store.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from email.policy import compat32
from email.utils import parseaddr
from typing import NamedTuple
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

TIMEOUT_SECONDS = 30
# SMTP wants CRLF line ends; servers guarding against SMTP smuggling refuse bare LF.
_CRLF = compat32.clone(linesep="\r\n")
SMTP_PASSWORD_ENV = "MACLI_SMTP_PASSWORD"
SMS_TOKEN_ENV = "MACLI_SMS_TOKEN"
# Twilio error codes that mean this number will never take this message.
SMS_UNSUBSCRIBED = 21610
SMS_INVALID_NUMBERS = {21211, 21214, 21217, 21612, 21614}
# ...and codes about our own sending number: no message of the batch can go.
SMS_SENDER_PROBLEMS = {21212, 21603, 21606, 21659}


class TransportFailure(Exception):
    def __init__(self, summary: str, detail: str | None = None):
        super().__init__(summary)
        self.summary = summary
        self.detail = detail or summary

    def without(self, secrets: list[str | None]) -> TransportFailure:
        """This failure with the secrets taken out of what will be stored and shown."""
        from macli.text import redact

        self.summary = redact(self.summary, secrets)
        self.detail = redact(self.detail, secrets)
        self.args = (self.summary,)
        return self


@contextmanager
def _scrubbed(secrets: list[str | None]) -> Iterator[None]:
    # A server may repeat what it was sent (an Authorization header, an AUTH string) in
    # its error: nothing a reply says leaves a transport with a credential in it.
    try:
        yield
    except TransportFailure as failure:
        failure.without(secrets)
        raise


class TemporaryFailure(TransportFailure):
    """Try again on the next run; `stop` means the rest of this batch would fail too."""

    def __init__(self, summary: str, detail: str | None = None, *, stop: bool = False):
        super().__init__(summary, detail)
        self.stop = stop


class UncertainFailure(TransportFailure):
    """The request went out and no answer came back: the provider may have the message."""


class PermanentFailure(TransportFailure):
    """This message to this recipient will never be accepted."""

    def __init__(self, summary: str, detail: str | None = None, *, unsubscribed: bool = False):
        super().__init__(summary, detail)
        self.unsubscribed = unsubscribed


def tls_context(verify: bool) -> ssl.SSLContext:
    """The default context (certificate and host name checked) unless turned off."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _network_failure(error: BaseException) -> TemporaryFailure:
    if isinstance(error, smtplib.SMTPServerDisconnected) and error.__context__ is not None:
        error = error.__context__  # smtplib reports a timeout as a closed connection
    if isinstance(error, ssl.SSLCertVerificationError):
        summary = "certificate not trusted"
    elif isinstance(error, ConnectionRefusedError):
        summary = "connection refused"
    elif isinstance(error, TimeoutError | socket.timeout):
        summary = "timed out"
    elif isinstance(error, smtplib.SMTPServerDisconnected):
        summary = "connection closed by the server"
    else:
        summary = f"network error ({type(error).__name__})"
    return TemporaryFailure(summary, f"{summary}: {error}", stop=True)


class Prepared(NamedTuple):
    """A message already written out as the bytes SMTP carries (CRLF line ends)."""

    data: bytes
    message_id: str
    sender: str


class MailTransport:
    """One SMTP connection for a whole batch: `with MailTransport(...) as mail: mail.send(m)`."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        verify: bool = True,
        user: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
        envelope_from: str | None = None,
    ):
        self.host, self.port, self.security, self.verify = host, port, security, verify
        self.envelope_from = envelope_from
        self.user, self.password = user, password
        self.timeout = TIMEOUT_SECONDS if timeout is None else timeout
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> MailTransport:
        with _scrubbed([self.password]):
            return self._connect()

    def _connect(self) -> MailTransport:
        try:
            if self.security == "tls":
                self.smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=tls_context(self.verify)
                )
            else:
                self.smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    self.smtp.ehlo()
                    self.smtp.starttls(context=tls_context(self.verify))
                    self.smtp.ehlo()
            if self.user:
                self.smtp.login(self.user, self.password or "")
        except smtplib.SMTPAuthenticationError as error:
            self._close()
            raise TemporaryFailure(
                f"login refused (SMTP {error.smtp_code})", _smtp_text(error), stop=True
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            self._close()
            summary = "the server offers no STARTTLS" if self.security == "starttls" else "no AUTH"
            raise TemporaryFailure(summary, f"{summary}: {error}", stop=True) from error
        except smtplib.SMTPResponseException as error:
            self._close()
            raise TemporaryFailure(
                f"SMTP {error.smtp_code} on connect", _smtp_text(error), stop=True
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            self._close()
            raise _network_failure(error) from error
        return self

    def send(self, recipient: str, message: Message | Prepared) -> str:
        """Hand one message to the server for `recipient`; returns its Message-ID."""
        with _scrubbed([self.password]):
            return self._send(recipient, message)

    def _send(self, recipient: str, message: Message) -> str:
        assert self.smtp is not None, "use MailTransport as a context manager"
        if isinstance(message, Prepared):
            data, message_id = message.data, message.message_id
            sender = self.envelope_from or message.sender
        else:
            data, message_id = message.as_bytes(policy=_CRLF), message["Message-ID"]
            sender = self.envelope_from or parseaddr(message["From"])[1]
        options = []
        if not recipient.isascii():
            # An address like zoë@example.org travels only where the server speaks SMTPUTF8.
            try:
                self.smtp.ehlo_or_helo_if_needed()
            except (OSError, smtplib.SMTPException) as error:
                raise _network_failure(error) from error
            if not self.smtp.has_extn("smtputf8"):
                raise PermanentFailure(
                    "address not in ASCII and the server offers no SMTPUTF8",
                    "the address has non-ASCII characters; the server does not offer SMTPUTF8",
                )
            options = ["SMTPUTF8"]
        try:
            self.smtp.sendmail(sender, [recipient], data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise _by_code(code, text, "recipient refused") from error
        except smtplib.SMTPSenderRefused as error:
            # Our From address: every message of the batch would meet the same answer.
            raise TemporaryFailure(
                f"sender refused (SMTP {error.smtp_code})", _smtp_text(error), stop=True
            ) from error
        except smtplib.SMTPDataError as error:
            raise _by_code(error.smtp_code, error.smtp_error, "message refused") from error
        except smtplib.SMTPResponseException as error:
            raise TemporaryFailure(
                f"SMTP {error.smtp_code}", _smtp_text(error), stop=True
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise _network_failure(error) from error
        return message_id

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._close()

    def _close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            finally:
                self.smtp = None


def _smtp_text(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{error.smtp_code} {text}"


def _by_code(code: int, text, what: str) -> TransportFailure:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    detail = f"{code} {text}"
    if 400 <= code < 500:
        return TemporaryFailure(f"{what} for now (SMTP {code})", detail)
    return PermanentFailure(f"{what} (SMTP {code})", detail)


class SmsTransport:
    """Messages API in the Twilio layout: POST {url}/Accounts/{account}/Messages.json."""

    def __init__(
        self, url: str, account: str, token: str, sender: str, timeout: float | None = None
    ):
        self.endpoint = f"{url.rstrip('/')}/Accounts/{quote(account, safe='')}/Messages.json"
        credentials = base64.b64encode(f"{account}:{token}".encode()).decode("ascii")
        self.headers = {
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        self.sender = sender
        self.secrets = [token]
        self.timeout = TIMEOUT_SECONDS if timeout is None else timeout
        self.context = tls_context(True)

    # A batch needs no connection held open: each message is one HTTP request.
    def __enter__(self) -> SmsTransport:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send(self, to: str, body: str) -> str | None:
        """Post one message; returns the provider's message id (`sid`)."""
        with _scrubbed(self.secrets):
            return self._post(to, body)

    def _post(self, to: str, body: str) -> str | None:
        data = urlencode({"To": to, "From": self.sender, "Body": body}).encode("utf-8")
        request = Request(self.endpoint, data=data, headers=self.headers, method="POST")
        try:
            response = urlopen(request, timeout=self.timeout, context=self.context)
        except HTTPError as error:
            raise _http_failure(error) from error
        except URLError as error:
            # urllib wraps what fails while connecting or writing the request: the provider
            # has nothing, and the message can go on the next run.
            raise _network_failure(
                error.reason if isinstance(error.reason, OSError) else error
            ) from error
        except (OSError, http.client.HTTPException) as error:
            # The request went out and no answer came (timed out, hung up): the provider may
            # have taken it, and a second POST would be a second text.
            raise UncertainFailure(
                "no answer once the message went out", f"no answer from the provider: {error!r}"
            ) from error
        with response:
            try:
                reply = response.read()
            except (OSError, http.client.HTTPException):
                return None  # accepted (2xx) all the same; only the provider's id is lost
        try:
            return json.loads(reply).get("sid")
        except (ValueError, AttributeError):
            # Accepted (2xx) all the same: it is sent, only without the provider's id.
            return None


def _http_failure(error: HTTPError) -> TransportFailure:
    status = error.code
    try:
        reply = json.loads(error.read() or b"{}")
    except (ValueError, OSError, http.client.HTTPException):
        reply = {}
    code = reply.get("code") if isinstance(reply, dict) else None
    message = reply.get("message") if isinstance(reply, dict) else None
    detail = (
        f"HTTP {status}" + (f" error {code}" if code else "") + (f": {message}" if message else "")
    )
    if status == 429:
        return TemporaryFailure("rate limited (HTTP 429)", detail, stop=True)
    if status >= 500:
        return TemporaryFailure(f"provider error (HTTP {status})", detail)
    if status in (401, 403, 404):
        # Wrong account, token or URL: no message of the batch can go until it is fixed.
        return TemporaryFailure(f"refused the account (HTTP {status})", detail, stop=True)
    if code in SMS_SENDER_PROBLEMS:
        return TemporaryFailure(f"sending number refused (error {code})", detail, stop=True)
    if code == SMS_UNSUBSCRIBED:
        return PermanentFailure(f"recipient unsubscribed (error {code})", detail, unsubscribed=True)
    if code in SMS_INVALID_NUMBERS:
        return PermanentFailure(f"invalid number (error {code})", detail)
    return PermanentFailure(
        f"refused (HTTP {status}" + (f" error {code})" if code else ")"), detail
    )


def smtp_password() -> str | None:
    return os.environ.get(SMTP_PASSWORD_ENV) or None


def sms_token() -> str | None:
    return os.environ.get(SMS_TOKEN_ENV) or None
