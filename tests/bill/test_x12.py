"""The 837P batch: validated by pyx12's x12n_document, control numbers that never repeat,
and claims or clinic settings that would make a bad file refused before anything is written."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest

from macli import settings
from macli.bill import claims, coverage, payments, superbill, views, x12
from macli.errors import Conflict, Invalid, MacliError
from macli.patients import core as patients
from tests.bill.helpers import NOW, TODAY, USER, ZONE, claimed, coded, send, submitted
from tests.conftest import dump

TWELVE = "J06.9 R05.9 E11.9 I10 Z00.00 M54.50 J02.9 Z23 E78.5 R50.9 N39.0 F41.1".split()


def validate(path) -> tuple[bool, list, str]:
    """pyx12's verdict, every error it reported, and its 999 acknowledgement."""
    import pyx12.params
    import pyx12.x12n_document

    ack, report = io.StringIO(), io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(),
        src_file=str(path),
        fd_997=ack,
        fd_html=None,
        fd_json=report,
    )
    errors = []

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "errors":
                    errors.extend(value)
                else:
                    collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(json.loads(report.getvalue()))
    return ok, errors, ack.getvalue()


def segments(path) -> list[list[str]]:
    return [line.rstrip("~").split("*") for line in path.read_text().splitlines()]


def test_a_batch_of_several_claims_passes_pyx12_with_no_errors(clinic, tmp_path):
    store = clinic.store
    # 1: the subscriber herself, two diagnoses, modifiers, a default modifier.
    claimed(clinic, dx=("J02.9", "R50.9"), lines=("99213:25@1,2", "87880@1"))
    # 2: a child on his mother's plan: the patient loop.
    claimed(
        clinic,
        patient=clinic.leo,
        starts="2026-11-21T15:00:00Z",
        dx=("Z23",),
        lines=("90471", "90686"),
    )
    # 3: twelve diagnoses, a line pointing at four, units.
    claimed(
        clinic,
        starts="2026-11-19T15:00:00Z",
        dx=TWELVE,
        lines=("99214:25@1,2,3,4", "96372x3@L", "G0008@H"),
    )
    # 4: Medicare, accents and an apostrophe in the name, no group.
    siobhan = patients.add(
        store,
        {
            "name": "Siobhán O'Brien",
            "dob": "1950-05-17",
            "sex": "female",
            "address": "7 Harbor Road, Quincy, MA 02169-4021",
        },
        region="US",
        user=USER,
        now=NOW,
        today=TODAY,
    )
    coverage.set_coverage(
        store,
        siobhan["mrn"],
        {
            "payer": "Medicare",
            "payer_id": "MCR01",
            "plan_type": "medicare",
            "member_id": "1EG4TE5MK73",
        },
        user=USER,
        now=NOW,
        today=TODAY,
    )
    claimed(clinic, patient=siobhan, starts="2026-11-18T15:00:00Z", dx=("I10",), lines=("99213",))
    # 5: a denied claim corrected: it replaces the payer's claim.
    denied = submitted(clinic, tmp_path, starts="2026-11-02T15:00:00Z")
    payments.deny(
        store,
        f"C{denied}",
        "CO-4 modifier missing",
        payer_claim_number="2026330000123",
        user=USER,
        now=NOW,
    )
    correction = claims.correct(store, f"C{denied}", user=USER, now=NOW)
    superbill.code_visit(
        store, correction["appointment_id"], ["J02.9"], ["99213:25"], user=USER, now=NOW, tz=ZONE
    )
    claims.make_ready(store, correction["appointment_id"], user=USER, now=NOW, tz=ZONE)

    path = tmp_path / "batch.837"
    result = send(clinic, path)
    assert (result["claims"], result["interchange"]) == (5, 2)
    ok, errors, ack = validate(path)
    assert errors == []
    assert ok is True
    assert "IK5*A~" in ack and "AK9*A*1*1*1~" in ack

    seg = segments(path)
    assert seg[0][13] == "000000002" and seg[-1] == ["IEA", "1", "000000002"]
    assert [s for s in seg if s[0] == "ST"][0][1:] == ["837", "0002", "005010X222A1"]
    se = [s for s in seg if s[0] == "SE"][0]
    st_index = next(i for i, s in enumerate(seg) if s[0] == "ST")
    assert int(se[1]) == seg.index(se) - st_index + 1
    clms = [s for s in seg if s[0] == "CLM"]
    # In order of the date of service.
    assert [c[1] for c in clms] == ["C6", "C4", "C3", "C1", "C2"]
    assert [c[2] for c in clms] == ["95", "95", "255", "113.5", "57.75"]
    assert (
        clms[0][5] == "11:B:7" and clms[1][5] == "11:B:1" and ["REF", "F8", "2026330000123"] in seg
    )
    his = [s for s in seg if s[0] == "HI"]
    assert his[2][1:] == ["ABK:J069"] + [f"ABF:{c.replace('.', '')}" for c in TWELVE[1:]]
    sv1 = [s for s in seg if s[0] == "SV1"]
    assert sv1[5] == ["SV1", "HC:99213:25", "95", "UN", "1", "", "", "1:2"]
    assert sv1[6][1] == "HC:87880:QW"
    assert sv1[2][1:] == ["HC:99214:25", "140", "UN", "1", "", "", "1:2:3:4"]
    assert sv1[3][1:5] == ["HC:96372", "90", "UN", "3"]
    assert ["PAT", "19"] in seg and ["NM1", "QC", "1", "GARCIA", "LEO"] in seg
    assert ["NM1", "IL", "1", "O'BRIEN", "SIOBHAN", "", "", "", "MI", "1EG4TE5MK73"] in seg
    assert ["N4", "BOSTON", "MA", "021101301"] in seg  # the billing provider's ZIP+4
    assert all(c["status"] == "submitted" for c in views.query_rows(store, status="submitted"))
    assert len(views.query_rows(store, status="submitted")) == 5
    assert path.stat().st_mode & 0o777 == 0o600


