"""Stock items (what the clinic keeps) and kits (items used together)."""

from __future__ import annotations

import re
from datetime import datetime

from macli.errors import Conflict, Invalid, NotFound
from macli.stock.usable import NOT_HELD_SQL
from macli.store import Store
from macli.when import utc_text

_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9 -]{0,39}$")
ITEM_COLUMNS = (
    "sku",
    "name",
    "unit",
    "category",
    "perishable",
    "reorder_at",
    "reorder_qty",
    "supplier",
    "location",
)
KIT_COLUMNS = ("kit", "components", "can_make")


def check_sku(text: str) -> str:
    """A SKU as stored: letters, digits, `.`, `_`, `/`, `-`; at most 40 characters."""
    sku = (text or "").strip()
    if not _SKU.match(sku):
        raise Invalid(
            f"cannot use {text!r} as a SKU (letters, digits, '.', '_', '/' and '-', "
            "starting with a letter or digit, at most 40 characters)"
        )
    return sku


def get(store: Store, sku: str) -> dict:
    """The item with this SKU (any case)."""
    row = store.one("SELECT * FROM stock_items WHERE sku = ? COLLATE NOCASE", [sku.strip()])
    if row is None:
        raise NotFound(f"no stock item with SKU {sku.strip()!r} (see: macli stock item list)")
    return row


