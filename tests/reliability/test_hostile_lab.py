"""Hostile HL7 files to `macli lab import` (hypothesis): any field of a hand-written ORU^R01
message replaced by anything, segments cut or doubled, any bytes. Every file imports, or is
refused with one `Error:` line naming it and nothing committed; importing it again adds
nothing."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.lab.messages import oru
from tests.reliability.hostile import FUZZ, NASTY, judge


@pytest.fixture
def clinic(run):
    run("patient add 'Ana Lima' --dob 1990-01-01")
    run("provider add 'Dr Maya Chen'")
    run("lab test add 'Basic metabolic panel' --loinc 51990-0 --specimen blood --turnaround 24h")
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab collect LO000001")


FIELD_TEXT = st.one_of(
    st.sampled_from(NASTY + ["HH", "C", "X", "99999999999999", "1e309", "-0", "2823-3", "^^^"]),
    st.text(max_size=30),
)


def _mutated(segment: int, field: int, value: str, cut: bool, doubled: bool) -> str:
    segments = oru("H1", "LO000001").rstrip("\r").split("\r")
    segment %= len(segments)
    fields = segments[segment].split("|")
    if fields[0] != "MSH" or field % len(fields) > 1:  # MSH-1/2 are the separators
        fields[field % len(fields)] = value
    segments[segment] = "|".join(fields)
    if cut:
        segments = segments[: segment + 1]
    if doubled:
        segments.insert(segment, segments[segment])
    return "\r".join(segments) + "\r"


@FUZZ
@given(
    st.integers(0, 7),
    st.integers(0, 30),
    FIELD_TEXT,
    st.booleans(),
    st.booleans(),
)
@example(4, 5, "high", False, False)  # OBX-5 not a number
@example(3, 25, "Z", False, False)  # OBR-25 unknown status
@example(1, 7, "19900231", False, False)  # PID-7 not a date
@example(0, 8, "ADT^A01", False, False)  # MSH-9 another message type
@example(0, 9, "", False, False)  # MSH-10 empty
@example(3, 2, "LO000099", False, False)  # OBR-2 no such order: quarantined
def test_any_mangled_result_message(
    run, db_path, clinic, tmp_path_factory, segment, field, value, cut, doubled
):
    path = tmp_path_factory.mktemp("hl7") / "results.hl7"
    path.write_text(_mutated(segment, field, value, cut, doubled), encoding="utf-8", newline="")
    first = judge(run, db_path, ["lab", "import", str(path)])
    if first.exit_code:
        assert "results.hl7" in first.stderr or "cannot read" in first.stderr, first.stderr
    else:
        again = judge(run, db_path, ["lab", "import", str(path)])
        assert again.exit_code == 0 and "1 already imported" in again.stdout, again.stdout


@FUZZ
@given(st.binary(max_size=400))
@example(b"MSH|^~\\&|\r")
@example(b"\x0bMSH\x1c")
def test_any_bytes_as_a_result_file(run, db_path, clinic, tmp_path_factory, data):
    path = tmp_path_factory.mktemp("hl7") / "any.hl7"
    path.write_bytes(data)
    judge(run, db_path, ["lab", "import", str(path)])
