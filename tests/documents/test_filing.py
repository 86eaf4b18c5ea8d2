"""Filing documents on the record: `chart file`, `chart files`, `chart file show|amend`."""

from __future__ import annotations

import json
import os

from tests.documents.helpers import pdf_with_text, pdf_without_text, png


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _files(run, *args):
    return json.loads(run(["chart", "files", *args, "-f", "json"]).stdout)


def test_a_pdf_and_an_image_are_filed_and_listed(run, patient, tmp_path):
    referral = _write(
        tmp_path, "lopez.pdf", pdf_with_text("Referral for echocardiogram", "Dr Lopez")
    )
    card = _write(tmp_path, "card-front.png", png())
    result = run(
        [
            "chart",
            "file",
            patient,
            referral,
            "--kind",
            "referral",
            "--from",
            "Dr Lopez",
            "--date",
            "2026-11-20",
        ]
    )
    assert (
        "as document 1 for Ana García (P000001): referral, PDF, 1 page, searchable" in result.stdout
    )
    result = run(["chart", "file", "add", patient, card, "--kind", "insurance-card"])
    assert "image, not searched" in result.stdout
    rows = _files(run, patient)
    assert [(r["id"], r["kind"], r["type"], r["text"]) for r in rows] == [
        (2, "insurance-card", "PNG", "image, not searched"),
        (1, "referral", "PDF", "searchable"),
    ]
    assert rows[1]["date"] == "2026-11-20" and rows[1]["source"] == "Dr Lopez"
    assert _files(run, patient, "--kind", "referral")[0]["id"] == 1
    csv = run(["chart", "files", patient, "-f", "csv"]).stdout
    assert csv.splitlines()[0].startswith("id,mrn,patient,date,kind")


def test_the_same_file_twice_is_one_document(run, store, patient, tmp_path):
    data = pdf_with_text("Consent to treat")
    first = _write(tmp_path, "consent.pdf", data)
    again = _write(tmp_path, "consent-copy.pdf", data)
    run(["chart", "file", patient, first, "--kind", "consent"])
    result = run(["chart", "file", patient, again, first, "--kind", "consent"])
    assert result.stdout.count("is already document 1") == 2
    assert store.scalar("SELECT count(*) FROM documents") == 1
    assert store.scalar("SELECT count(*) FROM blobs") == 1
    # The same bytes for another patient: a document of theirs, one copy of the bytes.
    result = run(["chart", "file", "P000002", first, "--kind", "consent"])
    assert "also filed for another patient (document 1)" in result.stderr
    assert store.scalar("SELECT count(*) FROM blobs") == 1


def test_search_finds_a_pdf_by_a_word_of_its_text(run, patient, tmp_path):
    run(
        [
            "chart",
            "file",
            patient,
            _write(tmp_path, "a.pdf", pdf_with_text("Echocardiogram report")),
            "--kind",
            "outside-record",
        ]
    )
    run(
        [
            "chart",
            "file",
            patient,
            _write(tmp_path, "b.pdf", pdf_with_text("Colonoscopy prep")),
            "--kind",
            "letter",
        ]
    )
    run(
        [
            "chart",
            "file",
            "P000002",
            _write(tmp_path, "c.png", png()),
            "--kind",
            "id",
            "--from",
            "Front desk",
        ]
    )
    found = _files(run, "--search", "echocardiogram")
    assert [(r["id"], r["mrn"]) for r in found] == [(1, "P000001")]
    assert _files(run, patient, "--search", "colono")[0]["file"] == "b.pdf"
    assert _files(run, "--search", "nothing-like-this") == []
    # An image is found by what was said about it, and the listing says it is not read.
    result = run(["chart", "files", "--search", "front desk"])
    assert (
        "c.png" in result.stdout
        and "found by kind, sender, note or file name only" in result.stdout
    )


def test_original_bytes_come_back_identical_and_private(run, patient, tmp_path):
    data = pdf_with_text("Discharge summary")
    run(
        [
            "chart",
            "file",
            patient,
            _write(tmp_path, "summary.pdf", data),
            "--kind",
            "outside-record",
        ]
    )
    out = tmp_path / "out" / "copy.pdf"
    out.parent.mkdir()
    run(["chart", "file", "show", "1", "-o", str(out)])
    assert out.read_bytes() == data
    assert os.stat(out).st_mode & 0o777 == 0o600
    assert run(["chart", "file", "show", "1", "-o", "-"]).stdout_bytes == data


