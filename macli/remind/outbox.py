"""`remind send`: claim what is due in one transaction, then hand it to the transports.

Exactly once rests on three things:
- the outbox key (appointment, rule, appointment start) is UNIQUE, and the rows are
  inserted by the same BEGIN IMMEDIATE transaction that decided they were due;
- one run at a time (a lock file beside the store), so any `queued` or `sending` row a
  run finds was left by a run that died;
- an SMS is marked `sending` (committed) before it is handed over, an e-mail is not;
  each result is recorded right after. A run that finds a stale e-mail sends it again
  (at most one duplicate, with the same Message-ID); a stale `sending` SMS is marked
  `unknown` and never sent again (docs/remind.md says why).
"""

from __future__ import annotations

import fcntl
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from email.errors import MessageError
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from macli import audit, settings
from macli.errors import Invalid, MacliError
from macli.files import create_private_file
from macli.identifiers import phone_national
from macli.patients.core import set_consent
from macli.remind import templates, transports
from macli.remind.planner import Decision, plan
from macli.store import Store
from macli.text import clean
from macli.when import from_utc_text, utc_text

EXIT_OK = 0
EXIT_LEFT_DUE = 3
EXIT_FAILED = 4
EXIT_BUSY = 5
SUMMARY_LINES = 20


class Busy(MacliError):
    """Another `remind send` holds the lock."""

    exit_code = EXIT_BUSY


@contextmanager
def run_lock(store_path: Path) -> Iterator[None]:
    """Hold the send lock (a 0600 file beside the store) or raise Busy at once."""
    path = Path(str(store_path) + ".remind-send.lock")
    create_private_file(path)
    handle = open(path, "a")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy("another `macli remind send` is running; this run did nothing") from None
        yield
    finally:
        handle.close()


@dataclass
class Job:
    """A claimed reminder: where it goes and what it says."""

    reminder_id: int
    patient_id: int
    channel: str
    recipient: str
    values: dict[str, str]
    transport_id: str | None = None  # e-mail: the Message-ID, fixed at the claim
    text: str | None = None  # SMS: rendered at the claim, where its fit is checked
    language: str | None = None  # the patient's (BCP 47), choosing the template


@dataclass
class Outcome:
    reminder_id: int
    channel: str
    status: str  # sent | deferred | failed | unknown | to-call
    summary: str = ""
    transport_id: str | None = None


@dataclass
class RunResult:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(1 for o in self.outcomes if o.status in statuses)

    @property
    def problems(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("deferred", "failed", "unknown")]

    @property
    def exit_code(self) -> int:
        if self.count("failed", "unknown"):
            return EXIT_FAILED
        if self.count("deferred"):
            return EXIT_LEFT_DUE
        return EXIT_OK


def send(
    store: Store,
    *,
    now: datetime,
    tz: ZoneInfo,
    user: str,
    channels: tuple[str, ...] | None = None,
) -> RunResult:
    """Send every reminder that is due, once; returns what happened to each."""
    result = RunResult()
    with run_lock(store.path):
        with store.write():
            result.outcomes += _recover(store, now, user)
            _withdraw_stale(store, now, user)
            decisions = plan(store, now=now, tz=tz, channels=channels)
            check_configuration(store, {d.channel for d in decisions if d.action == "send"})
            jobs, outcomes = _claim(store, decisions, now=now, tz=tz, user=user)
            result.outcomes += outcomes
        email = [job for job in jobs if job.channel == "email"]
        sms = [job for job in jobs if job.channel == "sms"]
        if email:
            compose = _mail_composer(store, now, tz)
            result.outcomes += _dispatch(store, email, _mail_transport(store), compose, now, user)
        if sms:
            result.outcomes += _dispatch(
                store, sms, _sms_transport(store), lambda job: job.text, now, user
            )
        if result.outcomes:
            counts = ", ".join(
                f"{status}={result.count(status)}"
                for status in ("sent", "to-call", "deferred", "failed", "unknown")
                if result.count(status)
            )
            audit.record(store, user=user, action="remind.send", now=now, detail=counts)
    return result


