from __future__ import annotations

from datetime import date

import pytest

from macli.expense import core
from tests.expense.helpers import NOW, add


@pytest.fixture
def books(store):
    """A small but awkward set of books: nested categories, a parent's own expense,
    a refund, every payment method, a void and an uncategorized row."""
    ids = {
        "gloves": add(
            store,
            12_550,
            "supplies:medical",
            "2026-01-05",
            vendor="Northgate Medical",
            method="card",
        ),
        "gauze": add(
            store,
            4_010,
            "supplies:medical:wound-care",
            "2026-01-20",
            vendor="Northgate Medical",
            method="card",
        ),
        "paper": add(
            store, 2_999, "supplies:office", "2026-02-03", vendor="Bayside Office", method="cash"
        ),
        "refund": add(
            store,
            -1_000,
            "supplies:office",
            "2026-02-10",
            vendor="Bayside Office",
            method="card",
            memo="returned toner",
        ),
        "misc": add(store, 500, "supplies", "2026-02-11", memo="parking for a supply run"),
        "lab": add(
            store,
            84_000,
            "services:lab",
            "2025-12-30",
            vendor="Harbor Reference Lab",
            method="check",
            memo="invoice 5512",
        ),
        "power": add(
            store,
            31_277,
            "utilities:electric",
            "2026-02-28",
            vendor="Eastside Power; Co-op",
            method="transfer",
        ),
        "twice": add(
            store,
            31_277,
            "utilities:electric",
            "2026-02-28",
            vendor="Eastside Power; Co-op",
            method="transfer",
        ),
        "coffee": add(store, 1_875, "uncategorized", "2026-03-02", memo='COFFEE "CORNER" #12'),
    }
    ids["void"] = core.void(
        store, ids["twice"], reason="entered twice", on=date(2026, 3, 1), user="tester", now=NOW
    )["id"]
    return ids
