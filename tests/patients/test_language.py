"""A patient's language (BCP 47) and interpreter need, as the desk sees them on the
patient record, the reminder call list and the day sheet."""

import json

import pytest

from tests.conftest import dump


@pytest.fixture
def booked(demo_db, store):
    """A demo patient with a phone-call reminder for an appointment today, no language."""
    return store.one(
        "SELECT p.mrn, p.name FROM reminders r JOIN patients p ON p.id = r.patient_id"
        " JOIN appointments a ON a.id = r.appointment_id"
        " WHERE r.channel = 'phone' AND a.status = 'scheduled' AND p.language IS NULL"
        " AND a.starts_at >= '2026-11-26T05:00:00Z' AND a.starts_at < '2026-11-27T05:00:00Z'"
        " ORDER BY a.starts_at LIMIT 1"
    )


def _line(text: str, mrn: str) -> str:
    return next(line for line in text.splitlines() if mrn in line)


@pytest.mark.parametrize(
    "given, stored, shown",
    [
        ("es", "es", "Spanish (es)"),
        ("pt-br", "pt-BR", "Portuguese (Brazil) (pt-BR)"),
        ("vi", "vi", "Vietnamese (vi)"),
    ],
)
def test_a_language_is_stored_in_standard_form_and_named(run, booked, given, stored, shown):
    run(f"patient edit {booked['mrn']} --language {given} --interpreter")
    record = json.loads(run(f"patient show {booked['mrn']} -f json").stdout)
    assert record["language"] == stored
    text = run(f"patient show {booked['mrn']}").stdout
    assert shown in text and "needed" in text
    run(["patient", "edit", booked["mrn"], "--language", ""])  # an empty code clears it
    assert json.loads(run(f"patient show {booked['mrn']} -f json").stdout)["language"] is None


def test_the_call_list_and_the_day_sheet_say_interpreter_where_needed(run, booked):
    mrn = booked["mrn"]
    assert "interpreter" not in _line(run("remind calls").stdout, mrn)
    assert "interpreter" not in _line(run("today").stdout, mrn)
    run(f"patient edit {mrn} --language es")  # a language alone needs no interpreter
    assert "interpreter" not in _line(run("today").stdout, mrn)
    run(f"patient edit {mrn} --interpreter")
    assert "interpreter: Spanish" in _line(run("remind calls").stdout, mrn)
    assert "interpreter: Spanish" in _line(run("today").stdout, mrn)
    run(f"patient edit {mrn} --no-interpreter")
    assert "interpreter" not in _line(run("remind calls").stdout, mrn)


@pytest.mark.parametrize("code", ["spanish", "xx-YY-123", "zxx", "und"])
def test_a_code_that_is_not_a_language_is_refused(run, booked, db_path, code):
    before = dump(db_path)
    result = run(f"patient edit {booked['mrn']} --language {code} --interpreter", expect=1)
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert dump(db_path) == before
