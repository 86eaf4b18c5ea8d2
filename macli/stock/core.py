"""Stock movements: receive, use (first-expiring-first), count and discard.

Each command writes its rows to the append-only `stock_ledger` in one IMMEDIATE
transaction, so the check of what is on hand and the write that takes it cannot be
split by another process. A lot is usable through the end of its expiry date (local).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from macli import audit, settings
from macli.errors import Conflict, Invalid, NotFound
from macli.stock import items, rooms, usable
from macli.store import Store
from macli.when import local_date, parse_date, utc_text

DISCARD_REASONS = ("expired", "damaged", "recalled", "excursion")
_LOT = re.compile(r"^\S(.{0,38}\S)?$")


def parse_expiry(text: str, today: date | None = None) -> date:
    """An expiry date: `2027-03-31`, or `2027-03` for the last day of that month."""
    value = (text or "").strip()
    month = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if month:
        year, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            raise Invalid(f"cannot read expiry {text!r}: no month {number}")
        return date(year, number, calendar.monthrange(year, number)[1])
    return parse_date(value, today)


def _check_quantity(store: Store, quantity: int, *, least: int = 1) -> int:
    """A count of units typed in: whole, at least `least`, at most stock.max_quantity
    (a clinic's deliveries are boxes by the dozen; 100000 is a typo, not a delivery)."""
    if not isinstance(quantity, int) or quantity < least:
        raise Invalid(f"the quantity must be a whole number of at least {least}")
    most = int(settings.get(store, "stock.max_quantity"))
    if quantity > most:
        raise Invalid(
            f"a quantity of {quantity} is more than stock.max_quantity ({most:,}); check it, "
            "or raise the limit: macli config set stock.max_quantity N"
        )
    return quantity


def _check_lot(text: str) -> str:
    lot = " ".join((text or "").split())
    if not _LOT.match(lot):
        raise Invalid(f"cannot use {text!r} as a lot number (1 to 40 characters)")
    return lot


def _lot(store: Store, item: dict, code: str, room: dict | None = None) -> dict:
    """The lot `code` of an item, its `on_hand` what the place (room or closet) holds."""
    row = store.one(
        "SELECT * FROM stock_lots WHERE item_id = ? AND lot = ? COLLATE NOCASE",
        [item["id"], code.strip()],
    )
    if row is not None:
        row["on_hand"] = rooms.lot_in_place(store, row, room)
    if row is None:
        held = _open_lots(store, item["id"], room)
        known = ", ".join(lot["lot"] for lot in held) or "none"
        raise NotFound(f"{item['sku']} has no lot {code.strip()!r} (lots on hand: {known})")
    return row


def _open_lots(store: Store, item_id: int, room: dict | None = None) -> list[dict]:
    """Lots of an item that hold something in one place, first-expiring first (no expiry
    last): in `room`, or (None) in the closet, the item's own location."""
    return rooms.place_lots(store, item_id, room)


def _item_on_hand(store: Store, item_id: int) -> int:
    return store.scalar(
        "SELECT coalesce(SUM(on_hand), 0) FROM stock_lots WHERE item_id = ? AND on_hand > 0",
        [item_id],
    )


def _lots_text(lots: list[dict]) -> str:
    return "; ".join(
        f"lot {lot['lot']}: {lot['on_hand']}"
        + (f", expires {lot['expires']}" if lot["expires"] else "")
        for lot in lots
    )


class _Ledger:
    """The rows one command appends, sharing an operation number (the first row's id)."""

    def __init__(self, store: Store, *, user: str, now: datetime, tz: ZoneInfo):
        self.store = store
        self.base = {"at": utc_text(now), "day": local_date(now, tz).isoformat(), "user": user}
        self.op: int | None = None

    def next_id(self) -> int:
        """The id the next appended row gets (stable: we hold the write lock)."""
        return (self.store.scalar("SELECT MAX(id) FROM stock_ledger") or 0) + 1

    def append(self, kind: str, item: dict, lot: dict, quantity: int, **extra) -> int:
        # Ids are taken under the write lock, so the operation number and a receipt's id
        # (which an expense points back at) are known before the row is written.
        row_id = self.next_id()
        if self.op is None:
            self.op = row_id
        self.store.insert(
            "stock_ledger",
            {
                "id": row_id,
                "op": self.op,
                **self.base,
                "kind": kind,
                "item_id": item["id"],
                "lot_id": lot["id"],
                "quantity": quantity,
                **{key: value for key, value in extra.items() if value is not None},
            },
        )
        return row_id


def receive(
    store: Store,
    sku: str,
    quantity: int,
    *,
    lot: str | None = None,
    expires: date | None = None,
    cost_cents: int | None = None,
    unit_cost_cents: int | None = None,
    supplier: str | None = None,
    invoice: str | None = None,
    note: str | None = None,
    expense: bool = True,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Receive units into a lot (new or existing); returns the receipt and any warnings.

    A receipt that cost something is also booked as an expense under
    `supplies:<item category>`, linked both ways, unless `expense` is False.
    """
    _check_quantity(store, quantity)
    if cost_cents is not None and unit_cost_cents is not None:
        raise Invalid("give either the total cost or the unit cost, not both")
    for cents in (cost_cents, unit_cost_cents):
        if cents is not None and cents < 0:
            raise Invalid("a cost may not be negative")
    total = cost_cents if unit_cost_cents is None else unit_cost_cents * quantity
    today = local_date(now, tz)
    if expires is not None and expires < today:
        raise Invalid(f"that lot expired on {expires}; expired stock is not received")
    code = _check_lot(lot) if lot is not None else _unlabelled_lot(expires)
    warnings = []
    with store.write():
        item = items.get(store, sku)
        row = _receiving_lot(store, item, code, expires, now)
        if item["perishable"] and row["expires"] is None:
            warnings.append(
                f"{item['sku']} is perishable but lot {row['lot']} has no expiry date "
                f"(use --expires, or mark the item: macli stock item edit {item['sku']} "
                "--non-perishable)"
            )
        supplier = _text(supplier) or item["supplier"]
        invoice = _text(invoice)
        ledger = _Ledger(store, user=user, now=now, tz=tz)
        expense_id = category = None
        if expense and total:
            from macli.expense.core import record_from_source

            category = f"supplies:{item['category']}"
            expense_id = record_from_source(
                store,
                amount_cents=total,
                category=category,
                vendor=supplier,
                spent_on=today,
                memo=f"{quantity} {item['unit']} {item['sku']} lot {row['lot']}"
                + (f", invoice {invoice}" if invoice else ""),
                source="stock_receipt",
                source_id=ledger.next_id(),
                user=user,
                now=now,
            )
        receipt_id = ledger.append(
            "receive",
            item,
            row,
            quantity,
            cost_cents=total,
            supplier=supplier,
            invoice=invoice,
            expense_id=expense_id,
            note=_text(note),
        )
        on_hand = _item_on_hand(store, item["id"])
    return {
        "receipt": receipt_id,
        "sku": item["sku"],
        "name": item["name"],
        "unit": item["unit"],
        "lot": row["lot"],
        "expires": row["expires"],
        "quantity": quantity,
        "cost_cents": total,
        "expense_id": expense_id,
        "expense_category": category,
        "on_hand": on_hand,
        "warnings": warnings,
    }


def _receiving_lot(store: Store, item: dict, code: str, expires: date | None, now) -> dict:
    """The lot a delivery goes into, created on its first delivery; one expiry per lot."""
    expiry = expires.isoformat() if expires else None
    row = store.one(
        "SELECT * FROM stock_lots WHERE item_id = ? AND lot = ? COLLATE NOCASE",
        [item["id"], code],
    )
    if row is None:
        lot_id = store.insert(
            "stock_lots",
            {"item_id": item["id"], "lot": code, "expires": expiry, "created_at": utc_text(now)},
        )
        return {"id": lot_id, "lot": code, "expires": expiry}
    if row["expires"] != expiry:
        recorded = row["expires"] or "no expiry date"
        raise Conflict(
            f"lot {row['lot']} of {item['sku']} is recorded with {recorded}; "
            "one lot has one expiry date (check the label)"
        )
    return row


def _unlabelled_lot(expires: date | None) -> str:
    # Units received without a lot number are kept apart by expiry date, so FEFO still
    # works, and get a name that --lot can still pick.
    return f"no-lot-{expires.isoformat()}" if expires else "no-lot"


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    return " ".join(value.split()) or None


def would_take(
    store: Store, sku: str, quantity: int, *, today: date, room: str | None = None
) -> list[dict]:
    """The lots `stock use` would take `quantity` of `sku` from today (first-expiring,
    usable only; from `room` if named, else the closet), without taking them; Conflict
    naming the shortfall when it cannot."""
    item = items.get(store, sku)
    place = rooms.get_room(store, room) if room is not None else None
    return [
        {"lot": row["lot"], "expires": row["expires"], "quantity": units}
        for row, units in _allocate(store, item, quantity, today, None, place)
    ]


def _allocate(
    store: Store,
    item: dict,
    quantity: int,
    today: date,
    lot: str | None,
    room: dict | None = None,
    verb: str = "use",
    where: str | None = None,
) -> list:
    """(lot, units) pairs to take `quantity` from: the named lot, or FEFO over usable lots,
    of what one place holds (`room`, or None: the closet).

    What may be used is decided by `usable.refusal` alone (expired, or held).
    """
    where = rooms.place_text(item, room) if where is None else where
    if lot is not None:
        row = _lot(store, item, lot, room)
        why = usable.refusal(store, row, today=today, sku=item["sku"])
        if why and not usable.open_holds(store, row["id"]):
            why += (
                f" (discard it: macli stock discard {item['sku']} {row['on_hand']} "
                f"--lot {row['lot']} --reason expired)"
            )
        if why:
            raise Conflict(why)
        if row["on_hand"] < quantity:
            raise Conflict(
                f"cannot {verb} {quantity} {item['unit']} of {item['sku']} from lot "
                f"{row['lot']}{where}: it holds {row['on_hand']}"
            )
        return [(row, quantity)]
    lots = _open_lots(store, item["id"], room)
    refused = {row["id"]: usable.refusal(store, row, today=today) for row in lots}
    fit = [row for row in lots if refused[row["id"]] is None]
    held = [row for row in lots if refused[row["id"]] and usable.open_holds(store, row["id"])]
    expired = [row for row in lots if row not in fit and row not in held]
    available = sum(row["on_hand"] for row in fit)
    if available < quantity:
        there = f"only {available} usable ({_lots_text(fit)})" if fit else "none usable"
        if expired:
            units = sum(row["on_hand"] for row in expired)
            there += f"; {units} more in expired lots ({', '.join(r['lot'] for r in expired)})"
        for row in held:
            there += f"; {row['on_hand']} in lot {row['lot']}: {refused[row['id']]}"
        raise Conflict(f"cannot {verb} {quantity} {item['unit']} of {item['sku']}{where}: {there}")
    taken, remaining = [], quantity
    for row in fit:
        if remaining == 0:
            break
        units = min(remaining, row["on_hand"])
        taken.append((row, units))
        remaining -= units
    return taken


def use(
    store: Store,
    sku: str | None = None,
    quantity: int | None = None,
    *,
    kit: str | None = None,
    lot: str | None = None,
    patient: str | None = None,
    note: str | None = None,
    room: str | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Take units (or one kit) first-expiring-first, never from an expired lot; all or nothing.

    From `room`'s stock when a room is named, else from the closet."""
    if kit is not None and (sku is not None or lot is not None):
        raise Invalid("use either --kit NAME or SKU QTY, not both (a kit has no --lot)")
    if kit is None and (sku is None or quantity is None):
        raise Invalid("say what was used: SKU QTY, or --kit NAME")
    today = local_date(now, tz)
    with store.write():
        person = _patient(store, patient)
        place = rooms.get_room(store, room) if room is not None else None
        if kit is not None:
            definition = items.get_kit(store, kit)
            wanted = [
                (items.get(store, part["sku"]), part["quantity"])
                for part in definition["components"]
            ]
            kit_name = definition["name"]
        else:
            wanted = [(items.get(store, sku), _check_quantity(store, quantity))]
            kit_name = None
        plans, shortages = [], []
        for item, units in wanted:
            try:
                plans.append((item, _allocate(store, item, units, today, lot, place)))
            except Conflict as error:
                shortages.append(error.message)
        if shortages:
            prefix = f"kit {kit_name!r} not used, nothing taken: " if kit_name else ""
            raise Conflict(prefix + "; ".join(shortages))
        ledger = _Ledger(store, user=user, now=now, tz=tz)
        taken = []
        for item, allocation in plans:
            for row, units in allocation:
                ledger.append(
                    "use",
                    item,
                    row,
                    -units,
                    patient_id=person["id"] if person else None,
                    kit=kit_name,
                    note=_text(note),
                    room_id=place["id"] if place else None,
                )
                taken.append(
                    {
                        "sku": item["sku"],
                        "lot": row["lot"],
                        "expires": row["expires"],
                        "quantity": units,
                        "unit": item["unit"],
                        "left_in_lot": row["on_hand"] - units,
                    }
                )
        if person:
            audit.record(
                store,
                user=user,
                action="stock.use",
                now=now,
                patient_id=person["id"],
                detail=f"stock op {ledger.op}",
            )
    return {
        "op": ledger.op,
        "kit": kit_name,
        "room": place["name"] if place else None,
        "patient": person["mrn"] if person else None,
        "taken": taken,
    }


def _patient(store: Store, reference: str | None) -> dict | None:
    if reference is None:
        return None
    from macli.patients.core import resolve

    return resolve(store, reference)


def count(
    store: Store,
    sku: str,
    counted: int,
    *,
    lot: str | None = None,
    reason: str,
    room: str | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Record a physical count of an item (or one lot) and the difference from the ledger,
    in one room when `room` is named, else in the closet.

    Without --lot a shortage comes off the earliest-expiring lots first; found units
    must be counted against a lot, unless only one lot holds the item.
    """
    _check_quantity(store, counted, least=0)
    reason = _text(reason)
    if not reason:
        raise Invalid("say why the count was taken (--reason), e.g. 'monthly count'")
    with store.write():
        item = items.get(store, sku)
        place = rooms.get_room(store, room) if room is not None else None
        if lot is not None:
            row = _lot(store, item, lot, place)
            changes = [(row, counted - row["on_hand"])]
            recorded = row["on_hand"]
        else:
            lots = _open_lots(store, item["id"], place)
            recorded = sum(row["on_hand"] for row in lots)
            changes = _count_changes(store, item, lots, counted - recorded)
        ledger = _Ledger(store, user=user, now=now, tz=tz)
        for row, difference in changes:
            ledger.append(
                "count",
                item,
                row,
                difference,
                counted=counted,
                reason=reason,
                room_id=place["id"] if place else None,
            )
    return {
        "sku": item["sku"],
        "room": place["name"] if place else None,
        "lot": changes[0][0]["lot"] if lot is not None else None,
        "recorded": recorded,
        "counted": counted,
        "difference": counted - recorded,
        "unit": item["unit"],
    }


def _count_changes(store: Store, item: dict, lots: list[dict], difference: int) -> list:
    if difference > 0 and len(lots) > 1:
        raise Conflict(
            f"{item['sku']} has {difference} more than recorded and several lots "
            f"({_lots_text(lots)}); count the lot they belong to with --lot"
        )
    if not lots:
        latest = store.one(
            "SELECT * FROM stock_lots WHERE item_id = ? ORDER BY id DESC LIMIT 1", [item["id"]]
        )
        if latest is None:
            raise Conflict(f"nothing has been received of {item['sku']} yet; receive it first")
        if difference > 0:
            raise Conflict(
                f"{item['sku']} has no stock recorded; count the found units against "
                f"their lot with --lot (the last lot received was {latest['lot']})"
            )
        return [(latest, 0)]
    if difference >= 0:
        # A matching count is written on the lot that would be used next.
        return [(lots[0], difference)]
    changes, missing = [], -difference
    for row in lots:
        units = min(missing, row["on_hand"])
        if units:
            changes.append((row, -units))
        missing -= units
    return changes


def discard(
    store: Store,
    sku: str,
    quantity: int,
    *,
    lot: str,
    reason: str,
    note: str | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Take units of one lot out of stock: expired, damaged or recalled."""
    _check_quantity(store, quantity)
    reason = (reason or "").strip().lower()
    if reason not in DISCARD_REASONS:
        raise Invalid(f"the reason must be one of: {', '.join(DISCARD_REASONS)}")
    if lot is None:
        raise Invalid("name the lot to discard from (--lot)")
    with store.write():
        item = items.get(store, sku)
        row = _lot(store, item, lot)
        if row["on_hand"] < quantity:
            raise Conflict(
                f"cannot discard {quantity} {item['unit']} of {item['sku']} lot {row['lot']}: "
                f"it holds {row['on_hand']}{rooms.elsewhere_text(store, item, row)}"
            )
        ledger = _Ledger(store, user=user, now=now, tz=tz)
        ledger.append("discard", item, row, -quantity, reason=reason, note=_text(note))
        usable.end_holds_of_empty_lot(
            store, row["id"], why=f"discarded ({reason})", user=user, now=now
        )
    return {
        "sku": item["sku"],
        "lot": row["lot"],
        "quantity": quantity,
        "unit": item["unit"],
        "left_in_lot": row["on_hand"] - quantity,
    }
