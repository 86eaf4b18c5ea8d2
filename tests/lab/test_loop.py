"""The whole loop through the CLI: order, collect, label, send, import, review, notify."""

import json

from tests.conftest import dump
from tests.test_pdf import page_text, rendered_barcodes

from .messages import oru


def setup_clinic(run):
    run("config set clinic.name 'Maple Street Clinic'")
    run("patient add 'Ana Lima' --dob 1990-01-01")
    run("provider add 'Dr. Maya Chen' --title MD")
    run(
        "lab test add 'Basic metabolic panel' --loinc 51990-0 --specimen blood"
        " --container 'gold top (SST)' --lab Quest --turnaround 24h"
    )
    run(
        "lab test add 'HbA1c' --loinc 4548-4 --specimen blood --container 'lavender top'"
        " --lab Quest --turnaround 2d --unit % --range 4.0-5.6"
    )


def test_order_to_closed(run, tmp_path, db_path):
    setup_clinic(run)
    out = run("lab order P000001 --test 'Basic metabolic panel' --test HbA1c --provider chen")
    assert out.stdout.startswith("LO000001")
    pending = json.loads(run("lab pending -f json").stdout)
    assert [(r["test"], r["state"]) for r in pending] == [
        ("Basic metabolic panel", "ordered"),
        ("HbA1c", "ordered"),
    ]
    # A label before anything is drawn is refused, and writes nothing.
    before = dump(db_path)
    err = run(f"lab label LO000001 -o {tmp_path / 'x.pdf'}", expect=1).stderr
    assert "no specimen collected" in err and dump(db_path) == before
    labels = tmp_path / "labels.pdf"
    run(f"lab collect LO000001 --at 'today 8:10' --label -o {labels}")
    text = page_text(labels)
    for expected in ("Ana Lima", "1990-01-01", "P000001", "LO000001", "gold top", "SP000001"):
        assert expected in text
    assert sorted(rendered_barcodes(labels)) == [("Code128", "SP000001"), ("Code128", "SP000002")]

    manifest = tmp_path / "manifest.csv"
    run(f"lab send --lab Quest -o {manifest}")
    assert manifest.read_text().count("SP00000") == 2
    assert "no collected specimen" in run("lab send", expect=1).stderr
    states = {r["state"] for r in json.loads(run("lab pending -f json").stdout)}
    assert states == {"sent"}

    result_file = tmp_path / "results.hl7"
    result_file.write_text(oru("M1", "LO000001"), newline="")
    assert "1 attached (1 results)" in run(f"lab import {result_file}").stdout
    assert "1 already imported" in run(f"lab import {result_file}").stdout
    assert [r["test"] for r in json.loads(run("lab pending -f json").stdout)] == ["HbA1c"]

    inbox = json.loads(run("lab inbox -f json").stdout)
    assert [(r["result"], r["flags"]) for r in inbox] == [(1, "normal")]
    run("lab review 1 --by chen --comment 'fine'")
    assert json.loads(run("lab inbox -f json").stdout) == []
    assert [r["waiting_for"] for r in json.loads(run("lab open -f json").stdout)] == [
        "telling the patient"
    ]
    run("lab notify 1 --how phone --note 'told'")
    assert json.loads(run("lab open -f json").stdout) == []

    # The faxed HbA1c, by hand; not a number is refused.
    assert "takes a number" in run("lab result LO000001 --value HbA1c=high", expect=1).stderr
    run("lab result LO000001 --value HbA1c=7.9")
    shown = json.loads(run("lab show 2 -f json").stdout)
    assert shown["observations"][0]["flag"] == "H" and shown["flags"] == "HbA1c H"
    run("lab review 2 --by chen --no-notify-needed")
    assert json.loads(run("lab open -f json").stdout) == []
    assert json.loads(run("lab pending -f json").stdout) == []


def test_wrong_patient_is_quarantined_then_matched(run, tmp_path):
    setup_clinic(run)
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab collect LO000001")
    wrong = tmp_path / "wrong.hl7"
    wrong.write_text(
        oru("Q1", "LO000001", family="LIMAS", given="ANNA") + oru("Q2", "LO000099"),
        newline="",
    )
    out = run(f"lab import {wrong}").stdout
    assert "2 quarantined" in out
    quarantined = json.loads(run("lab import --quarantine -f json").stdout)
    assert [q["reason"][:20] for q in quarantined] == [
        "the message's patien",
        "placer order number ",
    ]
    assert json.loads(run("lab inbox -f json").stdout) == []
    run("lab match 1 LO000001 --why 'lab misspelt the name; DOB agrees, confirmed by phone'")
    assert len(json.loads(run("lab inbox -f json").stdout)) == 1
    assert len(json.loads(run("lab import --quarantine -f json").stdout)) == 1


