from __future__ import annotations

import sqlite3
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from macli.errors import Conflict, Invalid, NotFound
from macli.expense import budgets, categories, core, report
from macli.money import cents_text, parse_amount
from tests.expense.helpers import NOW, add

ZONE = ZoneInfo("America/New_York")


def by_key(rows, key):
    return {row[key]: row for row in rows}


# -- money and categories -----------------------------------------------------------


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cents=st.integers(min_value=-(10**12), max_value=10**12).filter(bool))
def test_amounts_round_trip_exactly_through_the_store(store, cents):
    expense_id = add(store, parse_amount(cents_text(cents)), "supplies", "2026-01-01")
    assert core.show(store, expense_id, tz=ZONE)["amount"] == cents_text(cents)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("supplies:medical", "supplies:medical"),
        (" Supplies : Medical ", "supplies:medical"),
        ("services:lab services", "services:lab-services"),
        ("utilities:2nd_floor", "utilities:2nd-floor"),
    ],
)
def test_category_names_are_normalised(text, name):
    assert categories.normalise(text) == name


@pytest.mark.parametrize("text", ["", ":", "supplies::medical", "supplies/medical", "-x", "é"])
def test_category_names_that_cannot_be_accounts_are_refused(text):
    with pytest.raises(Invalid):
        categories.normalise(text)


def test_an_unknown_category_is_refused_with_the_close_names(store):
    add(store, 100, "supplies:medical", "2026-01-01")
    with pytest.raises(NotFound, match=r"did you mean supplies:medical\b.*--new-category"):
        core.add(
            store,
            amount_cents=100,
            category="supplies:medcal",
            spent_on=date(2026, 1, 2),
            user="tester",
            now=NOW,
        )
    assert store.scalar("SELECT count(*) FROM expenses") == 1
    assert categories.find(store, "supplies:medcal") is None


def test_a_new_category_brings_its_parents(store):
    add(store, 100, "services:lab:pathology", "2026-01-01")
    names = [row["category"] for row in categories.listing(store)]
    assert names == ["services", "services:lab", "services:lab:pathology", "uncategorized"]
    with pytest.raises(Conflict, match="already exists"):
        categories.add(store, "Services:Lab")
    with pytest.raises(Invalid, match="reserved"):
        categories.add(store, "skip:this")


def test_category_accounts_are_capitalised_per_part():
    assert categories.account("supplies:medical") == "Expenses:Supplies:Medical"
    assert categories.account("utilities:2nd-floor") == "Expenses:Utilities:2nd-floor"


# -- reports ------------------------------------------------------------------------


def test_report_by_category_has_parent_subtotals_and_a_grand_total(store, books):
    rows = report.report(store, by="category")
    assert [(r["category"], r["amount"], r["kind"]) for r in rows] == [
        ("services", "840.00", "subtotal"),
        ("services:lab", "840.00", ""),
        ("supplies", "190.59", "subtotal"),
        ("supplies:medical", "165.60", "subtotal"),
        ("supplies:medical:wound-care", "40.10", ""),
        ("supplies:office", "19.99", ""),
        ("uncategorized", "18.75", ""),
        ("utilities", "312.77", "subtotal"),
        ("utilities:electric", "312.77", ""),
        ("total", "1362.11", "total"),
    ]
    assert rows[-1]["entries"] == 10


def test_report_depth_sums_deeper_categories_into_their_parents(store, books):
    rows = report.report(store, by="category", depth=1)
    assert [(r["category"], r["amount"], r["entries"]) for r in rows] == [
        ("services", "840.00", 1),
        ("supplies", "190.59", 5),
        ("uncategorized", "18.75", 1),
        ("utilities", "312.77", 3),
        ("total", "1362.11", 10),
    ]
    two = by_key(report.report(store, by="category", depth=2), "category")
    assert two["supplies:medical"]["amount"] == "165.60"
    assert two["supplies:medical"]["kind"] == ""
    assert "supplies:medical:wound-care" not in two


def test_report_by_month_has_year_subtotals(store, books):
    rows = report.report(store, by="month")
    assert [(r["month"], r["amount"], r["kind"]) for r in rows] == [
        ("2025-12", "840.00", ""),
        ("2025", "840.00", "subtotal"),
        ("2026-01", "165.60", ""),
        ("2026-02", "650.53", ""),
        ("2026-03", "-294.02", ""),
        ("2026", "522.11", "subtotal"),
        ("total", "1362.11", "total"),
    ]


