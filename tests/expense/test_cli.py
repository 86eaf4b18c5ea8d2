from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import dump

STATEMENT = """Date,Description,Amount
2026-11-02,NORTHGATE MED SUPPLY #2231,212.40
2026-11-03,QUICKPRINT SIGNS,96.00
2026-11-04,CARD PAYMENT - THANK YOU,-1500.00
"""
RULES = """pattern,vendor,category
NORTHGATE,Northgate Medical Supply,supplies:medical
CARD PAYMENT,,skip
"""


def listed(run, *args):
    return json.loads(run(["expense", "list", "-f", "json", *args]).stdout)


@pytest.fixture
def medical(run):
    run("expense category add supplies:medical")


def test_add_reads_amounts_exactly_including_refunds(run, medical):
    for amount in ("12.5", "12.50", "$1,234.56", "-3.00", "(4.10)", "0.01"):
        run(["expense", "add", amount, "-c", "supplies:medical"])
    assert [row["amount"] for row in listed(run)] == [
        "12.50",
        "12.50",
        "1234.56",
        "-3.00",
        "-4.10",
        "0.01",
    ]
    assert {row["date"] for row in listed(run)} == {"2026-11-26"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["12.345", "-c", "supplies:medical"], "Error: cannot read amount '12.345'"),
        (["1.2.3", "-c", "supplies:medical"], "Error: cannot read amount '1.2.3'"),
        (["12,34", "-c", "supplies:medical"], "Error: cannot read amount '12,34'"),
        (["1e3", "-c", "supplies:medical"], "Error: cannot read amount '1e3'"),
        (["0.00", "-c", "supplies:medical"], "Error: an expense of 0.00 records nothing"),
        (
            ["5", "-c", "supplies:medcal"],
            "Error: unknown category 'supplies:medcal'; did you mean supplies:medical",
        ),
        (["5", "-c", "supplies/medical"], "Error: cannot use 'supplies/medical' as a category"),
        (
            ["5", "-c", "supplies:medical", "--date", "2026-02-30"],
            "Error: cannot read date '2026-02-30'",
        ),
    ],
)
def test_bad_input_to_add_changes_nothing(run, medical, db_path, args, message):
    before = dump(db_path)
    result = run(["expense", "add", *args], expect=1)
    assert result.stderr.splitlines() == [message] or result.stderr.startswith(message)
    assert len(result.stderr.splitlines()) == 1
    assert dump(db_path) == before


def test_usage_mistakes_exit_2(run, medical, db_path):
    before = dump(db_path)
    assert "Missing option '--category'" in run("expense add 5", expect=2).stderr
    assert (
        "unexpected extra argument (--bogus)" in run("expense add 5 --bogus -c x", expect=2).stderr
    )
    assert "No such option '--bogus'" in run("expense add --bogus -c x", expect=2).stderr
    assert (
        "'cheque' is not one of"
        in run("expense add 5 -c supplies:medical --method cheque", expect=2).stderr
    )
    assert "Missing option '--reason'" in run("expense void 1", expect=2).stderr
    assert dump(db_path) == before


def test_new_category_and_listing_filters(run, medical):
    run("expense add 40 -c services:lab --new-category --vendor 'Harbor Lab' --date 2026-10-03")
    run("expense add 9.99 -c supplies:medical --vendor Northgate --date 2026-11-01 --memo gloves")
    assert [r["category"] for r in listed(run, "--month", "2026-10")] == ["services:lab"]
    assert [r["vendor"] for r in listed(run, "--category", "supplies")] == ["Northgate"]
    assert [r["memo"] for r in listed(run, "--vendor", "north")] == ["gloves"]
    assert listed(run, "--from", "2026-10-04", "--to", "2026-10-31") == []
    table = run("expense category list").stdout
    assert "services:lab" in table and "services " in table
    assert (
        "Error: give one of --month"
        in run("expense list --month 2026-10 --year 2026", expect=1).stderr
    )