def test_preliminary_final_corrected_supersede_and_all_stay(run, tmp_path):
    setup_clinic(run)
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab collect LO000001")
    messages = tmp_path / "three.hl7"
    messages.write_text(
        oru("A1", "LO000001", status="P")
        + oru("A2", "LO000001", status="F")
        + oru(
            "A3",
            "LO000001",
            status="C",
            observations=["OBX|1|NM|2823-3^Potassium^LN||6.6|mmol/L|3.5-5.1|H|||C"],
        ),
        newline="",
    )
    run(f"lab import {messages}")
    inbox = json.loads(run("lab inbox -f json").stdout)
    assert [(r["result"], r["status"]) for r in inbox] == [(3, "corrected")]
    assert inbox[0]["flags"].startswith("CRITICAL")  # 6.6 is beyond the clinic's 6.0
    history = json.loads(run("lab show 3 -f json").stdout)["history"]
    assert [h["status"] for h in history] == ["preliminary", "final", "corrected"]
    assert "superseded by result 3" in run("lab review 1 --by chen", expect=1).stderr
    late = tmp_path / "late.hl7"
    late.write_text(oru("A4", "LO000001", status="P"), newline="")
    assert "1 quarantined" in run(f"lab import {late}").stdout


def test_bad_files_name_file_and_message_and_write_nothing(run, tmp_path, db_path):
    setup_clinic(run)
    run("lab order P000001 --test 'Basic metabolic panel'")
    run("lab collect LO000001")
    good = oru("G1", "LO000001")
    cases = {
        "lf.hl7": good.replace("\r", "\n"),
        "nonnumber.hl7": good
        + oru("G2", "LO000001", observations=["OBX|1|NM|2823-3^Potassium^LN||high|mmol/L||||F"]),
        "badloinc.hl7": oru("G3", "LO000001", observations=["OBX|1|NM|2823-4^K^LN||4|mmol/L||||F"]),
        "notours.hl7": good.replace("ORU^R01", "ADT^A01"),
        "garbage.hl7": "hello world\r",
    }
    expected = {
        "lf.hl7": "line feeds",
        "nonnumber.hl7": "nonnumber.hl7, message 2, OBX 1: value 'high' is not a number",
        "badloinc.hl7": "badloinc.hl7, message 1, OBX 1: 2823-4 is not a LOINC code: its check digit is wrong",
        "notours.hl7": "notours.hl7, message 1: message type ADT^A01",
        "garbage.hl7": "not an HL7 message",
    }
    before = dump(db_path)
    for name, body in cases.items():
        path = tmp_path / name
        path.write_text(body, newline="")
        err = run(f"lab import {path}", expect=1).stderr
        assert err.startswith("Error: ") and err.count("\n") == 1, err
        assert expected[name] in err
    assert dump(db_path) == before


def test_overdue_pending_and_loinc_checked(run):
    setup_clinic(run)
    assert "check digit" in run("lab test add Bad --loinc 2823-4 --specimen blood", expect=1).stderr
    run("lab order P000001 --test HbA1c")
    run("lab collect LO000001 --at '2026-11-20 09:00'")
    rows = json.loads(run("lab pending --overdue -f json").stdout)
    assert rows[0]["overdue_by"] == "4d 0h"
    assert json.loads(run("--now 2026-11-21T09:00:00 lab pending --overdue -f json").stdout) == []


def test_a_critical_potassium_heads_today_until_reviewed(run, tmp_path):
    setup_clinic(run)
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab collect LO000001")
    path = tmp_path / "k.hl7"
    path.write_text(
        oru(
            "K1",
            "LO000001",
            observations=["OBX|1|NM|2823-3^Potassium^LN||6.4|mmol/L^^UCUM|3.5-5.1|H|||F"],
        ),
        newline="",
    )
    run(f"lab import {path}")
    sheet = run("today").stdout
    lines = [line for line in sheet.splitlines() if line.strip()]
    assert lines[1].startswith("CRITICAL RESULTS (1): tell the provider now")
    assert "Potassium H" in lines[4] and "Ana Lima" in lines[4]
    assert json.loads(run("today -f json").stdout)["results"]["critical"][0]["result"] == 1
    run("lab review 1 --by chen --comment 'called patient to ED'")
    assert "CRITICAL" not in run("today").stdout


