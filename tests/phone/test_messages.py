"""Phone messages through the CLI: take, forward, call back, close, reopen; due times."""

import json

import pytest

from tests.conftest import dump

# NOW (tests/conftest.py) is Thursday 2026-11-26 09:00 in America/New_York.


@pytest.fixture
def desk(run):
    run("config set clinic.timezone America/New_York")
    run("provider add 'Dr. Maya Chen'")
    run("provider add 'Dr. Ben Okafor'")
    run("schedule hours chen --set 'mon-fri 08:00-17:00'")
    run("schedule hours okafor --set 'mon-thu 09:00-18:00; fri 09:00-13:00'")
    run("patient add 'Ana García' --dob 1984-03-02 --phone '(401) 555-0148'")


def take(run, extra="", now=None, patient="garcia", expect=0):
    clock = f"--now '{now}' " if now else ""
    result = run(
        f"{clock}phone take {patient} --caller 'Ana García' --number 401-555-0148"
        f" --reason results --note 'Did my blood test results come back?' {extra}",
        expect=expect,
    )
    return result


def message(run, message_id, now=None):
    clock = f"--now '{now}' " if now else ""
    return json.loads(run(f"{clock}phone show {message_id} -f json").stdout)


def test_take_forward_callbacks_close_with_history(run, desk, store):
    taken = take(run, "--for chen --identity-verified")
    assert taken.stdout == "1\n"
    assert "Due by 2026-11-26 18:00 (Dr. Maya Chen)" in taken.stderr  # the latest closing
    run(
        "--now '2026-11-26 10:00' phone forward 1 --to front-desk --note 'Results normal; tell her'"
    )
    run("--now '2026-11-26 10:30' phone callback 1 --outcome no-answer")
    run("--now '2026-11-26 11:30' phone callback 1 --outcome voicemail --note 'Left a message'")
    out = run("--now '2026-11-26 14:00' phone callback 1 --outcome reached").stdout
    assert out == "Message 1: attempt 3 (reached).\n"
    run("--now '2026-11-26 14:01' phone close 1 --resolution 'Told her the results are normal'")
    shown = message(run, 1)
    assert shown["status"] == "closed" and shown["for"] == "front desk"
    assert shown["identity_verified"] is True
    assert shown["note"] == "Did my blood test results come back?"
    assert [(e["kind"], e["outcome"], e["to"]) for e in shown["history"]] == [
        ("forward", None, "front desk"),
        ("callback", "no-answer", None),
        ("callback", "voicemail", None),
        ("callback", "reached", None),
        ("close", None, None),
    ]
    assert shown["history"][-1]["note"] == "Told her the results are normal"
    # Reopening keeps the whole history and makes it due again.
    out = run("--now '2026-11-26 16:00' phone reopen 1 --why 'She called: wants a copy'").stdout
    assert out == "Reopened message 1, due by 2026-11-27 12:00.\n"  # after the cut-off
    assert [e["kind"] for e in message(run, 1)["history"]][-2:] == ["close", "reopen"]
    actions = [row["action"] for row in store.query("SELECT action FROM audit ORDER BY id")]
    for action in ("phone.take", "phone.forward", "phone.callback", "phone.close", "phone.view"):
        assert action in actions