def test_receipts_come_back_byte_for_byte_and_private(run, medical, tmp_path, db_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n\x00\xffsynthetic receipt\n")
    expense_id = run(f"expense add 84.20 -c supplies:medical --receipt {scan}").stdout.strip()
    out = tmp_path / "back.pdf"
    result = run(f"expense receipt {expense_id} -o {out}")
    assert out.read_bytes() == scan.read_bytes()
    assert out.stat().st_mode & 0o777 == 0o600
    assert "scan.pdf" in result.stderr
    assert run(f"expense receipt {expense_id}").stdout_bytes == scan.read_bytes()
    # The store is the only copy: the original may go.
    scan.unlink()
    assert run(f"expense show {expense_id} -f json").stdout.count("scan.pdf") == 1
    other = run("expense add 3 -c supplies:medical").stdout.strip()
    before = dump(db_path)
    assert (
        run(f"expense receipt {other}", expect=1).stderr
        == f"Error: expense {other} has no receipt\n"
    )
    assert dump(db_path) == before


def test_a_receipt_can_be_written_to_a_pipe_by_the_installed_command(run, medical, tmp_path):
    scan = tmp_path / "scan.png"
    scan.write_bytes(bytes(range(256)) * 10)
    expense_id = run(f"expense add 1 -c supplies:medical --receipt {scan}").stdout.strip()
    macli = Path(sys.executable).parent / "macli"
    result = subprocess.run(
        [str(macli), "expense", "receipt", expense_id],
        capture_output=True,
        env=os.environ,
        check=True,
    )
    assert result.stdout == scan.read_bytes()


def test_void_is_reported_and_refused_twice(run, medical, db_path):
    expense_id = run("expense add 129 -c supplies:medical --date 2026-11-02").stdout.strip()
    result = run(f"expense void {expense_id} --reason 'entered twice'")
    assert result.stdout == f"Voided expense {expense_id} with entry {int(expense_id) + 1}.\n"
    rows = listed(run)
    assert [(r["amount"], r["date"], r["voids"], r["voided_by"]) for r in rows] == [
        ("129.00", "2026-11-02", None, int(expense_id) + 1),
        ("-129.00", "2026-11-26", int(expense_id), None),
    ]
    before = dump(db_path)
    again = run(f"expense void {expense_id} --reason again", expect=1)
    assert again.stderr.startswith(f"Error: expense {expense_id} was already voided by")
    assert run("expense void 99 --reason x", expect=1).stderr == "Error: no expense 99\n"
    assert dump(db_path) == before


def test_voiding_a_stock_expense_needs_force_and_warns(run, store):
    from datetime import date

    from macli.expense import core
    from tests.expense.helpers import NOW

    expense_id = core.record_from_source(
        store,
        amount_cents=5_000,
        category="supplies:medical",
        vendor="Northgate",
        spent_on=date(2026, 11, 20),
        memo=None,
        source="stock_receipt",
        source_id=7,
        user="tester",
        now=NOW,
    )
    refused = run(f"expense void {expense_id} --reason wrong", expect=1)
    assert "booked from stock receipt 7" in refused.stderr
    forced = run(f"expense void {expense_id} --reason wrong --force")
    assert "Warning: expense 1 was booked from stock receipt 7" in forced.stderr
    assert listed(run)[0]["source"] == "stock receipt 7"


def test_import_with_rules_then_file_the_rest(run, medical, tmp_path, db_path):
    statement = tmp_path / "card.csv"
    statement.write_text(STATEMENT)
    rules = tmp_path / "rules.csv"
    rules.write_text(RULES)
    command = (
        f"expense import {statement} --date-col Date --amount-col Amount "
        f"--desc-col Description --category-rules {rules}"
    )
    first = run(command)
    assert first.stdout == (
        "Imported 2 expenses (1 uncategorized); 0 already imported, 1 ignored.\n"
    )
    assert "expense list --uncategorized" in first.stderr
    before = dump(db_path)
    assert run(command).stdout.startswith("Imported 0 expenses (0 uncategorized); 2 already")
    assert run(command + " --dry-run").stdout.startswith("Would import 0 expenses")
    assert dump(db_path).count('INSERT INTO "expenses"') == before.count('INSERT INTO "expenses"')
    (quickprint,) = listed(run, "--uncategorized")
    assert quickprint["memo"] == "QUICKPRINT SIGNS"
    run(
        f"expense categorize {quickprint['id']} -c office:printing --new-category "
        "--vendor QuickPrint"
    )
    assert listed(run, "--uncategorized") == []
    before = dump(db_path)
    refused = run(f"expense categorize {quickprint['id']} -c supplies:medical", expect=1)
    assert "already filed under office:printing" in refused.stderr
    assert dump(db_path) == before


def test_a_bad_statement_row_names_its_line_and_imports_nothing(run, medical, tmp_path, db_path):
    statement = tmp_path / "card.csv"
    statement.write_text(STATEMENT + "2026-11-05,BAYSIDE,12.O0\n")
    before = dump(db_path)
    result = run(
        f"expense import {statement} --date-col Date --amount-col Amount --desc-col Description",
        expect=1,
    )
    assert result.stderr == (
        "Error: line 5: cannot read amount '12.O0' (use e.g. 12.50, $1,234.56 or -3.00); "
        "nothing was imported\n"
    )
    assert dump(db_path) == before


def test_report_and_budget_through_the_cli(run, medical):
    run("expense add 700 -c supplies:medical --date 2026-11-02")
    run("expense add 40 -c supplies:office --new-category --date 2026-10-15")
    run("expense budget set supplies:medical 500")
    run("expense budget set supplies 6000 --yearly")
    assert (
        "Error: unknown category 'supplies:medcal'"
        in run("expense budget set supplies:medcal 5", expect=1).stderr
    )
    budgets = json.loads(run("expense budget list -f json").stdout)
    assert [(b["category"], b["period"], b["amount"]) for b in budgets] == [
        ("supplies", "yearly", "6000.00"),
        ("supplies:medical", "monthly", "500.00"),
    ]
    rows = json.loads(run("expense report --budget -f json").stdout)
    assert rows[1] == {
        "category": "supplies:medical",
        "period": "monthly",
        "budget": "500.00",
        "spent": "700.00",
        "remaining": "-200.00",
        "used": "140%",
    }
    by_month = run("expense report --by month -f csv").stdout.splitlines()
    assert by_month == [
        "month,entries,amount,kind",
        "2026-10,1,40.00,",
        "2026-11,1,700.00,",
        "2026,2,740.00,subtotal",
        "total,2,740.00,total",
    ]
    assert (
        "--budget takes only a period" in run("expense report --budget --by month", expect=2).stderr
    )
    run("expense budget remove supplies")
    assert "No budgets set." not in run("expense budget list").stdout


def test_the_demo_has_a_year_of_expenses_budgets_imports_and_a_void(run, demo_db):
    demo = demo_db
    months = json.loads(run(f"--db {demo} expense report --by month -f json").stdout)
    assert len([row for row in months if row["kind"] == ""]) == 12
    assert len(json.loads(run(f"--db {demo} expense list --uncategorized -f json").stdout)) == 3
    budget = json.loads(run(f"--db {demo} expense report --budget -f json").stdout)
    assert {"supplies:medical", "services:lab", "utilities"} <= {r["category"] for r in budget}
    rows = json.loads(run(f"--db {demo} expense list -f json").stdout)
    assert sum(1 for row in rows if row["voids"]) == 1
    assert sum(1 for row in rows if row["receipt"]) == 2
