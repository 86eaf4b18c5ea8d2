"""Stock movements and reports through the core functions."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pytest

from macli import audit
from macli.errors import Conflict, Invalid, NotFound
from macli.expense import core as expenses
from macli.patients import core as patients
from macli.stock import core, items, reports

from .closet import NOW, TZ, at

TODAY = date(2026, 11, 26)


def add_patient(store, name="Ana García", dob="1984-03-02"):
    return patients.add(
        store, {"name": name, "dob": dob}, region="US", user="tester", now=NOW, today=TODAY
    )


def test_use_takes_first_expiring_lot_and_spills_into_the_next(closet):
    closet.item("SYR-3ML")
    closet.receive("SYR-3ML", 10, lot="LATE", expires=date(2027, 9, 30))
    closet.receive("SYR-3ML", 4, lot="EARLY", expires=date(2027, 1, 31))
    closet.receive("SYR-3ML", 5, lot="MIDDLE", expires=date(2027, 4, 30))

    result = closet.use("SYR-3ML", 12)

    assert [(part["lot"], part["quantity"]) for part in result["taken"]] == [
        ("EARLY", 4),
        ("MIDDLE", 5),
        ("LATE", 3),
    ]
    assert closet.lots("SYR-3ML") == {"LATE": 7, "EARLY": 0, "MIDDLE": 0}
    # One command, one operation: the three rows share it.
    ops = closet.store.query("SELECT DISTINCT op FROM stock_ledger WHERE kind = 'use'")
    assert len(ops) == 1


def test_lots_without_expiry_are_used_after_dated_lots(closet):
    closet.item("GAUZE", perishable=False)
    closet.receive("GAUZE", 3, lot="UNDATED")
    closet.receive("GAUZE", 3, lot="DATED", expires=date(2030, 1, 1))
    result = closet.use("GAUZE", 4)
    assert [(p["lot"], p["quantity"]) for p in result["taken"]] == [("DATED", 3), ("UNDATED", 1)]


def test_a_lot_is_usable_through_the_end_of_its_expiry_date_then_skipped(closet):
    closet.item("PPD")
    closet.receive("PPD", 5, lot="OLD", expires=date(2026, 11, 27))
    closet.receive("PPD", 5, lot="NEW", expires=date(2027, 6, 30))

    # 23:30 local on the expiry date: still good.
    late_evening = datetime(2026, 11, 28, 4, 30, tzinfo=UTC)  # 2026-11-27 23:30 EST
    assert late_evening.astimezone(TZ).date() == date(2026, 11, 27)
    assert closet.use("PPD", 1, now=late_evening)["taken"][0]["lot"] == "OLD"

    # Next morning it has expired: FEFO skips it even though it expires first.
    next_day = at(days=2)
    assert closet.use("PPD", 2, now=next_day)["taken"] == [
        {
            "sku": "PPD",
            "lot": "NEW",
            "expires": "2027-06-30",
            "quantity": 2,
            "unit": "box",
            "left_in_lot": 3,
        }
    ]
    with pytest.raises(Conflict, match=r"lot OLD of PPD expired on 2026-11-27 and may not be used"):
        closet.use("PPD", 1, lot="OLD", now=next_day)
    with pytest.raises(
        Conflict,
        match=r"only 3 usable \(lot NEW: 3, expires 2027-06-30\); 4 more in expired lots \(OLD\)",
    ):
        closet.use("PPD", 5, now=next_day)


def test_over_use_is_refused_naming_what_is_there_and_writes_nothing(closet):
    closet.item("GLV-M")
    closet.receive("GLV-M", 2, lot="A", expires=date(2027, 1, 1))
    closet.receive("GLV-M", 1, lot="B", expires=date(2027, 2, 1))
    before = closet.ledger_count()
    with pytest.raises(
        Conflict,
        match=r"cannot use 4 box of GLV-M: only 3 usable "
        r"\(lot A: 2, expires 2027-01-01; lot B: 1, expires 2027-02-01\)",
    ):
        closet.use("GLV-M", 4)
    with pytest.raises(Conflict, match="from lot B: it holds 1"):
        closet.use("GLV-M", 2, lot="B")
    assert closet.ledger_count() == before
    assert closet.lots("GLV-M") == {"A": 2, "B": 1}


def test_use_names_an_explicit_lot_in_any_case(closet):
    closet.item("FLU")
    closet.receive("FLU", 5, lot="FL100", expires=date(2027, 1, 1))
    closet.receive("FLU", 5, lot="FL200", expires=date(2027, 6, 1))
    assert closet.use("FLU", 2, lot="fl200")["taken"][0]["lot"] == "FL200"
    with pytest.raises(NotFound, match=r"FLU has no lot 'FL999' \(lots on hand: FL100, FL200\)"):
        closet.use("FLU", 1, lot="FL999")


def test_the_database_itself_refuses_a_negative_lot_and_ledger_edits(closet):
    closet.item("GLV-M")
    closet.receive("GLV-M", 1, lot="A", expires=date(2027, 1, 1))
    store = closet.store
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        with store.write():
            store.conn.execute(
                "INSERT INTO stock_ledger (id, op, at, day, kind, item_id, lot_id, quantity, user)"
                " VALUES (99, 99, 'x', 'x', 'use', 1, 1, -2, 'x')"
            )
    for statement in ("UPDATE stock_ledger SET quantity = 5", "DELETE FROM stock_ledger"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            with store.write():
                store.conn.execute(statement)
    assert closet.lots("GLV-M") == {"A": 1}


def test_receive_warns_for_a_perishable_item_without_expiry_only(closet):
    closet.item("LIDO")
    closet.item("TONGUE", perishable=False)
    warned = closet.receive("LIDO", 2, lot="L1")["warnings"]
    assert warned == [
        "LIDO is perishable but lot L1 has no expiry date (use --expires, or mark the item: "
        "macli stock item edit LIDO --non-perishable)"
    ]
    assert closet.receive("TONGUE", 2)["warnings"] == []
    assert closet.receive("TONGUE", 3)["lot"] == "no-lot"
    assert closet.lots("TONGUE") == {"no-lot": 5}


def test_unlabelled_receipts_are_kept_apart_by_expiry(closet):
    closet.item("SWAB")
    closet.receive("SWAB", 2, expires=date(2027, 3, 31))
    closet.receive("SWAB", 2, expires=date(2027, 8, 31))
    closet.receive("SWAB", 1, expires=date(2027, 3, 31))
    assert closet.lots("SWAB") == {"no-lot-2027-03-31": 3, "no-lot-2027-08-31": 2}


def test_receive_refuses_expired_stock_and_a_second_expiry_for_one_lot(closet):
    closet.item("FLU")
    with pytest.raises(Invalid, match="expired on 2026-11-25"):
        closet.receive("FLU", 1, lot="X", expires=date(2026, 11, 25))
    closet.receive("FLU", 1, lot="X", expires=date(2027, 5, 1))
    with pytest.raises(Conflict, match="lot X of FLU is recorded with 2027-05-01"):
        closet.receive("FLU", 1, lot="x", expires=date(2027, 6, 1))
    with pytest.raises(Invalid, match="either the total cost or the unit cost"):
        closet.receive("FLU", 1, lot="X", expires=date(2027, 5, 1), cost_cents=1, unit_cost_cents=1)
    with pytest.raises(NotFound, match="no stock item with SKU 'NOPE'"):
        closet.receive("NOPE", 1)
    assert closet.lots("FLU") == {"X": 1}


def test_expiry_may_be_a_month(closet):
    assert core.parse_expiry("2028-02") == date(2028, 2, 29)
    assert core.parse_expiry("2027-11-15") == date(2027, 11, 15)
    with pytest.raises(Invalid):
        core.parse_expiry("2027-13")


def test_count_records_the_difference_taking_a_shortage_first_expiring_first(closet):
    closet.item("GLV-S")
    closet.receive("GLV-S", 3, lot="A", expires=date(2027, 1, 1))
    closet.receive("GLV-S", 5, lot="B", expires=date(2027, 6, 1))

    result = closet.count("GLV-S", 4)
    assert (result["recorded"], result["counted"], result["difference"]) == (8, 4, -4)
    assert closet.lots("GLV-S") == {"A": 0, "B": 4}

    # Found units: one lot holds the item, so they belong to it.
    assert closet.count("GLV-S", 6)["difference"] == 2
    assert closet.lots("GLV-S") == {"A": 0, "B": 6}

    # Per lot: a surplus in lot A is fine when named.
    assert closet.count("GLV-S", 1, lot="A")["difference"] == 1
    # Two lots hold stock now: found units must be given a lot.
    with pytest.raises(Conflict, match="count the lot they belong to with --lot"):
        closet.count("GLV-S", 10)

    # A matching count is still a row in the ledger (the count happened).
    before = closet.ledger_count()
    assert closet.count("GLV-S", 7)["difference"] == 0
    assert closet.ledger_count() == before + 1
    assert closet.store.scalar("SELECT counted FROM stock_ledger ORDER BY id DESC") == 7


def test_count_needs_a_reason_and_something_received(closet):
    closet.item("GLV-L")
    with pytest.raises(Invalid, match="--reason"):
        closet.count("GLV-L", 1, reason=" ")
    with pytest.raises(Conflict, match="nothing has been received of GLV-L"):
        closet.count("GLV-L", 0)
    assert closet.ledger_count() == 0


def test_discard_takes_units_of_one_lot(closet):
    closet.item("PPD")
    closet.receive("PPD", 4, lot="TB1", expires=date(2026, 12, 1))
    result = closet.discard("PPD", 3, lot="TB1", reason="damaged", note="dropped")
    assert result["left_in_lot"] == 1
    with pytest.raises(Conflict, match="cannot discard 2 box of PPD lot TB1: it holds 1"):
        closet.discard("PPD", 2, lot="TB1", reason="expired")
    with pytest.raises(Invalid, match="expired, damaged, recalled"):
        closet.discard("PPD", 1, lot="TB1", reason="lost")
    # Expired lots can (and should) be discarded.
    closet.discard("PPD", 1, lot="TB1", reason="expired", now=at(days=10))
    assert closet.lots("PPD") == {"TB1": 0}


def test_a_kit_is_used_all_or_nothing(closet):
    closet.item("SUTURE")
    closet.item("GAUZE", perishable=False)
    closet.item("GLV-STER")
    closet.receive("SUTURE", 2, lot="S1", expires=date(2028, 1, 1))
    closet.receive("GAUZE", 5)
    closet.receive("GLV-STER", 1, lot="G1", expires=date(2028, 1, 1))
    items.add_kit(
        closet.store, "Suture tray", ["SUTURE:1", "gauze:4", "GLV-STER:1"], user="t", now=NOW
    )
    patient = add_patient(closet.store)

    first = closet.use(kit="suture tray", patient=patient["mrn"])
    assert first["kit"] == "Suture tray"
    assert sorted((p["sku"], p["quantity"]) for p in first["taken"]) == [
        ("GAUZE", 4),
        ("GLV-STER", 1),
        ("SUTURE", 1),
    ]
    before = closet.ledger_count()
    with pytest.raises(Conflict) as refused:
        closet.use(kit="Suture tray")
    message = refused.value.message
    assert message.startswith("kit 'Suture tray' not used, nothing taken: ")
    assert "cannot use 4 box of GAUZE: only 1 usable" in message
    assert "cannot use 1 box of GLV-STER: none usable" in message
    assert closet.ledger_count() == before
    assert closet.lots("SUTURE") == {"S1": 1}
    assert items.kits(closet.store, today_text="2026-11-26") == [
        {"kit": "Suture tray", "components": "GAUZE:4 GLV-STER:1 SUTURE:1", "can_make": 0}
    ]


def test_kit_definitions_are_checked(closet):
    closet.item("A1")
    with pytest.raises(Invalid, match="named twice"):
        items.add_kit(closet.store, "k", ["A1:1", "a1:2"], user="t", now=NOW)
    with pytest.raises(Invalid, match="cannot read 'A1:0'"):
        items.add_kit(closet.store, "k", ["A1:0"], user="t", now=NOW)
    with pytest.raises(NotFound):
        items.add_kit(closet.store, "k", ["B2:1"], user="t", now=NOW)
    items.add_kit(closet.store, "k", ["A1:1"], user="t", now=NOW)
    with pytest.raises(Conflict, match="already exists"):
        items.add_kit(closet.store, "K", ["A1:1"], user="t", now=NOW)
    items.remove_kit(closet.store, "k")
    assert items.kits(closet.store, today_text="2026-11-26") == []


def test_use_for_a_patient_is_recorded_and_audited(closet):
    closet.item("FLU")
    closet.receive("FLU", 3, lot="FL1", expires=date(2027, 6, 1))
    patient = add_patient(closet.store)
    closet.use("FLU", 1, patient="ana garcia", note="left deltoid")
    row = closet.store.one("SELECT patient_id, note FROM stock_ledger WHERE kind = 'use'")
    assert row == {"patient_id": patient["id"], "note": "left deltoid"}
    last = audit.entries(closet.store)[-1]
    assert (last["action"], last["mrn"], last["user"]) == ("stock.use", patient["mrn"], "tester")
    with pytest.raises(NotFound, match="no patient matches"):
        closet.use("FLU", 1, patient="nobody at all")
    assert closet.lots("FLU") == {"FL1": 2}


def test_recall_trace_lists_where_a_lot_went_and_audits_the_view(closet):
    closet.item("FLU")
    closet.item("TDAP")
    closet.receive("FLU", 10, lot="FL77", expires=date(2027, 6, 1), unit_cost_cents=1875)
    closet.receive("TDAP", 2, lot="FL77", expires=date(2027, 6, 1))
    ana = add_patient(closet.store)
    ben = add_patient(closet.store, "Ben Okafor", "1990-05-05")
    closet.use("FLU", 1, patient=ana["mrn"], now=at(days=1))
    closet.use("FLU", 1, patient=ben["mrn"], now=at(days=2))
    closet.use("FLU", 2, now=at(days=3))
    closet.discard("FLU", 1, lot="FL77", reason="damaged", now=at(days=3))
    audited = len(audit.entries(closet.store))

    result = reports.lot_trace(closet.store, "fl77", tz=TZ, user="recaller", now=at(days=4))

    assert [
        (lot["sku"], lot["received"], lot["used"], lot["discarded"], lot["on_hand"])
        for lot in result["lots"]
    ] == [("FLU", 10, 4, 1, 5), ("TDAP", 2, 0, 0, 2)]
    patients_seen = [
        (row["patient"], row["patient_name"], row["change"])
        for row in result["rows"]
        if row["patient"]
    ]
    assert patients_seen == [(ana["mrn"], "Ana García", -1), (ben["mrn"], "Ben Okafor", -1)]
    assert [row["kind"] for row in result["rows"] if row["sku"] == "FLU"] == [
        "receive",
        "use",
        "use",
        "use",
        "discard",
    ]
    views = audit.entries(closet.store)[audited:]
    assert sorted((row["action"], row["mrn"], row["user"]) for row in views) == [
        ("stock.lot", ana["mrn"], "recaller"),
        ("stock.lot", ben["mrn"], "recaller"),
    ]
    with pytest.raises(NotFound, match="no lot 'NOPE'"):
        reports.lot_trace(closet.store, "NOPE", tz=TZ, user="t", now=NOW)


def test_list_shows_average_unit_cost_and_value_on_hand(closet):
    closet.item("GLV-M", location="closet A")
    closet.item("PADS")
    # 10 boxes at 8.50 and 3 boxes for 25.00 (8.333... each).
    closet.receive("GLV-M", 10, lot="A", expires=date(2027, 1, 1), unit_cost_cents=850)
    closet.receive("GLV-M", 3, lot="B", expires=date(2027, 2, 1), cost_cents=2500)
    closet.use("GLV-M", 9)
    rows = {row["sku"]: row for row in reports.stock_list(closet.store, today=TODAY)}
    # Left: 1 of A (8.50) + 3 of B (25.00) = 33.50 for 4 boxes = 8.375 -> 8.38.
    assert rows["GLV-M"]["on_hand"] == 4
    assert rows["GLV-M"]["value"] == "33.50"
    assert rows["GLV-M"]["avg_unit_cost"] == "8.38"
    assert rows["PADS"] == {
        "sku": "PADS",
        "name": "Pads",
        "unit": "box",
        "category": "medical",
        "location": None,
        "reorder_at": None,
        "on_hand": 0,
        "expired": 0,
        "avg_unit_cost": None,
        "value": None,
    }
    by_lot = reports.stock_list(closet.store, today=TODAY, lots=True)
    assert [(row["lot"], row["on_hand"], row["unit_cost"], row["value"]) for row in by_lot] == [
        ("A", 1, "8.50", "8.50"),
        ("B", 3, "8.33", "25.00"),
    ]
    # Once a lot expires its units still count as on hand, shown as expired.
    later = reports.stock_list(closet.store, today=date(2027, 1, 2))
    assert (later[0]["on_hand"], later[0]["expired"]) == (4, 1)


def test_low_counts_only_usable_stock(closet):
    closet.item("GLV-M", reorder_at=3, reorder_qty=10, supplier="Harbor")
    closet.item("GLV-L", reorder_at=2)
    closet.item("GAUZE")  # no reorder point: never low
    closet.receive("GLV-M", 2, lot="OLD", expires=date(2026, 11, 30))
    closet.receive("GLV-M", 2, lot="NEW", expires=date(2027, 11, 30))
    closet.receive("GLV-L", 3, lot="L", expires=date(2027, 11, 30))

    assert [row["sku"] for row in reports.low(closet.store, today=TODAY)] == []
    # After lot OLD expires only 2 usable remain: at/below 3.
    low = reports.low(closet.store, today=date(2026, 12, 1))
    assert low == [
        {
            "sku": "GLV-M",
            "name": "Glv-M",
            "unit": "box",
            "usable": 2,
            "reorder_at": 3,
            "reorder_qty": 10,
            "supplier": "Harbor",
            "location": None,
        }
    ]
    closet.use("GLV-L", 1)
    assert [row["sku"] for row in reports.low(closet.store, today=TODAY)] == ["GLV-L"]


def test_expiring_lists_soon_and_already_expired_lots_with_value_at_risk(closet):
    closet.item("FLU")
    closet.item("PPD")
    closet.receive("FLU", 4, lot="F1", expires=date(2026, 12, 10), unit_cost_cents=1875)
    closet.receive("FLU", 4, lot="F2", expires=date(2027, 3, 1), unit_cost_cents=1875)
    closet.receive("PPD", 2, lot="P1", expires=date(2026, 11, 30), cost_cents=9001)
    closet.use("FLU", 1)

    later = date(2026, 12, 2)  # P1 expired two days ago, F1 in 8 days
    result = reports.expiring(closet.store, today=later, within_days=30)
    assert [
        (row["lot"], row["status"], row["on_hand"], row["value_at_risk"]) for row in result["rows"]
    ] == [("P1", "expired 2 days ago", 2, "90.01"), ("F1", "8 days left", 3, "56.25")]
    assert result["value_at_risk"] == "146.26"
    wider = reports.expiring(closet.store, today=later, within_days=120)
    assert [row["lot"] for row in wider["rows"]] == ["P1", "F1", "F2"]


def test_order_suggests_reorder_quantity_or_recent_usage(closet):
    closet.item("GLV-M", reorder_at=3, reorder_qty=10, supplier="Harbor")
    closet.item("SYR", reorder_at=5, supplier="Apex")
    closet.item("PADS", reorder_at=1)
    closet.receive("GLV-M", 13, lot="G", expires=date(2028, 1, 1), cost_cents=11050)
    closet.receive("SYR", 100, lot="S", expires=date(2028, 1, 1), now=at(days=-100))
    closet.receive("PADS", 5, lot="P", expires=date(2028, 1, 1))
    closet.use("GLV-M", 10)
    # 95 syringes used over the last 90 days: about 32 a month.
    closet.use("SYR", 60, now=at(days=-80))
    closet.use("SYR", 35, now=at(days=-5))

    rows = reports.order(closet.store, today=TODAY)
    assert [(r["supplier"], r["sku"], r["suggested"], r["basis"]) for r in rows] == [
        ("Apex", "SYR", 5 - 5 + 32, "90-day usage"),
        ("Harbor", "GLV-M", 10, "reorder quantity"),
    ]
    assert (rows[1]["last_unit_cost"], rows[1]["estimated_cost"]) == ("8.50", "85.00")
    assert rows[0]["last_unit_cost"] is None


def test_history_shows_each_movement_with_the_balance(closet):
    closet.item("GLV-M")
    patient = add_patient(closet.store)
    closet.receive("GLV-M", 5, lot="A", expires=date(2027, 1, 1), cost_cents=4250, invoice="INV-1")
    closet.use("GLV-M", 2, patient=patient["mrn"], now=at(days=1))
    closet.count("GLV-M", 2, now=at(days=2), reason="spot check")
    closet.discard("GLV-M", 1, lot="A", reason="damaged", now=at(days=3))
    audited = len(audit.entries(closet.store))

    rows = reports.history(closet.store, "glv-m", tz=TZ, user="tester", now=at(days=4))
    assert [(r["at"], r["kind"], r["change"], r["on_hand"]) for r in rows] == [
        ("2026-11-26 09:00", "receive", 5, 5),
        ("2026-11-27 09:00", "use", -2, 3),
        ("2026-11-28 09:00", "count", -1, 2),
        ("2026-11-29 09:00", "discard", -1, 1),
    ]
    assert (rows[0]["cost"], rows[0]["invoice"]) == ("42.50", "INV-1")
    assert rows[1]["patient"] == patient["mrn"]
    assert rows[2]["reason"] == "spot check"
    assert [e["action"] for e in audit.entries(closet.store)[audited:]] == ["stock.history"]

    recent = reports.history(
        closet.store, "GLV-M", since=date(2026, 11, 28), tz=TZ, user="t", now=NOW
    )
    assert [(r["kind"], r["on_hand"]) for r in recent] == [("count", 2), ("discard", 1)]


def test_usage_is_per_item_per_local_month(closet):
    closet.item("GLV-M")
    closet.item("FLU")
    closet.receive("GLV-M", 50, lot="A", expires=date(2028, 1, 1), now=at(days=-100))
    closet.receive("FLU", 20, lot="F", expires=date(2028, 1, 1), now=at(days=-100))
    # 2026-10-31 22:00 in New York is already November in UTC: it counts for October.
    closet.use("GLV-M", 3, now=datetime(2026, 11, 1, 2, 0, tzinfo=UTC))
    closet.use("GLV-M", 2, now=at(days=-1))
    closet.use("FLU", 4, now=at(days=-1))
    closet.discard("FLU", 1, lot="F", reason="damaged")
    rows = reports.usage(closet.store, since=date(2026, 10, 1), until=TODAY)
    assert [(r["month"], r["sku"], r["used"], r["discarded"]) for r in rows] == [
        ("2026-10", "GLV-M", 3, 0),
        ("2026-11", "FLU", 4, 1),
        ("2026-11", "GLV-M", 2, 0),
    ]
    only = reports.usage(closet.store, since=date(2026, 11, 1), until=TODAY, sku="flu")
    assert [(r["month"], r["sku"]) for r in only] == [("2026-11", "FLU")]


def test_items_are_unique_by_sku_and_keep_their_unit_once_used(closet):
    closet.item("GLV-M")
    with pytest.raises(Conflict, match="SKU GLV-M already exists"):
        closet.item("glv-m")
    with pytest.raises(Invalid, match="as a SKU"):
        closet.item("bad sku")
    with pytest.raises(Invalid, match="as a category"):
        closet.item("GLV-X", category="office/printing")
    assert closet.item("GLV-X", category="Exam  Room")["category"] == "exam room"
    with pytest.raises(Invalid, match="reorder-at must be a whole number"):
        items.edit(closet.store, "GLV-M", {"reorder_at": "-1"}, now=NOW)
    edited = items.edit(closet.store, "GLV-M", {"unit": "Pair", "reorder_at": "4"}, now=NOW)
    assert (edited["unit"], edited["reorder_at"]) == ("pair", 4)
    assert items.edit(closet.store, "GLV-M", {"reorder_at": "none"}, now=NOW)["reorder_at"] is None
    closet.receive("GLV-M", 1, lot="A", expires=date(2027, 1, 1))
    with pytest.raises(Conflict, match="already has stock recorded in pair"):
        items.edit(closet.store, "GLV-M", {"unit": "box"}, now=NOW)
    with pytest.raises(Invalid, match="nothing to change"):
        items.edit(closet.store, "GLV-M", {}, now=NOW)


def test_a_receipt_with_a_cost_is_booked_as_an_expense_linked_both_ways(closet):
    closet.item("FLU", category="vaccines", supplier="Apex Vaccines")
    result = closet.receive(
        "FLU", 20, lot="FL1", expires=date(2027, 6, 30), unit_cost_cents=1875, invoice="AV-1"
    )
    assert result["expense_category"] == "supplies:vaccines"
    expense = expenses.get(closet.store, result["expense_id"])
    assert {key: expense[key] for key in ("date", "amount_cents", "category", "vendor")} == {
        "date": "2026-11-26",
        "amount_cents": 37500,
        "category": "supplies:vaccines",
        "vendor": "Apex Vaccines",
    }
    assert expense["memo"] == "20 box FLU lot FL1, invoice AV-1"
    assert (expense["source"], expense["source_id"]) == ("stock_receipt", result["receipt"])
    receipt = closet.store.one(
        "SELECT expense_id, cost_cents FROM stock_ledger WHERE id = ?", [result["receipt"]]
    )
    assert receipt == {"expense_id": expense["id"], "cost_cents": 37500}
    history = reports.history(closet.store, "FLU", tz=TZ, user="tester", now=NOW)
    assert history[0]["expense"] == expense["id"]


def test_receipts_without_a_cost_or_with_no_expense_book_nothing(closet):
    closet.item("GAUZE", perishable=False)
    assert closet.receive("GAUZE", 5)["expense_id"] is None
    assert closet.receive("GAUZE", 5, cost_cents=0)["expense_id"] is None
    assert closet.receive("GAUZE", 5, cost_cents=450, expense=False)["expense_id"] is None
    assert closet.store.scalar("SELECT COUNT(*) FROM expenses") == 0
    # The costs still price the lot: 4.50 for the 10 costed units, 0.45 each for all 15.
    row = reports.stock_list(closet.store, today=TODAY)[0]
    assert (row["on_hand"], row["avg_unit_cost"], row["value"]) == (15, "0.45", "6.75")


def test_a_receipt_whose_expense_is_refused_writes_nothing(closet, db_path):
    from tests.conftest import dump

    closet.item("GAUZE", perishable=False)
    # A category the expense area refuses (older data, written around the checks).
    with closet.store.write():
        closet.store.execute("UPDATE stock_items SET category = 'x/y'")
    before = dump(db_path)
    with pytest.raises(Invalid, match="as a category"):
        closet.receive("GAUZE", 5, lot="NEW", cost_cents=450)
    assert dump(db_path) == before
