"""The schedule commands as the front desk and scripts use them: output, formats,
and every bad input answered with one Error line, its exit code and no change."""

from __future__ import annotations

import csv
import io
import json

import click
import pytest

from macli.cli import cli
from tests.conftest import dump


@pytest.fixture
def booked(run, clinic):
    """Two appointments on Tuesday 2026-12-01 with Dr. Chen."""
    first = run(
        f"schedule add {clinic['ana']} --provider chen --at '2026-12-01 09:00' --type follow-up --room 'Exam 1' --reason 'knee pain' -q"
    )
    second = run(
        f"schedule add {clinic['bo']} --provider chen --at '2026-12-01 10:00' --duration 30 -q"
    )
    return int(first.stdout), int(second.stdout)


def test_add_says_what_was_booked_and_scripts_get_the_ids(run, clinic, store):
    result = run(
        f"schedule add {clinic['ana']} --provider chen --at 'tue 9:00' --type follow-up"
        " --room 'Exam 1'"
    )
    [appointment_id] = store.query("SELECT id FROM appointments")
    assert result.stdout == (
        f"Booked {appointment_id['id']}: Ana García ({clinic['ana']}) with Dr. Ana Chen,"
        " Tue 2026-12-01 09:00-09:20, follow-up, Exam 1.\n"
    )
    quiet = run(f"schedule add {clinic['ana']} --provider chen --at 'tue 10:00' --duration 20 -q")
    assert quiet.stdout.strip().isdigit()
    [record] = json.loads(
        run(
            f"schedule add {clinic['ana']} --provider chen --at 'tue 11:00' --duration 20 -f json"
        ).stdout
    )
    assert (record["mrn"], record["provider"], record["date"], record["start"]) == (
        clinic["ana"],
        "Dr. Ana Chen",
        "2026-12-01",
        "11:00",
    )
    series = run(
        "schedule add 'bo smith' --provider okafor --at '2026-12-02 15:00' --type vaccine"
        " --repeat 'FREQ=WEEKLY;COUNT=3'"
    )
    assert [line.split(",")[1] for line in series.stdout.splitlines()] == [
        " Wed 2026-12-02 15:00-15:10",
        " Wed 2026-12-09 15:00-15:10",
        " Wed 2026-12-16 15:00-15:10",
    ]
    ids = [
        int(line)
        for line in run(
            "schedule add 'bo smith' --provider okafor --at '2026-12-03 15:00' --type vaccine"
            " --repeat 'FREQ=WEEKLY;COUNT=3' -q"
        ).stdout.split()
    ]
    assert len(ids) == 3
    assert (
        store.scalar(
            "SELECT COUNT(DISTINCT series_id) FROM appointments WHERE series_id IS NOT NULL"
        )
        == 2
    )


@pytest.mark.parametrize(
    "args, code, message",
    [
        (
            "{ana} --provider chen --at '2026-12-01 09:10' --duration 20",
            1,
            "Error: cannot book the appointment:\n  2026-12-01 09:10-09:30: Dr. Ana Chen already has appointment",
        ),
        (
            "{cy} --provider chen --at 'next tuesday 9:00' --duration 20",
            1,
            "Error: cannot read date 'next tuesday'",
        ),
        (
            "{cy} --provider chen --at '2027-03-14 02:30' --duration 20",
            1,
            "Error: 2027-03-14 02:30 does not exist in America/New_York",
        ),
        (
            "{cy} --provider chen --at '2026-12-01 09:40' --duration 20 --force",
            2,
            "Error: --force needs --why TEXT",
        ),
        (
            "{cy} --provider chen --at '2026-12-01 09:40' --duration 20 --why because",
            2,
            "Error: --why goes with --force",
        ),
        (
            "{cy} --provider chen --at '2026-12-01 11:00' --duration abc",
            2,
            "'abc' is not a valid integer",
        ),
        (
            "{cy} --provider nobody --at '2026-12-01 11:00' --duration 20",
            1,
            "Error: no provider matches 'nobody'",
        ),
        (
            "P999999 --provider chen --at '2026-12-01 11:00' --duration 20",
            1,
            "Error: no patient with MRN P999999",
        ),
        (
            "{cy} --provider chen --at '2026-12-01 11:00'",
            2,  # a usage mistake (issue 21 item 16)
            "Error: give --duration MINUTES or --type TYPE",
        ),
        (
            "{cy} --provider chen --at '2026-12-01 11:00' --type physical",
            1,
            "Error: no appointment type 'physical' (known: follow-up, new patient, vaccine)",
        ),
        (
            "{cy} --provider chen --at '2026-12-01 11:00' --duration 600",
            1,
            "Error: a length of 600 minutes is not possible",
        ),
        (
            "{cy} --provider chen --at '2026-12-01 11:00' --duration 20 --repeat 'FREQ=DAILY'",
            1,
            "Error: the rule 'FREQ=DAILY' never ends",
        ),
        (
            "{cy} --provider chen --at '2026-12-01 11:00' --duration 20 --room 'Closet'",
            1,
            "Error: no room 'Closet'",
        ),
    ],
)
def test_bad_bookings_get_one_error_and_change_nothing(
    run, clinic, booked, db_path, args, code, message
):
    before = dump(db_path)
    result = run("schedule add " + args.format(**clinic), expect=code)
    assert message in result.stderr
    assert result.stdout == ""
    assert dump(db_path) == before


