"""Phone messages: taken once, then handed over, called back, closed and reopened, each
step an appended event. Every view of a patient's messages is audited."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from macli import audit, settings
from macli.errors import Conflict, Invalid, NotFound
from macli.identifiers import fold, phone_e164
from macli.patients import core as patients
from macli.patients import providers
from macli.phone import due
from macli.phone.schema import OUTCOMES, REASONS, RELATIONS
from macli.store import Store
from macli.when import parse_datetime, utc_text

FRONT_DESK = "front desk"
_FRONT_DESK_NAMES = {"front-desk", "front desk", "frontdesk", "desk"}
SUMMARY_WORDS = 6
LIST_COLUMNS = (
    "id",
    "status",
    "flag",
    "due_at",
    "for",
    "mrn",
    "patient",
    "caller",
    "number",
    "reason",
    "summary",
    "attempts",
)
EVENT_COLUMNS = ("at", "user", "kind", "to", "outcome", "note")


def _text(value: str | None, what: str, *, required: bool = True, limit: int = 2000) -> str | None:
    value = " ".join((value or "").split()) if what != "note" else (value or "").strip()
    if not value:
        if required:
            raise Invalid(f"{what} may not be empty")
        return None
    if len(value) > limit:
        raise Invalid(f"{what} is longer than {limit} characters")
    if any(ord(ch) < 32 and ch not in "\n\t" or ord(ch) == 127 for ch in value):
        raise Invalid(f"{what} may not contain control characters")
    return value


def recipient(store: Store, who: str | None) -> int | None:
    """A provider's id for `--for`/`--to`, or None for the front desk."""
    text = " ".join((who or "").split())
    if not text:
        raise Invalid("say who the message is for: a provider, or front-desk")
    if text.lower() in _FRONT_DESK_NAMES:
        return None
    return providers.resolve(store, text)["id"]


def emergency_words(store: Store, note: str) -> list[str]:
    """The emergency phrases (setting phone.emergency_words) that a note contains."""
    folded = fold(note.replace("’", "'"))
    found = []
    for phrase in settings.get(store, "phone.emergency_words").split(","):
        needle = fold(phrase.replace("’", "'"))
        if needle and re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", folded):
            found.append(phrase.strip())
    return found


def take(
    store: Store,
    patient_ref: str | None,
    *,
    caller: str,
    relation: str,
    number: str,
    reason: str,
    for_who: str,
    note: str,
    urgent: bool = False,
    callback_by: str | None = None,
    identity_verified: bool = False,
    region: str,
    tz: ZoneInfo,
    user: str,
    now: datetime,
) -> dict:
    """Record a message; returns it with `emergency` (the phrases found) so the command can
    print the clinic's escalation instruction."""
    caller = _text(caller, "the caller's name", limit=200)
    note = _text(note, "the note")
    if relation not in RELATIONS:
        raise Invalid(f"unknown relation {relation!r} (use {', '.join(RELATIONS)})")
    if reason not in REASONS:
        raise Invalid(f"unknown reason {reason!r} (use {', '.join(REASONS)})")
    number = phone_e164(_text(number, "the callback number", limit=50), region)
    asked_by = None
    if callback_by is not None:
        asked_by = parse_datetime(callback_by, tz, now)
        if asked_by <= now:
            raise Invalid(f"the callback time {callback_by!r} is in the past")
    found = emergency_words(store, note)
    urgent = bool(urgent or found)
    with store.write():
        patient = patients.resolve(store, patient_ref) if patient_ref else None
        for_id = recipient(store, for_who)
        due_at = due.due_at(store, now=now, tz=tz, urgent=urgent)
        if asked_by is not None and (not urgent or asked_by < due_at):
            due_at = asked_by
        message_id = store.insert(
            "phone_messages",
            {
                "patient_id": patient["id"] if patient else None,
                "caller": caller,
                "relation": relation,
                "number": number,
                "reason": reason,
                "note": note,
                "for_provider_id": for_id,
                "urgent": int(urgent),
                "emergency": int(bool(found)),
                "identity_verified": int(identity_verified),
                "due_at": utc_text(due_at),
                "taken_at": utc_text(now),
                "taken_by": user,
            },
        )
        store.insert(
            "phone_open",
            {"message_id": message_id, "due_at": utc_text(due_at), "for_provider_id": for_id},
        )
        audit.record(
            store,
            user=user,
            action="phone.take",
            now=now,
            patient_id=patient["id"] if patient else None,
            detail=f"message {message_id} {reason}" + (" emergency" if found else ""),
        )
    return {**get(store, message_id), "emergency": found}


