from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from macli.errors import Invalid
from macli.expense import categories, core, statement
from tests.conftest import dump
from tests.expense.helpers import NOW, add

HEADER = "Posted,Description,Amount,Balance\n"
NOVEMBER = (
    "2026-11-02,NORTHGATE MED SUPPLY #2231,212.40,0\n"
    "2026-11-03,COFFEE CORNER,4.50,0\n"
    "2026-11-03,Coffee  corner,4.50,0\n"  # the same purchase twice that day
    "2026-11-04,CARD PAYMENT - THANK YOU,-1500.00,0\n"
    "2026-11-05,QUICKPRINT SIGNS,96.00,0\n"
)
RULES = b"""# first match wins
pattern,vendor,category
northgate med,Northgate Medical Supply,supplies:medical
/^card payment/,,skip
QUICKPRINT,QuickPrint,
"""


def do_import(store, text, rules=RULES, **options):
    parsed = statement.parse_rules(store, rules) if rules is not None else None
    return statement.import_statement(
        store,
        text.encode(),
        file_name="statement.csv",
        date_col=options.pop("date_col", "Posted"),
        amount_col=options.pop("amount_col", "Amount"),
        desc_col=options.pop("desc_col", "Description"),
        rules=parsed,
        user="tester",
        now=NOW,
        **options,
    )


@pytest.fixture
def medical(store):
    add(store, 100, "supplies:medical", "2026-01-01")


def test_rules_set_vendor_and_category_skip_rows_and_leave_the_rest_to_file(store, medical):
    counts = do_import(store, HEADER + NOVEMBER)
    assert counts == {"added": 4, "uncategorized": 3, "already": 0, "ignored": 1}
    rows = list(core.listing(store, start=core.period(month="2026-11")[0]))
    assert [(r["category"], r["vendor"], r["amount"], r["memo"]) for r in rows] == [
        ("supplies:medical", "Northgate Medical Supply", "212.40", "NORTHGATE MED SUPPLY #2231"),
        ("uncategorized", None, "4.50", "COFFEE CORNER"),
        ("uncategorized", None, "4.50", "Coffee corner"),
        ("uncategorized", "QuickPrint", "96.00", "QUICKPRINT SIGNS"),
    ]
    assert {r["method"] for r in rows} == {"card"}


def test_reimporting_the_same_or_an_overlapping_statement_adds_nothing_twice(store, medical):
    do_import(store, HEADER + NOVEMBER)
    again = do_import(store, HEADER + NOVEMBER)
    assert again == {"added": 0, "uncategorized": 0, "already": 4, "ignored": 1}
    # Overlap: from 3 November on, plus a new day; a third identical coffee is new.
    overlapping = (
        HEADER
        + "\n".join(NOVEMBER.splitlines()[1:])
        + "\n2026-11-03,COFFEE CORNER,4.50,0\n2026-11-06,BAYSIDE OFFICE,38.15,0\n"
    )
    counts = do_import(store, overlapping, rules=None)
    assert counts == {"added": 3, "uncategorized": 3, "already": 3, "ignored": 0}
    coffees = list(core.listing(store, vendor=None, uncategorized=True))
    assert sum(1 for r in coffees if r["memo"].casefold() == "coffee corner") == 3
    # Without rules the card payment arrives as a negative expense; it is new.
    assert store.scalar("SELECT count(*) FROM expenses") == 1 + 4 + 3
    assert store.scalar("SELECT count(*) FROM expense_imports") == 3


def test_a_voided_import_row_stays_voided_on_reimport(store, medical):
    do_import(store, HEADER + NOVEMBER)
    quickprint = next(r for r in core.listing(store, vendor="QuickPrint"))
    core.void(store, quickprint["id"], reason="personal", on=date(2026, 11, 26), user="t", now=NOW)
    assert do_import(store, HEADER + NOVEMBER)["added"] == 0


def test_negated_amounts_date_formats_and_column_numbers(store, medical):
    text = "Date,Memo,Debit\n11/02/2026,HARBOR LAB,-840.00\n11/03/2026,REFUND BAYSIDE,12.00\n"
    counts = do_import(
        store,
        text,
        rules=None,
        date_col="1",
        amount_col="3",
        desc_col="memo",
        date_format="%m/%d/%Y",
        negate=True,
        method="transfer",
    )
    assert counts["added"] == 2
    rows = list(core.listing(store, uncategorized=True))
    assert [(r["date"], r["amount"], r["method"]) for r in rows] == [
        ("2026-11-02", "840.00", "transfer"),
        ("2026-11-03", "-12.00", "transfer"),
    ]
    # The fingerprint is of the statement as written: forgetting --negate adds nothing.
    assert (
        do_import(
            store,
            text,
            rules=None,
            date_col="1",
            amount_col="3",
            desc_col="memo",
            date_format="%m/%d/%Y",
        )["added"]
        == 0
    )


