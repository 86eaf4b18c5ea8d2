"""The audit chain's head kept outside the store: `audit verify --head` prints it,
`audit verify --against` fails when the chain no longer extends it, even after a
forger recomputed every hash."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from macli import audit


@pytest.fixture
def audited(run, db_path):
    for number in range(12):
        run(["patient", "add", f"Ana Test{chr(65 + number)}", "--dob", "1984-03-02"])
    return db_path


def _head(run) -> str:
    line = run("audit verify --head").stdout.strip()
    assert line.startswith("macli-audit-head row=") and "\n" not in line
    return line


def _rechain(db_path, first_row: int) -> None:
    """What a forger with the file does: recompute every hash from `first_row` on."""
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    with db:
        for name in ("audit_no_update", "audit_no_delete", "audit_no_replace"):
            db.execute(f"DROP TRIGGER IF EXISTS {name}")
        previous = db.execute("SELECT hash FROM audit WHERE id = ?", [first_row - 1]).fetchone()
        previous = previous[0] if previous else audit.GENESIS
        for row in db.execute(
            "SELECT * FROM audit WHERE id >= ? ORDER BY id", [first_row]
        ).fetchall():
            row = {**dict(row), "prev_hash": previous}
            row["hash"] = previous = audit._digest(row)
            db.execute(
                "UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?",
                [row["prev_hash"], row["hash"], row["id"]],
            )
    db.close()


def test_the_head_is_printed_in_a_form_a_file_keeps(run, audited, tmp_path):
    shown = run("audit verify").stdout
    assert "Audit chain intact: 12 rows." in shown
    assert "macli-audit-head row=12 hash=" in shown
    heads = tmp_path / "heads.log"
    heads.write_text(_head(run) + "\n")
    run("patient add 'Bo Test' --dob 1990-01-01")
    with heads.open("a") as log:
        log.write(_head(run) + "\n")
    run("patient add 'Cy Test' --dob 1990-01-01")
    result = run(["audit", "verify", "--against", str(heads)])
    assert "extends the recorded head (row 13)" in result.stdout


def test_a_bare_hash_or_row_and_hash_are_accepted(run, audited):
    line = _head(run)
    row = line.split("row=")[1].split()[0]
    digest = line.split("hash=")[1].split()[0]
    run("patient add 'Bo Test' --dob 1990-01-01")
    run(["audit", "verify", "--against", digest])
    run(["audit", "verify", "--against", f"{row}:{digest}"])
    run(["audit", "verify", "--against", digest.upper()])


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_a_rewrite_with_recomputed_hashes_is_caught_against_a_head(run, audited, data):
    line = _head(run)
    db = sqlite3.connect(audited)
    rows = db.execute("SELECT max(id) FROM audit").fetchone()[0]
    db.close()
    target = data.draw(st.integers(1, rows))
    change = data.draw(
        st.sampled_from(["user = 'mallory'", "detail = 'nothing'", "at = '2020-01-01T00:00:00Z'"])
    )
    import shutil

    copy = audited.with_name(f"copy-{target}.db")
    shutil.copyfile(audited, copy)
    db = sqlite3.connect(copy)
    with db:
        db.execute("DROP TRIGGER audit_no_update")
        db.execute(f"UPDATE audit SET {change} WHERE id = ?", [target])
    db.close()
    _rechain(copy, target)
    # From inside the store the forgery is sound...
    run(["--db", str(copy), "audit", "verify"])
    # ...but not against the head kept elsewhere.
    result = run(["--db", str(copy), "audit", "verify", "--against", line], expect=1)
    assert "does not extend the recorded head" in result.stderr
    assert f"row {rows} no longer has the recorded hash" in result.stderr
    copy.unlink()


def test_rows_cut_from_the_end_are_caught_against_a_head(run, audited):
    line = _head(run)
    db = sqlite3.connect(audited)
    with db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE id > 9")
        db.execute("UPDATE sqlite_sequence SET seq = 9 WHERE name = 'audit'")
        db.execute("DELETE FROM patients WHERE id > 9")
    db.close()
    run("audit verify")  # sound from inside
    result = run(["audit", "verify", "--against", line], expect=1)
    assert "the recorded head is row 12, the chain ends at row 9" in result.stderr


def test_an_unreadable_head_is_an_error(run, audited, tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_text("nothing here\n")
    for against in [str(empty), "abc", "12:xyz"]:
        result = run(["audit", "verify", "--against", against], expect=1)
        assert "no audit head found" in result.stderr


def test_an_empty_chain_has_the_genesis_head(store):
    assert audit.head(store) == {"row": 0, "hash": audit.GENESIS, "at": None}
    assert audit.extends(store, {"row": 0, "hash": audit.GENESIS}) is None
