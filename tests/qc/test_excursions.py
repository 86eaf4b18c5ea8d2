"""Checks in and out of range; an excursion holds the unit's stock until each lot is
released or discarded."""

import json

from tests.conftest import dump


def test_a_check_in_range_opens_nothing(run, fridge):
    result = run("qc temp Vaccines --min 3.1C --max 6.4C --current 4.8C")
    assert "min 3.1 °C, max 6.4 °C, now 4.8 °C" in result.stdout
    assert run("qc excursion list").stdout.strip() == "No excursions."
    run("stock use FLU-QIV 1")
    units = json.loads(run("qc unit list -f json").stdout)
    assert units[0]["range"] == "2.0..8.0 °C" and units[0]["last_check_by"] == "tester"


def test_fahrenheit_check_is_stored_in_celsius(run, fridge, store):
    run("qc temp Vaccines --min 38F --max 44.6F")
    row = store.one("SELECT min_c100, max_c100, entered FROM qc_checks")
    assert row == {"min_c100": 333, "max_c100": 700, "entered": "min 38F max 44.6F"}


def test_a_check_out_of_range_holds_the_units_lots(run, fridge):
    run("qc temp Vaccines --min 3C --max 5C --at '2026-11-25 08:00'")
    result = run("qc temp Vaccines --min 3.1C --max 11.2C --current 5C")
    assert "OUT OF RANGE: excursion 1 opened" in result.stderr
    refused = run("stock use FLU-QIV 1", expect=1)
    assert "DO NOT USE: fridge 'Vaccines' reached 11.2 °C" in refused.stderr
    assert "excursion 1" in refused.stderr
    run("stock use --kit 'vaccine visit'", expect=1)
    run("stock use GAUZE 1")  # kept elsewhere: not held
    rows = json.loads(run("qc excursion list --open -f json").stdout)
    assert [(r["id"], r["status"], r["held_lots"], r["worst"]) for r in rows] == [
        (1, "open", 2, "11.2 °C")
    ]
    kits = json.loads(run("stock kit list -f json").stdout)
    assert kits[0]["can_make"] == 0
    lots = json.loads(run("stock list --lots --category vaccines -f json").stdout)
    assert {row["status"] for row in lots} == {"held"}


def test_release_and_discard_close_the_excursion(run, fridge, store):
    run("qc temp Vaccines --min 3.1C --max 11.2C")
    run("qc excursion act 1 --note 'notified Dr. Reyes'")
    run("qc excursion release 1 --lot FL1 --why 'Apex: stable, ref AV-1'")
    run("stock use FLU-QIV 1")
    run("stock use MMR 1", expect=1)
    assert json.loads(run("qc excursion show 1 -f json").stdout)["status"] == "open"
    result = run("qc excursion release 1 --lot MM1 --discard --why 'Merck: do not use'")
    assert "Excursion 1 is closed." in result.stdout
    assert run("qc excursion list --open").stdout.strip() == "No excursions."
    discard = store.one("SELECT quantity, reason, note FROM stock_ledger WHERE kind = 'discard'")
    assert discard == {
        "quantity": -5,
        "reason": "excursion",
        "note": "excursion 1: Merck: do not use",
    }
    shown = json.loads(run("qc excursion show 1 -f json").stdout)
    assert [lot["outcome"] for lot in shown["lots"]] == ["released", "discarded"]
    assert len(shown["log"]) == 3


def test_release_of_a_lot_not_held_is_refused_and_writes_nothing(run, fridge, db_path):
    run("qc temp Vaccines --min 3.1C --max 11.2C")
    before = dump(db_path)
    result = run("qc excursion release 1 --lot G1 --why 'fine'", expect=1)
    assert result.stderr.startswith("Error: excursion 1 holds no lot 'G1'")
    assert result.stderr.count("\n") == 1
    run("qc excursion release 1 --lot FL1", expect=1)  # no --why
    run("qc excursion release 9 --lot FL1 --why x", expect=1)
    assert dump(db_path) == before


