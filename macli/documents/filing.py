"""Filing files on the patient's record: what a file is, its text, one document per file
per patient, listings and search, the original bytes back, amendments."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from macli import audit, blobs, settings
from macli.documents.schema import KINDS
from macli.errors import Conflict, Invalid, NotFound
from macli.patients import core as patients
from macli.store import Store
from macli.when import local_text, parse_date, utc_text

LIST_COLUMNS = (
    "id",
    "mrn",
    "patient",
    "date",
    "kind",
    "source",
    "file",
    "type",
    "pages",
    "size",
    "text",
    "note",
    "filed_by",
    "amended",
)

# The first bytes that say what a file is. Only what a clinic files: PDFs, scans and
# photos, plain text. Anything else is refused rather than kept as an unknown blob.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
TYPE_NAMES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/tiff": "TIFF",
    "image/gif": "GIF",
    "text/plain": "text",
}
TEXT_SHOWN = {"text": "searchable", "no text": "no text", "image": "image, not searched"}


def max_bytes(store: Store) -> int:
    """The largest file filed, from the `documents.max_mb` setting."""
    return int(settings.get(store, "documents.max_mb")) * blobs.MB


def media_type(data: bytes) -> str | None:
    """What a file is from its first bytes, or None when it cannot be told."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    # A PDF may have a few bytes of junk before its header (fax software does this).
    if b"%PDF-" in data[:1024]:
        return "application/pdf"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text):
        return None
    return "text/plain"


def read_text(data: bytes, kind: str, name: str) -> tuple[str, str, int | None]:
    """(text, text_state, pages) for a file of type `kind`; Invalid if unreadable."""
    if kind == "text/plain":
        text = data.decode("utf-8-sig")
        return text, ("text" if text.strip() else "no text"), None
    if kind != "application/pdf":
        return "", "image", None
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf logs every oddity it repairs; a filing clerk needs none of that.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Invalid(f"{name} is a password-protected PDF; save an unlocked copy first")
        pages = len(reader.pages)
        text = "\n".join((page.extract_text() or "") for page in reader.pages)
    except Invalid:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise Invalid(f"{name} is not a readable PDF ({type(error).__name__}: {error})") from None
    except Exception as error:  # pypdf raises many kinds on a broken file
        raise Invalid(f"{name} is not a readable PDF ({type(error).__name__})") from None
    if pages == 0:
        raise Invalid(f"{name} is a PDF with no pages")
    # Text a PDF carries is the sender's: its control characters are removed (refusing
    # would leave a fax unfiled), line breaks and tabs kept (macli/text.py).
    from macli.text import clean

    text = clean(text, "the PDF's text", multiline=True, strip=True)
    return text, ("text" if text.strip() else "no text"), pages


def prepare(store: Store, data: bytes, name: str) -> dict:
    """Everything filing needs to know about one file, checked (nothing stored yet)."""
    limit = max_bytes(store)
    if not data:
        raise Invalid(f"{name} is empty")
    if len(data) > limit:
        raise Invalid(
            f"{name} is {blobs.size_text(len(data))}; documents are limited to "
            f"{blobs.size_text(limit)} (setting documents.max_mb)"
        )
    kind = media_type(data)
    if kind is None:
        raise Invalid(
            f"cannot tell what kind of file {name} is; PDF, PNG, JPEG, TIFF, GIF and plain "
            "text are filed"
        )
    text, state, pages = read_text(data, kind, name)
    return {
        "data": data,
        "name": name,
        "media_type": kind,
        "text": text,
        "text_state": state,
        "pages": pages,
    }


def _one_line(value: str | None, what: str) -> str | None:
    from macli.chart.core import clean_text

    return clean_text(value, what)


def _kind(value: str) -> str:
    kind = (value or "").strip().lower()
    if kind not in KINDS:
        raise Invalid(f"unknown document kind {value!r}; use one of {', '.join(KINDS)}")
    return kind


def _dated(text: str | None, today: date) -> str:
    if text is None or not text.strip():
        return today.isoformat()
    day = parse_date(text, today)
    if day > today:
        raise Invalid(f"the document's date {day} is in the future")
    return day.isoformat()


