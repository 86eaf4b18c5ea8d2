"""A day of minor procedures: two biopsies and a laceration repair, from the prep sheet
through the checklist to the specimen, and a failed spore test traced to its patient."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader

from tests.conftest import dump

DAY = "2026-11-27"  # the Friday after the tests' clock


@pytest.fixture
def clinic(run, store):
    """Three procedures booked tomorrow; returns their appointment ids and patients."""
    run("config set clinic.timezone America/New_York")
    run("provider add 'Dr. Ana Chen'")
    run("schedule hours chen --set 'mon-fri 08:00-17:00'")
    run("schedule type add procedure --duration 30")
    run("schedule room add 'Procedure room'")
    for sku, name, unit, quantity in (
        ("PUNCH-4", "Punch biopsy 4 mm", "each", 5),
        ("LIDO-1PCT", "Lidocaine 1%", "vial", 5),
        ("GAUZE-4X4", "Gauze 4x4", "pack", 20),
        ("FORMALIN", "Formalin container", "each", 1),
        ("SUTURE-4-0", "Nylon 4-0", "each", 0),
    ):
        run(f"stock item add {sku} --name '{name}' --unit {unit} --location 'Procedure room'")
        if quantity:
            run(f"stock receive {sku} {quantity} --lot L-{sku} --expires 2027-06 --no-expense")
    run("stock kit add 'Biopsy tray' PUNCH-4:1 LIDO-1PCT:1 GAUZE-4X4:2 FORMALIN:1")
    run("stock kit add 'Suture tray' SUTURE-4-0:1 LIDO-1PCT:1 GAUZE-4X4:2")
    run("lab test add 'Surgical pathology' --loinc 11526-1 --specimen other --lab 'Path Lab'")
    run("qc sterilizer add Autoclave")
    run("qc spore Autoclave --result pass --bi-lot BI-1 --control pass --at '2026-11-23 08:00'")
    run(
        "qc cycle Autoclave --contents 'biopsy sets' --temp 121C --minutes 30 --chemical pass"
        " --packs 3 --pack-type 'biopsy set' --at '2026-11-24 10:00'"
    )
    run(
        "qc cycle Autoclave --contents 'suture sets' --temp 121C --minutes 30 --chemical pass"
        " --packs 1 --pack-type 'suture set' --at '2026-11-24 11:00'"
    )
    run(
        "procedure type add 'Punch biopsy' --kit 'Biopsy tray' --pack-type 'biopsy set'"
        " --specimen 'Surgical pathology' --appointment-type procedure --lateral"
    )
    run(
        "procedure type add 'Laceration repair' --kit 'Suture tray' --pack-type 'suture set'"
        " --consent none --appointment-type procedure"
    )
    ids = {}
    for name, born, at in (
        ("Ana Lima", "1961-04-02", "09:00"),
        ("Bo Reyes", "1950-08-19", "10:00"),
        ("Cy Ortiz", "1988-01-30", "11:00"),
    ):
        run(f"patient add '{name}' --dob {born}")
        mrn = store.scalar("SELECT mrn FROM patients WHERE name = ?", [name])
        run(
            f"schedule add {mrn} --provider chen --at '{DAY} {at}' --type procedure"
            " --room 'Procedure room'"
        )
        ids[name.split()[0].lower()] = (
            store.scalar("SELECT max(id) FROM appointments"),
            mrn,
        )
    run(f"chart allergy add {ids['ana'][1]} latex --reaction rash")
    run(f"chart med add {ids['bo'][1]} apixaban --dose '5 mg' --frequency 'twice daily'")
    run(f"chart allergy add {ids['bo'][1]} penicillin")
    run(f"procedure plan {ids['ana'][0]} 'punch biopsy' --site 'left forearm'")
    run(f"procedure plan {ids['bo'][0]} 'punch biopsy' --site 'right shoulder'")
    run(f"procedure plan {ids['cy'][0]} 'laceration repair' --site 'scalp'")
    return ids


def test_prep_sheets_call_out_allergy_anticoagulant_and_the_missing_tray_item(run, clinic):
    sheets = json.loads(run(f"procedure prep --date {DAY} -f json").stdout)
    assert [s["procedure"] for s in sheets] == ["Punch biopsy", "Punch biopsy", "Laceration repair"]
    ana, bo, cy = sheets
    assert ana["mrn"] == clinic["ana"][1] and ana["dob"] == "1961-04-02"
    assert "ALLERGY to latex (latex)" in ana["warnings"]
    assert "ON apixaban (anticoagulant/antiplatelet)" in bo["warnings"]
    assert not any("ALLERGY" in w for w in bo["warnings"])  # penicillin is not a prep hazard
    assert ana["consent"] == "REQUIRED: not yet signed"
    assert cy["consent"] == "not required"
    # One formalin container for two biopsies: both sheets see it today, and the
    # suture tray has no suture at all.
    assert ana["missing"] == []
    assert any("SUTURE-4-0" in m for m in cy["missing"])
    # Two biopsies are promised different packs, oldest first.
    assert (ana["packs"][0]["pack"], bo["packs"][0]["pack"]) == ("S1-0001-01", "S1-0001-02")
    assert cy["packs"][0]["pack"] == "S1-0002-01"
    assert [p["lots"] for p in ana["tray"] if p["sku"] == "PUNCH-4"] == [
        "L-PUNCH-4 (exp 2027-06-30) x1"
    ]
    table = run(f"procedure prep {clinic['cy'][0]}").stdout
    assert "! MISSING: cannot use 1 each of SUTURE-4-0" in table


def test_the_checklist_goes_in_order_and_names_what_is_missing(run, clinic, db_path):
    appointment = clinic["ana"][0]
    before = dump(db_path)
    out_of_order = run(f"procedure check {appointment} time-out --team 'Dr Chen'", expect=1)
    assert "time-out cannot come before sign-in" in out_of_order.stderr
    no_consent = run(
        f"procedure check {appointment} sign-in --site 'left forearm' --identity-confirmed"
        " --site-marked --allergies-checked",
        expect=1,
    )
    assert "missing written consent signed (--consent-signed)" in no_consent.stderr
    wrong_site = run(
        f"procedure check {appointment} sign-in --site 'right forearm' --identity-confirmed"
        " --site-marked --consent-signed --allergies-checked",
        expect=1,
    )
    assert "is not the planned site 'left forearm'" in wrong_site.stderr
    assert dump(db_path) == before
    signed = run(
        f"procedure check {appointment} sign-in --site 'Left forearm' --identity-confirmed"
        " --site-marked --consent-signed --allergies-checked"
    )
    assert "! ALLERGY to latex (latex)" in signed.stdout
    again = run(f"procedure check {appointment} sign-in --identity-confirmed", expect=1)
    assert "sign-in was already done" in again.stderr
    run(
        f"procedure check {appointment} time-out --site 'left forearm' --team 'Dr Chen, MA Lopez'"
        " --packs-sterile"
    )
    sheet = json.loads(run(f"procedure prep {appointment} -f json").stdout)[0]
    assert sheet["consent"].startswith("signed")
    assert sheet["checklist"] == "sign-in, time-out done; next: sign-out"


def _through_time_out(run, appointment, site, consent=True):
    run(
        f"procedure check {appointment} sign-in --site '{site}' --identity-confirmed"
        + (" --site-marked --consent-signed" if consent else "")
        + " --allergies-checked"
    )
    run(f"procedure check {appointment} time-out --site '{site}' --team 'Dr Chen' --packs-sterile")


def test_sign_out_uses_the_tray_and_packs_and_creates_the_pathology_specimen(
    run, clinic, store, db_path
):
    appointment = clinic["ana"][0]
    _through_time_out(run, appointment, "left forearm")
    before = dump(db_path)
    missing = run(f"procedure check {appointment} sign-out --counts-correct", expect=1)
    assert "the specimen, labelled for Surgical pathology (--specimen TEXT)" in missing.stderr
    assert "the sterile packs opened (biopsy set: --pack CODE)" in missing.stderr
    unknown = run(
        f"procedure check {appointment} sign-out --counts-correct --pack S1-0009-01"
        " --specimen 'punch 4 mm'",
        expect=1,
    )
    assert "no sterile pack 'S1-0009-01'" in unknown.stderr
    assert dump(db_path) == before  # the tray taken before the bad pack was put back
    done = run(
        f"procedure check {appointment} sign-out --counts-correct --pack S1-0001-01"
        " --specimen 'punch 4 mm, formalin'"
    )
    assert "Packs opened: S1-0001-01" in done.stdout
    assert "on order LO000001" in done.stdout
    assert store.scalar("SELECT on_hand FROM stock_lots WHERE lot = 'L-FORMALIN'") == 0
    specimen = store.one("SELECT * FROM lab_specimens")
    assert (specimen["site"], specimen["note"]) == ("left forearm", "punch 4 mm, formalin")
    assert store.scalar("SELECT reference FROM qc_pack_uses") == f"procedure {appointment}"
    # The second biopsy's tray now lacks its formalin container.
    sheet = json.loads(run(f"procedure prep {clinic['bo'][0]} -f json").stdout)[0]
    assert any("FORMALIN" in m for m in sheet["missing"])
    # The record cannot be edited.
    with pytest.raises(Exception, match="append-only"):
        store.execute("UPDATE procedure_steps SET by = 'someone'")
    shown = run(f"procedure show {appointment} -f json").stdout
    assert [row["step"] for row in json.loads(shown)] == ["sign-in", "time-out", "sign-out"]


def test_a_used_or_recalled_pack_is_refused_unless_overridden(run, clinic, store):
    ana, cy = clinic["ana"][0], clinic["cy"][0]
    _through_time_out(run, ana, "left forearm")
    run(
        f"procedure check {ana} sign-out --counts-correct --pack S1-0001-01 --specimen 'punch 4 mm'"
    )
    run("stock receive SUTURE-4-0 2 --lot S1 --expires 2028-01 --no-expense")
    _through_time_out(run, cy, "scalp", consent=False)
    reused = run(f"procedure check {cy} sign-out --counts-correct --pack S1-0001-01", expect=1)
    assert "DO NOT USE pack S1-0001-01: it was already opened" in reused.stderr
    run("qc spore Autoclave --result fail --bi-lot BI-2 --control pass")
    recalled = run(f"procedure check {cy} sign-out --counts-correct --pack S1-0002-01", expect=1)
    assert "recalled after the failed spore test" in recalled.stderr
    assert "--override --why" in recalled.stderr
    forced = run(
        f"procedure check {cy} sign-out --counts-correct --pack S1-0002-01"
        " --override --why 'bleeding scalp wound, no other set'"
    )
    assert "opened under --override" in forced.stdout
    assert store.scalar("SELECT count(*) FROM audit WHERE action = 'qc.pack.emergency'") == 1


def test_a_failed_spore_test_is_traced_to_the_patient(run, clinic):
    appointment, mrn = clinic["ana"]
    _through_time_out(run, appointment, "left forearm")
    run(
        f"procedure check {appointment} sign-out --counts-correct --pack S1-0001-01"
        " --specimen 'punch 4 mm'"
    )
    run("qc spore Autoclave --result fail --bi-lot BI-2 --control pass")
    rows = json.loads(run("procedure trace S1-0001 -f json").stdout)
    assert [(r["pack"], r["mrn"], r["for"]) for r in rows] == [
        ("S1-0001-01", mrn, f"procedure {appointment}")
    ]
    assert rows[0]["recalled"] == "spore test 2"
    assert json.loads(run("procedure trace S1-0002-01 -f json").stdout) == []
    bad = run("procedure trace yesterday", expect=1)
    assert "is neither a pack (S1-0042-03) nor a load (S1-0042)" in bad.stderr


def test_bad_input_is_refused_with_nothing_written(run, clinic, db_path):
    before = dump(db_path)
    assert (
        "no procedure type 'tonsillectomy'"
        in run(f"procedure plan {clinic['ana'][0]} tonsillectomy", expect=1).stderr
    )
    assert "needs its site" in run(f"procedure plan {clinic['ana'][0]} 'punch'", expect=1).stderr
    assert "has no procedure planned" in run("procedure prep 9999", expect=1).stderr.replace(
        "no appointment with id 9999", "has no procedure planned"
    )
    assert "no kit named 'Tray X'" in run("procedure type add X --kit 'Tray X'", expect=1).stderr
    assert run("procedure prep", expect=2).exit_code == 2
    assert dump(db_path) == before


def test_the_prep_sheet_pdf_reads_back(run, clinic, tmp_path):
    target = tmp_path / "prep.pdf"
    run(f"procedure prep --date {DAY} -o {target}")
    assert target.stat().st_mode & 0o777 == 0o600
    reader = PdfReader(str(target))
    assert len(reader.pages) == 3
    first = reader.pages[0].extract_text()
    assert "Ana Lima" in first and "1961-04-02" in first and clinic["ana"][1] in first
    assert "ALLERGY to latex" in first and "S1-0001-01" in first
    assert "MISSING" in reader.pages[2].extract_text()


def test_the_day_sheet_lists_the_days_procedures_with_what_needs_attention(run, clinic):
    sheet = json.loads(run(f"today --date {DAY} -f json").stdout)
    rows = {row["appointment"]: row for row in sheet["procedures"]}
    assert rows[clinic["ana"][0]]["patient"] == clinic["ana"][1]
    assert "ALLERGY to latex" in rows[clinic["ana"][0]]["attention"]
    assert "ON apixaban" in rows[clinic["bo"][0]]["attention"]
    assert "SUTURE-4-0" in rows[clinic["cy"][0]]["attention"]
    table = run(f"today --date {DAY}").stdout
    assert "Procedures (3;" in table