def test_force_books_and_warns_on_stderr(run, clinic, booked):
    result = run(
        f"schedule add {clinic['cy']} --provider chen --at '2026-12-01 09:00' --duration 20"
        " --force --why 'doctor squeezes her in' -q"
    )
    assert result.stdout.strip().isdigit()
    assert result.stderr.startswith(
        "Booked despite: 2026-12-01 09:00-09:20: Dr. Ana Chen already has"
    )
    audit_rows = json.loads(run("audit list -f json").stdout)
    assert "doctor squeezes her in" in audit_rows[-1]["detail"]


def test_list_formats_have_stable_columns(run, clinic, booked):
    table = run("schedule list --date 2026-12-01").stdout
    assert table.splitlines()[0].split() == [
        "id",
        "date",
        "start",
        "end",
        "provider",
        "patient",
        "mrn",
        "type",
        "room",
        "status",
        "reason",
    ]
    assert "Ana García" in table and "knee pain" in table
    rows = json.loads(run("schedule list --date 2026-12-01 -f json").stdout)
    assert [(r["start"], r["end"], r["starts_at"], r["minutes"]) for r in rows] == [
        ("09:00", "09:20", "2026-12-01T14:00:00Z", 20),
        ("10:00", "10:30", "2026-12-01T15:00:00Z", 30),
    ]
    empty = run("schedule list -f csv").stdout  # today has nothing
    assert next(csv.reader(io.StringIO(empty)))[:4] == ["id", "date", "start", "end"]
    assert run("schedule list").stdout == "No appointments.\n"
    assert len(run(f"schedule list --patient {clinic['ana']} -f jsonl").stdout.splitlines()) == 1
    run("schedule list --date today --from tomorrow", expect=2)


def test_show_one_appointment(run, booked):
    record = json.loads(run(f"schedule show {booked[0]} -f json").stdout)
    assert (record["patient"], record["room"], record["type"]) == (
        "Ana García",
        "Exam 1",
        "follow-up",
    )
    assert run("schedule show 999", expect=1).stderr == "Error: no appointment with id 999\n"


def test_day_sheet_table_and_data(run, booked):
    table = run("schedule day 2026-12-01 --provider chen").stdout
    lines = table.splitlines()
    assert lines[0] == "Dr. Ana Chen · Tue 2026-12-01 · tue 08:00-12:00,13:00-17:00"
    assert any("(open 60 min)" in line and line.startswith("08:00") for line in lines)
    rows = json.loads(run("schedule day 2026-12-01 -f json").stdout)
    kinds = [(r["provider"], r["kind"], r["start"]) for r in rows]
    assert ("Dr. Ana Chen", "appointment", "09:00") in kinds
    assert ("Dr. Ben Okafor", "open", "08:00") in kinds
    assert run("schedule day 2026-12-05").stdout.startswith(
        "Dr. Ana Chen · Sat 2026-12-05 · sat off"
    )