def file(
    store: Store,
    patient_ref: str,
    files: list[tuple[str, bytes]],
    *,
    kind: str,
    dated: str | None = None,
    source: str | None = None,
    note: str | None = None,
    user: str,
    now: datetime,
    today: date,
) -> list[dict]:
    """File each (name, bytes) on a patient's record; all or none.

    A file already filed for this patient is not filed again: its row comes back with
    `already` set. Returns one dict per file given, in order.
    """
    if not files:
        raise Invalid("no file given")
    kind = _kind(kind)
    day = _dated(dated, today)
    source = _one_line(source, "--from")
    note = _one_line(note, "--note")
    prepared = [prepare(store, data, name) for name, data in files]
    out = []
    with store.write():
        patient = patients.resolve(store, patient_ref)
        for item in prepared:
            sha256 = blobs.digest(item["data"])
            existing = store.scalar(
                "SELECT id FROM documents WHERE patient_id = ? AND sha256 = ? AND amends IS NULL",
                [patient["id"], sha256],
            )
            if existing is not None:
                out.append({**current(store, existing), "already": True, "elsewhere": []})
                continue
            elsewhere = [
                row["id"]
                for row in store.query(
                    "SELECT id FROM documents WHERE sha256 = ? AND amends IS NULL"
                    " AND patient_id <> ?",
                    [sha256, patient["id"]],
                )
            ]
            blobs.keep(store, item["data"], limit=max_bytes(store), what=item["name"])
            document_id = _insert(
                store,
                patient_id=patient["id"],
                sha256=sha256,
                kind=kind,
                dated=day,
                source=source,
                note=note,
                file_name=Path(item["name"]).name,
                media_type=item["media_type"],
                pages=item["pages"],
                text_state=item["text_state"],
                user=user,
                now=now,
            )
            _index(store, document_id, item["text"])
            audit.record(
                store,
                user=user,
                action="documents.file",
                now=now,
                patient_id=patient["id"],
                detail=f"document {document_id}",
            )
            out.append({**current(store, document_id), "already": False, "elsewhere": elsewhere})
    return out


def _insert(store: Store, *, user: str, now: datetime, amends: int | None = None, **row) -> int:
    with store.write():
        next_id = (store.scalar("SELECT max(id) FROM documents") or 0) + 1
        thread_id = next_id
        if amends is not None:
            thread_id = store.scalar("SELECT thread_id FROM documents WHERE id = ?", [amends])
        return store.insert(
            "documents",
            {
                "id": next_id,
                "thread_id": thread_id,
                "amends": amends,
                **row,
                "filed_at": utc_text(now),
                "filed_by": user,
            },
        )


def _index(store: Store, document_id: int, text: str | None) -> None:
    """(Re)write the search row of a document's thread from its current version."""
    row = store.one("SELECT * FROM documents WHERE id = ?", [document_id])
    about = " ".join(
        part
        for part in (
            row["kind"].replace("-", " "),
            row["source"] or "",
            row["note"] or "",
            re.sub(r"[._-]+", " ", row["file_name"]),
        )
        if part
    )
    thread = row["thread_id"]
    if text is None:
        text = store.scalar("SELECT body FROM documents_search WHERE rowid = ?", [thread]) or ""
    store.execute("DELETE FROM documents_search WHERE rowid = ?", [thread])
    store.execute(
        "INSERT INTO documents_search (rowid, about, body) VALUES (?, ?, ?)", [thread, about, text]
    )


_SELECT = """
    SELECT d.*, p.mrn, p.name AS patient_name,
           (SELECT count(*) FROM documents v WHERE v.thread_id = d.thread_id) - 1 AS amendments
    FROM documents d JOIN patients p ON p.id = d.patient_id
"""
_CURRENT = "NOT EXISTS (SELECT 1 FROM documents later WHERE later.amends = d.id)"


def current(store: Store, document_id: int) -> dict:
    """The current version of a document (any version's id finds its thread)."""
    thread = store.scalar("SELECT thread_id FROM documents WHERE id = ?", [document_id])
    if thread is None:
        raise NotFound(f"no document {document_id}")
    return store.one(_SELECT + f" WHERE d.thread_id = ? AND {_CURRENT}", [thread])


def _row(row: dict, tz) -> dict:
    return {
        "id": row["thread_id"],
        "mrn": row["mrn"],
        "patient": row["patient_name"],
        "date": row["dated"],
        "kind": row["kind"],
        "source": row["source"],
        "file": row["file_name"],
        "type": TYPE_NAMES.get(row["media_type"], row["media_type"]),
        "pages": row["pages"],
        "size": blobs.size_text(row["size"]) if "size" in row else None,
        "text": TEXT_SHOWN[row["text_state"]],
        "note": row["note"],
        "filed_by": row["filed_by"],
        "amended": "yes" if row["amendments"] else "",
    }


