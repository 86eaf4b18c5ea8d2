"""The demo clinic's reminders: rules, a sent history with transport ids, failures, call
outcomes, today's call list, and no way to send anything from it."""

from __future__ import annotations

import json
import re

from tests.conftest import dump


def test_the_demo_has_reminder_history_and_a_call_list_and_sends_nothing(run, demo_db):
    db = demo_db
    on_demo = ""

    rules = json.loads(run(on_demo + "remind rule list -f json").stdout)
    assert {(r["channel"], r["before"]) for r in rules} == {
        ("email", "2d"),
        ("sms", "1d"),
        ("phone", "2d"),
    }
    log = json.loads(run(on_demo + "remind log -f json").stdout)
    statuses = {(row["channel"], row["status"]) for row in log}
    assert {("email", "sent"), ("email", "failed"), ("sms", "sent"), ("sms", "failed")} <= statuses
    assert {("phone", s) for s in ("reached", "voicemail", "no-answer", "wrong-number")} <= statuses
    for row in log:
        if row["status"] == "sent" and row["channel"] == "email":
            assert re.fullmatch(
                r"<remind\.[0-9a-f.]+@riverside\.example\.org>", row["transport_id"]
            )
        if row["status"] == "sent" and row["channel"] == "sms":
            assert re.fullmatch(r"SM[0-9a-f]{32}", row["transport_id"])
    calls = json.loads(run(on_demo + "remind calls -f json").stdout)
    assert calls and all(call["marked_by"] == "front-desk" for call in calls)
    # As the day goes on, cron's phone run puts the next calls on the list.
    run("--now 2026-11-26T15:00 remind send --channel phone")
    later = json.loads(run("--now 2026-11-26T15:00 remind calls -f json").stdout)
    assert any(call["status"] == "to-call" for call in later)
    # By the afternoon, what came due since the demo's last cron run is waiting to go.
    due = json.loads(run("--now 2026-11-26T17:00 remind due -f json").stdout)
    assert any(row["action"] == "send" for row in due)

    before = dump(db)
    refused = run("--now 2026-11-26T17:00 remind send", expect=1)
    assert "reminders are due but these are not set:" in refused.stderr
    assert dump(db) == before