def test_week_and_free(run, booked):
    week = list(
        csv.DictReader(io.StringIO(run("schedule week 2026-12-01 --provider chen -f csv").stdout))
    )
    assert [row["appointments"] for row in week] == ["0", "2", "0", "0", "0", "0", "0"]
    free = run("schedule free --provider chen --date 2026-12-01 --duration 60 -f json").stdout
    assert [(r["start"], r["end"]) for r in json.loads(free)] == [
        ("08:00", "09:00"),
        ("10:30", "12:00"),
        ("13:00", "17:00"),
    ]
    assert (
        run("schedule free --provider chen --date 2026-12-05 --duration 20").stdout
        == "No open time found on Sat 2026-12-05; search more days with --days N.\n"
    )
    assert (
        "Error: --days must be between 1 and 366"
        in run("schedule free --provider chen --duration 20 --days 0", expect=1).stderr
    )


def test_move_cancel_and_status(run, clinic, booked, db_path):
    first, second = booked
    assert (
        run(f"schedule move {first} --at '2026-12-01 11:00'").stdout
        == f"Moved appointment {first}.\n"
    )
    before = dump(db_path)
    refused = run(f"schedule move {first} --at '2026-12-01 10:10'", expect=1)
    assert f"already has appointment {second}" in refused.stderr
    assert (
        run("schedule move 999 --at '2026-12-01 10:10'", expect=1).stderr
        == "Error: no appointment with id 999\n"
    )
    assert dump(db_path) == before
    assert (
        run(f"schedule cancel {second} --reason 'called in'").stdout
        == f"Cancelled appointment {second}.\n"
    )
    assert run(f"schedule move {second} --at '2026-12-01 15:00'", expect=1).stderr.startswith(
        f"Error: appointment {second} is cancelled"
    )
    today = int(
        run(
            f"schedule add {clinic['cy']} --provider chen --at 'today 10:00' --duration 20 -q"
        ).stdout
    )
    assert (
        run(f"schedule status {today} arrived").stdout
        == f"Appointment {today}: arrived at 09:00.\n"
    )
    run(f"schedule status {today} gone", expect=2)


def test_hours_show_set_and_errors(run, clinic, db_path):
    assert "tue    08:00-12:00,13:00-17:00" in run("schedule hours chen").stdout
    out = run("schedule hours okafor --set 'mon-thu 08:00-17:00; fri 08:00-12:00'").stdout
    assert out == "Dr. Ben Okafor works mon-thu 08:00-17:00; fri 08:00-12:00.\n"
    before = dump(db_path)
    assert run("schedule hours okafor --set 'mon-fri 9-5'", expect=1).stderr.startswith(
        "Error: cannot read the times '9-5'"
    )
    run("schedule hours okafor --set 'mon 08:00-09:00' --clear", expect=2)
    assert dump(db_path) == before
    assert (
        run("schedule hours okafor --clear").stdout == "Dr. Ben Okafor has no working hours now.\n"
    )


def test_block_lists_appointments_inside_and_unblock(run, booked):
    out = run(
        "schedule block chen --from '2026-12-01 09:30' --to '2026-12-01 12:00' --reason training"
    ).stdout
    assert "(block 1)" in out
    assert f"appointment {booked[1]} at 2026-12-01 10:00" in out
    assert "training" in run("schedule blocks").stdout
    assert run("schedule unblock 1").stdout == "Removed block 1.\n"
    assert run("schedule unblock 1", expect=1).stderr == "Error: no block with id 1\n"
    assert run("schedule block chen --from 2026-12-02 --to 2026-12-01", expect=1).stderr == (
        "Error: the block must end after it starts\n"
    )


