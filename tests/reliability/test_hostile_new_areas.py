"""The one rule for text (macli/text.py) on the inputs the newer areas add: phone messages,
lab orders and HL7 result files, cold-chain notes and data-logger files, filed documents.
Each refusal is one Error line and commits nothing (`judge`, PRAGMA data_version)."""

from __future__ import annotations

import pytest

from macli.documents import filing
from tests.lab.messages import oru
from tests.reliability.hostile import judge

STEERING = ["\x1b]0;owned\x07", "\x1b[2J", "ab\x08\x08cd", "\x9bm", "a\u2028b"]

# A plausible command for each one-line text option of the newer areas, {} for the text.
ONE_LINE = [
    "phone take P000001 --caller Ana --number +16175550142 --reason refill --note {}",
    "phone take P000001 --caller {} --number +16175550142 --reason refill --note Hi",
    "phone reopen 1 --why {}",
    "lab order P000001 --test 'Basic metabolic panel' --provider chen --note {}",
    "lab cancel LO000001 --reason {}",
    "lab match 1 LO000001 --why {}",
    "qc excursion act 1 --note {}",
    "qc amend 1 --reason {}",
    "chart file add P000001 note.txt --note {}",
]


def _argv(template: str, value: str) -> list[str]:
    import shlex

    return [value if part == "{}" else part for part in shlex.split(template)]


@pytest.mark.parametrize("value", STEERING)
@pytest.mark.parametrize("command", ONE_LINE)
def test_one_line_inputs_of_the_newer_areas_refuse_control_characters(run, demo_db, command, value):
    result = judge(run, demo_db, _argv(command, value))
    assert result.exit_code in (1, 2), (command, result.stdout)
    assert "control characters" in result.stderr or "one line" in result.stderr, result.stderr


@pytest.fixture
def clinic(run):
    run("patient add 'Ana Lima' --dob 1990-01-01")
    run("provider add 'Dr Maya Chen'")
    run("lab test add 'Basic metabolic panel' --loinc 51990-0 --specimen blood --turnaround 24h")
    run("lab order P000001 --test 'Basic metabolic panel' --provider chen")
    run("lab collect LO000001")


@pytest.mark.parametrize("value", STEERING)
@pytest.mark.parametrize(
    "where",
    ["NTE", "family", "unit"],
)
def test_an_hl7_result_carrying_control_characters_is_refused(
    run, db_path, clinic, tmp_path, where, value
):
    observations = [
        "OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L^^UCUM|3.5-5.1|N|||F",
        "NTE|1||Haemolysed sample",
    ]
    if where == "NTE":
        observations[1] = f"NTE|1||Haemolysed {value} sample"
    if where == "unit":
        observations[0] = f"OBX|1|NM|2823-3^Potassium^LN||4.2|mmol{value}/L^^UCUM|3.5-5.1|N|||F"
    family = f"LI{value}MA" if where == "family" else "LIMA"
    message = oru("H1", "LO000001", family=family, observations=observations)
    path = tmp_path / "results.hl7"
    path.write_text(message, encoding="utf-8", newline="")
    result = judge(run, db_path, ["lab", "import", str(path)])
    assert result.exit_code == 1, result.stdout
    assert "results.hl7" in result.stderr, result.stderr
    assert "control characters" in result.stderr or "one line" in result.stderr, result.stderr


def test_a_logger_file_with_a_nul_is_refused_with_its_line(run, demo_db, tmp_path):
    path = tmp_path / "logger.csv"
    path.write_text("Date,Time,Temperature (°C)\n11/24/2026,12:00:00 PM,4.6\x00\n")
    result = judge(run, demo_db, ["qc", "import", "Vaccines", str(path)])
    assert result.exit_code == 1
    assert "NUL byte on line 2" in result.stderr, result.stderr


@pytest.mark.parametrize("value", ["\x1b]0;owned\x07", "\x1b[2J", "ab\x08cd", "\x9b"])
def test_a_pdfs_text_loses_its_control_characters_and_keeps_its_lines(value):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_compression(False)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Referral")
    pdf.ln()
    pdf.cell(text="Seen today")
    data = bytes(pdf.output())
    # The control characters a fax's text layer could hold, put into the page's text.
    planted = data.replace(b"(Seen today)", b"(Seen " + value.encode("latin-1") + b"today)")
    text, state, pages = filing.read_text(planted, "application/pdf", "fax.pdf")
    assert pages == 1 and state == "text"
    assert "Referral" in text and "today" in text and "\n" in text
    assert not any(ch in text for ch in "\x1b\x07\x08\x9b\x00"), repr(text)
