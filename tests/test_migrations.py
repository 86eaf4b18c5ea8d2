"""The schema history: one order whatever opens a fresh store first, and a cheap check."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from macli import migrations
from macli.cli import LAZY_COMMANDS
from macli.migrations import SCHEMA_VERSION, history, open_store


def recorded(path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [
            row[0]
            for row in connection.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")
        ]
    finally:
        connection.close()


def test_schema_version_counts_the_history():
    names = [fn.__name__ for fn in history()]
    assert len(names) == len(set(names)), "two migrations share a name"
    assert SCHEMA_VERSION == len(names), (
        f"macli/migrations.py says SCHEMA_VERSION = {SCHEMA_VERSION} but the history holds"
        f" {len(names)} migrations: set SCHEMA_VERSION = {len(names)}"
    )


def test_area_schema_modules_import_nothing_from_migrations():
    import importlib
    import inspect

    for name in migrations.AREAS:
        source = inspect.getsource(importlib.import_module(name))
        assert "from macli.migrations" not in source, name
        assert "import macli.migrations" not in source, name
        assert hasattr(importlib.import_module(name), "MIGRATIONS"), name


def test_a_fresh_store_records_one_order_whichever_command_opens_it_first(tmp_path):
    # Each top-level command's module imported first, in a fresh interpreter, then the
    # store opened as the App opens it: once, `bill list` recorded bill_001 after core_003.
    expected = [fn.__name__ for fn in history()]
    script = (
        "import importlib, sys; importlib.import_module(sys.argv[1]);"
        "from macli.migrations import open_store; open_store(sys.argv[2]).close()"
    )
    for command, (target, _) in sorted(LAZY_COMMANDS.items()):
        path = tmp_path / f"{command}.db"
        module = target.split(":")[0]
        subprocess.run([sys.executable, "-c", script, module, str(path)], check=True)
        assert recorded(path) == expected, command


@pytest.mark.parametrize("args", [["bill", "list"], ["patient", "list"]])
def test_the_first_real_command_records_the_declared_order(tmp_path, args):
    # The default store (in the user's application folder) is created by its first command.
    environment = {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "MACLI_USER": "tester",
        "PATH": "/usr/bin:/bin",
        "TZ": "America/New_York",
    }
    subprocess.run([sys.executable, "-m", "macli", *args], check=True, env=environment)
    assert recorded(tmp_path / "config" / "macli" / "macli.db") == [fn.__name__ for fn in history()]


def test_a_current_store_is_recognised_from_its_header_alone(store, monkeypatch):
    assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION
    # Were the history consulted, this would fail: a current store never asks for it.
    monkeypatch.setattr(migrations, "history", lambda: pytest.fail("history() consulted"))
    open_store(store.path).close()


def test_a_store_from_before_the_version_is_brought_current(store):
    store.execute("PRAGMA user_version = 0")
    store.execute(
        "DELETE FROM _sqlite_migrations WHERE name = 'core_003_append_only_refuses_replace'"
    )
    again = open_store(store.path)
    assert again.scalar("PRAGMA user_version") == SCHEMA_VERSION
    assert recorded(store.path)[-1] == "core_003_append_only_refuses_replace"
    again.close()