def test_bad_input_is_one_error_line_and_nothing_written(run, fridge, db_path):
    before = dump(db_path)
    for args in (
        "qc temp Vaccines --min 3 --max 60",  # bare 60: neither scale fits, say it
        "qc temp Vaccines --min 7C --max 3C",
        "qc temp Nowhere --min 3C --max 5C",
        "qc unit add Broken --kind fridge --range 8..2",
        "qc unit add vaccines --kind fridge",  # the name is taken (any case)
        "qc temp Vaccines --min 3C --max 5C --at 'tomorrow 08:00'",
    ):
        result = run(args, expect=1)
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, args
    assert dump(db_path) == before


def test_an_amendment_keeps_the_original(run, fridge, store):
    run("qc temp Vaccines --min 3.1C --max 64C --current 5C")  # typo: opens an excursion
    run("qc amend 1 --min 3.1C --max 6.4C --current 5C --reason 'typed 64 for 6.4'")
    rows = json.loads(run("qc temps Vaccines -f json").stdout)
    assert [(r["id"], r["max"], r["note"]) for r in rows] == [
        (2, "6.4", "amends check 1: typed 64 for 6.4")
    ]
    assert store.scalar("SELECT COUNT(*) FROM qc_checks") == 2
    run("qc amend 1 --min 3C --max 6C --reason again", expect=1)
    # The excursion the typo opened is still there to be documented and closed.
    run("qc excursion act 1 --note 'typo, see check 2'")
    run("qc excursion release 1 --lot FL1 --why 'reading was a typo'")
    run("qc excursion release 1 --lot MM1 --why 'reading was a typo'")
    assert json.loads(run("qc excursion show 1 -f json").stdout)["status"] == "closed"


def test_a_supplier_recall_holds_a_lot(run, fridge):
    run("stock recall FLU-QIV --lot FL1 --why 'Apex notice R-2211'")
    result = run("stock use FLU-QIV 1 --lot FL1", expect=1)
    assert "DO NOT USE: FLU-QIV lot FL1 was recalled by the supplier" in result.stderr
    holds = json.loads(run("stock holds -f json").stdout)
    assert [(h["sku"], h["kind"]) for h in holds] == [("FLU-QIV", "recall")]
    run("stock discard FLU-QIV 10 --lot FL1 --reason recalled")
    assert run("stock holds").stdout.strip() == "No lots on hold."


def test_the_three_steps_are_tracked_until_each_is_recorded(run, fridge, db_path, tmp_path):
    run("qc temp Vaccines --min 3.1C --max 11.2C")
    due = json.loads(run("qc due -f json").stdout)
    detail = next(row["detail"] for row in due if row["kind"] == "excursion")
    assert "to do: notified, documented, contacted" in detail
    result = run("qc excursion act 1 --step notified --note 'Dr. Reyes, 08:05'")
    assert "Still to do: documented, contacted." in result.stdout

    before = dump(db_path)
    refused = run("qc excursion act 1 --step contacted --note 'called Apex'", expect=1)
    assert refused.stderr.startswith("Error: give the case or reference number")
    assert run("qc excursion act 1 --reference X1 --note n", expect=1).stderr.startswith(
        "Error: --reference goes with --step contacted"
    )
    run("qc excursion act 1", expect=1)  # neither a step nor a note
    assert dump(db_path) == before

    run("qc excursion act 1 --step contacted --reference AV-88121")
    shown = json.loads(run("qc excursion show 1 -f json").stdout)
    assert [(s["step"], s["done"]) for s in shown["steps"]] == [
        ("notified", "2026-11-26 09:00 by tester"),
        ("documented", None),
        ("contacted", "2026-11-26 09:00 by tester, ref AV-88121"),
    ]
    assert shown["log"][1]["note"] == "manufacturer or program contacted"
    assert "TO DO" in run("qc excursion show 1").stdout
    run("qc excursion act 1 --step documented --note 'door ajar overnight'")
    due = json.loads(run("qc due -f json").stdout)
    assert "to do" not in next(row["detail"] for row in due if row["kind"] == "excursion")
