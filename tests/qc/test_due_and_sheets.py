"""`qc due` (and the same lines in `macli today`), and the inspector's PDF sheets."""

import json

import pypdf
import pytest

from tests.conftest import dump


def page_text(path):
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


def drawn_lines(path):
    """How many straight-line path operators the pages draw (the chart is made of them)."""
    total = 0
    for page in pypdf.PdfReader(str(path)).pages:
        total += page.get_contents().get_data().decode("latin-1").count(" l S")
    return total


@pytest.fixture
def lab(run, fridge):
    run("qc sterilizer add Autoclave")
    return fridge


def test_due_on_a_morning_with_no_check(run, lab):
    rows = json.loads(run("qc due -f json").stdout)
    assert {(r["kind"], r["subject"]) for r in rows} == {
        ("temperature check", "fridge 'Vaccines'"),
        ("spore test due", "Autoclave"),
    }
    run("qc temp Vaccines --min 3C --max 6C")
    run("qc spore Autoclave --result pass --bi-lot BI-1 --control pass")
    assert run("qc due").stdout.strip() == "Nothing due: every check is done."
    # A week later the spore test is due, and a day after that it is late.
    later = json.loads(run("--now 2026-12-03T09:00 qc due -f json").stdout)
    assert ("spore test due", "Autoclave") in {(r["kind"], r["subject"]) for r in later}
    late = json.loads(run("--now 2026-12-04T09:00 qc due -f json").stdout)
    assert ("spore test late", "Autoclave") in {(r["kind"], r["subject"]) for r in late}


def test_due_lists_open_excursions_and_recalled_packs_and_today_shows_them(run, lab):
    run("qc temp Vaccines --min 3C --max 11.2C")
    run(
        "qc cycle Autoclave --contents trays --packs 2 --pack-type tray --temp 121C"
        " --minutes 30 --chemical pass --at 'today 07:00'"
    )
    run("qc spore Autoclave --result fail --bi-lot BI-1")
    kinds = [r["kind"] for r in json.loads(run("qc due -f json").stdout)]
    assert kinds == ["excursion", "out of service", "recalled packs"]
    sheet = run("today").stdout
    assert "Lab upkeep (3)" in sheet and "Vaccines (excursion 1)" in sheet
    assert "S1-0001-01, S1-0001-02" in sheet
    assert len(json.loads(run("today -f json").stdout)["lab"]) == 3


def test_unit_sheet_has_range_chart_checks_missing_days_and_excursions(run, lab, tmp_path, db_path):
    run("qc temp Vaccines --min 3.1C --max 6.4C --at '2026-11-02 08:00'")
    run("qc temp Vaccines --min 38F --max 44F --at '2026-11-03 08:10'")
    run("qc temp Vaccines --min 3C --max 11.2C --at '2026-11-24 08:00'")
    run("qc excursion act 1 --note 'called Apex, ref AV-88121'")
    run("qc excursion release 1 --lot FL1 --why 'Apex: usable'")
    path = tmp_path / "sheet.pdf"
    before = dump(db_path)
    result = run(f"qc sheet Vaccines --month 2026-11 -o {path}")
    assert dump(db_path) == before  # a sheet is read-only
    assert "Wrote the 2026-11 sheet of Vaccines" in result.stdout
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    text = page_text(path)
    for expected in (
        "Temperature log: fridge 'Vaccines', November 2026",
        "Allowed range 2.0..8.0 °C",
        "Daily minimum and maximum against the allowed range",
        "2026-11-02",
        "MISSING",
        "tester",
        "3.33",  # 38 °F
        "Excursion 1 (open)",
        "called Apex, ref AV-88121",
        "released",
        "manufacturer or program contacted",
        "NOT RECORDED",
    ):
        assert expected in text, expected
    assert "Checks recorded on 3 of 26 days" in text  # the 27th onwards is still ahead
    assert drawn_lines(path) >= 3 + 23 * 2  # three day bars, a cross per missing day


def test_sterilizer_sheet(run, lab, tmp_path):
    run(
        "qc cycle Autoclave --contents 'suture sets' --packs 2 --pack-type 'suture set'"
        " --temp 121C --minutes 30 --pressure '15 psi' --chemical pass --at '2026-11-20 10:00'"
    )
    run("qc spore Autoclave --result fail --bi-lot BI-7 --at '2026-11-21 09:00'")
    path = tmp_path / "autoclave.pdf"
    run(f"qc sheet Autoclave --month 2026-11 -o {path}")
    text = page_text(path)
    for expected in (
        "Sterilizer log: Autoclave (steam), November 2026",
        "suture sets",
        "15 psi",
        "BI-7",
        "S1-0001-02",
        "OUT OF SERVICE",
    ):
        assert expected in text, expected


def test_sheet_bad_input(run, lab, tmp_path):
    for args in (
        f"qc sheet Vaccines --month 2026-13 -o {tmp_path / 'a.pdf'}",
        f"qc sheet Nothing --month 2026-11 -o {tmp_path / 'b.pdf'}",
    ):
        result = run(args, expect=1)
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert not list(tmp_path.glob("*.pdf"))
