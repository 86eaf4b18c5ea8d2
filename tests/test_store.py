"""The store: file modes, concurrent first open, migrations, backup, check, read-only SQL."""

import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from macli.errors import Conflict
from macli.migrations import open_store


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_store_is_private_and_in_wal_mode(run, db_path):
    run("patient list")
    assert mode(db_path) == 0o600
    connection = sqlite3.connect(db_path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    strict = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'patients'").fetchone()
    assert strict[0].rstrip().endswith("STRICT")


def test_default_store_lives_in_the_app_folder(run, monkeypatch, isolated):
    monkeypatch.delenv("MACLI_DB")
    run("patient list")
    created = list((isolated / "config" / "macli").glob("macli.db"))
    assert created and mode(created[0]) == 0o600


def test_two_processes_opening_a_fresh_store_both_succeed(tmp_path):
    target = tmp_path / "fresh.db"
    script = (
        "import sys; from macli.migrations import open_store; s = open_store(sys.argv[1]);"
        "print(s.scalar('SELECT COUNT(*) FROM _sqlite_migrations'))"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), results
    counts = {out.strip() for out, _ in results}
    assert len(counts) == 1
    names = open_store(target).query("SELECT name FROM _sqlite_migrations")
    assert len(names) == len({row["name"] for row in names})


def test_failed_write_rolls_back_everything(store):
    with pytest.raises(RuntimeError):
        with store.write():
            store.execute(
                "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ('a', 'b', 'c', 'd')"
            )
            raise RuntimeError("boom")
    assert store.scalar("SELECT COUNT(*) FROM settings") == 0


def test_backup_is_private_consistent_and_checkable(run, tmp_path, db_path):
    run("patient add 'Ana Lima' --dob 1990-01-01")
    target = tmp_path / "copy.db"
    run(["backup", str(target)])
    assert mode(target) == 0o600
    copy = open_store(target)
    assert copy.scalar("SELECT name FROM patients") == "Ana Lima"
    assert copy.check() == []
    again = run(["backup", str(target)], expect=1)
    assert "already exists" in again.stderr


def test_restored_backup_is_a_working_store(run, tmp_path, monkeypatch):
    run("patient add 'Ana Lima' --dob 1990-01-01")
    target = tmp_path / "copy.db"
    run(["backup", str(target)])
    monkeypatch.setenv("MACLI_DB", str(target))
    run("patient add 'Omar Ali' --dob 1970-05-05")
    assert "Store is sound." in run("check").stdout
    assert len(json.loads(run("patient list -f json").stdout)) == 2


def test_check_reports_a_broken_foreign_key(run, db_path):
    run("patient list")
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA foreign_keys = OFF")
    connection.execute(
        "INSERT INTO patient_consents (patient_id, channel, granted, at, source, user)"
        " VALUES (99, 'sms', 1, 'x', 'y', 'z')"
    )
    connection.commit()
    connection.close()
    result = run("check", expect=1)
    assert "patient_consents row 1 points at a missing patients row" in result.stderr
    assert result.stderr.strip().endswith("Error: the store has 1 problem(s)")


def test_sql_is_read_only(run, db_path):
    run("patient add 'Ana Lima' --dob 1990-01-01")
    out = run(["sql", "SELECT name FROM patients", "-f", "json"]).stdout
    assert json.loads(out) == [{"name": "Ana Lima"}]
    for statement in (
        "DELETE FROM patients",
        "UPDATE patients SET name = 'x'",
        "DROP TABLE patients",
        "ATTACH DATABASE 'other.db' AS other",
        "PRAGMA query_only = 0",
        "CREATE TABLE x (a)",
    ):
        result = run(["sql", statement], expect=1)
        assert result.stderr.startswith("Error: "), statement
        assert "Traceback" not in result.stderr
    assert run(["sql", "SELECT name FROM patients"]).stdout.count("Ana Lima") == 1


def test_sql_refuses_two_statements(run):
    result = run(["sql", "SELECT 1; DELETE FROM patients"], expect=1)
    assert "one statement" in result.stderr


def test_store_refuses_to_overwrite_on_backup(store, tmp_path):
    target = tmp_path / "exists.db"
    target.write_text("x")
    with pytest.raises(Conflict):
        store.backup(target)