def test_report_by_vendor_filters_and_period(store, books):
    rows = report.report(store, by="vendor", start=date(2026, 1, 1), end=date(2026, 2, 28))
    assert [(r["vendor"], r["amount"]) for r in rows] == [
        ("(no vendor)", "5.00"),
        ("Bayside Office", "19.99"),
        ("Eastside Power; Co-op", "625.54"),
        ("Northgate Medical", "165.60"),
        ("total", "816.13"),
    ]
    only = report.report(store, by="month", category="supplies:office")
    assert only[-1]["amount"] == "19.99"
    with pytest.raises(Invalid, match="--depth"):
        report.report(store, by="month", depth=2)


def test_an_empty_report_still_has_its_total(store):
    assert report.report(store, by="category") == [
        {"category": "total", "entries": 0, "amount": "0.00", "kind": "total"}
    ]


# -- budgets ------------------------------------------------------------------------


def test_budgets_compare_spending_with_subcategories_over_the_months(store, books):
    budgets.put(store, "supplies", 100_00, period="monthly", user="tester", now=NOW)
    budgets.put(store, "supplies:medical", 150_00, period="monthly", user="tester", now=NOW)
    budgets.put(store, "services", 10_000_00, period="yearly", user="tester", now=NOW)
    rows = by_key(budgets.report(store, start=date(2026, 1, 1), end=date(2026, 2, 28)), "category")
    # Two calendar months are touched: monthly x 2, yearly x 2/12.
    assert rows["supplies"] == {
        "category": "supplies",
        "period": "monthly",
        "budget": "200.00",
        "spent": "190.59",
        "remaining": "9.41",
        "used": "95%",
    }
    assert rows["supplies:medical"]["remaining"] == "134.40"
    assert rows["services"]["budget"] == "1666.67"
    assert rows["services"]["spent"] == "0.00"
    # Nested budgets count once in the total; all spending counts.
    assert rows["total"]["budget"] == "1866.67"
    assert rows["total"]["spent"] == "816.13"


def test_a_budget_is_replaced_and_removed(store, books):
    budgets.put(store, "supplies:office", 50_00, period="monthly", user="tester", now=NOW)
    budgets.put(store, "Supplies:Office", 600_00, period="yearly", user="a", now=NOW)
    assert [(b["category"], b["period"], b["amount"]) for b in budgets.listing(store, tz=ZONE)] == [
        ("supplies:office", "yearly", "600.00")
    ]
    budgets.remove(store, "supplies:office")
    assert budgets.listing(store, tz=ZONE) == []
    with pytest.raises(NotFound):
        budgets.remove(store, "supplies:office")
    with pytest.raises(NotFound, match="did you mean"):
        budgets.put(store, "supplies:ofice", 1, period="monthly", user="a", now=NOW)
    with pytest.raises(Invalid):
        budgets.put(store, "supplies", -5, period="monthly", user="a", now=NOW)


# -- voids --------------------------------------------------------------------------


def test_a_void_is_a_reversing_entry_that_keeps_who_when_and_why(store, books):
    original = core.show(store, books["twice"], tz=ZONE)
    reversal = core.show(store, books["void"], tz=ZONE)
    assert original["voided_by"] == books["void"]
    assert reversal["voids"] == books["twice"]
    assert reversal["amount"] == "-312.77"
    assert reversal["date"] == "2026-03-01"
    for record in (original, reversal):
        assert (record["void_date"], record["void_user"], record["void_reason"]) == (
            "2026-03-01",
            "tester",
            "entered twice",
        )
    assert store.scalar("SELECT count(*) FROM expenses") == 10


def test_a_void_cannot_be_repeated_or_voided(store, books):
    with pytest.raises(Conflict, match="already voided by .* entered twice"):
        core.void(store, books["twice"], reason="again", on=date(2026, 3, 2), user="t", now=NOW)
    with pytest.raises(Conflict, match="itself the void"):
        core.void(store, books["void"], reason="undo", on=date(2026, 3, 2), user="t", now=NOW)
    with pytest.raises(Invalid, match="--reason"):
        core.void(store, books["lab"], reason="  ", on=date(2026, 3, 2), user="t", now=NOW)
    with pytest.raises(NotFound):
        core.void(store, 999, reason="x", on=date(2026, 3, 2), user="t", now=NOW)


def test_expenses_cannot_be_deleted_or_changed_behind_macli(store, books):
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        store.conn.execute("DELETE FROM expenses WHERE id = ?", [books["lab"]])
    with pytest.raises(sqlite3.IntegrityError, match="fixed once recorded"):
        store.conn.execute("UPDATE expenses SET amount_cents = 1 WHERE id = ?", [books["lab"]])
    with pytest.raises(sqlite3.IntegrityError, match="only an uncategorized"):
        store.conn.execute("UPDATE expenses SET category_id = 1 WHERE id = ?", [books["lab"]])


# -- the stock entry point ----------------------------------------------------------


