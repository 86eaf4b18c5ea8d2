"""The sterile-pack contract other areas call: find a pack, may it be used, open it."""

import json
from datetime import UTC, datetime

import pytest

from macli.errors import Conflict, NotFound
from macli.qc import packs
from macli.when import zone
from tests.conftest import dump

CYCLE = (
    "qc cycle Autoclave --contents 'suture sets' --temp 121C --minutes 30 --chemical pass"
    " --packs 2 --pack-type 'suture set'"
)
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


@pytest.fixture
def shelf(run, store):
    """Autoclave load 1 (two suture sets) after a passing spore test; patient Ana Lima."""
    run("config set clinic.timezone America/New_York")
    run("qc sterilizer add Autoclave")
    run("qc spore Autoclave --result pass --bi-lot BI-1 --control pass --at '2026-11-23 08:00'")
    run(CYCLE + " --at '2026-11-24 10:00'")
    run("patient add 'Ana Lima' --dob 1990-01-01")
    return store.one("SELECT id, mrn FROM patients")


def test_a_pack_names_its_load_and_status(shelf, store):
    found = packs.pack(store, "s1-0001-02")
    assert (found["code"], found["sterilizer"], found["load"], found["made_day"]) == (
        "S1-0001-02",
        "Autoclave",
        1,
        "2026-11-24",
    )
    assert (found["status"], found["usable"], found["why_not"]) == ("usable", True, None)
    with pytest.raises(NotFound, match="no sterile pack 'S9-0001-01'"):
        packs.pack(store, "S9-0001-01")


def test_opening_a_pack_records_the_patient_and_refuses_a_second_opening(shelf, store, db_path):
    opened = packs.use_pack(
        store, "S1-0001-01", patient_id=shelf["id"], reference="procedure 12", user="dr", now=NOW
    )
    assert (opened["status"], opened["usable"], opened["used_mrn"]) == ("used", False, shelf["mrn"])
    before = dump(db_path)
    with pytest.raises(Conflict, match="DO NOT USE pack S1-0001-01: it was already opened"):
        packs.use_pack(store, "S1-0001-01", patient_id=shelf["id"], user="dr", now=NOW)
    assert dump(db_path) == before


def test_a_refused_pack_leaves_the_callers_whole_write_unwritten(shelf, store, db_path, run):
    run(
        "qc cycle Autoclave --contents trays --temp 121C --minutes 30 --chemical fail --packs 1"
        " --pack-type tray"
    )
    before = dump(db_path)
    with pytest.raises(Conflict, match="load 2 failed its chemical indicator"):
        with store.write():
            packs.use_pack(store, "S1-0001-01", user="dr", now=NOW)  # fine on its own
            packs.use_pack(store, "S1-0002-01", user="dr", now=NOW)  # the failed load
    assert dump(db_path) == before
    assert packs.pack(store, "S1-0001-01")["status"] == "usable"


def test_a_recall_names_the_packs_already_opened_and_their_patients(shelf, store, run):
    packs.use_pack(
        store, "S1-0001-01", patient_id=shelf["id"], reference="procedure 12", user="dr", now=NOW
    )
    failed = run("qc spore Autoclave --result fail --bi-lot BI-2 --control pass")
    assert "RECALL: 2 pack(s)" in failed.stderr
    assert (
        f"ALREADY OPENED: pack S1-0001-01 on 2026-11-26 09:00 for procedure 12, patient "
        f"{shelf['mrn']}" in failed.stderr
    )
    # The shelf list holds what can still be pulled; --all shows the opened one too.
    assert [r["pack"] for r in json.loads(run("qc recall list -f json").stdout)] == ["S1-0001-02"]
    everything = json.loads(run("qc recall list --all -f json").stdout)
    assert everything[0]["used"] == f"opened 2026-11-26 for procedure 12 (patient {shelf['mrn']})"
    assert packs.uses_of_recalled(store, tz=zone("America/New_York")) == [
        {
            "pack": "S1-0001-01",
            "opened": "2026-11-26 09:00",
            "patient": shelf["mrn"],
            "for": "procedure 12",
            "spore_test": 2,
        }
    ]
    shown = json.loads(run("qc pack S1-0001-01 -f json").stdout)
    assert shown["status"] == "recalled" and "already opened" in shown["why_not"]
    assert shown["patient"] == shelf["mrn"]
    refused = run("qc recall reprocessed S1-0001-01", expect=1).stderr
    assert "nothing to reprocess" in refused
    with pytest.raises(Conflict, match="recalled after the failed spore test"):
        packs.use_pack(store, "S1-0001-02", user="dr", now=NOW)


def test_an_implant_load_waits_for_a_spore_test_run_with_it(shelf, store, run):
    result = run(CYCLE.replace("'suture set'", "'hip tray'") + " --implant --at '2026-11-25 10:00'")
    assert "IMPLANT LOAD" in result.stderr
    waiting = packs.pack(store, "S1-0002-01")
    assert (waiting["status"], waiting["usable"]) == ("awaiting spore test", False)
    with pytest.raises(Conflict, match="holds an implant: quarantined"):
        packs.use_pack(store, "S1-0002-01", user="dr", now=NOW)
    assert packs.pack(store, "S1-0001-01")["usable"]  # an ordinary load is not held back
    due = json.loads(run("qc due -f json").stdout)
    assert [(r["kind"], r["subject"]) for r in due if r["kind"] == "implant load"] == [
        ("implant load", "Autoclave load 2")
    ]
    # A test whose control failed proves nothing; a pass run with the load releases it.
    run("qc spore Autoclave --result pass --bi-lot BI-3 --control fail --at '2026-11-25 10:00'")
    assert packs.pack(store, "S1-0002-01")["status"] == "awaiting spore test"
    run("qc spore Autoclave --result pass --bi-lot BI-3 --control pass --at '2026-11-25 10:00'")
    assert packs.pack(store, "S1-0002-01")["status"] == "usable"
    assert "implant load" not in run("qc due").stdout
    shown = json.loads(run("qc pack S1-0002-01 -f json").stdout)
    assert shown["implant_load"] is True
