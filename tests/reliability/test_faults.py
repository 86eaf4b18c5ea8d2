"""Faults from the machine: a full disk, paths that cannot be written, a file that is not a
store. Each ends in one `Error:` line, exit 1, and the store as it was."""

from __future__ import annotations

import os
import resource

import pytest

from tests.conftest import dump
from tests.reliability.harness import assert_clean, assert_sound, macli
from tests.reliability.hostile import judge
from tests.reliability.test_crash import write_import


def disk_full_at(size: int):
    """A child process in which no file may grow past `size` bytes (EFBIG, as on a full disk)."""

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def test_a_full_disk_during_a_large_import_changes_nothing(db_path, tmp_path):
    assert macli("patient", "add", "Ana Lima", "--dob", "1984-03-02").ok
    write_import(tmp_path / "big.csv", "Full", 5000)
    before = dump(db_path)
    outcome = macli(
        "patient", "import", str(tmp_path / "big.csv"), preexec_fn=disk_full_at(256 * 1024)
    )
    assert_clean(outcome, r"^Error: the store could not be used: .*(full|I/O)")
    assert outcome.code == 1
    assert dump(db_path) == before
    assert_sound()
    assert macli("patient", "import", str(tmp_path / "big.csv")).ok  # room again: it works


def test_a_full_disk_during_a_backup_leaves_no_partial_copy(db_path, tmp_path):
    db_path.unlink()  # the demo is written where no store is yet
    assert macli("demo", "--db", str(db_path)).ok
    destination = tmp_path / "backup.db"
    outcome = macli("backup", str(destination), preexec_fn=disk_full_at(64 * 1024))
    assert_clean(outcome, rf"^Error: the backup to {destination} failed: ")
    assert outcome.code == 1
    assert not destination.exists()
    assert macli("backup", str(destination)).ok


def test_a_full_disk_during_an_export_is_an_error(db_path, tmp_path):
    write_import(tmp_path / "many.csv", "Many", 3000)
    assert macli("patient", "import", str(tmp_path / "many.csv")).ok
    for args in (["export", "patients", "-o"], ["patient", "export", "-o"]):
        outcome = macli(*args, str(tmp_path / "out.csv"), preexec_fn=disk_full_at(128 * 1024))
        assert_clean(outcome, r"^Error: File too large$")
        assert outcome.code == 1
    assert_sound()


@pytest.fixture
def blocked(tmp_path):
    """Paths that cannot be written: under a plain file, a directory, a name too long."""
    (tmp_path / "plain-file").write_text("")
    (tmp_path / "folder").mkdir()
    return {
        "under a file": tmp_path / "plain-file" / "out",
        "a folder": tmp_path / "folder",
        "name too long": tmp_path / ("x" * 300),
    }


@pytest.mark.parametrize(
    "command",
    [
        ["backup"],
        ["export", "patients", "-o"],
        ["export", "all", "-o"],
        ["patient", "export", "-o"],
    ],
)
def test_output_paths_that_cannot_be_written(run, db_path, blocked, command):
    run("patient add 'Ana Lima' --dob 1984-03-02")
    for path in blocked.values():
        result = judge(run, db_path, [*command, str(path)])
        if not (command == ["export", "all", "-o"] and path.name == "folder"):
            assert result.exit_code in (1, 2), (command, path)


def test_a_store_that_is_not_a_database(tmp_path, monkeypatch):
    garbage = tmp_path / "not-a-store.db"
    garbage.write_bytes(b"this is a letter, not a database" * 100)
    monkeypatch.setenv("MACLI_DB", str(garbage))
    for args in (["patient", "list"], ["check"], ["backup", str(tmp_path / "b.db")]):
        outcome = macli(*args)
        assert_clean(
            outcome,
            r"^Error: .*not-a-store.db is not a macli store \(it is not an SQLite database\)",
        )
        assert outcome.code == 1
    assert garbage.read_bytes() == b"this is a letter, not a database" * 100
    assert not os.path.exists(tmp_path / "b.db")
