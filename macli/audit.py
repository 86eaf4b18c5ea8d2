"""The append-only, hash-chained audit log of every view and change of patient data."""

from __future__ import annotations

import json
import re
from datetime import datetime

from macli.store import Store
from macli.when import utc_text

GENESIS = "0" * 64

try:
    # CPython's own SHA-256, built in: the same digest as hashlib's, without loading
    # OpenSSL (about 4 ms of every command that views patient data and so writes a row).
    from _sha256 import sha256 as _sha256
except ImportError:  # pragma: no cover - Python 3.12 on names it _sha2
    try:
        from _sha2 import sha256 as _sha256
    except ImportError:
        from hashlib import sha256 as _sha256


def _digest(row: dict) -> str:
    payload = json.dumps(
        [
            row["id"],
            row["at"],
            row["user"],
            row["action"],
            row["patient_id"],
            row["detail"],
            row["prev_hash"],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return _sha256(payload.encode("utf-8")).hexdigest()


def record(
    store: Store,
    *,
    user: str,
    action: str,
    now: datetime,
    patient_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Append one audit row chained to the previous one."""
    record_many(store, user=user, action=action, now=now, entries=[(patient_id, detail)])


def record_many(
    store: Store,
    *,
    user: str,
    action: str,
    now: datetime,
    entries: list[tuple[int | None, str | None]],
) -> None:
    """Append one chained row per (patient_id, detail), in one transaction."""
    if not store.conn.in_transaction:
        # Rows on their own record a read (a view, a listing, an export, a query): their
        # commit skips the fsync, so a read costs no flush of its own. The row survives a
        # killed process at once, and a power cut from the checkpoint SQLite runs (with
        # its fsyncs) when the store closes, or from the next ordinary commit.
        with store.fast_commits():
            _append(store, user=user, action=action, now=now, entries=entries)
        return
    _append(store, user=user, action=action, now=now, entries=entries)


def _append(store: Store, *, user: str, action: str, now: datetime, entries: list) -> None:
    at = utc_text(now)
    with store.write():
        last = store.one("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")
        next_id = (last["id"] + 1) if last else 1
        previous = last["hash"] if last else GENESIS
        rows = []
        for patient_id, detail in entries:
            row = {
                "id": next_id,
                "at": at,
                "user": user,
                "action": action,
                "patient_id": patient_id,
                "detail": detail,
                "prev_hash": previous,
            }
            row["hash"] = previous = _digest(row)
            rows.append(tuple(row.values()))
            next_id += 1
        store.conn.executemany(
            "INSERT INTO audit (id, at, user, action, patient_id, detail, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def entries(store: Store, *, patient_id: int | None = None, since: str | None = None) -> list[dict]:
    """Audit rows, newest last, optionally for one patient and from a UTC instant on."""
    clauses, params = [], []
    if patient_id is not None:
        clauses.append("a.patient_id = ?")
        params.append(patient_id)
    if since is not None:
        clauses.append("a.at >= ?")
        params.append(since)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return store.query(
        "SELECT a.id, a.at, a.user, a.action, p.mrn, a.detail FROM audit a "
        f"LEFT JOIN patients p ON p.id = a.patient_id {where} ORDER BY a.id",
        params,
    )


def verify(store: Store) -> dict | None:
    """The first row where the chain breaks (edited, deleted or inserted), or None."""
    previous_hash, expected_id = GENESIS, 1
    for row in store.iterate("SELECT * FROM audit ORDER BY id"):
        if row["id"] != expected_id:
            return {"id": expected_id, "problem": f"row {expected_id} is missing"}
        if row["prev_hash"] != previous_hash:
            return {"id": row["id"], "problem": "does not follow the previous row"}
        if _digest(row) != row["hash"]:
            return {"id": row["id"], "problem": "content does not match its hash"}
        previous_hash, expected_id = row["hash"], expected_id + 1
    # AUTOINCREMENT remembers the highest id ever used: rows cut from the end show here.
    highest = store.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'audit'") or 0
    if highest >= expected_id:
        return {"id": expected_id, "problem": f"rows {expected_id}..{highest} are missing"}
    return None


HEAD_LINE = "macli-audit-head row={row} hash={hash} at={at}"
_HEAD = re.compile(r"row=(\d+)\s+hash=([0-9a-f]{64})")
_BARE_HASH = re.compile(r"^(?:(\d+):)?([0-9a-f]{64})$")


def head(store: Store) -> dict:
    """The last row of the chain: {row, hash, at} (row 0 and the genesis hash when empty)."""
    last = store.one("SELECT id, hash, at FROM audit ORDER BY id DESC LIMIT 1")
    if last is None:
        return {"row": 0, "hash": GENESIS, "at": None}
    return {"row": last["id"], "hash": last["hash"], "at": last["at"]}


def head_line(found: dict) -> str:
    """A head as one line to keep elsewhere (`>> heads.log`): read back by `read_head`."""
    return HEAD_LINE.format(row=found["row"], hash=found["hash"], at=found["at"] or "-")


def read_head(text: str) -> dict:
    """A recorded head from a hash, `ROW:HASH`, or the last head line of a file's text."""
    from macli.errors import Invalid

    bare = _BARE_HASH.match(text.strip().lower())
    if bare:
        return {"row": int(bare.group(1)) if bare.group(1) else None, "hash": bare.group(2)}
    found = _HEAD.findall(text)
    if not found:
        raise Invalid(
            "no audit head found: give a 64-character hash, ROW:HASH, or a file holding "
            "lines printed by `macli audit verify --head`"
        )
    row, digest = found[-1]
    return {"row": int(row), "hash": digest}


def extends(store: Store, recorded: dict) -> str | None:
    """Why the chain no longer extends a head recorded earlier, or None when it does.

    Run after `verify`: an intact chain that still holds the recorded row with the
    recorded hash extends it (each hash covers every row before it). A chain rewritten
    from that row on, or cut back before it, does not."""
    if recorded["hash"] == GENESIS:
        return None
    if recorded["row"] is None:
        row = store.one("SELECT id FROM audit WHERE hash = ?", [recorded["hash"]])
        if row is None:
            return f"no row of the chain has the recorded hash {recorded['hash'][:12]}…"
        return None
    row = store.one("SELECT id, hash FROM audit WHERE id = ?", [recorded["row"]])
    if row is None:
        last = head(store)["row"]
        return f"the recorded head is row {recorded['row']}, the chain ends at row {last}"
    if row["hash"] != recorded["hash"]:
        return (
            f"row {recorded['row']} no longer has the recorded hash: the chain was "
            "rewritten from there on"
        )
    return None
