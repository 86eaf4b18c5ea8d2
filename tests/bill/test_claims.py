"""Claims: the ready checks, coverage, double billing, forward-only status and versions."""

from __future__ import annotations

import sqlite3

import pytest

from macli.bill import claims, superbill, views
from macli.errors import Conflict, Invalid, NotFound
from macli.patients import core as patients
from macli.patients import providers
from tests.bill.helpers import NOW, TODAY, USER, ZONE, claimed, coded, submitted, visit
from tests.conftest import dump


def ready(clinic, appointment, **kwargs):
    return claims.make_ready(clinic.store, appointment, user=USER, now=NOW, tz=ZONE, **kwargs)


def test_a_coded_completed_visit_becomes_a_ready_claim_with_its_insurance(clinic):
    appointment = coded(clinic)
    claim = ready(clinic, appointment)
    assert claim["status"] == "ready"
    assert (claim["payer_name"], claim["payer_code"], claim["member_id"]) == (
        "Blue Harbor PPO",
        "BHP01",
        "XJH123456789",
    )
    assert (claim["plan_type"], claim["group_number"], claim["relation"]) == (
        "12",
        "G-4410",
        "self",
    )
    assert claim["balance_cents"] == 9500
    history = clinic.store.query("SELECT status FROM bill_claim_events ORDER BY id")
    assert [row["status"] for row in history] == ["draft", "ready"]


def test_a_dependant_claim_carries_the_subscriber(clinic):
    claim = claims.get(clinic.store, claimed(clinic, patient=clinic.leo))
    assert (claim["relation"], claim["subscriber_name"], claim["subscriber_dob"]) == (
        "child",
        "Ana García",
        "1984-03-02",
    )


def test_payer_and_member_id_given_override_the_coverage_on_file(clinic):
    from macli.bill import coverage

    with clinic.store.write():
        coverage.ensure_payer(clinic.store, "Medicare", "MCR01", "medicare", now=NOW)
    claim = ready(clinic, coded(clinic), payer="medicare", member_id="1EG4TE5MK73")
    assert (claim["payer_name"], claim["payer_code"], claim["plan_type"]) == (
        "Medicare",
        "MCR01",
        "MB",
    )
    assert (claim["member_id"], claim["group_number"]) == ("1EG4TE5MK73", None)


def test_a_visit_is_billed_once(clinic, db_path):
    appointment = coded(clinic)
    ready(clinic, appointment)
    before = dump(db_path)
    with pytest.raises(Conflict, match=r"already on claim C1 \(ready\); a visit is billed once"):
        ready(clinic, appointment)
    with pytest.raises(Conflict, match=r"already on claim C1 \(ready\)"):
        superbill.code_visit(
            clinic.store, appointment, ["J02.9"], ["99214"], user=USER, now=NOW, tz=ZONE
        )
    assert dump(db_path) == before


def test_claim_refusals_say_what_to_fix_and_write_nothing(clinic, db_path):
    store = clinic.store
    uncoded = visit(store, clinic.ana["id"], clinic.doctor["id"])
    in_room = visit(store, clinic.ana["id"], clinic.doctor["id"], status="in-room")
    superbill.code_visit(store, in_room, ["J02.9"], ["99213"], user=USER, now=NOW, tz=ZONE)
    no_show = visit(store, clinic.ana["id"], clinic.doctor["id"], status="no-show")
    bob = patients.add(
        store,
        {"name": "Bob Stone", "dob": "1970-01-01"},
        region="US",
        user=USER,
        now=NOW,
        today=TODAY,
    )
    uninsured = coded(clinic, patient=bob)
    before = dump(db_path)
    cases = [
        (uncoded, {}, Conflict, f"appointment {uncoded} has not been coded: run `macli bill code"),
        (in_room, {}, Conflict, "is in-room: only a completed visit is claimed"),
        (no_show, {}, Conflict, "marked no-show: a visit that did not take place cannot be billed"),
        (
            uninsured,
            {},
            Invalid,
            "P000003 has no insurance on file: add it with `macli bill coverage P000003",
        ),
        (
            uninsured,
            {"payer": "Nobody Health", "member_id": "X1"},
            Invalid,
            "unknown payer 'Nobody Health'",
        ),
        (999, {}, NotFound, "no appointment with id 999"),
    ]
    for appointment, options, error, message in cases:
        with pytest.raises(error) as raised:
            ready(clinic, appointment, **options)
        assert message in raised.value.message
    assert dump(db_path) == before


def test_every_problem_of_a_claim_is_named_at_once(clinic, db_path):
    store = clinic.store
    bob = patients.add(
        store,
        {"name": "Bob Stone", "dob": "1970-01-01"},
        region="US",
        user=USER,
        now=NOW,
        today=TODAY,
    )
    nurse = providers.add(store, "Priya Natarajan", title="NP", now=NOW)
    appointment = visit(store, bob["id"], nurse["id"])
    superbill.code_visit(store, appointment, ["J02.9"], ["99213"], user=USER, now=NOW, tz=ZONE)
    before = dump(db_path)
    with pytest.raises(Invalid) as raised:
        ready(clinic, appointment, payer="Blue Harbor PPO", member_id="M1")
    message = raised.value.message
    assert message.startswith("claim C1 is not ready: ")
    assert "P000003's address is missing (macli patient edit P000003 --address" in message
    assert (
        f"provider Priya Natarajan has no valid NPI (macli provider edit {nurse['id']} --npi"
        in message
    )
    assert dump(db_path) == before


