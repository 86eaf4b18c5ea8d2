"""A reminder whose message cannot be built fails with its reason; the run goes on.

Settings refuse line breaks when they are set (tests/reliability/test_hostile_text.py);
these plant one past that check, as a store written by an older macli would hold it."""

from __future__ import annotations

import pytest

from macli import settings
from macli.errors import Invalid
from macli.remind import outbox


def _plant(store, key, value):
    with store.write():
        store.execute(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, '', 't')"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("clinic.name", "Maple\r\nBcc: evil@example.org"),
        ("smtp.from", "Maple\x1b[2J <r@clinic.example.org>"),
        ("clinic.name", "Maple\x1b]0;owned\x07"),
    ],
)
def test_a_header_that_cannot_be_built_fails_that_reminder_only(clinic, mail_server, key, value):
    clinic.use_mail(mail_server)
    clinic.rule("2d", "email")
    clinic.book(clinic.patient("Ana Lima", email="ana@example.org"), "2026-11-28 10:00")
    clinic.book(clinic.patient("Bo Chen", email="bo@example.org"), "2026-11-28 11:00")
    _plant(clinic.store, key, value)

    result = clinic.send("2026-11-26 11:00")  # no traceback: every reminder has an outcome

    assert result.count("failed") == 2
    assert result.exit_code != outbox.EXIT_OK
    assert mail_server.received == []  # nothing was injected, nothing half sent
    rows = clinic.reminders()
    assert {row["status"] for row in rows} == {"failed"}
    assert all("cannot be built" in row["error"] for row in rows)
    # The next cron run does not crash on them again: they are done, not queued.
    assert clinic.send("2026-11-26 12:00").count("failed") == 0


@pytest.mark.parametrize(
    "key", ["clinic.name", "clinic.address", "bill.receiver_name", "smtp.from", "smtp.user"]
)
@pytest.mark.parametrize("value", ["Maple\r\nBcc: x@example.org", "Maple\x1b[2J", "a\tb"])
def test_settings_refuse_control_characters_when_set(store, key, value):
    with pytest.raises(Invalid, match=key):
        settings.put(store, key, value, user="t", now=None)
    assert store.scalar("SELECT count(*) FROM settings WHERE key = ?", [key]) == 0
