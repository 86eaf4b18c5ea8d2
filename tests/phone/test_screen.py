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
