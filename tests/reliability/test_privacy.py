"""Privacy and access: private files whatever the umask, secrets that never show, an
audit chain that catches any tampering, and a `macli sql` that cannot change anything."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import threading

import click
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from macli.cli import cli
from macli.migrations import open_store
from tests.reliability.harness import macli
from tests.reliability.hostile import FUZZ, argv_text, judge

SMTP_PASSWORD = "smtp-Pa55-7f3a9c-never-shown"
SMS_TOKEN = "sms-T0ken-91c2e4-never-shown"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def permissive_umask():
    """umask 000: any file not created private on purpose would be world-readable."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_store_backups_and_exports_are_private_whatever_the_umask(
    permissive_umask, db_path, tmp_path
):
    db_path.unlink()  # the demo is written where no store is yet
    demo = macli("demo", "--db", str(db_path))  # every area has data to write out
    assert demo.ok, str(demo)
    # While a connection is open, the WAL and shared-memory files exist: see them too.
    opened = open_store(db_path)
    opened.execute("SELECT COUNT(*) FROM patients").fetchone()
    written = {"store": db_path, "wal": f"{db_path}-wal", "shm": f"{db_path}-shm"}
    fresh = tmp_path / "fresh.db"  # a store made by macli init, migration lock and all
    assert macli("init", "--db", str(fresh)).ok
    written |= {"fresh store": fresh, "migration lock": f"{fresh}.lock"}
    (tmp_path / "old-export.csv").write_text("stale")
    os.chmod(tmp_path / "old-export.csv", 0o644)  # an earlier file, readable by all
    receipt = opened.scalar("SELECT id FROM expenses WHERE receipt_sha256 IS NOT NULL")
    outputs = {
        "backup.db": ["backup"],
        "old-export.csv": ["patient", "export", "-f", "csv", "-o"],
        "patients.jsonl": ["export", "patients", "-f", "jsonl", "-o"],
        "calendar.ics": ["schedule", "export", "--from", "2026-11-01", "--to", "2026-12-31", "-o"],
        "chart.json": ["chart", "export", "P000001", "--fhir", "-o"],
        "expenses.csv": ["expense", "export", "-o"],
        "expenses.ledger": ["expense", "export", "--ledger", "-o"],
        "claims.csv": ["bill", "export", "-f", "csv", "-o"],
        "claims.837": ["bill", "export", "--x12", "--ready", "-o"],
    }
    if receipt:
        outputs["receipt"] = ["expense", "receipt", str(receipt), "-o"]
    for name, args in outputs.items():
        outcome = macli(*args, str(tmp_path / name))
        assert outcome.ok, str(outcome)
        written[name] = tmp_path / name
    assert macli("export", "all", "-o", str(tmp_path / "all")).ok
    for file in (tmp_path / "all").iterdir():
        written[f"all/{file.name}"] = file
    macli("remind", "send")  # refuses (no mail server set up) but takes its lock first
    if os.path.exists(f"{db_path}.remind-send.lock"):
        written["remind lock"] = f"{db_path}.remind-send.lock"
    modes = {name: oct(mode(path)) for name, path in written.items()}
    opened.close()
    assert modes == {name: "0o600" for name in written}
    assert mode(tmp_path / "all") == 0o700


def every_command(group=cli, path=()):
    """(path, command) for every command macli has, groups included."""
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


# Real invocations, each run with the secrets in the environment: successes and failures.
INVOCATIONS = [
    "config list",
    "config list -f json",
    "config get smtp.user",
    "config set smtp.user clinic@example.org",
    "config set smtp.password hunter2",
    "config set sms.url not-a-url",
    "patient add 'Ana Lima' --dob 1984-03-02 --email ana@example.org --consent email,sms",
    "patient list -f csv",
    "patient show ana",
    "patient show nobody",
    "audit list",
    "audit verify",
    "check",
    "sql 'SELECT * FROM settings'",
    "sql 'DELETE FROM settings'",
    "export all -f json -o {tmp}/exported",
    "backup {tmp}/backup.db",
    "demo --db {tmp}/demo.db",
]


