"""Every test gets its own store in a temporary folder and a fixed clock and user;
no test touches a real home folder or the machine's environment settings."""

from __future__ import annotations

import shlex
import shutil

import pytest
from click.testing import CliRunner

from macli.cli import cli
from macli.migrations import open_store

NOW = "2026-11-26T09:00:00"  # a Thursday, read in the clinic zone


def pytest_addoption(parser):
    # Registered here (the root conftest) so `pytest --long` works from any folder.
    parser.addoption(
        "--long",
        action="store_true",
        help="Run the long variants of tests/reliability (docs/reliability.md).",
    )


@pytest.fixture(scope="session")
def empty_store_template(tmp_path_factory):
    """A store made by `macli init` once per run; each test starts from a copy of it,
    as a user starts with `macli init` (a --db path that holds no store is refused)."""
    path = tmp_path_factory.mktemp("init") / "macli.db"
    result = CliRunner().invoke(cli, ["init", "--db", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


def copy_store(source, target) -> None:
    """Copy a closed store file to `target`, private as macli makes it."""
    shutil.copyfile(source, target)
    target.chmod(0o600)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, empty_store_template):
    copy_store(empty_store_template, tmp_path / "macli.db")
    for name in ("MACLI_DB", "MACLI_USER", "MACLI_NOW", "MACLI_SMTP_PASSWORD", "MACLI_SMS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MACLI_DB", str(tmp_path / "macli.db"))
    monkeypatch.setenv("MACLI_USER", "tester")
    monkeypatch.setenv("MACLI_NOW", NOW)
    monkeypatch.setenv("TZ", "America/New_York")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield tmp_path


@pytest.fixture
def db_path(isolated):
    return isolated / "macli.db"


@pytest.fixture
def store(db_path):
    """The test's store, opened directly (for core-function tests and inspection)."""
    opened = open_store(db_path)
    yield opened
    opened.close()


class Run:
    """Run macli in-process the way a user would; `run("patient list -f json")`."""

    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, args, input=None, expect=0):
        argv = shlex.split(args) if isinstance(args, str) else list(args)
        result = self.runner.invoke(cli, argv, input=input, catch_exceptions=False)
        if expect is not None and result.exit_code != expect:
            raise AssertionError(
                f"macli {args!r} exited {result.exit_code}, expected {expect}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result


@pytest.fixture
def run():
    return Run()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo clinic, built once per test run at the tests' clock; copy, never change."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(
        cli, ["--now", NOW, "demo", "--db", str(path)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def demo_db(demo_template, db_path):
    """This test's store: a fresh copy of the demo clinic."""
    copy_store(demo_template, db_path)
    return db_path


def dump(db_path) -> str:
    """The whole store as text, to prove a failed command changed nothing.

    The ICD-10-CM reference tables (about 98,000 rows that no command changes once
    loaded) are summed up by their row count; everything else is listed row by row.
    """
    import sqlite3

    connection = sqlite3.connect(db_path)
    try:
        lines = []
        for name, sql in connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
        ):
            lines.append(sql)
            if not sql.startswith("CREATE TABLE"):
                continue
            if name.startswith("icd10cm_"):
                count = connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
                lines.append(f"{name}: {count} rows")
            else:
                lines.extend(repr(row) for row in connection.execute(f'SELECT * FROM "{name}"'))
        return "\n".join(lines)
    finally:
        connection.close()


@pytest.fixture
def sms_server():
    """A Twilio-compatible SMS provider on 127.0.0.1 (tests/servers.py), for any test."""
    from tests.servers import SmsProvider, start_sms

    provider = SmsProvider()
    stop = start_sms(provider)
    yield provider
    stop()
