"""The demo clinic's documents and letters agree with the rest of it."""

from __future__ import annotations

import json

from macli.store import Store

NOW = "2026-11-26T14:00:00Z"


def test_the_demo_files_documents_and_sends_letters_in_the_past(demo_db, run):
    store = Store(demo_db)
    try:
        kinds = {
            row["kind"]: row["n"]
            for row in store.query("SELECT kind, count(*) AS n FROM documents GROUP BY kind")
        }
        assert kinds["insurance-card"] >= 20 and kinds["referral"] >= 3 and kinds["letter"] >= 10
        assert store.scalar("SELECT max(filed_at) FROM documents") <= NOW
        assert store.scalar("SELECT count(*) FROM documents WHERE dated > '2026-11-26'") == 0
        templates = {r["template"] for r in store.query("SELECT template FROM document_letters")}
        assert {"missed-appointment", "follow-up-results"} <= templates
        # The patients who read Spanish got their letters in Spanish.
        spanish = store.query(
            "SELECT p.language FROM document_letters l JOIN documents d ON d.id = l.document_id"
            " JOIN patients p ON p.id = d.patient_id WHERE l.language = 'es'"
        )
        assert spanish and {row["language"] for row in spanish} == {"es"}
        # A missed-appointment letter follows a no-show of that patient's, the next day.
        mismatched = store.scalar(
            "SELECT count(*) FROM document_letters l JOIN documents d ON d.id = l.document_id"
            " JOIN appointments a ON a.id = l.appointment_id"
            " WHERE a.patient_id <> d.patient_id OR a.status <> 'no-show' OR d.filed_at <= a.starts_at"
        )
        assert mismatched == 0
        assert store.check() == []
    finally:
        store.close()
    found = json.loads(run("chart files --search cardiology -f json").stdout)
    assert found and all("Cardiology" in row["source"] for row in found)