def test_messages_and_attempts_are_append_only(run, desk, store):
    import sqlite3

    take(run)
    run("phone callback 1 --outcome voicemail")
    for sql in (
        "UPDATE phone_messages SET note = 'x'",
        "DELETE FROM phone_messages",
        "UPDATE phone_events SET outcome = 'reached'",
        "DELETE FROM phone_events",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute(sql)


@pytest.mark.parametrize(
    "now, due",
    [
        ("2026-11-26 09:00", "2026-11-26 18:00"),  # Thursday before the cut-off: today's close
        ("2026-11-26 14:59", "2026-11-26 18:00"),
        ("2026-11-26 15:00", "2026-11-27 12:00"),  # at the cut-off: noon of the next open day
        ("2026-11-27 14:00", "2026-11-27 17:00"),  # Friday: Chen works until 17:00
        ("2026-11-27 15:30", "2026-11-30 12:00"),  # Friday afternoon: Monday noon
        ("2026-11-28 10:00", "2026-11-30 12:00"),  # Saturday (closed): Monday noon
        ("2026-11-26 18:30", "2026-11-27 12:00"),  # after closing time
    ],
)
def test_due_times_follow_the_cutoff_and_the_schedule(run, desk, now, due):
    take(run, now=now)
    assert message(run, 1, now=now)["due_at"] == _utc(due)


def test_a_closed_day_is_skipped(run, desk):
    # Both providers take Friday off (a holiday): a Thursday-evening message waits for Monday.
    for provider in ("chen", "okafor"):
        run(
            f"schedule block {provider} --from '2026-11-27 00:00' --to '2026-11-28 00:00'"
            " --reason holiday"
        )
    take(run, now="2026-11-26 16:00")
    assert message(run, 1)["due_at"] == _utc("2026-11-30 12:00")


def test_the_cutoff_is_a_setting(run, desk):
    run("config set phone.cutoff 12:00")
    take(run, now="2026-11-26 12:30")
    assert message(run, 1)["due_at"] == _utc("2026-11-27 12:00")


def test_urgent_is_due_within_the_hour_and_callback_by_is_kept(run, desk):
    take(run, "--urgent")
    assert message(run, 1)["due_at"] == _utc("2026-11-26 10:00")
    assert message(run, 1)["flag"] == "urgent"
    take(run, "--callback-by 'tomorrow 10:00'")
    assert message(run, 2)["due_at"] == _utc("2026-11-27 10:00")


def test_emergency_words_print_the_instruction_and_mark_urgent(run, desk):
    result = run(
        "phone take garcia --caller 'Ana García' --number 401-555-0148 --reason symptoms"
        " --note 'Since this morning she has CHEST PAIN and feels short of breath'"
    )
    assert result.stdout == "1\n"
    assert "chest pain, short of breath" in result.stderr
    assert "call 911" in result.stderr
    shown = message(run, 1)
    assert shown["flag"] == "emergency"
    assert shown["due_at"] == _utc("2026-11-26 10:00")
    run("config set phone.emergency_text 'Get Dr Chen now (ext. 12).'")
    run("config set phone.emergency_words 'dolor de pecho, chest pain'")
    again = take(run, "--reason symptoms --note 'Tiene dolor de pecho'")
    assert "Get Dr Chen now (ext. 12)." in again.stderr
    assert "short of breath" not in take(run, "--note 'short of breath'").stderr


def test_listings_put_overdue_first_and_cut_notes(run, desk):
    take(run, "--for chen --note 'One two three four five six seven eight'")  # due 18:00
    take(run, "--urgent")  # due 10:00
    take(run)
    run("phone close 3 --resolution done")
    rows = json.loads(run("--now '2026-11-26 11:00' phone list -f json").stdout)
    assert [(r["id"], r["status"]) for r in rows] == [(2, "overdue"), (1, "open"), (3, "closed")]
    assert rows[1]["summary"] == "One two three four five six …"
    assert "note" not in rows[0]
    assert (
        run("--now '2026-11-26 11:00' phone list --overdue -f csv")
        .stdout.splitlines()[1]
        .startswith("2,overdue,urgent")
    )
    assert [r["id"] for r in json.loads(run("phone list --for chen -f json").stdout)] == [1]
    assert [r["id"] for r in json.loads(run("phone list --open -f json").stdout)] == [2, 1]
    assert len(json.loads(run("phone list --patient 'garcia' -f json").stdout)) == 3
    table = run("phone list").stdout
    assert "One two three four five six …" in table and "seven" not in table
    assert run("phone list --for okafor").stdout == "No messages.\n"


def test_overdue_messages_on_the_day_sheet_per_person(run, desk):
    take(run, "--for chen --urgent")
    take(run, "--for okafor --urgent")
    take(run)  # due tonight: not overdue at 11:00
    sheet = run("--now '2026-11-26 11:00' today").stdout
    assert "Phone messages overdue (2)" in sheet
    assert "For Dr. Ben Okafor (1)" in sheet and "For Dr. Maya Chen (1)" in sheet
    mine = run("--now '2026-11-26 11:00' today --provider chen").stdout
    assert "For Dr. Maya Chen (1)" in mine and "Okafor (1)" not in mine
    data = json.loads(run("--now '2026-11-26 11:00' today -f json").stdout)
    assert [m["id"] for m in data["messages"]] == [2, 1]
    assert "Phone messages: none overdue." in run("today").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        ("--reason gossip", "Invalid value for '--reason'"),
        ("--callback-by '2026-11-25 10:00'", "is in the past"),
        ("--for nobody", "provider"),
        ("--for ''", "say who the message is for"),
        ("--number 12", "phone number"),
        ("--note ''", "the note may not be empty"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_written(run, desk, db_path, args, message):
    before = dump(db_path)
    result = run(
        "phone take garcia --caller Ana --number 401-555-0148 --reason results"
        f" --note 'Hello' {args}",
        expect=None,
    )
    assert result.exit_code in (1, 2)
    assert message in result.stderr
    if result.exit_code == 1:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert dump(db_path) == before


@pytest.mark.parametrize(
    "args, message",
    [
        ("phone close 1 --resolution done", "message 1 is already closed"),
        ("phone callback 1 --outcome reached", "reopen it before"),
        ("phone forward 1 --to chen", "reopen it before"),
        ("phone close 1 --resolution ''", "the resolution may not be empty"),
        ("phone reopen 2 --why again", "message 2 is open"),
        ("phone forward 2 --to ''", "say who the message is for"),
        ("phone forward 2 --to front-desk", "already for front desk"),
        ("phone show 9", "no phone message 9"),
    ],
)
def test_bad_steps_are_refused_and_nothing_is_written(run, desk, db_path, args, message):
    take(run)
    take(run)
    run("phone close 1 --resolution done")
    before = dump(db_path)
    result = run(args, expect=1)
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert dump(db_path) == before


def test_a_message_without_a_patient(run, desk):
    run(
        "phone take --caller 'CVS Pharmacy' --relation pharmacy --number 401-555-0199"
        " --reason refill --note 'Needs the prescriber to confirm a dose'"
    )
    assert message(run, 1)["mrn"] is None


def _utc(local):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from macli.when import utc_text

    return utc_text(datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("America/New_York")))