def test_secrets_from_the_environment_never_show(run, monkeypatch, db_path, tmp_path):
    monkeypatch.setenv("MACLI_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("MACLI_SMS_TOKEN", SMS_TOKEN)
    monkeypatch.chdir(tmp_path)
    said = []
    for path, _command in every_command():
        said.append(run([*path, "--help"]).output)
    for line in INVOCATIONS:
        result = run(line.format(tmp=tmp_path), expect=None)
        assert result.exit_code in (0, 1, 2), line
        said.append(result.stdout + result.stderr)
    # And through the installed script, the way cron runs it.
    for args in (["check"], ["config", "list"], ["remind", "send"], ["nonsense"]):
        outcome = macli(*args)
        said.append(outcome.stdout + outcome.stderr)
    for text in said:
        assert SMTP_PASSWORD not in text and SMS_TOKEN not in text
    files = [db_path, *tmp_path.rglob("*")]
    for file in files:
        if file.is_file():
            data = file.read_bytes()
            assert SMTP_PASSWORD.encode() not in data and SMS_TOKEN.encode() not in data, file


# -- the audit chain ------------------------------------------------------------------

COLUMNS = ["id", "at", "user", "action", "patient_id", "detail", "prev_hash", "hash"]


@pytest.fixture
def audited(run, db_path, tmp_path_factory):
    """A store with a few dozen audit rows, and a fresh copy of it for each tampering."""
    run("patient add 'Ana Lima' --dob 1984-03-02 --consent sms")
    run("patient add 'Ben Ode' --dob 1970-01-01")
    for step in range(8):
        run("patient show ana")
        run(f"patient edit ben --address '{step} Main St'")
        run("patient list --search o")
    folder = tmp_path_factory.mktemp("tampered")

    def fresh_copy():
        copy = folder / "copy.db"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{copy}{suffix}"):
                os.remove(f"{copy}{suffix}")
        shutil.copyfile(db_path, copy)
        return copy

    return fresh_copy


def tamper(path, statements):
    connection = sqlite3.connect(path)
    # Whoever edits the file directly can drop the triggers first; the chain still tells.
    connection.execute("DROP TRIGGER audit_no_update")
    connection.execute("DROP TRIGGER audit_no_delete")
    for statement, params in statements:
        connection.execute(statement, params)
    connection.commit()
    connection.close()


@st.composite
def tamperings(draw):
    count = 50  # rows in the `audited` store
    row = draw(st.integers(1, count))
    kind = draw(st.sampled_from(["edit", "delete", "insert", "swap"]))
    if kind == "delete":
        return [("DELETE FROM audit WHERE id = ?", [row])]
    if kind == "swap":
        other = draw(st.integers(1, count).filter(lambda n: n != row))
        return [
            ("UPDATE audit SET id = -1 WHERE id = ?", [row]),
            ("UPDATE audit SET id = ? WHERE id = ?", [row, other]),
            ("UPDATE audit SET id = ? WHERE id = -1", [other]),
        ]
    if kind == "insert":
        # A row slipped in at the end, or in a gap made by moving the later rows up.
        forged = [draw(st.text(max_size=10)) for _ in range(3)]
        at_end = draw(st.booleans())
        moves = [] if at_end else [("UPDATE audit SET id = id + 1000 WHERE id >= ?", [row])]
        return [
            *moves,
            (
                "INSERT INTO audit (id, at, user, action, prev_hash, hash) VALUES"
                " (?, '2026-11-26T14:00:00Z', ?, 'patient.view',"
                " COALESCE((SELECT hash FROM audit WHERE id < ? ORDER BY id DESC LIMIT 1),"
                " '0000000000000000000000000000000000000000000000000000000000000000'), ?)",
                [count + 1 if at_end else row, forged[0], row, forged[2] or "x"],
            ),
        ]
    column = draw(st.sampled_from(COLUMNS[1:]))
    value = (
        draw(st.one_of(st.none(), st.integers(0, 100)))
        if column == "patient_id"
        else draw(st.text(max_size=20))
    )
    return [
        (
            f"UPDATE audit SET {column} = ? WHERE id = ? AND {column} IS NOT ?",
            [value, row, value],
        ),
        ("SELECT changes()", []),
    ]


@FUZZ
@given(tamperings())
@example([("DELETE FROM audit WHERE id = ?", [50])])
def test_any_tampering_with_the_audit_log_is_caught(run, audited, statements):
    copy = audited()
    assert run(["--db", str(copy), "audit", "verify"]).exit_code == 0
    before = sqlite3.connect(copy).execute("SELECT * FROM audit ORDER BY id").fetchall()
    tamper(copy, statements)
    after = sqlite3.connect(copy).execute("SELECT * FROM audit ORDER BY id").fetchall()
    if after == before:
        return  # the UPDATE matched nothing (the value was already there)
    verify = run(["--db", str(copy), "audit", "verify"], expect=1)
    assert verify.stderr.startswith("Error: audit chain broken at row ")
    checked = run(["--db", str(copy), "check"], expect=1)
    assert "audit chain broken" in checked.stderr


# -- macli sql is read-only --------------------------------------------------------------

WRITES = [
    "INSERT INTO patients (id, mrn, name, first_name, search_name, dob, created_at, updated_at)"
    " VALUES (99, 'P000099', 'X', 'X', 'x', '2000-01-01', 'a', 'a')",
    "UPDATE patients SET name = 'Mallory'",
    "DELETE FROM patients",
    "DELETE FROM audit",
    "UPDATE audit SET user = 'mallory'",
    "DROP TABLE patient_consents",
    "DROP TRIGGER audit_no_update",
    "CREATE TABLE stolen AS SELECT * FROM patients",
    "CREATE TEMP TABLE stolen AS SELECT * FROM patients",
    "ALTER TABLE patients ADD COLUMN note TEXT",
    "REPLACE INTO settings VALUES ('clinic.name', 'X', 'a', 'b')",
    "INSERT OR REPLACE INTO settings VALUES ('clinic.name', 'X', 'a', 'b')",
    "WITH doomed AS (SELECT id FROM patients) DELETE FROM patients WHERE id IN doomed",
    "SELECT 1; DELETE FROM patients",
    "DELETE FROM patients; SELECT 1",
    "BEGIN; DELETE FROM patients; COMMIT",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA writable_schema = ON",
    "PRAGMA query_only = OFF",
    "PRAGMA foreign_keys = OFF",
    "PRAGMA user_version = 7",
    "ATTACH DATABASE '{tmp}/other.db' AS other",
    "VACUUM INTO '{tmp}/leak.db'",
    "VACUUM",
    "REINDEX",
    "ANALYZE",
    "REPLACE INTO chart_vital_values SELECT * FROM chart_vital_values",
    "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')",
    "SAVEPOINT a; DELETE FROM patients; RELEASE a",
]


@FUZZ
@given(
    st.one_of(
        st.tuples(
            st.sampled_from(["", " ", "/* hi */ ", "\n", "explain "]),
            st.sampled_from(WRITES),
            st.sampled_from(["", ";", " -- tail", ";;", "\n;"]),
        ).map("".join),
        st.sampled_from(WRITES).map(str.lower),
        argv_text(),
    )
)
def test_macli_sql_cannot_change_anything(run, db_path, tmp_path_factory, query):
    folder = tmp_path_factory.mktemp("sql")
    if not db_path.exists():
        run("patient add 'Ana Lima' --dob 1984-03-02 --consent sms")
    judge(run, db_path, ["sql", query.replace("{tmp}", str(folder))], ignore=("audit",))
    assert list(folder.iterdir()) == []  # nothing written elsewhere either
    assert run("audit verify").exit_code == 0


# -- append-only tables refuse changes made on the file itself ------------------------


@pytest.fixture(scope="module")
def clinic_file(tmp_path_factory):
    """A demo clinic (charts, consents, audit, expenses); each test attacks a copy of it."""
    folder = tmp_path_factory.mktemp("clinic")
    built = macli("demo", "--db", str(folder / "clinic.db"))
    assert built.ok, str(built)
    return folder / "clinic.db"


def guarded_tables(path) -> dict[str, bool]:
    """Tables that refuse deletion -> whether they refuse every update too."""
    connection = sqlite3.connect(path)
    names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    return {
        name[: -len("_no_delete")]: name.replace("_no_delete", "_no_update") in names
        for name in names
        if name.endswith("_no_delete")
    }


def test_the_guarded_tables_are_the_ones_that_must_be(clinic_file):
    guarded = guarded_tables(clinic_file)
    chart = {name for name in guarded if name.startswith("chart_")}
    assert {"audit", "patient_consents", "chart_entries", "chart_vital_values"} <= set(guarded)
    assert {"chart_notes", "chart_problems", "chart_medications", "chart_allergies"} <= chart
    assert guarded["expenses"] is False  # filing and receipts update it; nothing deletes it
    assert {"stock_ledger", "bill_claim_events", "bill_payments"} <= set(guarded)


@FUZZ
@given(st.data())
@example(None)
def test_append_only_rows_cannot_be_changed_on_the_file(clinic_file, tmp_path_factory, data):
    copy = tmp_path_factory.mktemp("attack") / "clinic.db"
    shutil.copyfile(clinic_file, copy)
    guarded = guarded_tables(copy)
    connection = sqlite3.connect(copy)
    if data is None:  # the regression: a recorded blood pressure rewritten with REPLACE
        table, attack = "chart_vital_values", "replace"
        row = connection.execute(
            "SELECT * FROM chart_vital_values WHERE loinc = '8480-6' LIMIT 1"
        ).fetchone()
        column, value = "value", "190"
    else:
        filled = [t for t in sorted(guarded) if connection.execute(f"SELECT 1 FROM {t}").fetchone()]
        table = data.draw(st.sampled_from(filled))
        attacks = ["update", "delete", "replace", "upsert"] if guarded[table] else ["delete"]
        attack = data.draw(st.sampled_from([*attacks, "replace", "same-row"]))
        row = data.draw(
            st.sampled_from(connection.execute(f"SELECT * FROM {table} LIMIT 50").fetchall())
        )
        column, value = draw_change(data, connection, table)
    columns = [info[1] for info in connection.execute(f"PRAGMA table_info({table})")]
    key = [info[1] for info in connection.execute(f"PRAGMA table_info({table})") if info[5]]
    where = " AND ".join(f"{name} = ?" for name in key)
    key_values = [row[columns.index(name)] for name in key]
    changed = [value if name == column else row[i] for i, name in enumerate(columns)]
    marks = ", ".join("?" for _ in columns)
    statement, params = {
        "update": (f"UPDATE {table} SET {column} = ? WHERE {where}", [value, *key_values]),
        "delete": (f"DELETE FROM {table} WHERE {where}", key_values),
        "replace": (f"INSERT OR REPLACE INTO {table} VALUES ({marks})", changed),
        "same-row": (f"REPLACE INTO {table} VALUES ({marks})", list(row)),
        "upsert": (
            f"INSERT INTO {table} VALUES ({marks}) ON CONFLICT ({', '.join(key)})"
            f" DO UPDATE SET {column} = excluded.{column}",
            changed,
        ),
    }[attack]
    before = connection.execute(f"SELECT * FROM {table} ORDER BY {', '.join(key)}").fetchall()
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute(statement, params)
    after = connection.execute(f"SELECT * FROM {table} ORDER BY {', '.join(key)}").fetchall()
    connection.close()
    assert after == before


def draw_change(data, connection, table):
    """A column of `table` outside its key, and a new value of its declared type."""
    infos = [info for info in connection.execute(f"PRAGMA table_info({table})") if not info[5]]
    info = data.draw(st.sampled_from(infos))
    kind = info[2].upper()
    if kind == "INTEGER":
        value = data.draw(st.integers(-5, 10**6))
    elif kind == "REAL":
        value = data.draw(st.floats(allow_nan=False))
    else:
        value = data.draw(st.text(max_size=12))
    return info[1], value


def test_a_store_from_before_the_guard_gets_it(tmp_path):
    store = tmp_path / "old.db"
    assert macli("demo", "--db", str(store)).ok
    # Make it what a store created before `core_003_append_only_refuses_replace` was.
    connection = sqlite3.connect(store)
    for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE '%_no_replace'"
    ).fetchall():
        connection.execute(f"DROP TRIGGER {name}")
    connection.execute(
        "DELETE FROM _sqlite_migrations WHERE name = 'core_003_append_only_refuses_replace'"
    )
    connection.execute("PRAGMA user_version = 0")  # stores of that time had no version
    connection.commit()
    connection.execute("REPLACE INTO chart_notes SELECT * FROM chart_notes LIMIT 1")
    connection.rollback()
    connection.close()
    assert macli("--db", str(store), "check").ok  # opening it applies the migration
    connection = sqlite3.connect(store)
    for table in guarded_tables(store):
        if not connection.execute(f"SELECT 1 FROM {table}").fetchone():
            continue  # nothing to replace
        with pytest.raises(sqlite3.IntegrityError, match="cannot be replaced"):
            connection.execute(f"REPLACE INTO {table} SELECT * FROM {table} LIMIT 1")
    connection.close()


def test_exports_to_a_pipe_or_device_leave_its_mode_alone(tmp_path):
    """`-o /dev/stdout` or `-o /dev/null` must not chmod them (as root: for everyone)."""
    pipe = tmp_path / "out.pipe"
    os.mkfifo(pipe, 0o644)
    assert macli("patient", "add", "Ana Lima", "--dob", "1984-03-02").ok
    for args in (["export", "patients", "-o"], ["patient", "export", "-o"]):
        received: list[str] = []
        reader = threading.Thread(target=lambda into=received: into.append(pipe.read_text()))
        reader.start()
        outcome = macli(*args, str(pipe))
        reader.join(timeout=60)
        assert outcome.ok, str(outcome)
        assert "Ana Lima" in received[0]
        assert mode(pipe) == 0o644
