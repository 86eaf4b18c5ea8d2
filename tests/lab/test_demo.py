"""The demo lab gives every lab list something to show, dated as it would have happened."""

import json


def test_demo_lab_has_a_critical_to_review_an_overdue_test_and_poc_with_controls(demo_db, run):
    inbox = json.loads(run("lab inbox -f json").stdout)
    critical = [row for row in inbox if row["flags"].startswith("CRITICAL")]
    assert len(critical) == 1 and "Potassium HH" in critical[0]["flags"]
    assert inbox[0] == critical[0]
    assert any("H" in row["flags"] or "L" in row["flags"] for row in inbox[1:])
    overdue = json.loads(run("lab pending --overdue -f json").stdout)
    assert len(overdue) == 1 and overdue[0]["test"] == "CBC" and overdue[0]["state"] == "sent"
    controls = json.loads(run("lab controls -f json").stdout)
    assert {row["test"] for row in controls} >= {"Rapid strep", "Glucose meter"}
    assert {row["result"] for row in controls} == {"pass"}
    tests = {row["loinc"] for row in json.loads(run("lab test list -f json").stdout)}
    assert {"58410-2", "24323-8", "4548-4", "78012-2", "34534-8"} <= tests
    # Older results were reviewed and told; the day sheet leads with the critical one.
    assert (
        json.loads(run("sql 'SELECT COUNT(*) AS n FROM lab_notifications' -f json").stdout)[0]["n"]
        > 10
    )
    assert "CRITICAL RESULTS (1)" in run("today").stdout.splitlines()[2]


def test_demo_lab_never_writes_after_now(demo_db, run):
    rows = json.loads(
        run(
            'sql "SELECT MAX(m) AS latest FROM (SELECT MAX(recorded_at) AS m FROM lab_results'
            " UNION SELECT MAX(at) FROM lab_reviews UNION SELECT MAX(at) FROM lab_notifications"
            ' UNION SELECT MAX(collected_at) FROM lab_specimens UNION SELECT MAX(at) FROM lab_controls)"'
            " -f json"
        ).stdout
    )
    assert rows[0]["latest"] <= "2026-11-26T14:00:00Z"
