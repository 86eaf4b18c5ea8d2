"""The one rule for whether a lot may be used, and the holds that are part of it.

A lot may not be used when it has expired (it is good through the end of its expiry
date, local), or while a hold is open on it: a supplier's recall, or a temperature
excursion of the storage unit that keeps it (placed by `macli qc`). `stock use`,
kits, and anything else that takes stock for a patient (point-of-care tests) ask
`refusal()` or `require_usable()`; nothing else decides it.
"""

from __future__ import annotations

from datetime import date, datetime

from macli.errors import Conflict, Invalid, NotFound
from macli.store import Store
from macli.when import utc_text

HOLD_KINDS = ("excursion", "recall")

# For SQL that counts what may be used (kits' can-make, low stock): `l` is stock_lots.
NOT_HELD_SQL = (
    "NOT EXISTS (SELECT 1 FROM stock_holds h WHERE h.lot_id = l.id AND h.ended_at IS NULL)"
)


def open_holds(store: Store, lot_id: int) -> list[dict]:
    """The holds still open on a lot, oldest first."""
    return store.query(
        "SELECT * FROM stock_holds WHERE lot_id = ? AND ended_at IS NULL ORDER BY id", [lot_id]
    )


def refusal(store: Store, lot: dict, *, today: date, sku: str | None = None) -> str | None:
    """Why this lot may not be used today (a message for the user), or None if it may."""
    name = f"lot {lot['lot']}" + (f" of {sku}" if sku else "")
    holds = open_holds(store, lot["id"])
    if holds:
        hold = holds[0]
        where = (
            f"held by excursion {hold['source_id']} (macli qc excursion show {hold['source_id']})"
            if hold["kind"] == "excursion"
            else "held: recalled by the supplier"
        )
        return f"DO NOT USE: {hold['reason']}; {name} is {where}"
    if lot["expires"] is not None and lot["expires"] < today.isoformat():
        return f"{name} expired on {lot['expires']} and may not be used"
    return None


def require_usable(store: Store, sku: str, lot_code: str, *, today: date) -> dict:
    """The lot `lot_code` of item `sku`, or Conflict saying why it may not be used."""
    from macli.stock import items

    item = items.get(store, sku)
    lot = store.one(
        "SELECT * FROM stock_lots WHERE item_id = ? AND lot = ? COLLATE NOCASE",
        [item["id"], (lot_code or "").strip()],
    )
    if lot is None:
        raise NotFound(f"{item['sku']} has no lot {(lot_code or '').strip()!r}")
    why = refusal(store, lot, today=today, sku=item["sku"])
    if why:
        raise Conflict(why)
    return lot


def place_hold(
    store: Store,
    lot_id: int,
    *,
    kind: str,
    reason: str,
    source_id: int | None = None,
    user: str,
    now: datetime,
) -> int | None:
    """Hold a lot (returns the hold id); a lot already held for the same source is left."""
    if kind not in HOLD_KINDS:
        raise Invalid(f"a hold is one of: {', '.join(HOLD_KINDS)}")
    with store.write():
        if source_id is not None and store.scalar(
            "SELECT 1 FROM stock_holds WHERE lot_id = ? AND kind = ? AND source_id = ?",
            [lot_id, kind, source_id],
        ):
            return None
        return store.insert(
            "stock_holds",
            {
                "lot_id": lot_id,
                "kind": kind,
                "source_id": source_id,
                "reason": reason,
                "placed_at": utc_text(now),
                "placed_by": user,
            },
        )


def restate(store: Store, *, kind: str, source_id: int, reason: str) -> None:
    """Rewrite the reason of a source's open holds (an excursion that grew)."""
    with store.write():
        store.execute(
            "UPDATE stock_holds SET reason = ? WHERE kind = ? AND source_id = ?"
            " AND ended_at IS NULL",
            [reason, kind, source_id],
        )


def end_hold(
    store: Store, hold_id: int, *, outcome: str, why: str, user: str, now: datetime
) -> None:
    """End one open hold: `released` (the lot may be used again) or `discarded`."""
    if outcome not in ("released", "discarded"):
        raise Invalid("a hold ends released or discarded")
    with store.write():
        done = store.execute(
            "UPDATE stock_holds SET ended_at = ?, ended_by = ?, outcome = ?, why = ?"
            " WHERE id = ? AND ended_at IS NULL",
            [utc_text(now), user, outcome, why, hold_id],
        )
        if done.rowcount != 1:
            raise Conflict(f"hold {hold_id} is not open")


def end_holds_of_empty_lot(store: Store, lot_id: int, *, why: str, user: str, now: datetime):
    """A lot with nothing left in it holds nothing to protect: its holds end discarded."""
    with store.write():
        if store.scalar("SELECT on_hand FROM stock_lots WHERE id = ?", [lot_id]) == 0:
            for hold in open_holds(store, lot_id):
                end_hold(store, hold["id"], outcome="discarded", why=why, user=user, now=now)


def holds_listing(store: Store, *, open_only: bool = True) -> list[dict]:
    """Holds (open ones by default) with the item and lot they keep."""
    where = "WHERE h.ended_at IS NULL" if open_only else ""
    return store.query(
        "SELECT h.id, i.sku, l.lot, l.on_hand, h.kind, h.source_id, h.reason,"
        " h.placed_at, h.placed_by, h.outcome, h.ended_at, h.why"
        " FROM stock_holds h JOIN stock_lots l ON l.id = h.lot_id"
        f" JOIN stock_items i ON i.id = l.item_id {where} ORDER BY h.id"
    )


HOLD_COLUMNS = (
    "id",
    "sku",
    "lot",
    "on_hand",
    "kind",
    "source_id",
    "reason",
    "placed_at",
    "placed_by",
    "outcome",
    "ended_at",
    "why",
)


def recall(store: Store, sku: str, lot_code: str, *, why: str, user: str, now: datetime) -> dict:
    """Hold a lot its supplier has recalled."""
    from macli.stock import items

    why = " ".join((why or "").split())
    if not why:
        raise Invalid("say what the recall notice says (--why)")
    if any(ord(ch) < 32 for ch in why):
        raise Invalid("--why may not contain control characters")
    with store.write():
        item = items.get(store, sku)
        lot = store.one(
            "SELECT * FROM stock_lots WHERE item_id = ? AND lot = ? COLLATE NOCASE",
            [item["id"], (lot_code or "").strip()],
        )
        if lot is None:
            raise NotFound(f"{item['sku']} has no lot {(lot_code or '').strip()!r}")
        if any(hold["kind"] == "recall" for hold in open_holds(store, lot["id"])):
            raise Conflict(f"lot {lot['lot']} of {item['sku']} is already held as recalled")
        place_hold(
            store,
            lot["id"],
            kind="recall",
            reason=f"{item['sku']} lot {lot['lot']} was recalled by the supplier ({why})",
            user=user,
            now=now,
        )
    return {"sku": item["sku"], "lot": lot["lot"]}
