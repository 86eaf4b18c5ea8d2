"""Rooms kept stocked: par levels per room, moves between the closet and the rooms, and the
restock list.

A lot's `on_hand` is the whole clinic's figure. What of it sits in a room is kept in
`stock_room_lots` (a cache the triggers keep from `stock_moves` and from ledger rows that
name a room); the rest is in the closet, the item's own location, as before rooms existed.
A store that never names a room has everything in the closet and behaves as it did.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Conflict, Invalid, NotFound
from macli.stock import items
from macli.store import Store
from macli.when import local_date, utc_text

# Words that name the closet itself (beside each item's own location), so never a room.
CLOSET_WORDS = ("closet",)
_RESERVED = (*CLOSET_WORDS, "list")


def _clean_name(text: str) -> str:
    name = " ".join((text or "").split())
    if not name or len(name) > 40:
        raise Invalid(f"cannot use {text!r} as a room name (1 to 40 characters)")
    if name.lower() in _RESERVED:
        raise Invalid(f"{name!r} cannot be a room's name: it means the closet or a command")
    return name


def all_rooms(store: Store) -> list[dict]:
    """Every room, by name."""
    return store.query("SELECT id, name FROM stock_rooms ORDER BY name COLLATE NOCASE")


def get_room(store: Store, name: str) -> dict:
    """The room called `name` (any case); NotFound naming the rooms there are."""
    text = " ".join((name or "").split())
    row = store.one("SELECT id, name FROM stock_rooms WHERE name = ? COLLATE NOCASE", [text])
    if row is None:
        known = ", ".join(room["name"] for room in all_rooms(store)) or "none yet"
        raise NotFound(
            f"no room {text!r} (rooms: {known}); a room is made by giving it a par level: "
            f"macli stock par {_quote(text)} SKU QTY"
        )
    return row


def _quote(text: str) -> str:
    return f"'{text}'" if " " in text else text


def place_text(item: dict, room: dict | None) -> str:
    """' in Exam 1' for messages about a room's stock; '' for the closet, so a store
    without rooms reads as it always did."""
    if room is not None:
        return f" in {room['name']}"
    return ""


def closet_name(item: dict) -> str:
    return f"the closet ({item['location']})" if item.get("location") else "the closet"


def place_lots(store: Store, item_id: int, room: dict | None) -> list[dict]:
    """Lots of an item holding something in one place (`room`, or None: the closet),
    first-expiring first, each with `on_hand` what that place holds of it."""
    if room is not None:
        return store.query(
            "SELECT l.id, l.lot, l.expires, r.on_hand FROM stock_room_lots r"
            " JOIN stock_lots l ON l.id = r.lot_id"
            " WHERE r.room_id = ? AND r.item_id = ? AND r.on_hand > 0"
            " ORDER BY l.expires IS NULL, l.expires, l.id",
            [room["id"], item_id],
        )
    return store.query(
        "SELECT id, lot, expires, on_hand FROM (SELECT l.id, l.lot, l.expires,"
        " l.on_hand - coalesce((SELECT SUM(r.on_hand) FROM stock_room_lots r"
        " WHERE r.lot_id = l.id), 0) AS on_hand FROM stock_lots l"
        " WHERE l.item_id = ? AND l.on_hand > 0) WHERE on_hand > 0"
        " ORDER BY expires IS NULL, expires, id",
        [item_id],
    )


def lot_in_place(store: Store, lot: dict, room: dict | None) -> int:
    """How much of one lot a place holds."""
    in_rooms = store.scalar(
        "SELECT coalesce(SUM(on_hand), 0) FROM stock_room_lots WHERE lot_id = ?"
        + (" AND room_id = ?" if room is not None else ""),
        [lot["id"], room["id"]] if room is not None else [lot["id"]],
    )
    return in_rooms if room is not None else lot["on_hand"] - in_rooms


def elsewhere_text(store: Store, item: dict, lot: dict) -> str:
    """' in the closet; 4 more are in rooms (Exam 1: 4)', when rooms hold some of a lot."""
    rows = store.query(
        "SELECT s.name, r.on_hand FROM stock_room_lots r JOIN stock_rooms s ON s.id = r.room_id"
        " WHERE r.lot_id = ? AND r.on_hand > 0 ORDER BY s.name COLLATE NOCASE",
        [lot["id"]],
    )
    if not rows:
        return ""
    where = ", ".join(f"{row['name']}: {row['on_hand']}" for row in rows)
    return (
        f" in {closet_name(item)}; {sum(row['on_hand'] for row in rows)} more are in rooms "
        f"({where}): move them back first (macli stock move {item['sku']} N --from ROOM "
        "--to closet)"
    )


def resolve_place(store: Store, item: dict, text: str) -> dict | None:
    """A place named on the command line: a room (its row), or None for the closet (the
    word `closet`, or the item's own location)."""
    name = " ".join((text or "").split())
    if name.lower() in CLOSET_WORDS:
        return None
    if item.get("location") and name.lower() == " ".join(item["location"].split()).lower():
        return None
    row = store.one("SELECT id, name FROM stock_rooms WHERE name = ? COLLATE NOCASE", [name])
    if row is None:
        known = ", ".join(room["name"] for room in all_rooms(store)) or "none yet"
        raise NotFound(
            f"no place {name!r} for {item['sku']}: it is kept in {closet_name(item)} "
            f"(say 'closet') or in a room ({known})"
        )
    return row


# -- par levels ---------------------------------------------------------------------------


def set_par(store: Store, room: str, sku: str, quantity: int, *, user: str, now: datetime) -> dict:
    """Set how many of `sku` room `room` should hold (0: no longer kept there); the room
    is made by its first par level."""
    if not isinstance(quantity, int) or quantity < 0:
        raise Invalid("a par level is a whole number of at least 0 (0: not kept there)")
    name = _clean_name(room)
    with store.write():
        item = items.get(store, sku)
        if item.get("location") and name.lower() == " ".join(item["location"].split()).lower():
            raise Invalid(f"{name!r} is where {item['sku']} is kept (its closet), not a room")
        row = store.one("SELECT id, name FROM stock_rooms WHERE name = ? COLLATE NOCASE", [name])
        if row is None:
            if quantity == 0:
                get_room(store, name)  # raises NotFound: there is no par to take away
            room_id = store.insert(
                "stock_rooms", {"name": name, "created_at": utc_text(now), "created_by": user}
            )
            row = {"id": room_id, "name": name}
        before = store.scalar(
            "SELECT quantity FROM stock_pars WHERE room_id = ? AND item_id = ?",
            [row["id"], item["id"]],
        )
        if quantity == 0:
            store.execute(
                "DELETE FROM stock_pars WHERE room_id = ? AND item_id = ?",
                [row["id"], item["id"]],
            )
        else:
            store.execute(
                "INSERT INTO stock_pars (room_id, item_id, quantity, set_at, set_by)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (room_id, item_id) DO UPDATE SET"
                " quantity = excluded.quantity, set_at = excluded.set_at,"
                " set_by = excluded.set_by",
                [row["id"], item["id"], quantity, utc_text(now), user],
            )
        audit.record(
            store,
            user=user,
            action="stock.par",
            now=now,
            detail=f"{row['name']} {item['sku']} {before or 0} -> {quantity}",
        )
    return {
        "room": row["name"],
        "sku": item["sku"],
        "unit": item["unit"],
        "par": quantity,
        "was": before,
    }


PAR_COLUMNS = ["room", "sku", "name", "unit", "par", "in_room"]


def pars(store: Store, room: str | None = None) -> list[dict]:
    """Par levels, room by room, with what each room holds now."""
    where, params = "", []
    if room is not None:
        where, params = "WHERE p.room_id = ?", [get_room(store, room)["id"]]
    return store.query(
        "SELECT s.name AS room, i.sku, i.name, i.unit, p.quantity AS par,"
        " coalesce((SELECT SUM(r.on_hand) FROM stock_room_lots r WHERE r.room_id = p.room_id"
        " AND r.item_id = p.item_id), 0) AS in_room"
        " FROM stock_pars p JOIN stock_rooms s ON s.id = p.room_id"
        f" JOIN stock_items i ON i.id = p.item_id {where}"
        " ORDER BY s.name COLLATE NOCASE, i.sku COLLATE NOCASE",
        params,
    )


# -- moves --------------------------------------------------------------------------------


def move(
    store: Store,
    sku: str,
    quantity: int,
    *,
    source: str,
    destination: str,
    lot: str | None = None,
    note: str | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Move units of an item between the closet and a room, or room to room, first-expiring
    first (usable lots only, unless --lot names one going back to the closet); all or
    nothing, never below zero."""
    from macli.stock import core

    core._check_quantity(store, quantity)
    today = local_date(now, tz)
    with store.write():
        item = items.get(store, sku)
        origin = resolve_place(store, item, source)
        target = resolve_place(store, item, destination)
        if (origin or {}).get("id") == (target or {}).get("id"):
            raise Invalid(f"{source!r} and {destination!r} are the same place; nothing to move")
        if lot is not None and target is None:
            # Taking a lot back to the closet is how an expired or held one leaves a room.
            row = core._lot(store, item, lot, origin)
            if row["on_hand"] < quantity:
                raise Conflict(
                    f"cannot move {quantity} {item['unit']} of {item['sku']} lot {row['lot']} "
                    f"from {_place_name(item, origin)}: it holds {row['on_hand']}"
                )
            allocation = [(row, quantity)]
        else:
            where = f" from {_place_name(item, origin)}"
            allocation = core._allocate(store, item, quantity, today, lot, origin, "move", where)
        at, day = utc_text(now), today.isoformat()
        # The operation number is the first row's id, known under the write lock.
        op = (store.scalar("SELECT MAX(id) FROM stock_moves") or 0) + 1
        moved = []
        for row, units in allocation:
            store.insert(
                "stock_moves",
                {
                    "op": op,
                    "at": at,
                    "day": day,
                    "item_id": item["id"],
                    "lot_id": row["id"],
                    "from_room_id": origin["id"] if origin else None,
                    "to_room_id": target["id"] if target else None,
                    "quantity": units,
                    "note": " ".join(note.split()) if note else None,
                    "user": user,
                },
            )
            moved.append({"lot": row["lot"], "expires": row["expires"], "quantity": units})
    return {
        "op": op,
        "sku": item["sku"],
        "unit": item["unit"],
        "quantity": quantity,
        "from": _place_name(item, origin),
        "to": _place_name(item, target),
        "lots": moved,
    }


def _place_name(item: dict, room: dict | None) -> str:
    return room["name"] if room is not None else closet_name(item)


# -- the restock list ---------------------------------------------------------------------

RESTOCK_COLUMNS = [
    "room",
    "sku",
    "name",
    "par",
    "last_count",
    "used_since",
    "in_room",
    "bring",
    "from",
    "lots",
    "short",
]


def restock(
    store: Store, room: str | None = None, *, today: date, everything: bool = False
) -> list[dict]:
    """What to bring to each room (or one) from the closet to reach its par levels.

    A room holds what its last count found, plus what was moved in, less what was used
    there since (the cache `stock_room_lots` is exactly that sum); units that are expired
    or held do not count toward par. `bring` is what reaches par; `lots` says which
    closet lots to take it from (first-expiring, usable), `short` what the closet lacks.
    """
    where, params = "", [today.isoformat()]
    if room is not None:
        where = "WHERE p.room_id = ?"
        params.append(get_room(store, room)["id"])
    rows = store.query(
        f"""
        SELECT s.name AS room, p.room_id, i.id AS item_id, i.sku, i.name, i.unit,
            i.location, p.quantity AS par,
            coalesce((SELECT SUM(r.on_hand) FROM stock_room_lots r
                JOIN stock_lots l ON l.id = r.lot_id
                WHERE r.room_id = p.room_id AND r.item_id = p.item_id AND r.on_hand > 0
                AND (l.expires IS NULL OR l.expires >= ?1)
                AND NOT EXISTS (SELECT 1 FROM stock_holds h
                    WHERE h.lot_id = l.id AND h.ended_at IS NULL)), 0) AS in_room,
            (SELECT MAX(g.id) FROM stock_ledger g WHERE g.room_id = p.room_id
                AND g.item_id = p.item_id AND g.kind = 'count') AS count_id
        FROM stock_pars p JOIN stock_rooms s ON s.id = p.room_id
        JOIN stock_items i ON i.id = p.item_id {where}
        ORDER BY s.name COLLATE NOCASE, i.sku COLLATE NOCASE
        """.replace("?1", "?"),
        params,
    )
    listing = []
    closet: dict[int, list[dict]] = {}
    for row in rows:
        counted = None
        if row["count_id"] is not None:
            counted = store.one(
                "SELECT day, counted FROM stock_ledger WHERE id = ?", [row["count_id"]]
            )
        used = -store.scalar(
            "SELECT coalesce(SUM(quantity), 0) FROM stock_ledger WHERE room_id = ?"
            " AND item_id = ? AND kind = 'use' AND id > ?",
            [row["room_id"], row["item_id"], row["count_id"] or 0],
        )
        bring = max(0, row["par"] - row["in_room"])
        if not bring and not everything:
            continue
        item = {"sku": row["sku"], "unit": row["unit"], "location": row["location"]}
        if row["item_id"] not in closet:
            lots = place_lots(store, row["item_id"], None)
            closet[row["item_id"]] = [
                dict(lot)
                for lot in lots
                if lot["expires"] is None or lot["expires"] >= today.isoformat()
                if not held(store, lot["id"])
            ]
        taken, remaining = [], bring
        # Rooms share the closet: what one room's line takes is not offered to the next.
        for lot in closet[row["item_id"]]:
            if remaining == 0:
                break
            units = min(remaining, lot["on_hand"])
            if units:
                taken.append(f"{lot['lot']} x{units}")
                lot["on_hand"] -= units
                remaining -= units
        listing.append(
            {
                "room": row["room"],
                "sku": row["sku"],
                "name": row["name"],
                "unit": row["unit"],
                "par": row["par"],
                "last_count": (
                    f"{counted['counted']} on {counted['day']}" if counted else "never counted"
                ),
                "used_since": used,
                "in_room": row["in_room"],
                "bring": bring,
                "from": closet_name(item),
                "lots": ", ".join(taken),
                "short": remaining,
            }
        )
    return listing


def held(store: Store, lot_id: int) -> bool:
    """Whether a lot has an open hold."""
    return bool(
        store.scalar(
            "SELECT 1 FROM stock_holds WHERE lot_id = ? AND ended_at IS NULL LIMIT 1", [lot_id]
        )
    )
