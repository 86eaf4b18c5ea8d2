"""The append-only spine of a chart: new entries, amendments and their history.

Every entry has a global id (what `chart amend ID` takes) and a thread: the id of its
first version. An amendment is a new entry in the same thread that names the version it
corrects; the current version of a thread is the one nothing amends.
"""

from __future__ import annotations

from datetime import datetime

from macli.errors import Conflict, NotFound
from macli.store import Store
from macli.when import utc_text

# kind -> (detail table, its columns); vitals keep their values in chart_vital_values.
DETAILS = {
    "problem": ("chart_problems", ("code", "description", "onset", "note")),
    "medication": ("chart_medications", ("name", "dose", "route", "frequency", "start")),
    "allergy": ("chart_allergies", ("substance", "reaction", "severity")),
    "result": ("chart_results", ("test", "value", "unit", "low", "high", "loinc")),
    "note": ("chart_notes", ("text",)),
    "resolution": ("chart_status", ("target_id", "on_date")),
    "stop": ("chart_status", ("target_id", "on_date")),
}
NOT_AMENDED = "NOT EXISTS (SELECT 1 FROM chart_entries later WHERE later.amends = e.id)"


def add(
    store: Store,
    *,
    patient_id: int,
    kind: str,
    at: datetime | str,
    user: str,
    now: datetime,
    detail: dict | None = None,
    amends: dict | None = None,
    reason: str | None = None,
    voided: bool = False,
) -> int:
    """Write one entry (and its detail row); call inside `store.write()`."""
    entry_id = (store.scalar("SELECT MAX(id) FROM chart_entries") or 0) + 1
    store.insert(
        "chart_entries",
        {
            "id": entry_id,
            "patient_id": patient_id,
            "kind": kind,
            "thread_id": amends["thread_id"] if amends else entry_id,
            "amends": amends["id"] if amends else None,
            "voided": int(voided),
            "reason": reason,
            "at": at if isinstance(at, str) else utc_text(at),
            "recorded_at": utc_text(now),
            "recorded_by": user,
        },
    )
    if kind in DETAILS and detail is not None:
        table, columns = DETAILS[kind]
        store.insert(table, {"entry_id": entry_id, **{c: detail.get(c) for c in columns}})
    return entry_id


def get(store: Store, entry_id: int | str, kinds: tuple[str, ...] | None = None) -> dict:
    """One entry with its detail columns; NotFound if absent or of another kind."""
    try:
        number = int(str(entry_id).lstrip("#"))
    except ValueError:
        raise NotFound(f"no chart entry {entry_id!r} (entry ids are numbers)") from None
    entry = store.one("SELECT * FROM chart_entries WHERE id = ?", [number])
    if entry is None or (kinds and entry["kind"] not in kinds):
        what = " or ".join(kinds) if kinds else "chart entry"
        raise NotFound(f"no {what} with id {number}")
    if entry["kind"] in DETAILS:
        table, columns = DETAILS[entry["kind"]]
        row = store.one(
            f"SELECT {', '.join(columns)} FROM {table} WHERE entry_id = ?", [entry["id"]]
        )
        entry.update(row or {})
    return entry


def current(store: Store, entry: dict) -> dict:
    """The newest version of the entry's thread."""
    newest = store.scalar(
        "SELECT MAX(id) FROM chart_entries WHERE thread_id = ?", [entry["thread_id"]]
    )
    return entry if newest == entry["id"] else get(store, newest)


def require_current(store: Store, entry: dict) -> dict:
    """The entry itself if it is the live version; Conflict naming the live one if not."""
    newest = current(store, entry)
    if newest["voided"]:
        raise Conflict(
            f"entry {entry['id']} was voided by entry {newest['id']} ({newest['reason']}); "
            "record it anew instead"
        )
    if newest["id"] != entry["id"]:
        raise Conflict(
            f"entry {entry['id']} was already amended by entry {newest['id']}; "
            f"amend {newest['id']} instead"
        )
    return entry


def status_of(store: Store, thread_id: int) -> dict | None:
    """The live resolution or stop of a problem or medication thread, if any."""
    return store.one(
        "SELECT e.id, e.kind, s.on_date FROM chart_status s JOIN chart_entries e"
        f" ON e.id = s.entry_id WHERE s.target_id = ? AND e.voided = 0 AND {NOT_AMENDED}",
        [thread_id],
    )


def history(store: Store, entry: dict) -> list[dict]:
    """Every version of the entry's thread, oldest first, with its resolutions or stops
    (whose amendments carry the same target, so they are found the same way)."""
    ids = store.query(
        "SELECT id FROM chart_entries WHERE thread_id = ?"
        " UNION SELECT entry_id AS id FROM chart_status WHERE target_id = ? ORDER BY id",
        [entry["thread_id"], entry["thread_id"]],
    )
    return [get(store, row["id"]) for row in ids]
