"""Sterilizer loads with pack codes and labels; spore tests, recalls, out of service."""

import json

import pytest

from macli.errors import Conflict
from macli.qc import packs
from tests.conftest import dump

CYCLE = "qc cycle Autoclave --contents 'suture sets' --temp 121C --minutes 30 --chemical pass"


@pytest.fixture
def autoclave(run):
    run("config set clinic.timezone America/New_York")
    run("qc sterilizer add Autoclave")
    return "Autoclave"


def test_a_cycle_gets_a_load_number_and_pack_codes(run, autoclave, store):
    first = run(CYCLE + " --packs 3 --pack-type 'suture set' --pressure '15 psi'").stdout
    assert "Load 1 on Autoclave at 2026-11-26 09:00: packs S1-0001-01 to S1-0001-03." in first
    assert "Load 2 " in run(CYCLE + " --temp 250F").stdout
    rows = json.loads(run("qc cycles Autoclave -f json").stdout)
    assert [(r["load"], r["temp"], r["packs"], r["status"]) for r in rows] == [
        (1, "121.0 °C", 3, "ok"),
        (2, "121.11 °C", 0, "ok"),
    ]
    assert packs.require_usable_pack(store, "s1-0001-02")["load"] == 1


def test_labels_pdf_carries_sterilizer_load_date_and_type(run, autoclave, tmp_path):
    import pypdf

    path = tmp_path / "labels.pdf"
    result = run(CYCLE + f" --packs 4 --pack-type 'suture set' --labels -o {path}")
    assert "Wrote 4 label(s)" in result.stdout
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)
    assert "Sterile pack labels" in text
    assert text.count("Autoclave  load 1") == 4 and text.count("suture set") == 4
    assert "2026-11-26" in text and "S1-0001-04" in text
    run(CYCLE + " --labels", expect=1)  # no -o


def test_failed_spore_test_recalls_packs_since_last_pass_and_stops_cycles(
    run, autoclave, store, db_path
):
    run(CYCLE + " --packs 2 --pack-type tray --at '2026-11-19 10:00'")  # load 1
    run("qc spore Autoclave --result pass --bi-lot BI-1 --control pass --at '2026-11-20 08:00'")
    run(CYCLE + " --packs 2 --pack-type tray --at '2026-11-23 10:00'")  # load 2
    run(CYCLE + " --packs 1 --pack-type kit --at '2026-11-25 10:00'")  # load 3
    failed = run("qc spore Autoclave --result fail --bi-lot BI-1 --control pass")
    assert "RECALL: 3 pack(s)" in failed.stderr and "OUT OF SERVICE" in failed.stderr
    recalled = json.loads(run("qc recall list -f json").stdout)
    assert [r["pack"] for r in recalled] == ["S1-0002-01", "S1-0002-02", "S1-0003-01"]
    with pytest.raises(Conflict, match="recalled after the failed spore test"):
        packs.require_usable_pack(store, "S1-0002-01")
    packs.require_usable_pack(store, "S1-0001-01")  # before the last pass: fine

    before = dump(db_path)
    refused = run(CYCLE, expect=1)
    assert refused.stderr.startswith("Error: Autoclave is out of service")
    assert refused.stderr.count("\n") == 1 and dump(db_path) == before

    run("qc spore Autoclave --result pass --bi-lot BI-2")
    run("qc spore Autoclave --result pass --bi-lot BI-2 --control fail")  # does not count
    run("qc spore Autoclave --result pass --bi-lot BI-2")
    run(CYCLE, expect=1)
    back = run("qc spore Autoclave --result pass --bi-lot BI-2")
    assert "back in service" in back.stdout
    assert "Load 4 " in run(CYCLE).stdout

    run("qc recall reprocessed S1-0002-01 S1-0002-02 S1-0003-01 --note 'into load 4'")
    assert run("qc recall list").stdout.strip() == "No recalled packs."
    run("qc recall reprocessed S1-0001-01", expect=1)  # was never recalled


def test_a_failed_chemical_indicator_fails_that_load_alone(run, autoclave, store):
    result = run(CYCLE.replace("pass", "fail") + " --packs 2 --pack-type tray")
    assert "CHEMICAL INDICATOR FAILED" in result.stderr
    run(CYCLE + " --packs 1 --pack-type tray")
    assert not packs.pack(store, "S1-0001-01")["usable"]
    assert packs.pack(store, "S1-0002-01")["usable"]
    shown = json.loads(run("qc pack S1-0001-02 -f json").stdout)
    assert shown["why_not"] == "load 1 failed its chemical indicator: reprocess it"
    assert run("qc recall list").stdout.strip() == "No recalled packs."


def test_bad_sterilizer_input(run, autoclave, db_path):
    before = dump(db_path)
    for args in (
        "qc cycle Autoclave --contents x --temp 121 --minutes 30 --chemical pass --packs 2",
        "qc cycle Autoclave --contents x --temp 50 --minutes 30 --chemical pass",
        "qc cycle Nothing --contents x --temp 121C --minutes 30 --chemical pass",
        "qc sterilizer add autoclave",
        "qc spore Autoclave --result pass --bi-lot ''",
    ):
        result = run(args, expect=1)
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, args
    assert dump(db_path) == before


def test_a_spore_test_read_days_later_recalls_the_loads_run_while_it_incubated(run, autoclave):
    run("qc spore Autoclave --result pass --bi-lot BI-1 --control pass --at '2026-11-16 08:00'")
    run(CYCLE + " --packs 1 --pack-type tray --at '2026-11-20 10:00'")  # load 1
    run(CYCLE + " --packs 1 --pack-type tray --at '2026-11-23 10:00'")  # load 2: the test's load
    run(CYCLE + " --packs 2 --pack-type kit --at '2026-11-24 14:00'")  # load 3: while it grew
    # The indicator that ran on the 23rd is read as failed on the 25th.
    failed = run("qc spore Autoclave --result fail --bi-lot BI-2 --at '2026-11-23 10:00'")
    assert "RECALL: 4 pack(s)" in failed.stderr
    recalled = json.loads(run("qc recall list -f json").stdout)
    assert [r["pack"] for r in recalled] == ["S1-0001-01", "S1-0002-01", "S1-0003-01", "S1-0003-02"]