def test_a_cancelled_order_leaves_the_worklist_and_one_with_a_result_cannot_be(
    run, tmp_path, db_path
):
    setup_clinic(run)
    run("lab order P000001 --test HbA1c --provider chen")
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab cancel LO000001 --reason 'patient declined the draw'")
    assert [r["order"] for r in json.loads(run("lab pending -f json").stdout)] == ["LO000002"]
    assert "lab.cancel" in [r["action"] for r in json.loads(run("audit list -f json").stdout)]
    run("lab collect LO000002")
    path = tmp_path / "r.hl7"
    path.write_text(oru("C1", "LO000002"), newline="")
    run(f"lab import {path}")
    before = dump(db_path)
    err = run("lab cancel LO000002 --reason 'oops'", expect=1).stderr
    assert err.startswith("Error: ") and err.count("\n") == 1
    assert dump(db_path) == before


def test_the_courier_manifest_as_pdf_names_every_specimen_and_a_failed_write_sends_none(
    run, tmp_path, db_path
):
    setup_clinic(run)
    run("lab order P000001 --test 'Basic metabolic panel' --test HbA1c --provider chen")
    run("lab collect LO000001 --at 'today 8:10'")
    before = dump(db_path)
    err = run(f"lab send -o {tmp_path / 'no-such-folder' / 'manifest.pdf'}", expect=1).stderr
    assert err.startswith("Error: ") and err.count("\n") == 1
    assert dump(db_path) == before
    manifest = tmp_path / "manifest.pdf"
    run(f"lab send --lab Quest -o {manifest}")
    text = page_text(manifest)
    for expected in ("Quest", "SP000001", "SP000002", "LO000001", "Ana Lima", "P000001"):
        assert expected in text, expected
    assert {r["state"] for r in json.loads(run("lab pending -f json").stdout)} == {"sent"}


def test_a_batch_file_and_mllp_framing_are_read_and_a_cut_off_batch_is_refused(
    run, tmp_path, db_path
):
    setup_clinic(run)
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab collect LO000001")
    run("lab collect LO000002")
    envelope = "FHS|^~\\&|QUESTLAB|QUEST|MACLI|CLINIC|20261126083000\rBHS|^~\\&|QUESTLAB\r"
    two = oru("B1", "LO000001") + oru("B2", "LO000002")
    cut = tmp_path / "cut.hl7"
    cut.write_text(envelope + two + "BTS|3\rFTS|1\r", newline="")
    before = dump(db_path)
    err = run(f"lab import {cut}", expect=1).stderr
    assert "cut.hl7: the batch trailer (BTS-1) says 3 messages but the batch holds 2" in err
    assert dump(db_path) == before
    batch = tmp_path / "batch.hl7"
    batch.write_text(envelope + two + "BTS|2\rFTS|1\r", newline="")
    assert "2 attached (2 results)" in run(f"lab import {batch}").stdout
    framed = tmp_path / "framed.hl7"
    framed.write_text("\x0b" + oru("B3", "LO000001", status="C") + "\x1c\r", newline="")
    assert "1 attached (1 results)" in run(f"lab import {framed}").stdout


def test_a_catalogue_edit_changes_new_orders_only_and_is_audited(run, db_path):
    setup_clinic(run)
    run("lab order P000001 --test HbA1c")
    run("lab collect LO000001 --at '2026-11-23 09:00'")
    before = dump(db_path)
    assert "say what to change" in run("lab test edit HbA1c", expect=1).stderr
    assert "point-of-care" in run("lab test edit HbA1c --qc-levels positive", expect=1).stderr
    assert "no test 'A1c'" in run("lab test edit A1c --lab LabCorp", expect=1).stderr
    assert dump(db_path) == before
    row = json.loads(run("lab test edit hba1c --lab LabCorp --turnaround 5d -f json").stdout)
    assert (row["lab"], row["turnaround"]) == ("LabCorp", "5d")
    # The order placed before keeps its 2-day turnaround: 1 day overdue on the 26th.
    assert json.loads(run("lab pending --overdue -f json").stdout)[0]["overdue_by"] == "1d 0h"
    audit = [
        r for r in json.loads(run("audit list -f json").stdout) if r["action"] == "lab.test.edit"
    ]
    assert len(audit) == 1 and "LabCorp" in audit[0]["detail"]
    run("lab test edit HbA1c --container ''")
    listed = {r["name"]: r for r in json.loads(run("lab test list -f json").stdout)}
    assert listed["HbA1c"]["container"] is None and listed["HbA1c"]["lab"] == "LabCorp"