def test_interchange_numbers_never_repeat_and_a_failed_export_uses_none(clinic, tmp_path, db_path):
    first = claimed(clinic)
    assert send(clinic, tmp_path / "one.837")["interchange"] == 1
    second = claimed(clinic, starts="2026-11-21T15:00:00Z")
    before = dump(db_path)
    # Fails after the number was taken (the folder does not exist): all of it rolls back.
    with pytest.raises(
        MacliError,
        match="cannot write .*missing/two.837: No such file or directory; nothing was exported",
    ):
        send(clinic, tmp_path / "missing" / "two.837")
    assert dump(db_path) == before
    (tmp_path / "taken.837").write_text("someone else's file")
    with pytest.raises(Conflict, match="already exists"):
        send(clinic, tmp_path / "taken.837")
    assert (tmp_path / "taken.837").read_text() == "someone else's file"
    assert dump(db_path) == before
    assert send(clinic, tmp_path / "two.837")["interchange"] == 2
    assert segments(tmp_path / "two.837")[0][13] == "000000002"
    exports = clinic.store.query("SELECT id, claims, file_name FROM bill_exports ORDER BY id")
    assert [(e["id"], e["claims"]) for e in exports] == [(1, 1), (2, 1)]
    assert claims.get(clinic.store, first)["export_id"] == 1
    assert claims.get(clinic.store, second)["export_id"] == 2
    # The record of used numbers cannot be edited or cut, so a number cannot come back.
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with clinic.store.write():
            clinic.store.conn.execute("DELETE FROM bill_exports WHERE id = 2")
    third = claimed(clinic, starts="2026-11-22T15:00:00Z")
    assert send(clinic, tmp_path / "three.837", [third])["interchange"] == 3