def test_status_only_moves_forward_even_in_the_store(clinic):
    claim = claimed(clinic)
    with pytest.raises(sqlite3.IntegrityError, match="only moves forward"):
        with clinic.store.write():
            clinic.store.conn.execute(
                "UPDATE bill_claims SET status = 'draft' WHERE id = ?", [claim]
            )
    with pytest.raises(sqlite3.IntegrityError, match="only moves forward"):
        with clinic.store.write():
            clinic.store.conn.execute(
                "UPDATE bill_claims SET status = 'paid' WHERE id = ?", [claim]
            )
    with pytest.raises(sqlite3.IntegrityError, match="only a draft claim's coding can change"):
        with clinic.store.write():
            clinic.store.conn.execute(
                "UPDATE bill_claim_lines SET units = 5 WHERE claim_id = ?", [claim]
            )
    assert claims.get(clinic.store, claim)["status"] == "ready"


def test_a_denied_claim_is_corrected_as_a_new_version_keeping_the_history(clinic, tmp_path):
    from macli.bill import payments

    first = submitted(clinic, tmp_path, dx=("J02.9", "R50.9"), lines=("99213@1", "87880@1"))
    payments.deny(
        clinic.store,
        f"C{first}",
        "CO-16 missing modifier",
        payer_claim_number="2026330000123",
        user=USER,
        now=NOW,
    )
    appointment = claims.get(clinic.store, first)["appointment_id"]
    with pytest.raises(Conflict, match=f"claim C{first} for appointment {appointment} was denied"):
        superbill.code_visit(
            clinic.store, appointment, ["J02.9"], ["99213"], user=USER, now=NOW, tz=ZONE
        )
    second = claims.correct(clinic.store, f"C{first}", user=USER, now=NOW)
    assert (second["version"], second["parent_id"], second["status"]) == (2, first, "draft")
    assert second["payer_claim_number"] == "2026330000123"
    copied = clinic.store.query(
        "SELECT code, pointers FROM bill_claim_lines WHERE claim_id = ? ORDER BY line_no",
        [second["id"]],
    )
    assert copied == [{"code": "99213", "pointers": "1"}, {"code": "87880", "pointers": "1"}]
    superbill.code_visit(
        clinic.store,
        appointment,
        ["J02.9", "R50.9"],
        ["99213:25@1,2", "87880@1"],
        user=USER,
        now=NOW,
        tz=ZONE,
    )
    ready(clinic, appointment)
    shown = views.show(clinic.store, str(appointment), user=USER, now=NOW, tz=ZONE)
    assert (shown["claim"], shown["version"], shown["corrects"], shown["status"]) == (
        f"C{second['id']}",
        2,
        f"C{first}",
        "ready",
    )
    old = views.show(clinic.store, f"C{first}", user=USER, now=NOW, tz=ZONE)
    assert (old["status"], old["corrected_by"]) == ("denied", f"C{second['id']}")
    assert [(h["status"], h["note"]) for h in old["history"]] == [
        ("draft", "coded"),
        ("ready", None),
        ("submitted", "interchange 000000001"),
        ("denied", "CO-16 missing modifier"),
    ]
    with pytest.raises(Conflict, match=f"already corrected as C{second['id']}"):
        claims.correct(clinic.store, f"C{first}", user=USER, now=NOW)
    with pytest.raises(Conflict, match="only a denied claim is corrected"):
        claims.correct(clinic.store, f"C{second['id']}", user=USER, now=NOW)


def test_show_is_audited_and_lists_hide_corrected_versions(clinic, tmp_path):
    from macli.bill import payments

    first = submitted(clinic, tmp_path)
    payments.deny(clinic.store, f"C{first}", "CO-16", user=USER, now=NOW)
    claims.correct(clinic.store, f"C{first}", user=USER, now=NOW)
    views.show(clinic.store, f"C{first}", user=USER, now=NOW, tz=ZONE)
    last = clinic.store.one("SELECT action, patient_id, detail FROM audit ORDER BY id DESC LIMIT 1")
    assert last == {
        "action": "bill.view",
        "patient_id": clinic.ana["id"],
        "detail": f"C{first}".join(["claim ", ""]),
    }
    current = views.listing(clinic.store, user=USER, now=NOW)
    assert [(row["claim"], row["status"]) for row in current] == [("C2", "draft")]
    every = views.listing(clinic.store, all_versions=True, user=USER, now=NOW)
    assert [(row["claim"], row["status"]) for row in every] == [("C1", "denied"), ("C2", "draft")]
    assert views.listing(clinic.store, status="paid", user=USER, now=NOW) == []
    assert clinic.store.scalar("SELECT action FROM audit ORDER BY id DESC LIMIT 1") == "bill.list"
    with pytest.raises(NotFound, match="no claim C99"):
        views.show(clinic.store, "C99", user=USER, now=NOW, tz=ZONE)
