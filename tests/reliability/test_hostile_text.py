"""Text that could steer a terminal or a header: refused at every input with the store
unchanged, and shown escaped by every table when it is already in the store."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.reliability.hostile import FUZZ, judge

STEERING = ["\x1b]0;owned\x07", "\x1b[2J", "ab\x08\x08cd", "\x9bm", "\x07", "a\x7fb", "\x1b"]
CONTROL = st.sampled_from([chr(c) for c in (*range(1, 0x20), *range(0x7F, 0xA0))])


def with_control(multiline: bool = False):
    """Text holding at least one control character the field may not take."""
    refused = CONTROL.filter(lambda ch: not multiline or ch not in "\n\t\r")
    return st.tuples(st.text(max_size=12), refused, st.text(max_size=12)).map("".join)


# Every text option and argument a person types, on one-line fields. A plausible
# command for each, with {} where the hostile text goes.
ONE_LINE = [
    "schedule add P000001 --provider chen --at '2026-12-03 10:00' --reason {}",
    "schedule cancel 5216 --reason {}",
    "expense add 12.50 -c supplies:office --vendor {}",
    "expense add 12.50 -c supplies:office --memo {}",
    "chart problem add P000001 --icd E11.9 --note {}",
    "patient add {} --dob 1980-01-01",
    "patient add 'Ana Test' --dob 1980-01-01 --address {}",
    "patient add 'Ana Test' --dob 1980-01-01 --insurance {}",
    "patient edit P000001 --address {}",
    "config set clinic.name {}",
    "config set clinic.phone {}",
    "provider add {} --title MD",
    "stock item add {} --unit box",
    "--user {} patient list",
]
MULTI_LINE = ["chart note add P000001 --text {}"]


def _argv(template: str, value: str) -> list[str]:
    import shlex

    return [value if part == "{}" else part for part in shlex.split(template)]


@FUZZ
@given(command=st.sampled_from(ONE_LINE), value=with_control())
def test_every_one_line_text_input_refuses_control_characters(run, demo_db, command, value):
    result = judge(run, demo_db, _argv(command, value))
    assert result.exit_code in (1, 2), (command, value, result.stdout)


@FUZZ
@given(command=st.sampled_from(MULTI_LINE), value=with_control(multiline=True))
def test_a_multi_line_text_refuses_controls_other_than_line_breaks(run, demo_db, command, value):
    result = judge(run, demo_db, _argv(command, value))
    assert result.exit_code in (1, 2), (command, value, result.stdout)


@pytest.mark.parametrize("command", ONE_LINE)
def test_each_one_line_input_names_what_it_refused(run, demo_db, command):
    result = judge(run, demo_db, _argv(command, "Maple\x1b]0;owned\x07"))
    assert result.exit_code in (1, 2)
    assert "control characters" in result.stderr, result.stderr


def test_a_line_break_in_a_setting_never_reaches_a_header(run, demo_db):
    result = judge(run, demo_db, ["config", "set", "clinic.name", "Maple\r\nBcc: evil@example.org"])
    assert result.exit_code == 2 and "must be one line" in result.stderr


def test_a_note_keeps_its_lines_and_tabs(run, demo_db):
    run(["chart", "note", "add", "P000001", "--text", "Seen today.\r\n\tBP stable."])
    notes = run("chart note list P000001 -f json").stdout
    assert "Seen today.\\n\\tBP stable." in notes


@pytest.mark.parametrize("value", STEERING + ["a\x00b"])
def test_a_note_from_a_file_or_stdin_is_held_to_the_rule(run, demo_db, tmp_path, value):
    path = tmp_path / "note.txt"
    path.write_text(f"Seen today.\n{value}\n", encoding="utf-8")
    result = judge(run, demo_db, ["chart", "note", "add", "P000001", "--file", str(path)])
    assert result.exit_code == 1
    where = "NUL byte on line 2" if "\x00" in value else "control characters"
    assert where in result.stderr
    watcher = sqlite3.connect(demo_db)
    version = watcher.execute("PRAGMA data_version").fetchone()
    result = run(["chart", "note", "add", "P000001"], input=f"Seen.\n{value}".encode(), expect=1)
    assert watcher.execute("PRAGMA data_version").fetchone() == version
    watcher.close()


@pytest.mark.parametrize("value", STEERING)
def test_a_reminder_template_is_held_to_the_rule(run, demo_db, tmp_path, value):
    path = tmp_path / "email.txt"
    path.write_text(f"Subject: Your visit{value}\n\nSee you {{date}}.\n", encoding="utf-8")
    result = judge(run, demo_db, ["remind", "template", "set", "email", "--file", str(path)])
    assert result.exit_code == 1


STATEMENT = "Date,Amount,Description\n2026-11-20,12.50,{}\n2026-11-21,3.00,Coffee\n"
IMPORT = ["expense", "import", "--date-col", "Date", "--amount-col", "Amount", "--desc-col"]


@pytest.mark.parametrize("value", STEERING)
def test_a_bank_statement_loses_its_control_characters(run, demo_db, tmp_path, value):
    path = tmp_path / "card.csv"
    path.write_text(STATEMENT.format(f"STAPLES {value} #12"), encoding="utf-8")
    run([*IMPORT, "Description", str(path)])
    memos = [row[0] for row in sqlite3.connect(demo_db).execute("SELECT memo FROM expenses")]
    assert not any(ch in memo for memo in memos if memo for ch in "\x1b\x07\x08\x9b\x7f")
    assert any(memo.startswith("STAPLES") for memo in memos if memo)


def test_a_bank_statement_with_a_nul_is_refused_with_its_line(run, demo_db, tmp_path):
    path = tmp_path / "card.csv"
    path.write_text(STATEMENT.format("STAPLES\x00 #12"), encoding="utf-8")
    result = judge(run, demo_db, [*IMPORT, "Description", str(path)])
    assert result.exit_code == 1 and "NUL byte on line 2" in result.stderr


PATIENTS = "name,dob,address\nAna Lima,1984-03-02,1 Main St\n{}\n"


@pytest.mark.parametrize(
    ("row", "line", "said"),
    [
        ("Bo Test,1990-01-01,2 Main St\x1b[2J", 3, "control characters"),
        ('Bo Test,1990-01-01,"2 Main St\nApt 3"', 3, "must be one line"),
        ("Bo\x00 Test,1990-01-01,2 Main St", 3, "NUL byte on line 3"),
        ("Bo Test,1990-01-01," + "x" * 10_000_000, 3, "field larger"),
    ],
)
def test_a_patient_import_names_the_line_and_writes_nothing(
    run, demo_db, tmp_path, row, line, said
):
    path = tmp_path / "patients.csv"
    path.write_text(PATIENTS.format(row), encoding="utf-8")
    result = judge(run, demo_db, ["patient", "import", str(path)])
    assert result.exit_code == 1
    assert f"line {line}" in result.stderr and said in result.stderr, result.stderr


def test_a_huge_field_on_line_two_is_reported_on_line_two(run, demo_db, tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("name,dob\nAna," + "1" * 10_000_000 + "\n", encoding="utf-8")
    result = judge(run, demo_db, ["patient", "import", str(path)])
    assert "Error: line 2:" in result.stderr


# -- what is already in the store is shown escaped --------------------------------------

RAW = "\x1b]0;owned\x07\x1b[2J\x08\x9b"


def _plant(db_path) -> None:
    """Control characters written past macli (an old version, a hand-edit in sqlite3)."""
    db = sqlite3.connect(db_path)
    triggers = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        " AND tbl_name IN ('appointments', 'expenses', 'chart_notes')"
    ).fetchall()
    with db:
        for (name,) in triggers:
            db.execute(f'DROP TRIGGER "{name}"')
        db.execute("UPDATE appointments SET reason = ? WHERE id = 5216", [f"pain{RAW}"])
        db.execute("UPDATE expenses SET memo = ?, vendor = ? WHERE id = 115", [RAW, RAW])
        mrn, entry_id = db.execute(
            "SELECT p.mrn, n.entry_id FROM chart_notes n JOIN chart_entries e"
            " ON e.id = n.entry_id JOIN patients p ON p.id = e.patient_id LIMIT 1"
        ).fetchone()
        db.execute("UPDATE chart_notes SET text = ? WHERE entry_id = ?", [f"note{RAW}", entry_id])
        db.execute("UPDATE patients SET address = ? WHERE mrn = ?", [RAW, mrn])
    db.close()
    return mrn


@pytest.mark.parametrize(
    "command",
    [
        "expense list",
        "schedule list",
        "schedule day 2026-11-26",
        "chart show {}",
        "chart note list {}",
    ],
)
def test_tables_show_stored_control_characters_as_escapes(run, demo_db, command):
    mrn = _plant(demo_db)
    shown = run(command.format(mrn)).stdout
    assert not any(ch in shown for ch in "\x1b\x07\x08\x9b"), command
    assert "\\x1b]0;owned\\x07" in shown


# -- every file reader refuses a NUL with its line ---------------------------------------

READERS = [
    ("patients.csv", "name,dob\nAna\x00 Lima,1984-03-02\n", ["patient", "import", "{}"]),
    (
        "card.csv",
        "Date,Amount,Description\n2026-11-20,1.00,A\x00B\n",
        [*IMPORT, "Description", "{}"],
    ),
    (
        "rules.csv",
        "pattern,vendor,category\nSTAPLES\x00,Staples,supplies:office\n",
        [*IMPORT, "Description", "--category-rules", "{}", "{card}"],
    ),
    ("fees.csv", "code,description,fee\n99213,Visit\x00,95.00\n", ["bill", "fees", "import", "{}"]),
    ("stop.csv", "phone,body\n+16175550142,STOP\x00\n", ["remind", "stop-import", "{}"]),
    (
        "sms.txt",
        "Hi {first_name}\n\x00 Reply STOP to opt out\n",
        ["remind", "template", "set", "sms", "--file", "{}"],
    ),
    ("note.txt", "Seen.\nBP\x00 fine\n", ["chart", "note", "add", "P000001", "--file", "{}"]),
]


@pytest.mark.parametrize(("name", "content", "command"), READERS, ids=[r[0] for r in READERS])
def test_every_file_reader_refuses_a_nul_with_its_line(
    run, demo_db, tmp_path, name, content, command
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    card = tmp_path / "ok-card.csv"
    card.write_text("Date,Amount,Description\n2026-11-20,1.00,Coffee\n", encoding="utf-8")
    argv = [part.replace("{}", str(path)).replace("{card}", str(card)) for part in command]
    result = judge(run, demo_db, argv)
    assert result.exit_code == 1
    assert "NUL byte on line 2" in result.stderr, result.stderr
