"""The clinic's fee schedule: procedure codes (CPT or HCPCS Level II) in the clinic's own
words, each with its fee and optional default modifiers."""

from __future__ import annotations

import re
from datetime import datetime

from macli import csvfile
from macli.errors import Invalid
from macli.money import cents_text, parse_amount
from macli.store import Store
from macli.when import utc_text

COLUMNS = ("code", "description", "fee", "modifiers")
# CPT: five digits, or four digits and F/T/U; HCPCS Level II: a letter and four digits.
_CODE = re.compile(r"^(\d{5}|\d{4}[FTU]|[A-V]\d{4})$")
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
MAX_MODIFIERS = 4


def check_code(text: str) -> str:
    """A procedure code in its canonical upper-case form."""
    code = text.strip().upper()
    if not _CODE.match(code):
        raise Invalid(
            f"{text!r} is not a procedure code (five characters: CPT like 99213, "
            "or HCPCS Level II like G0008)"
        )
    return code


def check_modifiers(parts: list[str]) -> list[str]:
    """Up to four two-character modifiers, upper case, none repeated."""
    modifiers = [part.strip().upper() for part in parts]
    for modifier in modifiers:
        if not _MODIFIER.match(modifier):
            raise Invalid(f"modifier {modifier or '(empty)'!r} must be two letters or digits")
    if len(modifiers) > MAX_MODIFIERS:
        raise Invalid(f"at most {MAX_MODIFIERS} modifiers, not {len(modifiers)}")
    if len(set(modifiers)) != len(modifiers):
        raise Invalid(f"modifier repeated in {':'.join(modifiers)}")
    return modifiers


def import_csv(store: Store, data: bytes, *, replace: bool, user: str, now: datetime) -> dict:
    """Add or update fees from CSV (code, description, fee, modifiers), all or nothing."""
    rows: dict[str, dict] = {}

    def parse(values: dict[str, str]) -> None:
        code = check_code(values["code"])
        if code in rows:
            raise Invalid(f"code {code} appears twice in the file")
        description = " ".join(values["description"].split())
        if not description:
            raise Invalid(f"code {code} has no description")
        fee = parse_amount(values["fee"])
        if fee < 0:
            raise Invalid(f"code {code}: a fee cannot be negative")
        modifier_text = values.get("modifiers", "").strip()
        modifiers = check_modifiers(re.split(r"[:;, ]+", modifier_text)) if modifier_text else []
        rows[code] = {
            "code": code,
            "description": description,
            "fee_cents": fee,
            "modifiers": ":".join(modifiers) or None,
            "updated_at": utc_text(now),
            "updated_by": user,
        }

    csvfile.parse_rows(data, columns=COLUMNS, required=COLUMNS[:3], parse=parse)
    if not rows:
        raise Invalid("the file has no fees; nothing was imported")
    with store.write():
        known = {row["code"] for row in store.query("SELECT code FROM bill_fees")}
        removed = sorted(known - set(rows)) if replace else []
        if removed:
            marks = ", ".join("?" for _ in removed)
            store.execute(f"DELETE FROM bill_fees WHERE code IN ({marks})", removed)
        store.conn.executemany(
            "INSERT INTO bill_fees (code, description, fee_cents, modifiers, updated_at, updated_by)"
            " VALUES (:code, :description, :fee_cents, :modifiers, :updated_at, :updated_by)"
            " ON CONFLICT (code) DO UPDATE SET description = excluded.description,"
            " fee_cents = excluded.fee_cents, modifiers = excluded.modifiers,"
            " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            list(rows.values()),
        )
    return {
        "added": len(set(rows) - known),
        "updated": len(set(rows) & known),
        "removed": len(removed),
    }


def listing(store: Store, search: str | None = None) -> list[dict]:
    """The fee schedule, by code; `search` matches code or description."""
    where, params = "", []
    if search:
        where = "WHERE code LIKE ?1 OR description LIKE ?1"
        params = [f"%{search.strip()}%"]
    return [
        {
            "code": row["code"],
            "description": row["description"],
            "fee": cents_text(row["fee_cents"]),
            "modifiers": row["modifiers"],
        }
        for row in store.query(
            f"SELECT code, description, fee_cents, modifiers FROM bill_fees {where} ORDER BY code",
            params,
        )
    ]


def get(store: Store, code: str) -> dict | None:
    """One fee row by its canonical code, or None."""
    return store.one("SELECT * FROM bill_fees WHERE code = ?", [code])