def dry_run(
    store: Store, *, now: datetime, tz: ZoneInfo, channels: tuple[str, ...] | None = None
) -> list[Decision]:
    """What `send` would hand over now (nothing is claimed or sent)."""
    decisions = [d for d in plan(store, now=now, tz=tz, channels=channels) if d.action != "skip"]
    check_configuration(store, {d.channel for d in decisions if d.action == "send"})
    return decisions


# -- before sending -----------------------------------------------------------------------


def _recover(store: Store, now: datetime, user: str) -> list[Outcome]:
    """Settle the rows a killed run left behind (we hold the lock: nobody else is sending)."""
    stamp = utc_text(now)
    # An e-mail is not marked before it is handed over: a queued one may have reached the
    # server just before the crash, so sending it again may deliver it twice.
    store.execute(
        "UPDATE reminders SET status = 'deferred', updated_at = ?, updated_by = ?,"
        " error = CASE channel WHEN 'email' THEN 'run interrupted; sent again (may arrive twice)'"
        " ELSE 'run interrupted before sending' END WHERE status = 'queued'",
        [stamp, user],
    )
    unknown = store.query("SELECT id FROM reminders WHERE status = 'sending'")
    store.execute(
        "UPDATE reminders SET status = 'unknown', updated_at = ?, updated_by = ?,"
        " error = 'run interrupted while sending; the provider may have it; not sent again'"
        " WHERE status = 'sending'",
        [stamp, user],
    )
    return [
        Outcome(row["id"], "sms", "unknown", "interrupted while sending; check the provider's log")
        for row in unknown
    ]


def _withdraw_stale(store: Store, now: datetime, user: str) -> None:
    """Pending reminders of appointments cancelled, moved or past are withdrawn."""
    store.execute(
        "UPDATE reminders SET status = 'withdrawn', updated_at = ?1, updated_by = ?2,"
        " error = (SELECT CASE WHEN a.status != 'scheduled' THEN 'appointment ' || a.status"
        "   WHEN a.starts_at != reminders.starts_at THEN 'appointment moved'"
        "   ELSE 'appointment passed' END FROM appointments a WHERE a.id = appointment_id)"
        " WHERE status IN ('deferred', 'to-call', 'no-answer') AND EXISTS ("
        "   SELECT 1 FROM appointments a WHERE a.id = appointment_id AND ("
        "     a.status != 'scheduled' OR a.starts_at != reminders.starts_at"
        "     OR (reminders.status = 'deferred' AND a.starts_at <= ?1)))",
        [utc_text(now), user],
    )


def check_configuration(store: Store, channels: set[str]) -> None:
    """Refuse to claim anything when a channel that has reminders due cannot be used."""
    missing = []
    if "email" in channels:
        missing += [key for key in ("smtp.host", "smtp.from") if not settings.get(store, key)]
        if settings.get(store, "smtp.user") and not transports.smtp_password():
            missing.append(f"the environment variable {transports.SMTP_PASSWORD_ENV}")
    if "sms" in channels:
        missing += [
            key for key in ("sms.url", "sms.account", "sms.from") if not settings.get(store, key)
        ]
        if not transports.sms_token():
            missing.append(f"the environment variable {transports.SMS_TOKEN_ENV}")
    for channel in sorted(channels):
        if "clinic_phone" in templates.fields_used(templates.get(store, channel)):
            if not settings.get(store, "clinic.phone"):
                missing.append("clinic.phone")
                break
    if missing:
        names = ", ".join(sorted(channels))
        raise Invalid(
            f"{names} reminders are due but these are not set: {', '.join(missing)}"
            " (see `macli config list` and docs/remind.md)"
        )