def listing(
    store: Store,
    patient_ref: str | None = None,
    *,
    kind: str | None = None,
    search: str | None = None,
    user: str,
    now: datetime,
    tz,
) -> list[dict]:
    """Current documents, newest first: one patient's, or everyone's matching `search`."""
    if patient_ref is None and not search:
        raise Invalid("give a patient, or --search WORDS to look through every chart")
    clauses, params = [_CURRENT], []
    patient = None
    if patient_ref is not None:
        patient = patients.resolve(store, patient_ref)
        clauses.append("d.patient_id = ?")
        params.append(patient["id"])
    if kind:
        clauses.append("d.kind = ?")
        params.append(_kind(kind))
    join = ""
    order = "d.dated DESC, d.thread_id DESC"
    if search:
        words = re.findall(r"\w+", search)
        if not words:
            raise Invalid(f"nothing to search for in {search!r}")
        join = " JOIN documents_search s ON s.rowid = d.thread_id"
        clauses.append("documents_search MATCH ?")
        params.append(" ".join(f'"{word}"*' for word in words))
        order = "s.rank, " + order
    sql = (
        "SELECT d.*, p.mrn, p.name AS patient_name, b.size,"
        " (SELECT count(*) FROM documents v WHERE v.thread_id = d.thread_id) - 1 AS amendments"
        " FROM documents d JOIN patients p ON p.id = d.patient_id"
        " JOIN blobs b ON b.sha256 = d.sha256" + join + " WHERE " + " AND ".join(clauses)
    )
    rows = store.query(sql + f" ORDER BY {order} LIMIT 500", params)
    with store.write():
        if patient is not None:
            audit.record(
                store,
                user=user,
                action="documents.list",
                now=now,
                patient_id=patient["id"],
                detail="search" if search else None,
            )
        else:
            audit.record_many(
                store,
                user=user,
                action="documents.search",
                now=now,
                entries=[(pid, "search") for pid in sorted({r["patient_id"] for r in rows})]
                or [(None, "search")],
            )
    return [_row(row, tz) for row in rows]


def show(store: Store, document_id: int, *, user: str, now: datetime, tz) -> dict:
    """One document's current version, its versions and its text (audited)."""
    row = current(store, document_id)
    thread = row["thread_id"]
    versions = [
        {
            "version": number,
            "id": version["id"],
            "kind": version["kind"],
            "date": version["dated"],
            "source": version["source"],
            "note": version["note"],
            "reason": version["reason"],
            "by": version["filed_by"],
            "at": local_text(version["filed_at"], tz),
        }
        for number, version in enumerate(
            store.query("SELECT * FROM documents WHERE thread_id = ? ORDER BY id", [thread]), 1
        )
    ]
    text = store.scalar("SELECT body FROM documents_search WHERE rowid = ?", [thread]) or ""
    with store.write():
        audit.record(
            store,
            user=user,
            action="documents.view",
            now=now,
            patient_id=row["patient_id"],
            detail=f"document {thread}",
        )
    return {
        **_row({**row, "size": blobs.size(store, row["sha256"])}, tz),
        "sha256": row["sha256"],
        "filed_at": versions[0]["at"],
        "filed_by": versions[0]["by"],
        "versions": versions,
        "text_excerpt": text.strip()[:1500],
    }


def original(store: Store, document_id: int, *, user: str, now: datetime) -> dict:
    """A document's original bytes and file name (audited as an export)."""
    row = current(store, document_id)
    data = blobs.read(store, row["sha256"])
    with store.write():
        audit.record(
            store,
            user=user,
            action="documents.export",
            now=now,
            patient_id=row["patient_id"],
            detail=f"document {row['thread_id']}",
        )
    return {
        "id": row["thread_id"],
        "file": row["file_name"],
        "media_type": row["media_type"],
        "data": data,
    }


def amend(
    store: Store,
    document_id: int,
    *,
    reason: str,
    kind: str | None = None,
    dated: str | None = None,
    source: str | None = None,
    note: str | None = None,
    user: str,
    now: datetime,
    today: date,
) -> dict:
    """Correct what is recorded about a document: a new version, with who and why."""
    reason = _one_line(reason, "--reason")
    if not reason:
        raise Invalid("say why the document is amended (--reason)")
    if kind is None and dated is None and source is None and note is None:
        raise Invalid("nothing to change: give --kind, --date, --from or --note")
    with store.write():
        row = current(store, document_id)
        changes = {
            "kind": _kind(kind) if kind is not None else row["kind"],
            "dated": _dated(dated, today) if dated is not None else row["dated"],
            "source": _one_line(source, "--from") if source is not None else row["source"],
            "note": _one_line(note, "--note") if note is not None else row["note"],
        }
        if all(changes[key] == row[key] for key in changes):
            raise Conflict(f"document {row['thread_id']} already says that; nothing changed")
        new_id = _insert(
            store,
            amends=row["id"],
            reason=reason,
            patient_id=row["patient_id"],
            sha256=row["sha256"],
            file_name=row["file_name"],
            media_type=row["media_type"],
            pages=row["pages"],
            text_state=row["text_state"],
            **changes,
            user=user,
            now=now,
        )
        _index(store, new_id, None)
        audit.record(
            store,
            user=user,
            action="documents.amend",
            now=now,
            patient_id=row["patient_id"],
            detail=f"document {row['thread_id']}",
        )
    return current(store, new_id)