def get(store: Store, message_id: int) -> dict:
    """One message with its current state (no audit: for the commands' own use)."""
    row = store.one(_SELECT + " WHERE c.id = ?", [int(message_id)])
    if row is None:
        raise NotFound(f"no phone message {message_id}")
    return row


_SELECT = (
    "SELECT c.id, c.patient_id, p.mrn, p.name AS patient, c.caller, c.relation, c.number,"
    " c.reason, c.note, c.urgent, c.emergency, c.identity_verified,"
    " COALESCE(v.name, 'front desk') AS \"for\", c.current_for_id AS for_provider_id,"
    " c.current_due_at AS due_at, c.closed, c.attempts, c.taken_at, c.taken_by"
    " FROM phone_current c LEFT JOIN patients p ON p.id = c.patient_id"
    " LEFT JOIN providers v ON v.id = c.current_for_id"
)


def _summary(note: str) -> str:
    words = note.split()
    return " ".join(words[:SUMMARY_WORDS]) + (" …" if len(words) > SUMMARY_WORDS else "")


def _listed(row: dict, now: datetime) -> dict:
    overdue = not row["closed"] and row["due_at"] < utc_text(now)
    flag = "emergency" if row["emergency"] else ("urgent" if row["urgent"] else "")
    return {
        "id": row["id"],
        "status": "closed" if row["closed"] else ("overdue" if overdue else "open"),
        "flag": flag,
        "due_at": row["due_at"],
        "for": row["for"],
        "for_provider_id": row["for_provider_id"],
        "mrn": row["mrn"],
        "patient": row["patient"],
        "patient_id": row["patient_id"],
        "caller": row["caller"],
        "relation": row["relation"],
        "number": row["number"],
        "reason": row["reason"],
        "summary": _summary(row["note"]),
        "attempts": row["attempts"],
        "taken_at": row["taken_at"],
    }


def messages(
    store: Store,
    *,
    open_only: bool = False,
    overdue: bool = False,
    for_who: str | None = None,
    patient_ref: str | None = None,
    patient_id: int | None = None,
    user: str,
    now: datetime,
    record_view: bool = True,
) -> list[dict]:
    """Messages, overdue first, then open by due time, then closed (newest first). Notes
    are cut to their first words; the view is audited once per patient shown."""
    clauses, params = [], []
    if overdue:
        clauses.append("c.id IN (SELECT message_id FROM phone_open WHERE due_at < ?)")
        params.append(utc_text(now))
    elif open_only:
        clauses.append("c.id IN (SELECT message_id FROM phone_open)")
    if for_who is not None:
        provider_id = recipient(store, for_who)
        clauses.append("c.current_for_id IS ?")
        params.append(provider_id)
    if patient_ref is not None:
        patient_id = patients.resolve(store, patient_ref)["id"]
    if patient_id is not None:
        clauses.append("c.patient_id = ?")
        params.append(patient_id)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = store.query(
        _SELECT + where + " ORDER BY c.closed, c.closed = 0 AND c.current_due_at >= ?,"
        " CASE WHEN c.closed THEN '' ELSE c.current_due_at END, c.id DESC",
        [*params, utc_text(now)],
    )
    listed = [_listed(row, now) for row in rows]
    if record_view:
        _audit_view(store, listed, user=user, now=now, action="phone.list")
    return listed


def _audit_view(store: Store, rows: list[dict], *, user: str, now: datetime, action: str):
    shown: dict[int | None, int] = {}
    for row in rows:
        shown[row["patient_id"]] = shown.get(row["patient_id"], 0) + 1
    if not shown:
        shown[None] = 0
    audit.record_many(
        store,
        user=user,
        action=action,
        now=now,
        entries=[(patient_id, f"messages={count}") for patient_id, count in shown.items()],
    )


def show(store: Store, message_id: int, *, user: str, now: datetime) -> dict:
    """A message in full, with every attempt and hand-over; the view is audited."""
    row = get(store, message_id)
    events = store.query(
        "SELECT e.at, e.user, e.kind, CASE WHEN e.kind = 'forward'"
        " THEN COALESCE(v.name, 'front desk') END AS \"to\", e.outcome, e.due_at, e.note"
        " FROM phone_events e LEFT JOIN providers v ON v.id = e.to_provider_id"
        " WHERE e.message_id = ? ORDER BY e.id",
        [row["id"]],
    )
    audit.record(
        store,
        user=user,
        action="phone.view",
        now=now,
        patient_id=row["patient_id"],
        detail=f"message {row['id']}",
    )
    listed = _listed(row, now)
    return {
        **{key: listed[key] for key in ("id", "status", "flag")},
        **{key: row[key] for key in ("mrn", "patient", "caller", "relation", "number")},
        "identity_verified": bool(row["identity_verified"]),
        "reason": row["reason"],
        "for": row["for"],
        "due_at": row["due_at"],
        "taken_at": row["taken_at"],
        "taken_by": row["taken_by"],
        "note": row["note"],
        "history": events,
    }