def _claim(store, decisions, *, now, tz, user) -> tuple[list[Job], list[Outcome]]:
    """Record each decision due (in the deciding transaction); messages are built later,
    outside it, so the store's write lock is held for as short a time as possible."""
    stamp = utc_text(now)
    clinic = {
        "clinic_name": settings.get(store, "clinic.name") or "",
        "clinic_phone": phone_national(settings.get(store, "clinic.phone")) or "",
    }
    sms_template = templates.for_patients(store, "sms")
    max_segments = int(settings.get(store, "remind.sms_segments"))
    languages = patient_languages(store)
    domain = parseaddr(settings.get(store, "smtp.from") or "")[1].rpartition("@")[2]
    jobs, outcomes = [], []
    for decision in decisions:
        if decision.action == "skip":
            if decision.status == "deferred":
                store.execute(
                    "UPDATE reminders SET status = 'withdrawn', error = ?, updated_at = ?,"
                    " updated_by = ? WHERE id = ?",
                    [decision.reason, stamp, user, decision.reminder_id],
                )
            continue
        if decision.action == "wait":
            continue
        if decision.channel == "phone":
            reminder_id = record_claim(store, decision, "to-call", stamp, user)
            outcomes.append(Outcome(reminder_id, "phone", "to-call"))
            continue
        language = languages.get(decision.patient_id)
        values = {
            "first_name": decision.first_name,
            "provider": decision.provider,
            **_date_fields(decision.starts_at, tz, language),
            **clinic,
        }
        job = Job(0, decision.patient_id, decision.channel, decision.recipient, values)
        job.language = language
        if decision.channel == "sms":
            job.text = templates.render_sms(sms_template(language), values, max_segments)
            if job.text is None:
                too_long = (
                    "does not fit one SMS"
                    if max_segments == 1
                    else (f"does not fit {max_segments} SMS segments")
                )
                failed = record_claim(store, decision, "failed", stamp, user, error=too_long)
                outcomes.append(Outcome(failed, "sms", "failed", too_long))
                continue
        else:
            # Made once, here, and kept: an e-mail sent again after a crash carries the
            # same Message-ID, so mail programs that see both can tell it is one message.
            job.transport_id = f"<remind.{secrets.token_hex(12)}@{domain or 'localhost'}>"
        job.reminder_id = record_claim(
            store, decision, "queued", stamp, user, transport_id=job.transport_id
        )
        if decision.reminder_id is not None and job.transport_id:
            job.transport_id = store.scalar(
                "SELECT transport_id FROM reminders WHERE id = ?", [job.reminder_id]
            )
        jobs.append(job)
    return jobs, outcomes


def record_claim(
    store: Store,
    decision: Decision,
    status: str,
    stamp: str,
    user: str,
    *,
    transport_id: str | None = None,
    error: str | None = None,
) -> int:
    """Write the outbox row of a reminder decided due (inside the deciding transaction)."""
    if decision.reminder_id is not None:
        store.execute(
            "UPDATE reminders SET status = ?, recipient = ?, claimed_at = ?, updated_at = ?,"
            " updated_by = ?, transport_id = coalesce(transport_id, ?),"
            " error = coalesce(?, error) WHERE id = ?",
            [
                status,
                decision.recipient,
                stamp,
                stamp,
                user,
                transport_id,
                error,
                decision.reminder_id,
            ],
        )
        return decision.reminder_id
    return store.insert(
        "reminders",
        {
            "appointment_id": decision.appointment_id,
            "rule_id": decision.rule_id,
            "starts_at": decision.starts_at,
            "patient_id": decision.patient_id,
            "channel": decision.channel,
            "due_at": decision.due_at,
            "status": status,
            "recipient": decision.recipient,
            "transport_id": transport_id,
            "error": error,
            "claimed_at": stamp,
            "updated_at": stamp,
            "updated_by": user,
        },
    )


# Short weekday and month names for the languages the demo clinic's patients speak;
# other languages read the English ones (a template may avoid {date} and say it its way).
_DATE_NAMES = {
    "es": (
        ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
        ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    ),
    "pt": (
        ("seg", "ter", "qua", "qui", "sex", "sáb", "dom"),
        ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
    ),
}


def patient_languages(store: Store) -> dict[int, str]:
    """Patient id -> language, for the patients who have one (an index holds just those)."""
    return {
        row["id"]: row["language"]
        for row in store.query("SELECT id, language FROM patients WHERE language IS NOT NULL")
    }


def _date_fields(starts_at: str, tz: ZoneInfo, language: str | None = None) -> dict[str, str]:
    local = from_utc_text(starts_at).astimezone(tz)
    names = _DATE_NAMES.get((language or "").split("-")[0])
    if names:
        weekdays, months = names
        return {
            "date": f"{weekdays[local.weekday()]} {local.day} {months[local.month - 1]}",
            "time": f"{local:%H:%M}",
        }
    return {
        "date": f"{local:%a %b} {local.day}",
        "time": f"{local.hour % 12 or 12}:{local:%M %p}",
    }


