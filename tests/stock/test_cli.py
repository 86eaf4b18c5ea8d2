"""The stock commands as staff and scripts use them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from macli.stock.cli import stock
from tests.conftest import dump

pytestmark = pytest.mark.usefixtures("isolated")


def closet(run):
    """A small closet: gloves in three lots (one expired), flu vaccine, a patient."""
    run(
        "stock item add GLV-M --name 'Nitrile gloves, medium' --unit box --reorder-at 4"
        " --reorder-qty 10 --supplier 'Harbor Medical' --location 'closet A'"
    )
    run(
        "stock item add FLU --name 'Influenza vaccine' --unit dose --category vaccines"
        " --reorder-at 5 --supplier 'Apex Vaccines'"
    )
    run("--now 2026-11-01T09:00 stock receive GLV-M 3 --lot OLD --expires 2026-11-20 --cost 24.00")
    run("stock receive GLV-M 2 --lot G1 --expires 2027-01 --unit-cost 8.50")
    run("stock receive GLV-M 4 --lot G2 --expires 2027-06-30 --unit-cost 9.00")
    run("stock receive FLU 10 --lot FL4471 --expires 2027-06-30 --unit-cost 18.75 --invoice AV-1")
    run("patient add 'Ana García' --dob 1984-03-02")


def test_every_stock_command_has_help_with_an_example(run):
    def walk(group, path):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from walk(command, [*path, name])
            else:
                yield [*path, name]

    paths = list(walk(stock, ["stock"]))
    assert len(paths) >= 16
    for path in paths:
        text = run([*path, "--help"]).stdout
        assert "Example:" in text, path


def test_receive_and_use_first_expiring_first(run):
    closet(run)
    result = run("stock use GLV-M 3")
    assert result.stdout == (
        "Used GLV-M:\n"
        "  2 box of GLV-M from lot G1, expires 2027-01-31 (0 left in the lot)\n"
        "  1 box of GLV-M from lot G2, expires 2027-06-30 (3 left in the lot)\n"
    )
    rows = json.loads(run("stock list --lots -f json").stdout)
    assert [(r["sku"], r["lot"], r["status"], r["on_hand"]) for r in rows] == [
        ("FLU", "FL4471", "ok", 10),
        ("GLV-M", "OLD", "expired", 3),
        ("GLV-M", "G2", "ok", 3),
    ]


def test_receive_without_expiry_warns_on_stderr_for_perishables(run):
    run("stock item add LIDO --name Lidocaine --unit vial")
    run("stock item add TD --name 'Tongue depressors' --unit box --non-perishable")
    warned = run("stock receive LIDO 2 --lot L1")
    assert warned.stderr.startswith("Warning: LIDO is perishable but lot L1 has no expiry date")
    assert warned.stdout == "Received 2 vial of LIDO into lot L1; 2 on hand.\n"
    quiet = run("stock receive TD 5")
    assert quiet.stderr == ""
    assert quiet.stdout == "Received 5 box of TD into lot no-lot; 5 on hand.\n"


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (
            "stock use GLV-M 7",
            "Error: cannot use 7 box of GLV-M: only 6 usable (lot G1: 2, "
            "expires 2027-01-31; lot G2: 4, expires 2027-06-30); 3 more in expired lots (OLD)",
            1,
        ),
        ("stock use GLV-M 1 --lot OLD", "Error: lot OLD of GLV-M expired on 2026-11-20", 1),
        ("stock use GLV-M 1 --lot NOPE", "Error: GLV-M has no lot 'NOPE'", 1),
        ("stock use NOPE 1", "Error: no stock item with SKU 'NOPE'", 1),
        ("stock use FLU 1 --patient 'Nobody Here'", "Error: no patient matches", 1),
        ("stock use GLV-M 0", "Error: Invalid value for '[QUANTITY]'", 2),
        ("stock use", "Error: give SKU and QTY, or --kit NAME", 2),
        ("stock use GLV-M 1 --kit tray", "Error: use either --kit NAME or SKU QTY", 1),
        ("stock receive GLV-M 1 --lot X --expires 2027-02-30", "Error: cannot read date", 1),
        (
            "stock receive GLV-M 1 --lot X --expires 2027-01 --cost 1,2,3",
            "Error: cannot read amount",
            1,
        ),
        (
            "stock receive GLV-M 1 --lot G1 --expires 2027-02-28",
            "Error: lot G1 of GLV-M is recorded with 2027-01-31",
            1,
        ),
        (
            "stock receive GLV-M 1 --lot X --expires 2026-11-25",
            "Error: that lot expired on 2026-11-25",
            1,
        ),
        (
            "stock count GLV-M 20 --reason check",
            "Error: GLV-M has 11 more than recorded and several lots",
            1,
        ),
        ("stock count GLV-M 2", "Error: Missing option '--reason'", 2),
        (
            "stock discard GLV-M 5 --lot G1 --reason damaged",
            "Error: cannot discard 5 box of GLV-M lot G1: it holds 2",
            1,
        ),
        ("stock discard GLV-M 1 --lot G1 --reason lost", "Error: Invalid value for '--reason'", 2),
        ("stock kit add tray GLV-M:2 FLU", "Error: cannot read 'FLU'", 1),
        ("stock item add GLV-M --name x --unit box", "Error: SKU GLV-M already exists", 1),
        ("stock item edit GLV-M --unit pair", "Error: GLV-M already has stock recorded in box", 1),
        ("stock expiring --within soon", "Error: cannot read duration", 1),
        ("stock history GLV-M --from 2026-13-01", "Error: cannot read date", 1),
        ("stock lot NOPE", "Error: no lot 'NOPE' has been received", 1),
    ],
)
def test_bad_input_is_one_error_line_and_changes_nothing(run, db_path, args, message, code):
    closet(run)
    before = dump(db_path)
    result = run(args, expect=code)
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(message), result.stderr
    if code == 1:
        assert len(lines) == 1
    assert dump(db_path) == before


def test_count_and_discard_report_what_changed(run):
    closet(run)
    assert run("stock count FLU 9 --reason 'fridge check'").stdout == (
        "Counted 9 dose of FLU (ledger said 10): difference -1.\n"
    )
    assert run("stock count GLV-M 4 --lot G2 --reason shelf").stdout == (
        "Counted 4 box of GLV-M lot G2 (ledger said 4): matches the ledger.\n"
    )
    assert run("stock discard GLV-M 3 --lot OLD --reason expired").stdout == (
        "Discarded 3 box of GLV-M lot OLD (expired); 0 left in the lot.\n"
    )
    history = json.loads(run("stock history GLV-M -f json").stdout)
    assert [(row["kind"], row["change"], row["on_hand"]) for row in history] == [
        ("receive", 3, 3),
        ("receive", 2, 5),
        ("receive", 4, 9),
        ("count", 0, 9),
        ("discard", -3, 6),
    ]


def test_list_low_expiring_and_order_reports(run):
    closet(run)
    run("stock use FLU 6")
    listing = list(csv.DictReader(io.StringIO(run("stock list -f csv").stdout)))
    gloves = next(row for row in listing if row["sku"] == "GLV-M")
    # 3 expired at 8.00, 2 at 8.50, 4 at 9.00: 24.00 + 17.00 + 36.00 = 77.00 for 9.
    assert (gloves["on_hand"], gloves["expired"], gloves["value"], gloves["avg_unit_cost"]) == (
        "9",
        "3",
        "77.00",
        "8.56",
    )
    low = json.loads(run("stock low -f json").stdout)
    assert [(row["sku"], row["usable"]) for row in low] == [("FLU", 4)]

    expiring = run("stock expiring --within 10w")
    assert "OLD" in expiring.stdout and "expired 6 days ago" in expiring.stdout
    assert "G1" in expiring.stdout and "66 days left" in expiring.stdout
    assert expiring.stdout.endswith("\nValue at risk: 41.00\n")
    as_json = json.loads(run("stock expiring -f json").stdout)
    assert [row["lot"] for row in as_json] == ["OLD"]

    order = list(csv.DictReader(io.StringIO(run("stock order -f csv").stdout)))
    assert [(row["supplier"], row["sku"], row["suggested"]) for row in order] == [
        ("Apex Vaccines", "FLU", "3"),
    ]
    assert run("--now 2027-02-01T09:00 stock order -f csv").stdout.count("\n") == 3


def test_empty_reports_still_give_scripts_a_header(run):
    assert run("stock list").stdout == "No stock.\n"
    assert run("stock low -f csv").stdout == (
        "sku,name,unit,usable,reorder_at,reorder_qty,supplier,location\n"
    )
    assert run("stock expiring -f json").stdout == "[]\n"


def test_kits_through_the_cli(run):
    closet(run)
    run("stock item add GAUZE --name 'Gauze 4x4' --unit pack --non-perishable")
    run("stock receive GAUZE 3")
    assert run("stock kit add 'Vaccine visit' FLU:1 GLV-M:1 GAUZE:1").stdout == (
        "Kit Vaccine visit: 1 FLU, 1 GAUZE, 1 GLV-M.\n"
    )
    kits = json.loads(run("stock kit list -f json").stdout)
    assert kits == [{"kit": "Vaccine visit", "components": "FLU:1 GAUZE:1 GLV-M:1", "can_make": 3}]
    used = run("stock use --kit 'vaccine visit' --patient P000001")
    assert used.stdout.startswith("Used kit Vaccine visit for P000001:\n")
    run("stock use GAUZE 2")
    refused = run("stock use --kit 'Vaccine visit'", expect=1)
    assert "nothing taken: cannot use 1 pack of GAUZE: none usable" in refused.stderr
    run("stock kit remove 'vaccine visit'")
    assert run("stock kit list").stdout == "No kits.\n"


def test_recall_trace_shows_patients_and_is_audited(run):
    closet(run)
    run("stock use FLU 1 --patient 'ana garcia' --note 'left deltoid'")
    run("stock use FLU 2")
    table = run("stock lot fl4471").stdout
    assert "P000001" in table and "Ana García" in table
    rows = list(csv.DictReader(io.StringIO(run("stock lot FL4471 -f csv").stdout)))
    assert [(r["kind"], r["change"], r["patient"]) for r in rows] == [
        ("receive", "10", ""),
        ("use", "-1", "P000001"),
        ("use", "-2", ""),
    ]
    audit = json.loads(run("audit list -f json").stdout)
    actions = [(row["action"], row["mrn"]) for row in audit if row["action"].startswith("stock")]
    assert actions == [
        ("stock.use", "P000001"),
        ("stock.lot", "P000001"),
        ("stock.lot", "P000001"),
    ]


def test_usage_per_month(run):
    closet(run)
    run("--now 2026-10-30T10:00 stock use GLV-M 1")
    run("stock use GLV-M 2")
    run("stock use FLU 3")
    rows = json.loads(run("stock usage -f json").stdout)
    assert [(r["month"], r["sku"], r["used"]) for r in rows] == [
        ("2026-10", "GLV-M", 1),
        ("2026-11", "FLU", 3),
        ("2026-11", "GLV-M", 2),
    ]
    only = json.loads(run("stock usage --from 2026-11-01 --sku GLV-M -f json").stdout)
    assert [(r["month"], r["used"]) for r in only] == [("2026-11", 2)]


def test_two_processes_using_the_last_units_never_oversell(run, store):
    run("stock item add PPD --name 'Tuberculin PPD' --unit vial")
    run("stock receive PPD 5 --lot TB1 --expires 2027-03-31")
    macli = Path(sys.executable).with_name("macli")
    processes = [
        subprocess.Popen(
            [str(macli), "stock", "use", "PPD", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    codes = sorted(code for code, _ in results)
    assert codes == [0, 0, 1, 1]
    for code, error in results:
        if code:
            assert error.startswith("Error: cannot use 2 vial of PPD: only 1 usable"), error
    assert store.scalar("SELECT on_hand FROM stock_lots") == 1
    assert store.scalar("SELECT COUNT(*) FROM stock_ledger WHERE kind = 'use'") == 2


def test_receive_books_the_expense_unless_told_not_to(run, db_path):
    run(
        "stock item add GLV-M --name 'Nitrile gloves, medium' --unit box --supplier 'Harbor Medical'"
    )
    booked = run("stock receive GLV-M 10 --lot NG1 --expires 2029-05 --cost 84.50 --invoice HM-1")
    assert booked.stdout.splitlines()[-1] == "Booked 84.50 as expense 1 (supplies:medical)."
    listed = json.loads(run("expense list -f json").stdout)
    assert [(e["id"], e["amount"], e["category"], e["vendor"], e["source"]) for e in listed] == [
        (1, "84.50", "supplies:medical", "Harbor Medical", "stock receipt 1"),
    ]
    history = json.loads(run("stock history GLV-M -f json").stdout)
    assert history[0]["expense"] == 1

    quiet = run("stock receive GLV-M 2 --lot NG1 --expires 2029-05 --cost 16.90 --no-expense")
    assert "Booked" not in quiet.stdout
    assert len(json.loads(run("expense list -f json").stdout)) == 1

    # The expense belongs to the receipt: voiding it on its own is refused.
    before = dump(db_path)
    refused = run("expense void 1 --reason oops", expect=1)
    assert "booked from stock receipt 1" in refused.stderr
    assert dump(db_path) == before
