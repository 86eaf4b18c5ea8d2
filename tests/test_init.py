"""A store is created only where the user asked for one (issue 21 item 2)."""

import os
import sqlite3
import stat

from click.testing import CliRunner

from macli.cli import cli


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_mistyped_db_path_fails_and_creates_nothing(tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "x.db"
    result = invoke("--db", str(target), "today")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: no store at {target} (create one with `macli init --db {target}`)\n"
    )
    assert not (tmp_path / "no").exists()


def test_a_mistyped_macli_db_fails_too(tmp_path):
    target = tmp_path / "typo.db"
    result = invoke("patient", "list", env={"MACLI_DB": str(target)})
    assert result.exit_code == 1 and "no store at" in result.stderr
    assert not target.exists()


def test_init_creates_a_private_store_that_commands_then_use(tmp_path):
    target = tmp_path / "clinic" / "macli.db"
    made = invoke("init", "--db", str(target))
    assert made.exit_code == 0, made.output
    assert f"Created a new store at {target}" in made.stdout
    assert mode(target) == 0o600
    assert invoke("--db", str(target), "patient", "list").exit_code == 0
    again = invoke("init", "--db", str(target))
    assert again.exit_code == 0 and "already a macli store" in again.stdout


def test_init_uses_the_root_db_option_or_macli_db(tmp_path):
    target = tmp_path / "env.db"
    assert invoke("init", env={"MACLI_DB": str(target)}).exit_code == 0
    assert mode(target) == 0o600


def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path):
    csv = tmp_path / "patients.csv"
    csv.write_text("name,dob\nAna,1990-01-01\n")
    for args in (("--db", str(csv), "today"), ("init", "--db", str(csv))):
        result = invoke(*args)
        assert result.exit_code == 1
        assert "is not a macli store" in result.stderr
    assert csv.read_text() == "name,dob\nAna,1990-01-01\n"


def test_another_programs_sqlite_database_is_never_converted(tmp_path):
    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.commit()
    connection.close()
    for args in (("--db", str(other), "patient", "list"), ("init", "--db", str(other))):
        result = invoke(*args)
        assert result.exit_code == 1
        assert "is an SQLite database but not a macli store" in result.stderr
    connection = sqlite3.connect(other)
    tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
    connection.close()
    assert tables == ["notes"]


def test_an_existing_empty_file_becomes_a_private_store_only_through_init(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_text("")
    empty.chmod(0o644)
    refused = invoke("--db", str(empty), "today")
    assert refused.exit_code == 1 and "no store at" in refused.stderr
    assert empty.stat().st_size == 0
    assert invoke("init", "--db", str(empty)).exit_code == 0
    assert mode(empty) == 0o600


def test_the_default_store_is_created_on_first_use(tmp_path, monkeypatch):
    monkeypatch.delenv("MACLI_DB")
    result = invoke("patient", "list")
    assert result.exit_code == 0, result.output
    made = tmp_path / "config" / "macli" / "macli.db"
    assert made.exists() and mode(made) == 0o600