def test_missing_clinic_identifiers_are_each_named_before_export(clinic, tmp_path, db_path):
    claimed(clinic)
    with clinic.store.write():
        clinic.store.execute(
            "DELETE FROM settings WHERE key IN ('clinic.npi', 'clinic.tax_id', 'bill.receiver_id')"
        )
    settings.put(
        clinic.store, "clinic.address", "100 Example Street, Boston, MA 02110", user=USER, now=NOW
    )
    before = dump(db_path)
    with pytest.raises(Invalid) as raised:
        send(clinic, tmp_path / "batch.837")
    message = raised.value.message
    assert message.startswith("nothing was exported: ")
    for problem in (
        "clinic.npi is not set (macli config set clinic.npi NUMBER)",
        "clinic.tax_id is not set to a nine-digit EIN",
        "clinic.address needs the nine-digit ZIP+4",
        "bill.receiver_id is not set",
    ):
        assert problem in message
    assert dump(db_path) == before
    assert not (tmp_path / "batch.837").exists()


def test_a_malformed_claim_is_caught_before_export(clinic, tmp_path, db_path):
    good = claimed(clinic)
    broken = claimed(clinic, patient=clinic.leo, starts="2026-11-21T15:00:00Z")
    # The patient's address was cleared after the claim was made ready...
    patients.edit(
        clinic.store,
        clinic.leo["mrn"],
        {"address": ""},
        region="US",
        user=USER,
        now=NOW,
        today=TODAY,
    )
    # ...and a line's pointer was damaged behind macli's back.
    with clinic.store.write():
        clinic.store.execute("DROP TRIGGER bill_claim_lines_draft_only_update")
        clinic.store.execute(
            "UPDATE bill_claim_lines SET pointers = '1:7' WHERE claim_id = ?", [broken]
        )
    # ...and the visit was marked a no-show by mistake (past the store's own guard).
    with clinic.store.write():
        clinic.store.execute("DROP TRIGGER appointments_claimed_stay_completed")
        clinic.store.execute(
            "UPDATE appointments SET status = 'no-show' WHERE id = ?",
            [claims.get(clinic.store, broken)["appointment_id"]],
        )
    before = dump(db_path)
    with pytest.raises(Invalid) as raised:
        send(clinic, tmp_path / "batch.837", all_or_nothing=True)
    message = raised.value.message
    assert f"C{broken}: appointment 2 is no-show, not completed" in message
    assert f"C{broken} line 1 (99213) points past the only diagnosis" in message
    assert f"C{broken}: P000002's address is missing" in message
    assert f"C{good}" not in message
    assert dump(db_path) == before
    assert not (tmp_path / "batch.837").exists()


def test_only_ready_claims_are_sent(clinic, tmp_path, db_path):
    draft = coded(clinic)
    draft_claim = superbill.current_claim(clinic.store, draft)["id"]
    before = dump(db_path)
    with pytest.raises(Invalid, match="no claims are ready to send"):
        send(clinic, tmp_path / "batch.837")
    with pytest.raises(Invalid, match=f"C{draft_claim} is draft, not ready"):
        send(clinic, tmp_path / "batch.837", [draft_claim])
    with pytest.raises(Invalid, match="no claim C42"):
        send(clinic, tmp_path / "batch.837", [42])
    assert dump(db_path) == before


@pytest.mark.parametrize(
    "value, expected",
    [
        ("García-López", "GARCIA-LOPEZ"),
        ("A*B~C:D^E", "A B C D E"),
        ("  o'brien  jr ", "O'BRIEN JR"),
    ],
)
def test_text_is_cleaned_to_the_x12_character_set(value, expected):
    assert x12.text(value, 60) == expected


@pytest.mark.parametrize(
    "cents, expected", [(15000, "150"), (15050, "150.5"), (15055, "150.55"), (25, "0.25"), (0, "0")]
)
def test_amounts_are_exact_decimals(cents, expected):
    assert x12.amount(cents) == expected
