"""Files kept once per content in the store (macli/blobs.py), and the move of expense
receipts into it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest

from macli import blobs
from macli.errors import Invalid, NotFound
from macli.migrations import SET_NAME, history, open_store
from macli.store import Store

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


def test_the_same_bytes_are_kept_once_and_read_back(store):
    data = b"%PDF-1.4 \x00\xff synthetic"
    first = blobs.keep(store, data, limit=1024)
    again = blobs.keep(store, bytearray(data), limit=1024)
    assert first == again == blobs.digest(data)
    assert store.scalar("SELECT count(*) FROM blobs") == 1
    assert blobs.read(store, first) == data
    assert blobs.size(store, first) == len(data)
    assert blobs.exists(store, first)
    with pytest.raises(NotFound):
        blobs.read(store, "0" * 64)


def test_empty_and_oversized_files_are_refused_with_the_callers_words(store):
    with pytest.raises(Invalid, match="the scan is empty"):
        blobs.keep(store, b"", limit=10, what="the scan")
    with pytest.raises(Invalid, match=r"the scan is 2\.0 MB; files are limited to 1 MB"):
        blobs.keep(store, b"x" * (2 * blobs.MB + 1), limit=blobs.MB, what="the scan")
    assert store.scalar("SELECT count(*) FROM blobs") == 0


def test_kept_files_cannot_be_changed_or_removed(store):
    sha256 = blobs.keep(store, b"kept", limit=100)
    for sql in (
        "UPDATE blobs SET data = x'00', size = 1",
        "DELETE FROM blobs",
        f"INSERT OR REPLACE INTO blobs VALUES ('{sha256}', 1, x'00')",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.conn.execute(sql)


def test_check_finds_a_file_whose_bytes_changed(store, run):
    sha256 = blobs.keep(store, b"original bytes", limit=100)
    assert store.check() == []
    # What a disk fault or a hand edit would do, past the guard.
    store.conn.execute("DROP TRIGGER blobs_no_update")
    store.conn.execute(
        "UPDATE blobs SET data = CAST('altered bytes!' AS BLOB) WHERE sha256 = ?", [sha256]
    )
    assert store.check() == [f"blobs: the file kept as {sha256[:12]}... does not match its digest"]
    result = run("check", expect=1)
    assert "does not match its digest" in result.stderr


def test_backup_carries_the_kept_files(store, tmp_path):
    sha256 = blobs.keep(store, b"in the backup", limit=100)
    store.backup(tmp_path / "copy.db")
    copy = Store(tmp_path / "copy.db")
    assert blobs.read(copy, sha256) == b"in the backup"
    copy.close()


def test_receipts_kept_before_blobs_existed_still_read_back(db_path):
    """A store made before blobs: its receipts move into blobs and read back the same."""
    import sqlite_utils
    from sqlite_utils.migrations import Migrations

    from macli.expense import core

    later = {"blobs_001_blobs", "expense_002_receipts_in_blobs"}
    db_path.unlink()  # not the test's ready-made store: one built with the old schema
    old = Store(db_path)
    old.conn.execute("PRAGMA journal_mode = WAL")
    migrations = Migrations(SET_NAME)
    # core_003 last, as in every store made then (the import order can move it: issue 21).
    steps = [(fn.__name__, fn) for fn in history()]
    ordered = sorted(steps, key=lambda item: item[0] == "core_003_append_only_refuses_replace")
    for name, fn in ordered:
        if name not in later:
            migrations(name=name)(fn)
    with old.write():
        migrations.apply(sqlite_utils.Database(old.conn, strict=True, execute_plugins=False))
        import hashlib

        data = b"%PDF-1.4 an old receipt"
        sha256 = hashlib.sha256(data).hexdigest()
        old.execute(
            "INSERT INTO expense_receipts (sha256, data, size) VALUES (?, ?, ?)",
            [sha256, data, len(data)],
        )
        old.execute(
            "INSERT INTO expenses (spent_on, amount_cents, category_id, receipt_sha256,"
            " receipt_name, created_at, created_by) VALUES ('2026-01-05', 1200, 1, ?,"
            " 'old.pdf', '2026-01-05T15:00:00Z', 'tester')",
            [sha256],
        )
    old.close()

    store = open_store(db_path)
    kept = core.receipt(store, 1)
    assert (kept["name"], kept["data"], kept["sha256"]) == ("old.pdf", data, sha256)
    assert store.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'expense_receipts'") == 0
    assert store.check() == []
    # The rebuilt table kept its guards, its indexes and its link from a void to the original.
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        store.conn.execute("DELETE FROM expenses")
    # (The DELETE trigger answers first when the connection has recursive triggers on.)
    with pytest.raises(sqlite3.IntegrityError, match="append-only|never deleted"):
        store.conn.execute("INSERT OR REPLACE INTO expenses SELECT * FROM expenses")
    indexes = {
        row["name"] for row in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")
    }
    assert {"expenses_spent_on", "expenses_fingerprint", "expenses_voids"} <= indexes
    triggers = {
        row["name"] for row in store.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    assert {"expenses_no_delete", "expenses_no_replace", "expenses_receipt_once"} <= triggers
    core.void(store, 1, reason="typed twice", on=date(2026, 1, 6), user="tester", now=NOW)
    assert core.show(store, 1, tz=UTC)["voided_by"] == 2
    # New receipts go to blobs, and the same bytes again are the old row.
    second = core.add(
        store,
        amount_cents=500,
        category="uncategorized",
        spent_on=date(2026, 2, 1),
        receipt=data,
        receipt_name="again.pdf",
        user="tester",
        now=NOW,
    )
    assert core.receipt(store, second)["sha256"] == sha256
    assert store.scalar("SELECT count(*) FROM blobs") == 1
    store.close()