def _event(store, message, kind, *, user, now, detail, **values) -> dict:
    store.insert(
        "phone_events",
        {"message_id": message["id"], "kind": kind, "at": utc_text(now), "user": user, **values},
    )
    audit.record(
        store,
        user=user,
        action=f"phone.{kind}",
        now=now,
        patient_id=message["patient_id"],
        detail=f"message {message['id']} {detail}".strip(),
    )
    return get(store, message["id"])


def _open_message(store: Store, message_id: int, verb: str) -> dict:
    message = get(store, message_id)
    if message["closed"] and verb == "close":
        raise Conflict(f"message {message_id} is already closed")
    if message["closed"]:
        raise Conflict(f"message {message_id} is closed; reopen it before you {verb} it")
    return message


def callback(
    store: Store, message_id: int, outcome: str, *, note: str | None, user: str, now: datetime
) -> dict:
    """Record one attempt to call back: reached, voicemail, no-answer or wrong-number."""
    if outcome not in OUTCOMES:
        raise Invalid(f"unknown outcome {outcome!r} (use {', '.join(OUTCOMES)})")
    note = _text(note, "the note", required=False)
    with store.write():
        message = _open_message(store, message_id, "call back")
        return _event(
            store, message, "callback", user=user, now=now, detail=outcome, outcome=outcome,
            note=note,
        )  # fmt: skip


def forward(
    store: Store, message_id: int, to: str, *, note: str | None, user: str, now: datetime
) -> dict:
    """Hand a message to a provider or to the front desk."""
    note = _text(note, "the note", required=False)
    with store.write():
        message = _open_message(store, message_id, "forward")
        to_id = recipient(store, to)
        if to_id == message["for_provider_id"]:
            raise Conflict(f"message {message_id} is already for {message['for']}")
        store.execute(
            "UPDATE phone_open SET for_provider_id = ? WHERE message_id = ?",
            [to_id, message["id"]],
        )
        return _event(
            store, message, "forward", user=user, now=now, detail="", to_provider_id=to_id,
            note=note,
        )  # fmt: skip


def close(store: Store, message_id: int, resolution: str, *, user: str, now: datetime) -> dict:
    """Close a message with what was done about it (required)."""
    resolution = _text(resolution, "the resolution")
    with store.write():
        message = _open_message(store, message_id, "close")
        store.execute("DELETE FROM phone_open WHERE message_id = ?", [message["id"]])
        return _event(store, message, "close", user=user, now=now, detail="", note=resolution)


def reopen(
    store: Store, message_id: int, why: str, *, tz: ZoneInfo, user: str, now: datetime
) -> dict:
    """Reopen a closed message; its callback comes due again by the clinic's rules."""
    why = _text(why, "the reason for reopening")
    with store.write():
        message = get(store, message_id)
        if not message["closed"]:
            raise Conflict(f"message {message_id} is open")
        due_at = due.due_at(store, now=now, tz=tz, urgent=bool(message["urgent"]))
        store.insert(
            "phone_open",
            {
                "message_id": message["id"],
                "due_at": utc_text(due_at),
                "for_provider_id": message["for_provider_id"],
            },
        )
        return _event(
            store, message, "reopen", user=user, now=now, detail="", note=why,
            due_at=utc_text(due_at),
        )  # fmt: skip


def overdue_by_person(store: Store, *, provider_id: int | None, now: datetime) -> list[dict]:
    """Open messages past their callback time, for the day sheet (no notes: reasons and
    first words only). Only that provider's when `provider_id` is given."""
    clauses = ["c.id IN (SELECT message_id FROM phone_open WHERE due_at < ?)"]
    params: list = [utc_text(now)]
    if provider_id is not None:
        clauses.append("c.current_for_id = ?")
        params.append(provider_id)
    rows = store.query(
        _SELECT + f' WHERE {" AND ".join(clauses)} ORDER BY "for", c.current_due_at, c.id',
        params,
    )
    return [_listed(row, now) for row in rows]
