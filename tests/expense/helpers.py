"""Shared set-up for the expense tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from macli.expense import core

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


def add(store, amount_cents, category, spent_on, **extra):
    """Record one expense through the core, creating the category as needed."""
    return core.add(
        store,
        amount_cents=amount_cents,
        category=category,
        spent_on=date.fromisoformat(spent_on),
        new_category=True,
        user="tester",
        now=NOW,
        **extra,
    )
