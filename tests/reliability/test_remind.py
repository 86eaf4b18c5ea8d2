"""`macli remind send` as cron runs it, against servers that fail the way real ones do,
and killed at random moments: every reminder ends in the right state, nothing is lost,
an e-mail goes at most twice (same Message-ID) only when a run died or the connection
broke while it was handed over, an SMS never goes twice, and nothing cron would mail
names a patient."""

from __future__ import annotations

import base64
import os
import random
import signal
import subprocess
import threading
import time

import pytest

from tests.reliability.harness import MACLI, Outcome, assert_sound, macli, pick, rows
from tests.reliability.servers import DroppingMailbox, wait_for
from tests.remind.conftest import SMS_ACCOUNT, SMS_TOKEN, SMTP_PASSWORD
from tests.remind.test_transports import certificates, check_login, start_server  # noqa: F401
from tests.servers import start_mail

SECRETS = (
    SMS_TOKEN,
    SMTP_PASSWORD,
    base64.b64encode(f"{SMS_ACCOUNT}:{SMS_TOKEN}".encode()).decode(),
)

SEND_AT = "2026-11-26T19:00:00"  # before SMS quiet hours; every visit on the 28th is due
EXIT_OK, EXIT_LEFT_DUE, EXIT_FAILED = 0, 3, 4


class Clinic:
    """A store set up through the CLI: patients with e-mail and phone, one visit each on
    Nov 28, and a 2-day reminder rule per channel."""

    def __init__(self, run, db_path, patients: int, channels=("email", "sms")):
        self.db_path = db_path
        run("config set clinic.name 'Riverside Family Practice'")
        run("config set clinic.phone '(617) 555-0100'")
        run("provider add 'Dr Maya Chen'")
        self.people = []
        for i in range(patients):
            person = {
                "name": f"Zelda{i} Quixote",
                "email": f"zq{i}@example.org",
                "phone": f"+161755501{10 + i:02d}",
            }
            person["mrn"] = run(
                [
                    "patient",
                    "add",
                    person["name"],
                    "--dob",
                    "1980-05-17",
                    "--email",
                    person["email"],
                    "--phone",
                    person["phone"],
                    "--consent",
                    "email,sms",
                    "--prefers",
                    "sms",
                ]
            ).stdout.strip()
            hour, minute = divmod(8 * 60 + i * 20, 60)
            run(
                [
                    "schedule",
                    "add",
                    person["mrn"],
                    "--provider",
                    "chen",
                    "--at",
                    f"2026-11-28 {hour:02d}:{minute:02d}",
                    "--duration",
                    "20",
                ]
            )
            self.people.append(person)
        for channel in channels:
            run(["remind", "rule", "add", "--before", "2d", "--channel", channel])

    def use_mail(self, run, mailbox, **extra):
        values = {"smtp.host": "127.0.0.1", "smtp.port": str(mailbox.port)}
        values |= {"smtp.security": "none", "smtp.from": "reminders@clinic.example.org"}
        for key, value in (values | extra).items():
            run(["config", "set", key, value])

    def use_sms(self, run, provider, monkeypatch):
        run(["config", "set", "sms.url", provider.url])
        run(["config", "set", "sms.account", SMS_ACCOUNT])
        run(["config", "set", "sms.from", "+16175550199"])
        monkeypatch.setenv("MACLI_SMS_TOKEN", SMS_TOKEN)

    def send(self, minutes_later: int = 0, *, run=None) -> Outcome:
        """One `macli remind send` in its own process, as cron starts it (in this process
        when `run` is given, for a test that shortens the network timeout)."""
        hour, minute = divmod(19 * 60 + minutes_later, 60)
        args = ["--now", f"2026-11-26T{hour:02d}:{minute:02d}:00", "remind", "send"]
        if run is None:
            outcome = macli(*args)
        else:
            result = run(args, expect=None)
            outcome = Outcome(args, result.exit_code, result.stdout, result.stderr, 0, 0)
        self.assert_private(outcome)
        return outcome

    def assert_private(self, outcome: Outcome) -> None:
        """What cron would mail names no patient: reminder ids only."""
        said = outcome.stdout + outcome.stderr
        assert "Traceback" not in said
        for secret in SECRETS:
            assert secret not in said
        for person in self.people:
            for private in (person["name"], "Zelda", "Quixote", person["email"], person["mrn"]):
                assert private not in said, (private, said)
            assert person["phone"][2:] not in said and person["phone"][-4:] not in said

    def states(self, channel: str) -> list[str]:
        return [
            status
            for (status,) in rows(
                self.db_path,
                "SELECT r.status FROM reminders r JOIN appointments a ON a.id = r.appointment_id"
                " WHERE r.channel = ? ORDER BY a.starts_at",
                [channel],
            )
        ]


@pytest.fixture
def mailbox():
    box = DroppingMailbox()
    controller = start_mail(box)
    yield box
    controller.stop()


