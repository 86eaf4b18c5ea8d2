"""`macli browse` records each page, query and download showing patient rows in the
audit chain, as the acting user, and stays read-only."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("datasette")

from tests.reliability.hostile import store_text  # noqa: E402
from tests.test_browse import free_port  # noqa: E402


@pytest.fixture
def served(run, db_path):
    run("provider add 'Dr. Maya Chen'")
    run("patient add 'Zoë Müller' --dob 1975-07-07")
    run("chart note add P000001 --text 'Seen today.'")
    port = free_port()
    script = Path(sys.executable).with_name("macli")
    macli = str(script) if script.exists() else shutil.which("macli")
    env = {**os.environ, "MACLI_DB": str(db_path), "MACLI_USER": "maria"}
    server = subprocess.Popen(
        [macli, "browse", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=5).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.2)
    try:
        yield base + "/" + db_path.stem
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _browse_rows(db_path) -> list[tuple]:
    db = sqlite3.connect(db_path)
    try:
        return db.execute(
            "SELECT user, action, patient_id, detail FROM audit"
            " WHERE action LIKE 'browse.%' ORDER BY id"
        ).fetchall()
    finally:
        db.close()


def test_each_page_query_and_download_of_patient_rows_is_audited(run, db_path, served):
    before = store_text(db_path, ignore=("audit",))
    pages = {
        "/patients": "browse.view",
        "/patients.json?_shape=array": "browse.view",
        "/patients/1": "browse.view",
        "/chart_notes.json": "browse.view",  # no patient_id, but its entry points at one
        "/patients.csv": "browse.download",
        "/appointments.csv?_stream=on": "browse.download",
        ".json?sql=select+name+from+patients": "browse.query",
        "?sql=select+count(*)+from+chart_entries+e+join+chart_notes+n+on+n.entry_id=e.id": (
            "browse.query"
        ),
        "/day_sheet.json?day=2026-12-01": "browse.query",
    }
    for page in pages:
        assert _get(served + page) == 200, page
    # Pages showing no patient rows are not recorded.
    for page in ("", "/providers", "/settings.json", ".json?sql=select+1", "/low_stock.json"):
        assert _get(served + page) == 200, page
    assert _get(served.rsplit("/", 1)[0] + "/-/versions.json") == 200

    rows = _browse_rows(db_path)
    assert [action for _, action, _, _ in rows] == list(pages.values())
    assert {user for user, _, _, _ in rows} == {"maria"}
    assert [pid for _, _, pid, _ in rows][2] == 1  # the patient's own page names the patient
    assert "patients" in rows[0][3]
    run("audit verify")
    # Nothing but the audit rows changed: Datasette stayed read-only.
    assert store_text(db_path, ignore=("audit",)) == before


def test_a_whole_store_download_attempt_is_audited(run, db_path, served):
    name = served.rsplit("/", 1)[1]
    status = _get(served.rsplit("/", 1)[0] + f"/{name}.db")
    assert status in (200, 403)  # downloads are switched off; the attempt is recorded
    assert [action for _, action, _, _ in _browse_rows(db_path)] == ["browse.download"]


def test_a_page_that_cannot_be_audited_is_not_shown(run, db_path, served):
    db = sqlite3.connect(db_path)
    with db:
        db.execute(
            "CREATE TRIGGER audit_refuse BEFORE INSERT ON audit"
            " WHEN NEW.action LIKE 'browse.%' BEGIN SELECT RAISE(ABORT, 'full'); END"
        )
    db.close()
    assert _get(served + "/patients.json") == 503
    assert _get(served + "/providers.json") == 200


def test_which_tables_hold_patient_rows(db_path, store):
    from macli.browse_plugins.macli_audit import patient_tables, tables_read

    db = sqlite3.connect(db_path)
    tables = patient_tables(db)
    assert {"patients", "appointments", "chart_entries", "chart_notes", "audit"} <= tables
    assert not {"providers", "settings", "expenses"} & tables
    assert tables_read(db, "SELECT p.name FROM providers p") == {"providers"}
    assert "patients" in tables_read(db, "SELECT * FROM appointments a JOIN patients p ON 1")
    assert tables_read(db, "SELEC nonsense") is None
    db.close()
    json.dumps(sorted(tables))