def _mail_composer(store: Store, now: datetime, tz: ZoneInfo):
    """A function building each reminder's e-mail; what all share is read once."""
    template = templates.for_patients(store, "email")
    name, address = parseaddr(settings.get(store, "smtp.from"))
    date = format_datetime(now.astimezone(tz))

    plain = plain_composer(name, address, date)

    def compose(job: Job) -> Message | transports.Prepared:
        subject, body = templates.render_email(template(job.language), job.values)
        prepared = plain(job, subject, body)
        if prepared is not None:
            return prepared
        return classic_message(name, address, date, job, subject, body)

    return compose


def classic_message(
    name: str, address: str, date: str, job: Job, subject: str, body: str
) -> Message:
    """A reminder as an email.message: any text, headers folded and encoded as needed."""
    # A header holding a line break is refused by the mail library only when the
    # message is sent; checked here, the reminder fails with the reason instead (the
    # plain composer hands any header that is not printable ASCII to this one).
    for what, value in (
        ("its subject", subject),
        ("the sender's name (clinic.name or smtp.from)", name or job.values["clinic_name"]),
        ("the sender's address (smtp.from)", address),
        ("the recipient's address", job.recipient),
    ):
        clean(value, what)
    # The classic (compat32) message class: the modern EmailMessage parses every
    # header it is given and costs several times as much for a plain text reminder.
    message = MIMEText(body, "plain", "us-ascii" if body.isascii() else "utf-8")
    message["From"] = formataddr((name or job.values["clinic_name"], address), "utf-8")
    message["To"] = job.recipient
    message["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    message["Date"] = date
    message["Message-ID"] = job.transport_id
    message["Auto-Submitted"] = "auto-generated"
    return message


_HEADER_LIMIT = 78  # what compat32 folds past; shorter ASCII lines it writes as they are


def plain_composer(name: str, address: str, date: str):
    """The bytes of a plain ASCII reminder, built from headers made once per run: what the
    message classes below would write for it, byte for byte (tests/remind/test_email.py),
    at a fraction of the cost. None for anything else (non-ASCII text, a header that
    would be folded, a line break in a header), which goes the classic way."""
    import re

    head = (
        'Content-Type: text/plain; charset="us-ascii"\r\nMIME-Version: 1.0\r\n'
        "Content-Transfer-Encoding: 7bit\r\n"
    )
    tail = f"Date: {date}\r\n"
    senders: dict[str, str | None] = {}
    lines = re.compile(r"\r\n|\r|\n")

    def header(field: str, value: str) -> str | None:
        line = f"{field}: {value}"
        if len(line) > _HEADER_LIMIT or not line.isascii() or not line.isprintable():
            return None
        if "  " in value or value != value.strip():  # folding would respace it
            return None
        return line + "\r\n"

    def plain(job: Job, subject: str, body: str) -> transports.Prepared | None:
        display = name or job.values["clinic_name"]
        if display not in senders:
            senders[display] = header("From", formataddr((display, address), "utf-8"))
        parts = (
            senders[display],
            header("To", job.recipient),
            header("Subject", subject),
            header("Message-ID", job.transport_id or ""),
        )
        if None in parts or not body.isascii() or "\x00" in body:
            return None
        sender, to, subject_line, message_id = parts
        text = "\r\n".join(lines.split(body))
        data = (
            head
            + sender
            + to
            + subject_line
            + tail
            + message_id
            + "Auto-Submitted: auto-generated\r\n\r\n"
            + text
        )
        return transports.Prepared(data.encode("ascii"), job.transport_id, address)

    return plain


# -- sending ------------------------------------------------------------------------------


def _mail_transport(store: Store) -> transports.MailTransport:
    return transports.MailTransport(
        settings.get(store, "smtp.host"),
        int(settings.get(store, "smtp.port")),
        security=settings.get(store, "smtp.security"),
        verify=settings.get(store, "smtp.verify") != "no",
        user=settings.get(store, "smtp.user"),
        password=transports.smtp_password(),
        envelope_from=parseaddr(settings.get(store, "smtp.from"))[1],
    )


def _sms_transport(store: Store) -> transports.SmsTransport:
    return transports.SmsTransport(
        settings.get(store, "sms.url"),
        settings.get(store, "sms.account"),
        transports.sms_token(),
        settings.get(store, "sms.from"),
    )


def _dispatch(
    store: Store, jobs: list[Job], transport, compose, now: datetime, user: str
) -> list[Outcome]:
    """Hand each job over and record the result right after.

    An SMS is marked `sending` (durably) before the provider sees it, so a crash leaves
    a trace that stops it from going twice. E-mail results are recorded without an fsync
    each (`fast_commits`): a killed process keeps them, and 2,000 reminders do not wait
    for 2,000 disk flushes; the run's last ordinary commit (its audit row) makes them
    durable.
    """
    stamp = utc_text(now)
    outcomes: list[Outcome] = []
    pending = list(jobs)
    try:
        email = jobs[0].channel == "email"
        with transport, store.fast_commits() if email else nullcontext():
            while pending:
                job = pending.pop(0)
                try:
                    message = compose(job)
                except (Invalid, ValueError, MessageError) as error:
                    # A setting or template this reminder needs cannot make a message:
                    # it fails with the reason (`remind log`), and the run goes on.
                    reason = error.message if isinstance(error, Invalid) else str(error)
                    failure = transports.PermanentFailure(f"cannot be built: {reason}")
                    outcomes.append(_fail(store, job, failure, now, user))
                    continue
                if not email:
                    with store.write():
                        store.execute(
                            "UPDATE reminders SET status = 'sending', updated_at = ?,"
                            " updated_by = ? WHERE id = ?",
                            [stamp, user, job.reminder_id],
                        )
                try:
                    transport_id = transport.send(job.recipient, message)
                except transports.TemporaryFailure as failure:
                    outcomes.append(_defer(store, job, failure, stamp, user))
                    if failure.stop:
                        # The rest would meet the same answer; they wait for the next run.
                        outcomes += [
                            _defer(store, j, failure, stamp, user, tried=False) for j in pending
                        ]
                        pending = []
                except transports.UncertainFailure as failure:
                    # As after a run killed mid-send: the provider may have it, so it is
                    # never sent again; the rest wait for a provider that answers.
                    _set(store, job.reminder_id, "unknown", stamp, user, error=failure.detail)
                    outcomes.append(
                        Outcome(job.reminder_id, job.channel, "unknown", failure.summary)
                    )
                    outcomes += [
                        _defer(store, j, failure, stamp, user, tried=False) for j in pending
                    ]
                    pending = []
                except transports.PermanentFailure as failure:
                    outcomes.append(_fail(store, job, failure, now, user))
                else:
                    _set(store, job.reminder_id, "sent", stamp, user, transport_id=transport_id)
                    outcomes.append(Outcome(job.reminder_id, job.channel, "sent", "", transport_id))
    except transports.TemporaryFailure as failure:
        # No connection: nothing of this batch was handed over.
        outcomes += [_defer(store, job, failure, stamp, user, tried=False) for job in pending]
    return outcomes


def _defer(store, job: Job, failure, stamp: str, user: str, *, tried: bool = True) -> Outcome:
    _set(store, job.reminder_id, "deferred", stamp, user, error=failure.detail, tried=tried)
    return Outcome(job.reminder_id, job.channel, "deferred", failure.summary)


def _fail(store, job: Job, failure, now: datetime, user: str) -> Outcome:
    with store.write():
        _set(store, job.reminder_id, "failed", utc_text(now), user, error=failure.detail)
        if failure.unsubscribed:
            set_consent(
                store,
                job.patient_id,
                "sms",
                False,
                source="sms provider: unsubscribed",
                user=user,
                now=now,
            )
    return Outcome(job.reminder_id, job.channel, "failed", failure.summary)


def _set(
    store, reminder_id, status, stamp, user, *, error=None, transport_id=None, tried=True
) -> None:
    with store.write():
        store.execute(
            "UPDATE reminders SET status = ?, updated_at = ?, updated_by = ?,"
            f" attempts = attempts + {int(tried)},"
            " error = coalesce(?, error), transport_id = coalesce(?, transport_id),"
            " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
            [status, stamp, user, error, transport_id, status, stamp, reminder_id],
        )