def test_types_and_rooms(run, clinic, db_path):
    assert (
        run("schedule type add 'Flu shot' --duration 10").stdout
        == "Added type 'Flu shot' (10 min).\n"
    )
    before = dump(db_path)
    assert "already exists" in run("schedule type add 'flu SHOT' --duration 10", expect=1).stderr
    assert "not possible" in run("schedule type add 'long' --duration 900", expect=1).stderr
    assert dump(db_path) == before
    run("schedule type edit flu --inactive")
    assert "Flu shot" not in run("schedule types").stdout
    assert "Flu shot" in run("schedule types --all").stdout
    refused = run(
        f"schedule add {clinic['ana']} --provider chen --at '2026-12-01 09:00' --type flu", expect=1
    )
    assert refused.stderr == "Error: the appointment type 'Flu shot' is retired\n"
    run("schedule room add 'Exam 3'")
    assert "already exists" in run("schedule room add 'exam 3'", expect=1).stderr
    run("schedule room edit 'Exam 3' --inactive")
    rooms = json.loads(run("schedule rooms -f json").stdout)
    assert [(r["name"], r["active"]) for r in rooms] == [
        ("Exam 1", 1),
        ("Exam 2", 1),
        ("Exam 3", 0),
    ]
    refused = run(
        f"schedule add {clinic['ana']} --provider chen --at '2026-12-01 09:00' --duration 20 --room 'exam 3'",
        expect=1,
    )
    assert refused.stderr == "Error: the room 'Exam 3' is out of use\n"


def test_export_refuses_a_backwards_range_and_writes_nothing(run, booked, tmp_path, db_path):
    before = dump(db_path)
    target = tmp_path / "out.ics"
    result = run(f"schedule export --from 2026-12-31 --to 2026-12-01 -o {target}", expect=1)
    assert result.stderr == "Error: --to 2026-12-01 is before --from 2026-12-31\n"
    assert not target.exists()
    assert dump(db_path) == before


def test_every_command_has_an_example():
    group = cli.get_command(click.Context(cli), "schedule")
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        subcommands = command.commands.values() if isinstance(command, click.Group) else [command]
        for sub in subcommands:
            assert "Example:" in sub.help, f"schedule {name} {sub.name}"


def test_free_without_a_length_is_a_usage_mistake(run, clinic):
    # issue 21 item 16: exit 2, as click's own usage errors.
    result = run("schedule free --provider chen --date mon", expect=2)
    assert "Error: give --duration MINUTES or --type TYPE" in result.stderr


def test_a_visit_past_its_start_not_checked_in_is_late_then_not_arrived(run, booked):
    first, second = booked  # Tuesday 2026-12-01 09:00 (20 min) and 10:00 (30 min)

    def arrival(now):
        rows = json.loads(run(f"--now '{now}' schedule day 2026-12-01 -f json").stdout)
        return {row["id"]: row["arrival"] for row in rows if row["kind"] == "appointment"}

    assert arrival("2026-12-01T08:55") == {first: None, second: None}
    assert arrival("2026-12-01T09:25") == {first: "late 25 min", second: None}
    assert arrival("2026-12-01T09:30") == {first: "not arrived", second: None}
    table = run("--now '2026-12-01T10:05' schedule day 2026-12-01 --provider chen").stdout
    assert "scheduled, not arrived" in table
    assert "scheduled, late 5 min" in table
    run(f"--now '2026-12-01T10:06' schedule status {second} arrived")
    assert arrival("2026-12-01T17:40") == {first: "not arrived", second: None}


def test_free_without_a_provider_lists_each_providers_first_open_time(run, booked):
    rows = json.loads(run("schedule free --date 2026-12-01 --duration 20 -f json").stdout)
    by_provider = {}
    for row in rows:
        by_provider.setdefault(row["provider"], []).append(row["start"])
    assert by_provider == {
        "Dr. Ana Chen": ["08:00", "09:20", "10:30"],
        "Dr. Ben Okafor": ["08:00"],
    }


def test_free_that_finds_nothing_says_what_it_searched(run, clinic):
    result = run("schedule free --provider chen --date 2026-12-05 --duration 20")
    assert result.stdout == (
        "No open time found on Sat 2026-12-05; search more days with --days N.\n"
    )
    found = run("schedule free --provider chen --date 2026-12-05 --duration 20 --days 3")
    assert "2026-12-07" in found.stdout
