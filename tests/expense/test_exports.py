"""The exports as the accountant's tools read them: ledger, hledger and bean-check must
accept them, and their balance per category must equal `expense report` to the cent."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from macli.expense import categories, report
from tests.expense.helpers import add


def tool(name: str) -> str:
    # bean-check comes with the test extra, beside this Python; ledger and hledger
    # are Debian packages on the PATH.
    beside = Path(sys.executable).parent / name
    path = str(beside) if beside.exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (see .ci/run)")
    return path


def cents(text: str) -> int:
    return int(Decimal(text.replace("USD", "").strip() or "0") * 100)


def expected_balances(store) -> dict[str, int]:
    """Every category and parent in the report, as the account it exports to."""
    return {
        categories.account(row["category"]): cents(row["amount"])
        for row in report.report(store, by="category")
        if row["kind"] != "total"
    }


def export(run, tmp_path, flag: str) -> Path:
    target = tmp_path / f"expenses.{flag}"
    run(f"expense export --{flag} -o {target}")
    assert target.stat().st_mode & 0o777 == 0o600
    return target


@pytest.fixture
def awkward(store, books):
    """The books plus names that a careless journal would break on."""
    add(store, 999, "supplies:medical", "2026-03-03", vendor="(ACME) * Supply", memo="50% off; #2")
    add(store, 1, "services:2nd-floor", "2026-03-04", vendor='Quote "Q" \\ Back')
    return books


def test_ledger_reads_the_journal_with_the_reports_balances(run, store, awkward, tmp_path):
    journal = export(run, tmp_path, "ledger")
    result = subprocess.run(
        [
            tool("ledger"),
            "-f",
            str(journal),
            "balance",
            "^Expenses",
            "--pedantic",
            "--empty",
            "--no-total",
            "--balance-format",
            "%(account)|%(quantity(scrub(total)))\n",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stderr == ""
    seen = {}
    for line in result.stdout.splitlines():
        account, amount = line.split("|")
        seen[account] = cents(amount)
    expected = expected_balances(store)
    # ledger folds a parent with one child into `Parent:Child`; every line it prints
    # and every category with its own expenses must agree with the report.
    assert seen.pop("Expenses") == cents(report.report(store)[-1]["amount"])
    assert {account: expected[account] for account in seen} == seen
    leaves = {row["category"] for row in report.report(store) if row["kind"] == ""}
    assert {categories.account(name) for name in leaves - {"total"}} <= set(seen)


def test_hledger_reads_the_journal_with_the_reports_balances(run, store, awkward, tmp_path):
    journal = export(run, tmp_path, "ledger")
    result = subprocess.run(
        [
            tool("hledger"),
            "-f",
            str(journal),
            "balance",
            "^Expenses",
            "--tree",
            "--no-elide",
            "-O",
            "csv",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    seen = {row["account"]: cents(row["balance"]) for row in rows}
    assert seen.pop("total") == seen.pop("Expenses") == cents(report.report(store)[-1]["amount"])
    assert seen == expected_balances(store)
    # The payment side balances it all, by method.
    assert (
        subprocess.run(
            [tool("hledger"), "-f", str(journal), "check", "--strict"], capture_output=True
        ).returncode
        == 0
    )


def test_beancount_passes_bean_check_with_the_reports_balances(run, store, awkward, tmp_path):
    from beancount import loader
    from beancount.core import realization

    ledger_file = export(run, tmp_path, "beancount")
    checked = subprocess.run([tool("bean-check"), str(ledger_file)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    entries, errors, _ = loader.load_file(str(ledger_file))
    assert errors == []
    root = realization.realize(entries)
    seen = {}
    for account in expected_balances(store):
        node = realization.get(root, account)
        total = realization.compute_balance(node).get_currency_units("USD").number
        seen[account] = int(total * 100)
    assert seen == expected_balances(store)


def test_a_period_exports_only_its_expenses(run, store, books, tmp_path):
    target = tmp_path / "feb.journal"
    run(f"expense export --ledger --month 2026-02 -o {target}")
    result = subprocess.run(
        [tool("hledger"), "-f", str(target), "balance", "^Expenses", "-O", "csv", "--tree"],
        capture_output=True,
        text=True,
        check=True,
    )
    total = list(csv.DictReader(io.StringIO(result.stdout)))[-1]
    february = report.report(store, start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert cents(total["balance"]) == cents(february[-1]["amount"]) == 65053


def test_csv_and_json_exports_are_every_expense(run, store, books, tmp_path):
    target = tmp_path / "expenses.csv"
    run(f"expense export -f csv -o {target}")
    assert target.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(target.open()))
    assert len(rows) == 10
    assert sum(cents(row["amount"]) for row in rows) == 136211
    assert rows[0]["category"] == "services:lab"
    data = json.loads(run("expense export -f json").stdout)
    assert [row["id"] for row in data] == [int(row["id"]) for row in rows]
    assert next(row for row in data if row["id"] == books["void"])["voids"] == books["twice"]
