"""`phone screen` on a demo patient, and representatives (`patient contact`)."""

import json

import pytest

from tests.conftest import dump


@pytest.fixture
def caller(demo_db, store):
    """A demo patient with results, active medications and a balance due."""
    return store.one(
        "SELECT p.mrn, p.name, p.dob FROM patients p WHERE"
        " EXISTS (SELECT 1 FROM chart_entries e WHERE e.patient_id = p.id AND e.kind = 'result')"
        " AND EXISTS (SELECT 1 FROM chart_entries e WHERE e.patient_id = p.id"
        "   AND e.kind = 'medication')"
        " AND EXISTS (SELECT 1 FROM bill_claims c WHERE c.patient_id = p.id"
        "   AND c.status NOT IN ('draft', 'paid'))"
        " ORDER BY p.id LIMIT 1"
    )


def test_the_screen_has_every_section_in_order(run, caller, store):
    mrn = caller["mrn"]
    run(f"patient edit {mrn} --language es --interpreter")
    run(
        f"patient contact add {mrn} 'Rosa Mendes' --relation mother --phone 401-555-0177 --may-discuss yes"
    )
    run(
        f"phone take {mrn} --caller 'Rosa Mendes' --relation parent --number 401-555-0177"
        " --reason results --note 'Asks about the blood test'"
    )
    text = run(f"phone screen {mrn} --caller 'Rosa Mendes'").stdout
    lines = text.splitlines()
    assert lines[0].startswith(f"Confirm: {caller['name']}, born {caller['dob']} (age ")
    assert lines[1] == "Language: Spanish (es) · interpreter: Spanish"
    assert lines[2] == "Caller: Rosa Mendes (mother), on file, may be told."
    order = [
        "Representatives (1)",
        "Next appointments",
        "Last visit:",
        "Active medications (",
        "Recent results",
        "Open messages (",
        "Balance due: ",
        "Contact consent:",
    ]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "Asks about the blood test" in text  # a short note shows whole as its summary
    data = json.loads(run(f"phone screen {mrn} -f json").stdout)
    assert data["confirm"]["mrn"] == mrn
    assert data["balance"]["cents"] > 0
    assert data["medications"] and data["results"]
    assert data["representatives"][0]["may_discuss"] is True
    audited = store.query("SELECT patient_id FROM audit WHERE action = 'phone.screen'")
    assert len(audited) == 2 and audited[0]["patient_id"] is not None


def test_a_caller_not_on_file_is_said_plainly(run, caller):
    mrn = caller["mrn"]
    run(f"patient contact add {mrn} 'Tia Costa' --relation aunt --phone 401-555-0166")
    out = run(f"phone screen {mrn} --caller 'Joe Bloggs'").stdout
    assert "Caller: Joe Bloggs is NOT on file for this patient: do not share details." in out
    out = run(f"phone screen {mrn} --caller 'Tia Costa'").stdout
    assert "Caller: Tia Costa (aunt), on file, may NOT be told about care." in out
    out = run(f"phone screen {mrn} --number '(401) 555-0166'").stdout
    assert "Caller: Tia Costa (aunt)" in out
    assert "NOT on file" in run(f"phone screen {mrn} --number 401-555-0100").stdout


def test_the_screen_finds_the_patient_from_what_the_caller_says(run, caller):
    surname = caller["name"].split()[-1]
    born = caller["dob"]
    month, day, year = int(born[5:7]), int(born[8:10]), born[:4]
    out = run(["phone", "screen", f"{surname} {month}/{day}/{year}"]).stdout
    assert out.startswith(f"Confirm: {caller['name']}")


def test_representatives_are_listed_and_checked(run, caller, db_path):
    mrn = caller["mrn"]
    out = run(
        f"patient contact add {mrn} 'Rosa Mendes' --relation Mother --phone 401-555-0177"
    ).stdout
    assert out == f"Added Rosa Mendes (mother) for {mrn}: may not be told.\n"
    rows = json.loads(run(f"patient contact list {mrn} -f json").stdout)
    assert rows[0]["phone"] == "+14015550177" and rows[0]["may_discuss"] is False
    assert "(401) 555-0177" in run(f"patient contact list {mrn}").stdout
    before = dump(db_path)
    for args, message in (
        (f"patient contact add {mrn} 'X Y' --relation aunt --phone 12", "phone number"),
        (f"patient contact add {mrn} '1234' --relation aunt --phone 401-555-0100", "name"),
        (f"patient contact add {mrn} 'X Y' --relation ' ' --phone 401-555-0100", "relation"),
        (
            "patient contact add nobody-here 'X Y' --relation aunt --phone 401-555-0100",
            "no patient",
        ),
    ):
        result = run(args, expect=1)
        assert result.stderr.startswith("Error: ") and message in result.stderr
    assert dump(db_path) == before


def test_lab_results_show_what_each_waits_for(run, caller, store):
    """ "Did my results come back?": the screen tells a result waiting for the provider's
    review from one the patient may be told, and names the tests still out."""
    mrn = caller["mrn"]
    order = run(f"lab order {mrn} --test TSH --test 'Lipid panel' --provider chen").stdout.split()[
        0
    ]
    run(f"lab collect {order}")
    run(f"lab result {order} --value TSH=5.2")
    result = store.scalar(
        "SELECT max(r.id) FROM lab_results r JOIN patients p ON p.id = r.patient_id"
        " WHERE p.mrn = ?",
        [mrn],
    )
    text = run(f"phone screen {mrn}").stdout
    lab = text[text.index("Lab results (") : text.index("Open messages")]
    row = next(line for line in lab.splitlines() if line.split()[:1] == [str(result)])
    assert "TSH H" in row and row.endswith("waiting for review")
    assert "Not reviewed yet: the provider reviews a result before the patient is told." in lab
    assert "Lab tests not back (1)" in lab
    assert next(line for line in lab.splitlines() if order in line).split()[1:3] == [
        "Lipid",
        "panel",
    ]
    run(f"lab review {result} --by chen --comment 'recheck in 3 months'")
    data = json.loads(run(f"phone screen {mrn} -f json").stdout)
    mine = next(row for row in data["lab"]["recent"] if row["result"] == result)
    assert mine["waiting_for"] == "telling the patient"
    assert mine["provider_says"] == "recheck in 3 months"
    text = run(f"phone screen {mrn}").stdout
    row = next(line for line in text.splitlines() if line.split()[:1] == [str(result)])
    assert row.rstrip().endswith("waiting for telling the patient  recheck in 3 months")
    assert [row["test"] for row in data["lab"]["pending"]] == ["Lipid panel"]
    positions = [text.index(heading) for heading in ("Recent results", "Lab results (", "Open")]
    assert positions == sorted(positions)
    # The screen's view is one audit row, for this patient; the lab section adds none.
    before = store.scalar("SELECT max(id) FROM audit")
    run(f"phone screen {mrn}")
    added = store.query("SELECT action, patient_id FROM audit WHERE id > ?", [before])
    patient_id = store.scalar("SELECT id FROM patients WHERE mrn = ?", [mrn])
    assert added == [{"action": "phone.screen", "patient_id": patient_id}]
