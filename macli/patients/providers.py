"""Providers: the clinicians whose schedules and claims macli keeps."""

from __future__ import annotations

import re
from datetime import datetime

from macli.errors import Conflict, Invalid, NotFound
from macli.identifiers import check_npi, fold
from macli.store import Store
from macli.when import utc_text

COLUMNS = ("id", "name", "title", "color", "npi", "active")


def _clean(name=None, title=None, color=None, npi=None) -> dict:
    out = {}
    if name is not None:
        name = " ".join(name.split())
        if not name or len(name) > 200:
            raise Invalid("a provider name must have between 1 and 200 characters")
        out["name"] = name
    if title is not None:
        out["title"] = title.strip() or None
    if color is not None:
        if color and not re.fullmatch(r"#?[0-9A-Fa-f]{6}|[a-z]+", color.strip()):
            raise Invalid(f"cannot read color {color!r} (a name like 'teal' or #1f77b4)")
        out["color"] = color.strip() or None
    if npi is not None:
        out["npi"] = check_npi(npi) if npi.strip() else None
    return out


def add(store: Store, name: str, *, title=None, color=None, npi=None, now: datetime) -> dict:
    """Add a provider; names are unique."""
    row = _clean(name=name, title=title, color=color, npi=npi)
    with store.write():
        if store.one("SELECT 1 FROM providers WHERE lower(name) = lower(?)", [row["name"]]):
            raise Conflict(f"a provider named {row['name']!r} already exists")
        provider_id = store.insert("providers", {**row, "active": 1, "created_at": utc_text(now)})
    return get(store, provider_id)


def get(store: Store, provider_id: int) -> dict:
    row = store.one(f"SELECT {', '.join(COLUMNS)} FROM providers WHERE id = ?", [provider_id])
    if row is None:
        raise NotFound(f"no provider with id {provider_id}")
    return row


def resolve(store: Store, reference: str) -> dict:
    """The provider an id or a name fragment points at; ambiguity is an error."""
    text = " ".join(str(reference).split())
    if text.isdigit():
        return get(store, int(text))
    needle = fold(text)
    rows = [
        row
        for row in store.query(f"SELECT {', '.join(COLUMNS)} FROM providers ORDER BY name")
        if needle and needle in fold(row["name"])
    ]
    exact = [row for row in rows if fold(row["name"]) == needle]
    if len(exact) == 1:
        return exact[0]
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise NotFound(f"no provider matches {text!r}")
    names = ", ".join(f"{row['name']} (id {row['id']})" for row in rows)
    raise Invalid(f"{text!r} matches several providers: {names}")


def listing(store: Store, *, include_inactive: bool = False) -> list[dict]:
    where = "" if include_inactive else "WHERE active = 1"
    return store.query(f"SELECT {', '.join(COLUMNS)} FROM providers {where} ORDER BY name")


def edit(store: Store, reference: str, *, active: bool | None = None, **changes) -> dict:
    """Change a provider's name, title, color, NPI or active flag."""
    values = _clean(**changes)
    if active is not None:
        values["active"] = int(active)
    if not values:
        raise Invalid("nothing to change: give at least one option")
    with store.write():
        row = resolve(store, reference)
        if "name" in values and store.one(
            "SELECT 1 FROM providers WHERE lower(name) = lower(?) AND id != ?",
            [values["name"], row["id"]],
        ):
            raise Conflict(f"a provider named {values['name']!r} already exists")
        assignments = ", ".join(f"{column} = ?" for column in values)
        store.execute(
            f"UPDATE providers SET {assignments} WHERE id = ?", [*values.values(), row["id"]]
        )
    return get(store, row["id"])
