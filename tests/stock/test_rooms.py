"""Rooms kept stocked: par levels, moves from the closet, use in a room, the restock list."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import dump

pytestmark = pytest.mark.usefixtures("isolated")


def closet(run):
    """Gauze in two lots and gloves in one, kept in closet B; two exam rooms with pars."""
    run("stock item add GAUZE --name 'Gauze 4x4' --unit pack --location 'Closet B'")
    run("stock item add GLV-M --name 'Gloves, medium' --unit box --location 'Closet B'")
    run("stock receive GAUZE 10 --lot G1 --expires 2027-01")
    run("stock receive GAUZE 10 --lot G2 --expires 2027-06")
    run("stock receive GLV-M 5 --lot N1 --expires 2029-01")
    run("stock par 'Exam 1' GAUZE 6")
    run("stock par 'Exam 2' GAUZE 6")
    run("stock par 'Exam 1' GLV-M 2")


def rows(run, args):
    return json.loads(run(args + " -f json").stdout)


def test_par_levels_are_set_changed_removed_and_listed(run):
    closet(run)
    assert "Par for GAUZE in Exam 1: 8 pack (was 6)." in run("stock par 'exam 1' GAUZE 8").stdout
    listed = rows(run, "stock par list")
    assert [(row["room"], row["sku"], row["par"], row["in_room"]) for row in listed] == [
        ("Exam 1", "GAUZE", 8, 0),
        ("Exam 1", "GLV-M", 2, 0),
        ("Exam 2", "GAUZE", 6, 0),
    ]
    assert [row["sku"] for row in rows(run, "stock par list 'Exam 2'")] == ["GAUZE"]
    assert "no longer keeps GLV-M" in run("stock par 'Exam 1' GLV-M 0").stdout
    table = list(csv.DictReader(io.StringIO(run("stock par list -f csv").stdout)))
    assert [row["sku"] for row in table if row["room"] == "Exam 1"] == ["GAUZE"]


def test_a_move_takes_the_first_expiring_lot_and_spills_into_the_next(run):
    closet(run)
    out = run("stock move GAUZE 8 --from closet --to 'Exam 1'").stdout
    assert "from the closet (Closet B) to Exam 1" in out and "8 from lot G1" in out
    # The item's own location names the closet too; G1 has 2 left there, then G2.
    out = run("stock move GAUZE 4 --from 'closet b' --to 'Exam 2'").stdout
    assert "2 from lot G1" in out and "2 from lot G2" in out
    # Room to room, and back to the closet; the lot's total never changes with a move.
    run("stock move GAUZE 3 --from 'Exam 1' --to 'Exam 2'")
    run("stock move GAUZE 1 --from 'Exam 2' --to closet")
    pars = {(row["room"], row["sku"]): row["in_room"] for row in rows(run, "stock par list")}
    assert pars[("Exam 1", "GAUZE")] == 5 and pars[("Exam 2", "GAUZE")] == 6
    listed = {row["sku"]: row["on_hand"] for row in rows(run, "stock list")}
    assert listed["GAUZE"] == 20


def test_a_move_larger_than_the_source_holds_is_one_error_and_writes_nothing(run, db_path):
    closet(run)
    run("stock move GAUZE 3 --from closet --to 'Exam 1'")
    before = dump(db_path)
    refused = [
        ("stock move GAUZE 30 --from closet --to 'Exam 2'", "cannot move 30 pack of GAUZE"),
        ("stock move GAUZE 4 --from 'Exam 1' --to 'Exam 2'", "from Exam 1: only 3 usable"),
        ("stock move GAUZE 1 --from 'Exam 2' --to 'Exam 1'", "from Exam 2: none usable"),
        ("stock move GAUZE 1 --from attic --to 'Exam 1'", "no place 'attic' for GAUZE"),
        ("stock move GAUZE 1 --from closet --to 'Exam 9'", "no place 'Exam 9'"),
        ("stock move GAUZE 1 --from 'Exam 1' --to 'exam 1'", "the same place"),
        ("stock use GAUZE 4 --room 'Exam 1'", "cannot use 4 pack of GAUZE in Exam 1"),
        ("stock use GAUZE 1 --room 'Exam 9'", "no room 'Exam 9'"),
        # The closet holds 17 of the 20 now: a plain use cannot take the room's units.
        ("stock use GAUZE 18", "only 17 usable"),
        ("stock par list 'Exam 9'", "no room 'Exam 9'"),
        ("stock par closet GAUZE 3", "means the closet"),
        ("stock par 'Closet B' GAUZE 3", "is where GAUZE is kept"),
        ("stock restock 'Exam 9'", "no room 'Exam 9'"),
    ]
    for args, message in refused:
        result = run(args, expect=1)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (args, result.stderr)
        assert message in lines[0], (args, lines[0])
    assert run("stock par 'Exam 1' GAUZE", expect=2).exit_code == 2
    assert run("stock par 'Exam 1' GAUZE many", expect=2).exit_code == 2
    assert dump(db_path) == before


def test_a_discard_or_count_in_the_closet_leaves_the_rooms_units_alone(run, db_path):
    closet(run)
    run("stock move GAUZE 9 --from closet --to 'Exam 1'")
    before = dump(db_path)
    result = run("stock discard GAUZE 2 --lot G1 --reason damaged", expect=1)
    assert "it holds 1 in the closet (Closet B); 9 more are in rooms (Exam 1: 9)" in result.stderr
    assert dump(db_path) == before
    # Counting the closet counts only what is there: 11 of the 20.
    out = run("stock count GAUZE 11 --reason 'monthly count'").stdout
    assert "(ledger said 11): matches the ledger" in out


def test_the_restock_list_after_a_days_use(run):
    closet(run)
    assert [(r["room"], r["sku"], r["bring"], r["lots"]) for r in rows(run, "stock restock")] == [
        ("Exam 1", "GAUZE", 6, "G1 x6"),
        ("Exam 1", "GLV-M", 2, "N1 x2"),
        # The closet's G1 is shared out: Exam 2 gets the rest of it, then G2.
        ("Exam 2", "GAUZE", 6, "G1 x4, G2 x2"),
    ]
    # The morning: both rooms stocked to par, then counted.
    run("--now 2026-11-26T07:30 stock move GAUZE 6 --from closet --to 'Exam 1'")
    run("--now 2026-11-26T07:31 stock move GLV-M 2 --from closet --to 'Exam 1'")
    run("--now 2026-11-26T07:32 stock move GAUZE 6 --from closet --to 'Exam 2'")
    run("--now 2026-11-26T07:40 stock count GAUZE 6 --room 'Exam 1' --reason 'morning round'")
    run("--now 2026-11-26T07:41 stock count GAUZE 5 --room 'Exam 2' --reason 'morning round'")
    assert run("stock restock").stdout.strip().splitlines()[2].startswith("Exam 2")
    # The day: gauze used in both rooms, gloves in Exam 1.
    for hour, room, sku, quantity in [
        ("09:10", "Exam 1", "GAUZE", 2),
        ("10:30", "Exam 1", "GAUZE", 1),
        ("11:00", "Exam 2", "GAUZE", 4),
        ("14:20", "Exam 1", "GLV-M", 1),
    ]:
        out = run(f"--now 2026-11-26T{hour} stock use {sku} {quantity} --room '{room}'").stdout
        assert f"Used {sku} in {room}:" in out
    listing = rows(run, "--now 2026-11-26T17:00 stock restock")
    assert [
        (r["room"], r["sku"], r["last_count"], r["used_since"], r["in_room"], r["bring"])
        for r in listing
    ] == [
        ("Exam 1", "GAUZE", "6 on 2026-11-26", 3, 3, 3),
        ("Exam 1", "GLV-M", "never counted", 1, 1, 1),
        ("Exam 2", "GAUZE", "5 on 2026-11-26", 4, 1, 5),
    ]
    # The closet has 8 gauze left (G2), enough for both rooms; nothing is short.
    assert [(r["lots"], r["short"]) for r in listing if r["sku"] == "GAUZE"] == [
        ("G2 x3", 0),
        ("G2 x5", 0),
    ]
    one = rows(run, "--now 2026-11-26T17:00 stock restock 'Exam 2'")
    assert [(r["room"], r["bring"]) for r in one] == [("Exam 2", 5)]
    # Restocked, every room is at par; --all still lists them.
    run("stock move GAUZE 3 --from closet --to 'Exam 1'")
    run("stock move GLV-M 1 --from closet --to 'Exam 1'")
    run("stock move GAUZE 5 --from closet --to 'Exam 2'")
    assert "Every room is at par." in run("stock restock").stdout
    assert len(rows(run, "stock restock --all")) == 3


def test_the_restock_list_says_what_the_closet_lacks_and_skips_expired_units(run):
    closet(run)
    run("--now 2026-11-01T09:00 stock item add TAPE --name Tape --unit roll")
    run("--now 2026-11-01T09:00 stock receive TAPE 4 --lot OLD --expires 2026-11-20")
    run("--now 2026-11-01T09:00 stock par 'Exam 2' TAPE 3")
    run("--now 2026-11-01T09:00 stock move TAPE 3 --from closet --to 'Exam 2'")
    # It is the 26th: the room's three rolls expired on the 20th and the closet's one too.
    (tape,) = [row for row in rows(run, "stock restock 'Exam 2'") if row["sku"] == "TAPE"]
    assert (tape["in_room"], tape["bring"], tape["lots"], tape["short"]) == (0, 3, "", 3)
    # An expired lot goes back to the closet by name, and may not go to a room.
    run("stock move TAPE 3 --from 'Exam 2' --to closet --lot OLD")
    result = run("stock move TAPE 1 --from closet --to 'Exam 2' --lot OLD", expect=1)
    assert "expired on 2026-11-20" in result.stderr


def test_a_store_without_rooms_works_as_before(run):
    run("stock item add GAUZE --name Gauze --unit pack")
    run("stock receive GAUZE 5 --lot G1 --expires 2027-01")
    assert "5 pack of GAUZE from lot G1" in run("stock use GAUZE 5").stdout
    assert "Every room is at par." in run("stock restock").stdout
    assert "No par levels set." in run("stock par list").stdout
    assert (
        "no room 'Exam 1' (rooms: none yet)"
        in run("stock use GAUZE 1 --room 'Exam 1'", expect=1).stderr
    )


def test_the_database_refuses_a_room_or_the_closet_going_below_zero(run, store):
    from macli.errors import Conflict

    closet(run)
    run("stock move GAUZE 15 --from closet --to 'Exam 1'")
    lot = store.one("SELECT id, item_id FROM stock_lots WHERE lot = 'G1'")
    room = store.scalar("SELECT id FROM stock_rooms WHERE name = 'Exam 2'")
    row = {"op": 1, "at": "2026-11-26T14:00:00Z", "day": "2026-11-26", "user": "x"}
    with pytest.raises(Conflict, match="room does not hold"):
        with store.write():
            store.insert(
                "stock_moves",
                {
                    **row,
                    "item_id": lot["item_id"],
                    "lot_id": lot["id"],
                    "from_room_id": room,
                    "quantity": 1,
                },
            )
    with pytest.raises(Conflict, match="closet does not hold"):
        with store.write():
            store.insert(
                "stock_ledger",
                {
                    **row,
                    "id": 999,
                    "kind": "use",
                    "item_id": lot["item_id"],
                    "lot_id": lot["id"],
                    "quantity": -1,
                },
            )