def test_a_redelivered_message_is_known_by_its_text_not_only_its_control_id(run, tmp_path, db_path):
    setup_clinic(run)
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab collect LO000001")
    first = tmp_path / "first.hl7"
    first.write_text(oru("R1", "LO000001"), newline="")
    run(f"lab import {first}")
    again = tmp_path / "again.hl7"
    again.write_text(oru("R1", "LO000001") + oru("R2", "LO000001", status="C"), newline="")
    assert (
        "1 attached (1 results), 0 quarantined, 1 already imported"
        in run(f"lab import {again}").stdout
    )
    # The same control id over a damaged body is still read, and refused.
    damaged = tmp_path / "damaged.hl7"
    damaged.write_text(
        oru("R1", "LO000001", observations=["OBX|1|NM|2823-3^K^LN||high|mmol/L||||F"]),
        newline="",
    )
    before = dump(db_path)
    err = run(f"lab import {damaged}", expect=1).stderr
    assert "damaged.hl7, message 1, OBX 1: value 'high' is not a number" in err
    assert dump(db_path) == before


def test_the_inbox_puts_critical_then_abnormal_first_and_filters_by_provider(run, tmp_path):
    setup_clinic(run)
    run("provider add 'Dr. Omar Reyes' --title DO")
    for provider in ("chen", "chen", "chen", "reyes"):
        run(f"lab order P000001 --test 'Basic metabolic panel' --provider {provider}")
    for order in range(1, 5):
        run(f"lab collect LO00000{order}")
    normal = "OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L|3.5-5.1|N|||F"
    high = "OBX|1|NM|2823-3^Potassium^LN||5.4|mmol/L|3.5-5.1|H|||F"
    critical = "OBX|1|NM|2823-3^Potassium^LN||6.3|mmol/L|3.5-5.1|H|||F"
    path = tmp_path / "day.hl7"
    path.write_text(
        oru("I1", "LO000001", observations=[normal], reported="20261126070000")
        + oru("I2", "LO000002", observations=[high], reported="20261126071000")
        + oru("I3", "LO000003", observations=[critical], reported="20261126072000")
        + oru("I4", "LO000004", observations=[critical], reported="20261126073000"),
        newline="",
    )
    run(f"lab import {path}")
    everyone = json.loads(run("lab inbox -f json").stdout)
    assert [r["result"] for r in everyone] == [3, 4, 2, 1]
    chen = json.loads(run("lab inbox --provider chen -f json").stdout)
    assert [r["result"] for r in chen] == [3, 2, 1]
    assert "no provider" in run("lab inbox --provider nobody", expect=1).stderr.lower()


def test_the_clinics_own_limits_make_a_result_critical_and_bad_limits_are_refused(
    run, tmp_path, db_path
):
    setup_clinic(run)
    before = dump(db_path)
    err = run("config set lab.critical_limits '2823-4>6.0'", expect=1).stderr
    assert err.startswith("Error: ") and "2823-4" in err
    assert dump(db_path) == before
    run("config set lab.critical_limits '2345-7<60'")
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab collect LO000001")
    run("lab collect LO000002")
    path = tmp_path / "g.hl7"
    path.write_text(
        # Glucose 55 flagged only L by the lab, potassium 6.5: the clinic's limits decide.
        oru("L1", "LO000001", observations=["OBX|1|NM|2345-7^Glucose^LN||55|mg/dL|70-99|L|||F"])
        + oru("L2", "LO000002", observations=["OBX|1|NM|2823-3^K^LN||6.5|mmol/L|3.5-5.1|H|||F"]),
        newline="",
    )
    run(f"lab import {path}")
    flags = {r["result"]: r["flags"] for r in json.loads(run("lab inbox -f json").stdout)}
    assert flags[1].startswith("CRITICAL") and not flags[2].startswith("CRITICAL")