def test_a_pdf_without_text_is_filed_and_marked(run, patient, tmp_path):
    result = run(
        [
            "chart",
            "file",
            patient,
            _write(tmp_path, "fax.pdf", pdf_without_text()),
            "--kind",
            "result",
        ]
    )
    assert "no text" in result.stdout
    assert _files(run, patient)[0]["text"] == "no text"


def test_bad_files_get_one_error_line_and_nothing_is_stored(run, patient, tmp_path, db_path):
    from tests.conftest import dump

    good = _write(tmp_path, "good.pdf", pdf_with_text("fine"))
    cases = {
        "empty.pdf": (b"", "empty.pdf is empty"),
        "broken.pdf": (b"%PDF-1.4\n1 0 obj garbage", "broken.pdf is not a readable PDF"),
        "thing.bin": (b"\x00\x01\x02\x03 binary", "cannot tell what kind of file"),
    }
    before = dump(db_path)
    for name, (data, message) in cases.items():
        result = run(
            ["chart", "file", patient, good, _write(tmp_path, name, data), "--kind", "other"],
            expect=1,
        )
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    run(["config", "set", "documents.max_mb", "1"])
    big = _write(tmp_path, "big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
    result = run(["chart", "file", patient, big, "--kind", "other"], expect=1)
    assert "documents are limited to 1 MB (setting documents.max_mb)" in result.stderr
    after = dump(db_path)
    assert after.count("INSERT INTO documents") == before.count("INSERT INTO documents") == 0
    assert "INSERT INTO blobs" not in after


def test_an_amendment_keeps_its_history(run, patient, tmp_path):
    run(
        [
            "chart",
            "file",
            patient,
            _write(tmp_path, "r.pdf", pdf_with_text("Referral")),
            "--kind",
            "referral",
            "--date",
            "2026-11-20",
        ]
    )
    result = run(
        [
            "chart",
            "file",
            "amend",
            "1",
            "--kind",
            "outside-record",
            "--date",
            "2026-11-19",
            "--reason",
            "a discharge summary, not a referral",
        ]
    )
    assert "outside-record, PDF, 1 page, dated 2026-11-19 (version 2)" in result.stdout
    history = json.loads(run(["chart", "file", "history", "1", "-f", "json"]).stdout)
    assert [(v["version"], v["kind"], v["date"], v["reason"]) for v in history] == [
        (1, "referral", "2026-11-20", None),
        (2, "outside-record", "2026-11-19", "a discharge summary, not a referral"),
    ]
    rows = _files(run, patient)
    assert [(r["id"], r["kind"], r["amended"]) for r in rows] == [(1, "outside-record", "yes")]
    assert _files(run, patient, "--search", "outside record")[0]["id"] == 1
    run(["chart", "file", "amend", "1", "--reason", "x"], expect=1)
    run(["chart", "file", "amend", "99", "--note", "x", "--reason", "x"], expect=1)


def test_documents_are_append_only(store, run, patient, tmp_path):
    import sqlite3

    import pytest

    run(
        ["chart", "file", patient, _write(tmp_path, "r.pdf", pdf_with_text("x")), "--kind", "other"]
    )
    for sql in ("UPDATE documents SET kind = 'id'", "DELETE FROM documents"):
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute(sql)


def test_every_view_is_audited(run, store, patient, tmp_path):
    run(
        ["chart", "file", patient, _write(tmp_path, "r.pdf", pdf_with_text("x")), "--kind", "other"]
    )
    run(["chart", "files", patient])
    run(["chart", "files", "--search", "x"])
    run(["chart", "file", "show", "1"])
    run(["chart", "file", "show", "1", "-o", str(tmp_path / "o.pdf")])
    actions = [
        (row["action"], row["patient_id"])
        for row in store.query(
            "SELECT action, patient_id FROM audit WHERE action LIKE 'documents.%'"
        )
    ]
    assert actions == [
        ("documents.file", 1),
        ("documents.list", 1),
        ("documents.search", 1),
        ("documents.view", 1),
        ("documents.export", 1),
    ]


def test_a_copy_that_cannot_be_written_is_refused_and_not_audited(run, store, patient, tmp_path):
    run(
        ["chart", "file", patient, _write(tmp_path, "a.pdf", pdf_with_text("x")), "--kind", "other"]
    )
    audited = store.scalar("SELECT count(*) FROM audit")
    target = tmp_path / "missing" / "copy.pdf"
    result = run(["chart", "file", "show", "1", "-o", str(target)], expect=1)
    assert "does not exist" in result.stderr
    assert store.scalar("SELECT count(*) FROM audit") == audited
