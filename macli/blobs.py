"""Files kept inside the store, once per content: receipts, filed documents, tracings.

A blob is known by the SHA-256 of its bytes, so the same file kept twice is one row,
and an area's table points at it by that digest (`REFERENCES blobs (sha256)`). The
bytes live in the store itself, so `macli backup` copies them and replication ships
them; `macli check` recomputes every digest (`problems`). Blobs are append-only: what
an area filed is never changed or removed under it.
"""

from __future__ import annotations

import hashlib

from macli.errors import Invalid, NotFound
from macli.store import Store

MB = 1024 * 1024


def blobs_001_blobs(db) -> None:
    """The blobs table (a migration, kept here beside the code using it)."""
    from macli.schema import append_only

    db.execute(
        """
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),  -- hex digest of data
            size INTEGER NOT NULL,
            data BLOB NOT NULL,
            CHECK (size = length(data))
        ) STRICT
        """
    )
    append_only(db, "blobs")


# The schema history of the blobs table (listed in macli.migrations.AREAS).
MIGRATIONS = [blobs_001_blobs]


def digest(data: bytes) -> str:
    """The name a content is kept under: its SHA-256 in hex."""
    return hashlib.sha256(data).hexdigest()


def size_text(size: int) -> str:
    """`25 MB`, `300 KB`, `12 bytes`: a size as a person reads it."""
    if size >= MB:
        return f"{size / MB:.0f} MB" if size % MB == 0 else f"{size / MB:.1f} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} byte" + ("" if size == 1 else "s")


def keep(store: Store, data: bytes, *, limit: int, what: str = "the file") -> str:
    """Keep `data` once per content and return its SHA-256.

    `limit` is the caller's largest size in bytes; `what` names the file in messages
    ("the receipt file is 30 MB; ..."). Runs inside the caller's transaction if any.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise Invalid(f"{what} is not a file's bytes")
    data = bytes(data)
    if not data:
        raise Invalid(f"{what} is empty")
    if len(data) > limit:
        raise Invalid(f"{what} is {size_text(len(data))}; files are limited to {size_text(limit)}")
    sha256 = digest(data)
    with store.write():
        # Checked first, not `ON CONFLICT DO NOTHING`: the append-only guard refuses any
        # insert that collides with a kept row, before conflict handling could skip it.
        if store.scalar("SELECT 1 FROM blobs WHERE sha256 = ?", [sha256]) is None:
            store.execute(
                "INSERT INTO blobs (sha256, size, data) VALUES (?, ?, ?)",
                [sha256, len(data), data],
            )
    return sha256


def exists(store: Store, sha256: str) -> bool:
    """Whether a content with this digest is kept."""
    return store.scalar("SELECT 1 FROM blobs WHERE sha256 = ?", [sha256]) is not None


def read(store: Store, sha256: str) -> bytes:
    """The bytes kept under `sha256` (NotFound if none)."""
    data = store.scalar("SELECT data FROM blobs WHERE sha256 = ?", [sha256])
    if data is None:
        raise NotFound(f"no kept file with SHA-256 {sha256}")
    return bytes(data)


def size(store: Store, sha256: str) -> int:
    """The size in bytes of the content kept under `sha256` (NotFound if none)."""
    value = store.scalar("SELECT size FROM blobs WHERE sha256 = ?", [sha256])
    if value is None:
        raise NotFound(f"no kept file with SHA-256 {sha256}")
    return value


def problems(store: Store) -> list[str]:
    """Blobs whose bytes no longer match their digest (for `macli check`)."""
    found = []
    for row in store.iterate("SELECT sha256, data FROM blobs ORDER BY sha256"):
        if digest(bytes(row["data"])) != row["sha256"]:
            found.append(
                f"blobs: the file kept as {row['sha256'][:12]}... does not match its digest"
            )
    return found