def test_dry_run_counts_but_writes_nothing(store, medical, db_path):
    before = dump(db_path)
    counts = do_import(store, HEADER + NOVEMBER, dry_run=True)
    assert counts["added"] == 4
    assert dump(db_path) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("2026-11-02,A,1.00,0\n2026-13-02,B,2.00,0\n", "line 3: cannot read date '2026-13-02'"),
        ("2026-11-02,A,1.00,0\n2026-11-02,B,2.005,0\n", "line 3: cannot read amount '2.005'"),
        ("2026-11-02,A,1.00,0\n2026-11-02,B\n", "line 3: has 2 fields"),
        (
            '2026-11-02,"two\nlines",1.00,0\n2026-11-02,,2.00,0\n',
            "line 4: the description is empty",
        ),
        ("2026-11-02,A,1.00,0\n2026-11-02,B,abc,0\n", "line 3: cannot read amount 'abc'"),
    ],
)
def test_a_bad_row_stops_the_import_with_its_line_and_writes_nothing(
    store, medical, db_path, body, message
):
    before = dump(db_path)
    with pytest.raises(Invalid) as error:
        do_import(store, HEADER + body)
    assert error.value.message.startswith(message)
    assert error.value.message.endswith("nothing was imported")
    assert dump(db_path) == before


def test_columns_must_exist(store):
    with pytest.raises(Invalid, match="no column 'Datum' for --date-col; the columns are: Posted"):
        do_import(store, HEADER, rules=None, date_col="Datum")
    with pytest.raises(Invalid, match="--amount-col 9: the file has 4 columns"):
        do_import(store, HEADER, rules=None, amount_col="9")
    with pytest.raises(Invalid, match="line 1: the file is empty"):
        do_import(store, "", rules=None)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (b"pattern,category\n", "rules line 1: the header must be pattern,vendor,category"),
        (
            b"pattern,vendor,category\nX,Y,supplies:medcal\n",
            "rules line 2: unknown category 'supplies:medcal'; did you mean supplies:medical",
        ),
        (b"pattern,vendor,category\n# note\n/(/,Y,\n", "rules line 3: bad regular expression"),
        (b"pattern,vendor,category\nX,Y\n", "rules line 2: expected 3 fields"),
        (b"pattern,vendor,category\n,Y,skip\n", "rules line 2: the pattern is empty"),
        (b"# nothing\n", "the rules file is empty"),
    ],
)
def test_bad_rules_name_their_line(store, medical, rules, message):
    with pytest.raises(Invalid) as error:
        statement.parse_rules(store, rules)
    assert error.value.message.startswith(message)


def test_rules_file_uncategorized_rows_later(store, medical):
    do_import(store, HEADER + NOVEMBER, rules=None)
    counts = statement.apply_rules(store, statement.parse_rules(store, RULES))
    # Northgate is filed; the card payment matches `skip` and QuickPrint no category.
    assert counts == {"filed": 1, "unmatched": 4}
    assert [r["vendor"] for r in core.listing(store, category="supplies:medical")] == [
        None,
        "Northgate Medical Supply",
    ]


def test_fingerprints_ignore_case_and_spacing_but_not_the_counter():
    day = date(2026, 11, 3)
    assert statement.fingerprint(day, 450, "COFFEE  Corner", 1) == statement.fingerprint(
        day, 450, "coffee corner", 1
    )
    assert statement.fingerprint(day, 450, "coffee corner", 1) != statement.fingerprint(
        day, 450, "coffee corner", 2
    )
    assert statement.fingerprint(day, 450, "coffee corner", 1) != statement.fingerprint(
        day, -450, "coffee corner", 1
    )


def test_the_rules_example_in_the_docs_reads(store):
    page = (Path(__file__).resolve().parents[2] / "docs" / "expense.md").read_text()
    example = "# rules.csv" + page.split("# rules.csv", 1)[1].split("```", 1)[0]
    for name in ("supplies:medical", "supplies:office", "services:lab"):
        categories.ensure(store, name)
    rules = statement.parse_rules(store, example.encode())
    assert [(r.vendor, r.category) for r in rules][2:] == [
        ("Harbor Reference Lab", "services:lab"),
        ("QuickPrint", None),
        (None, "skip"),
        (None, "skip"),
    ]
    assert statement.match(rules, "quest diagnostics 0042").vendor == "Harbor Reference Lab"