# -- mail ---------------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_mail_server_hanging_up_mid_batch_loses_nothing(run, db_path, mailbox, when):
    clinic = Clinic(run, db_path, 6, channels=("email",))
    clinic.use_mail(run, mailbox)
    mailbox.drop_at, mailbox.when = 3, when

    first = clinic.send()
    assert first.code == EXIT_LEFT_DUE and first.stdout == ""
    assert "left due" in first.stderr and "connection closed by the server" in first.stderr
    assert clinic.states("email") == ["sent", "sent"] + ["deferred"] * 4

    second = clinic.send(15)
    assert (second.code, second.stdout, second.stderr) == (EXIT_OK, "", "")
    assert clinic.states("email") == ["sent"] * 6
    received = [len(mailbox.to(person["email"])) for person in clinic.people]
    if when == "before":
        assert received == [1] * 6
    else:
        # The server took the third message but hung up before saying so: the one
        # duplicate the documented e-mail window allows, with the same Message-ID.
        assert received == [1, 1, 2, 1, 1, 1]
        copies = mailbox.to(clinic.people[2]["email"])
        assert copies[0].message["Message-ID"] == copies[1].message["Message-ID"]
    assert clinic.send(30).code == EXIT_OK
    assert sum(received) == len(mailbox.received)


def test_mail_4xx_then_2xx_and_5xx_for_one_recipient(run, db_path, mailbox):
    clinic = Clinic(run, db_path, 4, channels=("email",))
    clinic.use_mail(run, mailbox)
    later, unknown = clinic.people[0]["email"], clinic.people[1]["email"]
    mailbox.refusals[later] = ["451 4.3.0 Mailbox busy, try again later"]
    mailbox.refusals[unknown] = ["550 5.1.1 Recipient unknown", "250 OK"]

    first = clinic.send()
    assert first.code == EXIT_FAILED  # some left due and one failed for good: 4
    assert clinic.states("email") == ["deferred", "failed", "sent", "sent"]
    assert "(SMTP 451)" in first.stderr and "(SMTP 550)" in first.stderr

    second = clinic.send(15)
    assert (second.code, second.stderr) == (EXIT_OK, "")
    assert clinic.states("email") == ["sent", "failed", "sent", "sent"]
    assert len(mailbox.to(later)) == 1
    assert mailbox.to(unknown) == [] and mailbox.refusals[unknown] == ["250 OK"]  # not retried


def test_starttls_with_an_untrusted_certificate_is_refused_unless_verification_is_off(
    run, db_path, request, monkeypatch
):
    context = request.getfixturevalue("certificates")[0]  # tests/remind's test CA
    logins = []

    def login(*args):
        logins.append(args[3])
        return check_login(*args)

    mailbox, controller = start_server(
        tls_context=context, require_starttls=True, authenticator=login
    )
    try:
        monkeypatch.setenv("MACLI_SMTP_PASSWORD", SMTP_PASSWORD)
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the test CA is not trusted
        clinic = Clinic(run, db_path, 2, channels=("email",))
        clinic.use_mail(run, mailbox, **{"smtp.security": "starttls", "smtp.user": "clinic"})

        refused = clinic.send()
        assert refused.code == EXIT_LEFT_DUE
        assert "certificate not trusted" in refused.stderr
        assert mailbox.received == [] and logins == []  # no password sent to that server
        assert clinic.states("email") == ["deferred", "deferred"]

        run("config set smtp.verify no")
        accepted = clinic.send(15)
        assert (accepted.code, accepted.stderr) == (EXIT_OK, "")
        assert len(mailbox.received) == 2 and logins
    finally:
        controller.stop()


# -- SMS ----------------------------------------------------------------------------------


