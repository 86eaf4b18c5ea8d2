"""Hierarchical expense categories (`supplies:medical`) and their account names.

A category is a lower-case path of parts made of letters, digits and hyphens, so that
every category is also a valid account in ledger, hledger and beancount once each part
is capitalised: `supplies:medical` -> `Expenses:Supplies:Medical`.
"""

from __future__ import annotations

import functools
import re

from macli.errors import Conflict, Invalid, NotFound
from macli.store import Store

UNCATEGORIZED = "uncategorized"
# A rules file uses this word in its category column to leave a row out of an import.
RESERVED = ("skip",)
_PART = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def normalise(text: str) -> str:
    """`Supplies : Medical Gowns` -> `supplies:medical-gowns`, or Invalid."""
    parts = [re.sub(r"[\s_]+", "-", part.strip().lower()) for part in str(text).split(":")]
    name = ":".join(parts)
    if not name.strip(":-"):
        raise Invalid("a category name may not be empty")
    for part in parts:
        if not _PART.match(part):
            raise Invalid(
                f"cannot use {text!r} as a category: each part between colons needs "
                "letters, digits or hyphens, starting with a letter or digit "
                "(e.g. supplies:medical)"
            )
    return name


def find(store: Store, name: str) -> dict | None:
    """The category row named exactly `name` (already normalised), or None."""
    return store.one("SELECT id, name FROM expense_categories WHERE name = ?", [name])


def resolve(
    store: Store,
    text: str,
    *,
    create: bool = False,
    hint: str = "pass --new-category to create it",
) -> dict:
    """The category named `text`; a new one only with `create`, else a typo hint."""
    name = normalise(text)
    row = find(store, name)
    if row is not None:
        return row
    if not create:
        known = [r["name"] for r in store.query("SELECT name FROM expense_categories")]
        import difflib

        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        guess = f"; did you mean {' or '.join(close)}?" if close else ""
        raise NotFound(f"unknown category {name!r}{guess} ({hint})")
    return ensure(store, name)


def add(store: Store, text: str) -> dict:
    """Create a new category (and its parents); Conflict if it exists."""
    name = normalise(text)
    with store.write():
        if find(store, name) is not None:
            raise Conflict(f"the category {name} already exists")
        return ensure(store, name)


def ensure(store: Store, name: str) -> dict:
    """The category `name` (normalised), created with any missing parents."""
    name = normalise(name)
    if name.split(":")[0] in RESERVED:
        raise Invalid(f"{name.split(':')[0]!r} is reserved (rules files use it to skip rows)")
    with store.write():
        parts = name.split(":")
        for depth in range(1, len(parts) + 1):
            store.execute(
                "INSERT INTO expense_categories (name) VALUES (?) ON CONFLICT (name) DO NOTHING",
                [":".join(parts[:depth])],
            )
    return find(store, name)


def listing(store: Store) -> list[dict]:
    """Every category with how many expenses it holds and its budget, if any."""
    from macli.money import cents_text

    rows = store.query(
        """
        SELECT c.name AS category,
               (SELECT count(*) FROM expenses e WHERE e.category_id = c.id) AS expenses,
               b.period AS budget_period, b.amount_cents AS budget_cents
        FROM expense_categories c LEFT JOIN expense_budgets b ON b.category_id = c.id
        ORDER BY c.name
        """
    )
    for row in rows:
        row["budget"] = cents_text(row.pop("budget_cents"))
    return rows


def subtree_ids(store: Store, name: str) -> list[int]:
    """Ids of the category `name` and everything under it (NotFound if unknown)."""
    name = normalise(name)
    rows = store.query(
        "SELECT id FROM expense_categories WHERE name = ? OR substr(name, 1, ?) = ?",
        [name, len(name) + 1, name + ":"],
    )
    if not rows:
        raise NotFound(f"unknown category {name!r}")
    return [row["id"] for row in rows]


def truncate(name: str, depth: int | None) -> str:
    """The category `name` cut to its first `depth` parts (all when depth is None)."""
    if not depth:
        return name
    return ":".join(name.split(":")[:depth])


def ancestors(name: str) -> list[str]:
    """`a:b:c` -> [`a`, `a:b`]: the categories `name` rolls up into."""
    parts = name.split(":")
    return [":".join(parts[:depth]) for depth in range(1, len(parts))]


@functools.cache
def account(name: str, root: str = "Expenses") -> str:
    """The ledger/beancount account of a category: `Expenses:Supplies:Medical`."""
    return ":".join([root, *(part[:1].upper() + part[1:] for part in name.split(":"))])
