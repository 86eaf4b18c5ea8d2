"""Mail security against a real TLS server: STARTTLS and implicit TLS with certificates
from a test CA (trustme), verification on by default, login with the password from
the environment."""

from __future__ import annotations

import socket
import ssl

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from macli.remind import outbox
from tests.servers import LocalController, Mailbox

from .conftest import SMTP_PASSWORD


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    authority = trustme.CA()
    server = authority.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.configure_cert(context)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return context, ca_file


def check_login(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"clinic", SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def start_server(**options):
    mailbox = Mailbox()
    controller = LocalController(mailbox, hostname="127.0.0.1", port=0, **options)
    controller.start()
    mailbox.port = controller.port
    return mailbox, controller


@pytest.fixture
def starttls_server(certificates):
    context, _ = certificates
    mailbox, controller = start_server(
        tls_context=context, require_starttls=True, authenticator=check_login
    )
    yield mailbox
    controller.stop()


@pytest.fixture
def tls_server(certificates):
    context, _ = certificates
    mailbox, controller = start_server(ssl_context=context)
    yield mailbox
    controller.stop()


def one_reminder(clinic):
    clinic.rule("2d", "email")
    clinic.book(clinic.patient("Ana García", email="ana@example.org"), "2026-11-28 10:00")


def test_starttls_verifies_the_certificate_and_logs_in(
    clinic, starttls_server, certificates, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates[1]))  # trust the test CA
    monkeypatch.setenv("MACLI_SMTP_PASSWORD", SMTP_PASSWORD)
    clinic.use_mail(starttls_server, **{"smtp.security": "starttls", "smtp.user": "clinic"})
    one_reminder(clinic)

    result = clinic.send("2026-11-26 10:00")

    assert result.exit_code == outbox.EXIT_OK
    assert len(starttls_server.received) == 1


def test_an_untrusted_certificate_is_refused_unless_verification_is_turned_off(
    clinic, starttls_server, monkeypatch
):
    monkeypatch.setenv("MACLI_SMTP_PASSWORD", SMTP_PASSWORD)
    clinic.use_mail(starttls_server, **{"smtp.security": "starttls", "smtp.user": "clinic"})
    one_reminder(clinic)

    refused = clinic.send("2026-11-26 10:00")
    assert refused.exit_code == outbox.EXIT_LEFT_DUE
    assert [o.summary for o in refused.outcomes] == ["certificate not trusted"]
    assert starttls_server.received == []

    clinic.use_mail(
        starttls_server,
        **{"smtp.security": "starttls", "smtp.user": "clinic", "smtp.verify": "no"},
    )
    assert clinic.send("2026-11-26 10:05").count("sent") == 1


def test_a_wrong_password_leaves_the_reminders_due_and_is_never_shown(
    clinic, starttls_server, certificates, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates[1]))
    monkeypatch.setenv("MACLI_SMTP_PASSWORD", "wrong-password-1234")
    clinic.use_mail(starttls_server, **{"smtp.security": "starttls", "smtp.user": "clinic"})
    one_reminder(clinic)

    result = clinic.send("2026-11-26 10:00")

    assert result.exit_code == outbox.EXIT_LEFT_DUE
    assert [o.summary for o in result.outcomes] == ["login refused (SMTP 535)"]
    [row] = clinic.reminders()
    assert row["status"] == "deferred"
    assert "wrong-password-1234" not in str(row) and "wrong-password-1234" not in str(result)


def test_a_user_without_the_password_in_the_environment_is_a_setup_error(clinic, starttls_server):
    from macli.errors import Invalid

    clinic.use_mail(starttls_server, **{"smtp.user": "clinic"})
    one_reminder(clinic)

    with pytest.raises(Invalid, match="MACLI_SMTP_PASSWORD"):
        clinic.send("2026-11-26 10:00")
    assert clinic.reminders() == []


def test_implicit_tls_with_a_trusted_certificate(clinic, tls_server, certificates, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates[1]))
    clinic.use_mail(tls_server, **{"smtp.security": "tls"})
    one_reminder(clinic)

    assert clinic.send("2026-11-26 10:00").count("sent") == 1
    assert len(tls_server.received) == 1


def test_a_server_that_never_answers_times_out():
    from macli.remind import transports

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # takes the connection, never sends the greeting
        mail = transports.MailTransport(
            "127.0.0.1", silent.getsockname()[1], security="none", timeout=0.2
        )
        with pytest.raises(transports.TemporaryFailure) as failure:
            with mail:
                pass
    assert failure.value.summary == "timed out"
    assert failure.value.stop
