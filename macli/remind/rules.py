"""Reminder rules: which channel, how long before the appointment, for which type."""

from __future__ import annotations

from datetime import datetime, timedelta

from macli.errors import Conflict, Invalid, NotFound
from macli.remind.schema import CHANNELS
from macli.store import Store
from macli.when import duration_text, parse_duration, utc_text

COLUMNS = ("id", "channel", "before", "type", "created_at", "created_by")


def add(
    store: Store,
    *,
    channel: str,
    before: str,
    type_ref: str | None = None,
    user: str,
    now: datetime,
) -> dict:
    """Add a rule such as "e-mail 2 days before"; the same active rule twice is refused."""
    if channel not in CHANNELS:
        raise Invalid(f"unknown channel {channel!r} (use {', '.join(CHANNELS)})")
    span = parse_duration(before)
    if span.days > 60:
        raise Invalid(f"{before!r} is more than 60 days before the appointment")
    seconds = int(span.total_seconds())
    with store.write():
        type_id = _resolve_type(store, type_ref)["id"] if type_ref else None
        twin = store.one(
            "SELECT id FROM reminder_rules WHERE active = 1 AND channel = ?"
            " AND before_seconds = ? AND ifnull(type_id, 0) = ?",
            [channel, seconds, type_id or 0],
        )
        if twin:
            raise Conflict(
                f"rule {twin['id']} already sends {channel} {duration_text(span)} before"
            )
        rule_id = store.insert(
            "reminder_rules",
            {
                "channel": channel,
                "before_seconds": seconds,
                "type_id": type_id,
                "active": 1,
                "created_at": utc_text(now),
                "created_by": user,
            },
        )
    return get(store, rule_id)


def get(store: Store, rule_id: int) -> dict:
    rows = _select(store, "r.id = ?", [rule_id])
    if not rows:
        raise NotFound(f"no reminder rule {rule_id}")
    return rows[0]


def listing(store: Store) -> list[dict]:
    """The active rules, by channel and lead time."""
    return _select(store, "r.active = 1", [])


def active(store: Store) -> list[dict]:
    """Active rules as the planner needs them (before_seconds, type_id)."""
    return store.query(
        "SELECT id, channel, before_seconds, type_id FROM reminder_rules WHERE active = 1"
        " ORDER BY id"
    )


def remove(store: Store, rule_id: int, *, user: str, now: datetime) -> dict:
    """Stop a rule; reminders it already sent stay in the log, pending ones are withdrawn."""
    with store.write():
        rule = get(store, rule_id)
        if not store.scalar("SELECT active FROM reminder_rules WHERE id = ?", [rule_id]):
            raise Conflict(f"reminder rule {rule_id} was already removed")
        stamp = utc_text(now)
        store.execute(
            "UPDATE reminder_rules SET active = 0, removed_at = ?, removed_by = ? WHERE id = ?",
            [stamp, user, rule_id],
        )
        store.execute(
            "UPDATE reminders SET status = 'withdrawn', error = 'rule removed', updated_at = ?,"
            " updated_by = ? WHERE rule_id = ? AND status IN ('queued', 'deferred', 'to-call')",
            [stamp, user, rule_id],
        )
    return rule


def _select(store: Store, where: str, params: list) -> list[dict]:
    rows = store.query(
        "SELECT r.id, r.channel, r.before_seconds, t.name AS type, r.created_at, r.created_by"
        " FROM reminder_rules r LEFT JOIN appointment_types t ON t.id = r.type_id"
        f" WHERE {where} ORDER BY r.channel, r.before_seconds DESC, r.id",
        params,
    )
    for row in rows:
        row["before"] = before_text(row.pop("before_seconds"))
    return rows


def before_text(seconds: int) -> str:
    """A rule's lead time as it was typed: `2d`, `1h30m`."""
    return duration_text(timedelta(seconds=seconds))


def _resolve_type(store: Store, reference: str) -> dict:
    text = reference.strip()
    row = store.one(
        "SELECT id, name FROM appointment_types WHERE id = ? OR lower(name) = lower(?)",
        [int(text) if text.isdigit() else -1, text],
    )
    if row is None:
        names = [r["name"] for r in store.query("SELECT name FROM appointment_types ORDER BY name")]
        known = (
            f"; known types: {', '.join(names)}" if names else "; no appointment types exist yet"
        )
        raise NotFound(f"no appointment type {reference!r}{known}")
    return row
