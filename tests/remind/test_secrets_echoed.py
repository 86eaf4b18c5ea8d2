"""A provider that repeats the credentials in its error gets none of them stored or shown:
plain, base64 (any alignment, either alphabet) or URL-encoded."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from macli.remind import outbox
from macli.text import redact

from .conftest import SMS_ACCOUNT, SMS_TOKEN, basic_auth


def _forms(secret: str, account: str = "AC1") -> list[str]:
    pair = f"{account}:{secret}".encode()
    return [
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(pair).decode(),
        base64.urlsafe_b64encode(pair).decode(),
        base64.b64encode(b"\0user\0" + secret.encode()).decode(),  # SMTP AUTH PLAIN
        base64.b64encode(secret.encode()).decode(),  # SMTP AUTH LOGIN
    ]


ECHOES = [
    lambda token: f"Authorization: {basic_auth(SMS_ACCOUNT, token)}",
    lambda token: f"bad token {token}",
    lambda token: f"https://api.example.org/x?token={quote_plus(token)}",
    lambda token: f"token%3D{quote(quote(token, safe=''), safe='')}",
]


@pytest.mark.parametrize("echo", ECHOES)
def test_an_echoed_credential_is_not_stored_or_shown(clinic, sms_server, run, echo):
    clinic.use_sms(sms_server)
    clinic.rule("2d", "sms")
    ana = clinic.patient("Ana Lima", phone="617-555-0142")
    clinic.book(ana, "2026-11-28 10:00")
    sms_server.replies["+16175550142"] = [
        (400, {"code": 21999, "message": echo(SMS_TOKEN), "more_info": echo(SMS_TOKEN)})
    ]

    result = clinic.send("2026-11-26 10:00")

    assert result.exit_code != outbox.EXIT_OK
    shown = " ".join(o.summary for o in result.outcomes)
    stored = " ".join(str(row["error"]) for row in clinic.reminders())
    assert "[secret]" in stored
    for text in (shown, stored, "\n".join(clinic.store.conn.iterdump())):
        for form in _forms(SMS_TOKEN, SMS_ACCOUNT):
            assert form not in text


SECRET = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=8, max_size=40
)


@given(secret=SECRET, before=st.text(max_size=20), after=st.text(max_size=20))
def test_every_form_of_a_secret_is_taken_out(secret, before, after):
    for form in _forms(secret):
        cleaned = redact(before + form + after, [secret])
        assert secret not in cleaned
        core = base64.b64encode(secret.encode()).decode()[2:-4]
        if len(core) >= 6:
            assert core not in cleaned


def test_text_without_a_secret_is_left_alone():
    assert redact("HTTP 400 error 21211: invalid number", ["s3cret-token"]) == (
        "HTTP 400 error 21211: invalid number"
    )
    assert redact(None, ["x"]) is None