def record_stock(store, receipt_id=34, category="supplies:medical:injectables"):
    return core.record_from_source(
        store,
        amount_cents=25_640,
        category=category,
        vendor="Northgate Medical",
        spent_on=date(2026, 11, 20),
        memo="lot 2291, 40 x flu vaccine",
        source="stock_receipt",
        source_id=receipt_id,
        user="tester",
        now=NOW,
    )


def test_stock_receipts_book_expenses_inside_the_callers_transaction(store):
    with pytest.raises(RuntimeError), store.write():
        record_stock(store)
        raise RuntimeError("the stock receipt failed after booking")
    assert store.scalar("SELECT count(*) FROM expenses") == 0
    assert categories.find(store, "supplies:medical:injectables") is None
    with store.write():
        expense_id = record_stock(store)
    record = core.show(store, expense_id, tz=ZONE)
    assert record["source"] == "stock receipt 34"
    assert record["category"] == "supplies:medical:injectables"
    assert record["method"] is None
    with pytest.raises(Conflict, match="stock receipt 34 is already expense"):
        record_stock(store)


def test_voiding_a_stock_expense_names_the_receipt_and_needs_force(store):
    expense_id = record_stock(store)
    with pytest.raises(Conflict, match="booked from stock receipt 34.*--force"):
        core.void(store, expense_id, reason="wrong", on=date(2026, 11, 26), user="t", now=NOW)
    assert store.scalar("SELECT count(*) FROM expenses") == 1
    result = core.void(
        store, expense_id, reason="wrong", on=date(2026, 11, 26), force=True, user="t", now=NOW
    )
    assert "stock receipt 34" in result["warning"]
    assert report.report(store)[-1]["amount"] == "0.00"


# -- filing uncategorized rows and receipts -----------------------------------------


def test_only_uncategorized_expenses_are_filed_all_or_none(store, books):
    with pytest.raises(Conflict, match="already filed under services:lab"):
        core.categorize(store, [books["coffee"], books["lab"]], category="supplies:office")
    assert core.show(store, books["coffee"], tz=ZONE)["category"] == "uncategorized"
    core.categorize(
        store,
        [books["coffee"]],
        category="office:hospitality",
        new_category=True,
        vendor="Coffee Corner",
    )
    record = core.show(store, books["coffee"], tz=ZONE)
    assert (record["category"], record["vendor"]) == ("office:hospitality", "Coffee Corner")


def test_receipts_are_kept_once_per_content(store):
    data = b"%PDF-1.4 synthetic receipt\x00\xff"
    first = add(store, 100, "supplies", "2026-01-01", receipt=data, receipt_name="a.pdf")
    second = add(store, 200, "supplies", "2026-01-02", receipt=data, receipt_name="b.pdf")
    assert store.scalar("SELECT count(*) FROM blobs") == 1
    assert core.receipt(store, second)["data"] == data
    assert core.receipt(store, first)["name"] == "a.pdf"
    third = add(store, 300, "supplies", "2026-01-03")
    with pytest.raises(NotFound, match="no receipt"):
        core.receipt(store, third)
    core.attach_receipt(store, third, b"later", "later.txt")
    assert core.receipt(store, third)["data"] == b"later"
    with pytest.raises(Conflict, match="already has a receipt"):
        core.attach_receipt(store, third, b"other", "other.txt")
    with pytest.raises(Invalid, match="empty"):
        add(store, 100, "supplies", "2026-01-01", receipt=b"", receipt_name="e.pdf")


def test_an_oversized_receipt_is_refused(store, monkeypatch):
    monkeypatch.setattr(core, "MAX_RECEIPT_BYTES", 1024 * 1024)
    with pytest.raises(Invalid, match="limited to 1 MB"):
        add(store, 100, "supplies", "2026-01-01", receipt=b"x" * (2 * 1024 * 1024 + 1))
    assert store.scalar("SELECT count(*) FROM expenses") == 0


def test_list_filters(store, books):
    def ids(**filters):
        return [row["id"] for row in core.listing(store, **filters)]

    assert ids(uncategorized=True) == [books["coffee"]]
    assert ids(category="supplies:medical") == [books["gloves"], books["gauze"]]
    assert ids(vendor="northgate") == [books["gloves"], books["gauze"]]
    assert ids(vendor="%") == []
    start, end = core.period(month="2026-02")
    assert ids(start=start, end=end) == [
        books["paper"],
        books["refund"],
        books["misc"],
        books["power"],
        books["twice"],
    ]
    assert core.period(year="2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert core.period(month="2024-02")[1] == date(2024, 2, 29)
    with pytest.raises(Invalid):
        core.period(month="2026-13")
    with pytest.raises(Invalid):
        core.period(month="2026-01", start="2026-01-01")