def test_sms_429_500_and_unsubscribed_across_runs(run, db_path, sms_server, monkeypatch):
    clinic = Clinic(run, db_path, 5, channels=("sms",))
    clinic.use_sms(run, sms_server, monkeypatch)
    numbers = [person["phone"] for person in clinic.people]
    sms_server.replies[numbers[1]] = [(429, {"code": 20429, "message": "Too Many Requests"})]
    sms_server.replies[numbers[2]] = [(500, {"message": "Internal Server Error"})]
    sms_server.replies[numbers[3]] = [
        (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"})
    ]

    first = clinic.send()
    assert first.code == EXIT_LEFT_DUE  # rate limited: the rest of the batch waits
    assert clinic.states("sms") == ["sent", "deferred", "deferred", "deferred", "deferred"]

    second = clinic.send(15)
    assert second.code == EXIT_FAILED  # unsubscribed is for good
    assert clinic.states("sms") == ["sent", "sent", "deferred", "failed", "sent"]

    third = clinic.send(30)
    assert (third.code, third.stderr) == (EXIT_OK, "")
    assert clinic.states("sms") == ["sent", "sent", "sent", "failed", "sent"]
    attempts = [len(sms_server.to(number)) for number in numbers]
    assert attempts == [1, 2, 2, 1, 1]  # one accepted POST each; the refused one once
    # The provider's "unsubscribed" is an opt-out: recorded, and no more texts.
    shown = run(["patient", "show", clinic.people[3]["mrn"], "-f", "json"]).stdout
    assert '"consent": "email"' in shown and "sms provider: unsubscribed" in shown
    assert clinic.send(45).code == EXIT_OK and len(sms_server.to(numbers[3])) == 1


@pytest.fixture
def short_timeout(monkeypatch):
    """Wait half a second for a server instead of 30 (runs in this process only)."""
    from macli.remind import transports

    monkeypatch.setattr(transports, "TIMEOUT_SECONDS", 0.5)


@pytest.mark.parametrize("fault", ["hang-up", "late"])
def test_an_sms_the_provider_took_without_answering_is_never_sent_twice(
    run, db_path, sms_server, monkeypatch, short_timeout, fault
):
    in_process = run if fault == "late" else None
    clinic = Clinic(run, db_path, 4, channels=("sms",))
    clinic.use_sms(run, sms_server, monkeypatch)
    numbers = [person["phone"] for person in clinic.people]
    sms_server.faults[numbers[1]] = [fault]

    first = clinic.send(run=in_process)
    assert first.code == EXIT_FAILED, str(first)  # an unknown outcome: see the provider's log
    assert clinic.states("sms")[:2] == ["sent", "unknown"]
    assert len(sms_server.to(numbers[1])) == 1  # the provider has it

    for minutes in (15, 30):
        again = clinic.send(minutes, run=in_process)
        assert again.code == EXIT_OK, str(again)
    assert clinic.states("sms") == ["sent", "unknown", "sent", "sent"]
    assert [len(sms_server.to(number)) for number in numbers] == [1, 1, 1, 1]


def test_an_sms_accepted_with_a_reply_cut_short_counts_as_sent(
    run, db_path, sms_server, monkeypatch, short_timeout
):
    clinic = Clinic(run, db_path, 3, channels=("sms",))
    clinic.use_sms(run, sms_server, monkeypatch)
    numbers = [person["phone"] for person in clinic.people]
    sms_server.faults[numbers[0]] = ["stall"]

    assert clinic.send(run=run).code == EXIT_OK
    assert clinic.states("sms") == ["sent"] * 3
    assert clinic.send(15, run=run).code == EXIT_OK
    assert [len(sms_server.to(number)) for number in numbers] == [1, 1, 1]


# -- killed at random moments ---------------------------------------------------------------


def test_sigkill_at_random_points_during_remind_send(
    run, db_path, mailbox, sms_server, monkeypatch
):
    clinic = Clinic(run, db_path, pick(10, 24))
    clinic.use_mail(run, mailbox)
    clinic.use_sms(run, sms_server, monkeypatch)
    rng = random.Random(11)
    kills, started = 0, time.monotonic()
    for attempt in range(pick(12, 60)):
        emails_left = set(clinic.states("email")) != {"sent"}
        if not emails_left and set(clinic.states("sms")) <= {"sent", "unknown"}:
            break
        process = subprocess.Popen(
            [MACLI, "--now", SEND_AT, "remind", "send"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # A random moment; or while the mail server or the SMS provider holds the next
        # message it took, before the run can hear so: the window the guarantees are about.
        server = [mailbox if emails_left else sms_server, None, sms_server, None][attempt % 4]
        if server is None:
            time.sleep(rng.uniform(0, 0.25))
        else:
            server.arrived.clear()
            server.hold = threading.Event()
            wait_for(lambda s=server, p=process: s.arrived.is_set() or p.poll() is not None)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        if server is not None:
            server.hold.set()  # the server answers a client that is gone
            server.hold = None
        stdout, stderr = process.communicate()
        clinic.assert_private(Outcome([], process.returncode, stdout, stderr, started, 0))
        assert process.returncode in (-9, EXIT_OK, EXIT_LEFT_DUE, EXIT_FAILED), stderr
    final = clinic.send(15)
    assert final.code in (EXIT_OK, EXIT_FAILED), str(final)  # 4: SMS with unknown outcome
    assert clinic.send(30).code == EXIT_OK
    assert_sound()

    # E-mail: every reminder arrived; each kill may have sent the one message in flight
    # once more (the documented window), always with the same Message-ID.
    assert clinic.states("email") == ["sent"] * len(clinic.people)
    extra = 0
    for person in clinic.people:
        copies = mailbox.to(person["email"])
        assert copies, person["email"]
        assert len({copy.message["Message-ID"] for copy in copies}) == 1
        extra += len(copies) - 1
    assert extra <= kills
    # SMS: never twice; sent means the provider has it; unknown only after a kill.
    states = clinic.states("sms")
    assert set(states) <= {"sent", "unknown"} and states.count("unknown") <= kills
    for person, state in zip(clinic.people, states, strict=True):
        received = len(sms_server.to(person["phone"]))
        assert received == 1 if state == "sent" else received <= 1
    assert os.path.exists(f"{db_path}.remind-send.lock")
    stored = db_path.read_bytes() + (
        open(f"{db_path}-wal", "rb").read() if os.path.exists(f"{db_path}-wal") else b""
    )
    for secret in SECRETS:
        assert secret.encode() not in stored
