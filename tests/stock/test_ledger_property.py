"""Random sequences of stock operations never let the cached on-hand drift from the ledger."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from macli.errors import MacliError
from macli.migrations import open_store
from macli.stock import items

from .closet import NOW, Closet, at

SKUS = ("GLV", "SYR")
LOTS = ("L1", "L2", "L3")
EXPIRIES = (date(2026, 11, 28), date(2027, 1, 1), date(2027, 3, 1), None)

operations = st.one_of(
    st.tuples(
        st.just("receive"),
        st.sampled_from(SKUS),
        st.integers(1, 15),
        st.sampled_from((*LOTS, None)),
        st.sampled_from(EXPIRIES),
    ),
    st.tuples(
        st.just("use"),
        st.sampled_from(SKUS),
        st.integers(1, 8),
        st.sampled_from((None, None, *LOTS)),
    ),
    st.tuples(
        st.just("count"), st.sampled_from(SKUS), st.integers(0, 12), st.sampled_from((*LOTS, None))
    ),
    st.tuples(st.just("discard"), st.sampled_from(SKUS), st.integers(1, 4), st.sampled_from(LOTS)),
    st.tuples(
        st.just("kit"),
    ),
)


def balances(store):
    return {
        row["id"]: (row["on_hand"], row["ledger"])
        for row in store.query(
            "SELECT l.id, l.on_hand, coalesce(SUM(g.quantity), 0) AS ledger FROM stock_lots l"
            " LEFT JOIN stock_ledger g ON g.lot_id = l.id GROUP BY l.id"
        )
    }


def usable(store, sku, today):
    return store.scalar(
        "SELECT coalesce(SUM(l.on_hand), 0) FROM stock_lots l JOIN stock_items i"
        " ON i.id = l.item_id WHERE i.sku = ? AND (l.expires IS NULL OR l.expires >= ?)",
        [sku, today.isoformat()],
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(operations, st.sampled_from((0, 0, 0, 1, 2))), min_size=3, max_size=30))
def test_cached_on_hand_always_equals_the_ledger_sum(steps):
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "macli.db")
        closet = Closet(store)
        try:
            for sku in SKUS:
                closet.item(sku)
            items.add_kit(store, "tray", ["GLV:2", "SYR:1"], user="t", now=NOW)
            for sku in SKUS:
                closet.receive(sku, 10, lot="L1", expires=date(2026, 12, 5))
                closet.receive(sku, 10, lot="L2", expires=date(2027, 1, 1))
            days = 0
            for operation, advance in steps:
                days += advance
                now = at(days=days)
                today = date(2026, 11, 26) + timedelta(days=days)
                before = balances(store)
                written = store.scalar("SELECT COUNT(*) FROM stock_ledger")
                usable_before = {sku: usable(store, sku, today) for sku in SKUS}
                try:
                    _apply(closet, operation, now)
                except MacliError:
                    # A refused operation leaves the store exactly as it was.
                    assert balances(store) == before
                    assert store.scalar("SELECT COUNT(*) FROM stock_ledger") == written
                else:
                    if operation[0] == "use":
                        sku, quantity = operation[1], operation[2]
                        assert usable(store, sku, today) == usable_before[sku] - quantity
                    if operation[0] == "kit":
                        assert usable(store, "GLV", today) == usable_before["GLV"] - 2
                        assert usable(store, "SYR", today) == usable_before["SYR"] - 1
                for on_hand, ledger in balances(store).values():
                    assert on_hand == ledger >= 0
        finally:
            store.close()


def _apply(closet, operation, now):
    kind = operation[0]
    if kind == "receive":
        _, sku, quantity, lot, expires = operation
        closet.receive(sku, quantity, lot=lot, expires=expires, now=now)
    elif kind == "use":
        _, sku, quantity, lot = operation
        closet.use(sku, quantity, lot=lot, now=now)
    elif kind == "count":
        _, sku, counted, lot = operation
        closet.count(sku, counted, lot=lot, now=now)
    elif kind == "discard":
        _, sku, quantity, lot = operation
        closet.discard(sku, quantity, lot=lot, reason="damaged", now=now)
    else:
        closet.use(kit="tray", now=now)
