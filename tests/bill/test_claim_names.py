"""Names in any script on a claim: a name X12 cannot carry stops that claim before export
with the reason and the fix; a romanised claim name lets it go; nothing is marked
submitted that was not written with every name in it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from macli.bill import claims, coverage, x12
from macli.errors import Invalid
from macli.patients import core as patients
from macli.text import ascii_form
from tests.bill.helpers import NOW, TODAY, USER, ZONE, claimed, coded, send
from tests.bill.test_x12 import segments, validate
from tests.conftest import dump

SCRIPTS = ["王伟", "Иван Петров", "محمد علي", "김민준", "Γιώργος Παπαδόπουλος", "יוסף כהן"]


def _insured(clinic, name: str) -> dict:
    common = {"region": "US", "user": USER, "now": NOW, "today": TODAY}
    patient = patients.add(
        clinic.store,
        {
            "name": name,
            "dob": "1980-01-02",
            "sex": "male",
            "address": "5 Oak Road, Boston, MA 02110",
        },
        **common,
    )
    coverage.set_coverage(
        clinic.store,
        patient["mrn"],
        {"payer": "Blue Harbor PPO", "member_id": "XJH999000111"},
        user=USER,
        now=NOW,
        today=TODAY,
    )
    return patient


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_name_x12_cannot_carry_stops_the_claim_with_the_fix(clinic, name):
    patient = _insured(clinic, name)
    appointment = coded(clinic, patient=patient)
    with pytest.raises(Invalid) as refused:
        claims.make_ready(clinic.store, appointment, user=USER, now=NOW, tz=ZONE)
    message = refused.value.message
    assert "cannot be written on a claim" in message
    assert f"macli patient edit {patient['mrn']} --claim-name" in message


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_claim_name_in_latin_letters_lets_the_claim_go(clinic, tmp_path, name):
    patient = _insured(clinic, name)
    patients.edit(
        clinic.store,
        patient["mrn"],
        {"claim_name": "Wang Wei"},
        region="US",
        user=USER,
        now=NOW,
        today=TODAY,
    )
    claim = claimed(clinic, patient=patient)
    path = tmp_path / "batch.837"
    send(clinic, path, [claim])
    subscriber = [s for s in segments(path) if s[:2] == ["NM1", "IL"]][0]
    assert subscriber[3:5] == ["WEI", "WANG"]
    ok, errors, _ = validate(path)
    assert ok and not errors


def test_a_claim_name_must_itself_be_latin(clinic):
    with pytest.raises(Invalid, match="Latin letters"):
        patients.edit(
            clinic.store,
            clinic.ana["mrn"],
            {"claim_name": "王伟"},
            region="US",
            user=USER,
            now=NOW,
            today=TODAY,
        )


def test_the_batch_never_marks_submitted_a_claim_it_could_not_write(clinic, tmp_path, db_path):
    good = claimed(clinic)
    patient = _insured(clinic, "Wang Wei")
    other = claimed(clinic, patient=patient, starts="2026-11-21T14:00:00Z")
    # The patient's name is changed to one in another script after the claim was ready.
    with clinic.store.write():
        clinic.store.execute("UPDATE patients SET name = '王伟' WHERE id = ?", [patient["id"]])
    path = tmp_path / "batch.837"
    result = send(clinic, path, [good, other])
    assert result["claims"] == 1
    [held] = result["held"]
    assert held["claim"] == f"C{other}"
    assert any("--claim-name" in reason for reason in held["problems"])
    status = dict(clinic.store.conn.execute("SELECT id, status FROM bill_claims").fetchall())
    assert status[good] == "submitted" and status[other] == "ready"
    assert "WANG" not in path.read_text() and "GARCIA" in path.read_text()
    ok, errors, _ = validate(path)
    assert ok and not errors
    # Alone, it stops the batch: nothing is written, nothing changes.
    before = dump(db_path)
    with pytest.raises(Invalid, match=f"C{other}: .*cannot be written on a claim"):
        send(clinic, tmp_path / "again.837", [other])
    assert dump(db_path) == before
    assert not (tmp_path / "again.837").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subscriber_name", "Анна Иванова"),
        ("payer_name", "平安保险"),
        ("member_id", "ИД12345"),
        ("group_number", "グループ1"),
    ],
)
def test_every_free_text_element_is_checked(clinic, field, value):
    from macli.bill import views

    [claim] = views.query_rows(clinic.store, claim_ids=[claimed(clinic)])
    row = {**claim, "relation": "child", "subscriber_name": "Ana Garcia", field: value}
    problems = claims.claim_problems(clinic.store, row)
    assert any("a claim cannot carry" in p for p in problems), problems


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_x12_text_keeps_only_its_character_set_and_flags_what_is_lost(value):
    written = x12.text(value, 60)
    assert all(ch in x12._ALLOWED for ch in written)
    kept, lost = ascii_form(value)
    assert x12.unwritable(value) == lost
    for character in value:
        if character.isalnum() and character not in lost:
            assert ascii_form(character)[0].strip(), character


def test_an_empty_name_in_the_written_batch_stops_it():
    content = "NM1*IL*1**WANG****MI*X~\nNM1*85*2*CLINIC*****XX*1~\n"
    assert x12.unwritten(content) == ["an NM1*IL name is empty"]
