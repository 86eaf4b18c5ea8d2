"""The audit log is append-only and hash-chained: edits, deletions and insertions show."""

import sqlite3
from datetime import UTC

import pytest

from macli import audit


@pytest.fixture
def logged(run, db_path):
    run("patient add 'Ana Lima' --dob 1990-01-01")
    run("patient show ana")
    run("patient list")
    run("patient show ana")
    return db_path


def tamper(db_path, *statements):
    connection = sqlite3.connect(db_path)
    connection.execute("DROP TRIGGER audit_no_update")
    connection.execute("DROP TRIGGER audit_no_delete")
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()


def test_views_and_changes_are_logged(run, logged):
    rows = run("audit list -f json").stdout
    assert [action in rows for action in ("patient.add", "patient.view", "patient.list")]
    assert "Audit chain intact: 4 rows." in run("audit verify").stdout


def test_triggers_refuse_update_and_delete(logged):
    connection = sqlite3.connect(logged)
    for statement in ("UPDATE audit SET user = 'x'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute(statement)


@pytest.mark.parametrize(
    "statements, broken_row",
    [
        (["UPDATE audit SET user = 'mallory' WHERE id = 2"], 2),
        (["DELETE FROM audit WHERE id = 2"], 2),
        (["DELETE FROM audit WHERE id = 4"], 4),
        (
            [
                "INSERT INTO audit (id, at, user, action, prev_hash, hash) SELECT 5, at, user,"
                " 'patient.view', hash, hash FROM audit WHERE id = 4"
            ],
            5,
        ),
    ],
    ids=["edited", "deleted", "cut-from-end", "inserted"],
)
def test_tampering_is_detected(run, logged, statements, broken_row):
    tamper(logged, *statements)
    result = run("audit verify", expect=1)
    assert result.stderr.startswith(f"Error: audit chain broken at row {broken_row}")
    assert "audit chain broken" in run("check", expect=1).stderr


def test_record_many_continues_the_chain(store):
    from datetime import datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    audit.record(store, user="u", action="a", now=now)
    audit.record_many(store, user="u", action="b", now=now, entries=[(None, "x"), (None, "y")])
    assert audit.verify(store) is None
    assert store.scalar("SELECT COUNT(*) FROM audit") == 3