def _clean(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        if key in ("name", "unit", "category"):
            value = " ".join(str(value).split())
            if not value:
                raise Invalid(f"the item's {key} may not be empty")
            out[key] = value.lower() if key in ("unit", "category") else value
            # Receipts are booked under the expense category supplies:<category>.
            if key == "category" and not _CATEGORY.match(out[key]):
                raise Invalid(
                    f"cannot use {value!r} as a category (letters, digits, spaces and "
                    "hyphens, e.g. vaccines or exam room)"
                )
        elif key in ("supplier", "location"):
            out[key] = " ".join(str(value).split()) or None
        elif key in ("reorder_at", "reorder_qty"):
            text = str(value).strip().lower()
            if text in ("", "none"):
                out[key] = None
                continue
            least = 0 if key == "reorder_at" else 1
            if not text.isdigit() or int(text) < least:
                raise Invalid(
                    f"{key.replace('_', '-')} must be a whole number of at least {least}"
                    " (or 'none' to clear it)"
                )
            out[key] = int(text)
        elif key == "perishable":
            out[key] = int(bool(value))
        else:
            raise Invalid(f"unknown item field {key!r}")
    return out


def add(store: Store, sku: str, fields: dict, *, now: datetime) -> dict:
    """Add a stock item; the SKU is unique regardless of case."""
    sku = check_sku(sku)
    row = _clean(fields)
    for required in ("name", "unit"):
        if required not in row:
            raise Invalid(f"an item needs a {required}")
    stamp = utc_text(now)
    with store.write():
        existing = store.one("SELECT sku FROM stock_items WHERE sku = ? COLLATE NOCASE", [sku])
        if existing:
            raise Conflict(f"SKU {existing['sku']} already exists (change it with stock item edit)")
        store.insert("stock_items", {"sku": sku, **row, "created_at": stamp, "updated_at": stamp})
    return get(store, sku)


def edit(store: Store, sku: str, fields: dict, *, now: datetime) -> dict:
    """Change an item's details; the unit is fixed once stock has moved in it."""
    changes = _clean(fields)
    if not changes:
        raise Invalid("nothing to change (give at least one option)")
    with store.write():
        item = get(store, sku)
        if "unit" in changes and changes["unit"] != item["unit"]:
            if store.scalar("SELECT 1 FROM stock_ledger WHERE item_id = ? LIMIT 1", [item["id"]]):
                raise Conflict(
                    f"{item['sku']} already has stock recorded in {item['unit']}; "
                    "add a new item for the new unit"
                )
        assignments = ", ".join(f"{key} = ?" for key in changes)
        store.execute(
            f"UPDATE stock_items SET {assignments}, updated_at = ? WHERE id = ?",
            [*changes.values(), utc_text(now), item["id"]],
        )
    return get(store, item["sku"])


def listing(store: Store, *, category: str | None = None) -> list[dict]:
    """Every item's details (not its stock: that is `stock list`)."""
    where, params = "", []
    if category:
        where, params = "WHERE category = ?", [category.strip().lower()]
    rows = store.query(
        f"SELECT {', '.join(ITEM_COLUMNS)} FROM stock_items {where} ORDER BY sku COLLATE NOCASE",
        params,
    )
    for row in rows:
        row["perishable"] = "yes" if row["perishable"] else "no"
    return rows


# -- kits ------------------------------------------------------------------------------


def parse_components(specs: list[str]) -> list[tuple[str, int]]:
    """`SKU:QTY` words into (sku, quantity) pairs."""
    if not specs:
        raise Invalid("a kit needs at least one SKU:QTY")
    pairs = []
    for spec in specs:
        sku, colon, quantity = spec.rpartition(":")
        if not colon or not sku or not quantity.strip().isdigit() or int(quantity) < 1:
            raise Invalid(f"cannot read {spec!r} (use SKU:QTY with a whole number, e.g. GAUZE:4)")
        pairs.append((sku.strip(), int(quantity)))
    return pairs


def add_kit(store: Store, name: str, specs: list[str], *, user: str, now: datetime) -> dict:
    """Define a kit: items and quantities used together, all or nothing."""
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("a kit needs a name")
    pairs = parse_components(specs)
    with store.write():
        if store.scalar("SELECT 1 FROM stock_kits WHERE name = ? COLLATE NOCASE", [name]):
            raise Conflict(f"kit {name!r} already exists (remove it first to redefine it)")
        items = {}
        for sku, quantity in pairs:
            item = get(store, sku)
            if item["id"] in items:
                raise Invalid(f"{item['sku']} is named twice in kit {name!r}")
            items[item["id"]] = quantity
        kit_id = store.insert(
            "stock_kits", {"name": name, "created_at": utc_text(now), "created_by": user}
        )
        for item_id, quantity in items.items():
            store.insert(
                "stock_kit_items", {"kit_id": kit_id, "item_id": item_id, "quantity": quantity}
            )
    return get_kit(store, name)


def get_kit(store: Store, name: str) -> dict:
    """A kit with its components (sku, name, unit, quantity, item_id)."""
    kit = store.one("SELECT * FROM stock_kits WHERE name = ? COLLATE NOCASE", [name.strip()])
    if kit is None:
        raise NotFound(f"no kit named {name.strip()!r} (see: macli stock kit list)")
    kit["components"] = store.query(
        "SELECT i.id AS item_id, i.sku, i.name, i.unit, k.quantity FROM stock_kit_items k"
        " JOIN stock_items i ON i.id = k.item_id WHERE k.kit_id = ? ORDER BY i.sku COLLATE NOCASE",
        [kit["id"]],
    )
    return kit


def remove_kit(store: Store, name: str) -> None:
    """Forget a kit's definition (what was used with it stays in the ledger)."""
    with store.write():
        kit = get_kit(store, name)
        store.execute("DELETE FROM stock_kits WHERE id = ?", [kit["id"]])


def kits(store: Store, *, today_text: str) -> list[dict]:
    """Every kit, its components, and how many could be made from usable stock now."""
    rows = store.query(
        "SELECT k.name AS kit, i.sku, c.quantity,"
        " (SELECT coalesce(SUM(l.on_hand), 0) FROM stock_lots l WHERE l.item_id = i.id"
        "  AND l.on_hand > 0 AND (l.expires IS NULL OR l.expires >= ?)"
        f"  AND {NOT_HELD_SQL}) AS usable"
        " FROM stock_kits k JOIN stock_kit_items c ON c.kit_id = k.id"
        " JOIN stock_items i ON i.id = c.item_id"
        " ORDER BY k.name COLLATE NOCASE, i.sku COLLATE NOCASE",
        [today_text],
    )
    out: dict[str, dict] = {}
    for row in rows:
        kit = out.setdefault(row["kit"], {"kit": row["kit"], "parts": [], "can_make": None})
        kit["parts"].append(f"{row['sku']}:{row['quantity']}")
        possible = row["usable"] // row["quantity"]
        kit["can_make"] = possible if kit["can_make"] is None else min(kit["can_make"], possible)
    return [
        {"kit": kit["kit"], "components": " ".join(kit["parts"]), "can_make": kit["can_make"]}
        for kit in out.values()
    ]
