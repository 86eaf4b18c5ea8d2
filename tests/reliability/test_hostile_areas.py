"""Hostile input to the areas' commands (hypothesis): vitals and their units, ICD codes,
results, bookings with any time and RRULE, blocks, expenses and statement imports.
Every input works, or fails with one `Error:` line and the store exactly as before."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from macli.money import parse_amount
from tests.reliability.hostile import (
    AMOUNTS,
    DATE,
    FUZZ,
    NASTY,
    WHEN,
    argv,
    argv_text,
    either,
    judge,
    options,
)


@pytest.fixture
def clinic(run):
    run("patient add 'Ana Lima' --dob 1984-03-02 --phone 617-555-0142")
    run("provider add 'Dr Maya Chen'")
    run("expense category add supplies:office")


# -- chart ----------------------------------------------------------------------------

VITALS = options(
    bp=either("120/80", "300/20", "80/120", "0/0", pattern=r"\d{1,4}/\d{1,4}"),
    pulse=either("72", "0", "400", "-1", "72.5", pattern=r"-?\d{1,5}(\.\d{1,3})?"),
    resp=either("16", "0", "99"),
    temp=either(
        "98.6F", "37C", "37", "98.6", "-40F", "1000C", "37.0c", pattern=r"\d{1,4}(\.\d)?[FC]?"
    ),
    spo2=either("98", "100", "101", "0", "98%"),
    weight=either("180lb", "81.6kg", "12lb4oz", "3500g", "0kg", "1e3kg", "180", "lb", "5lb20oz"),
    height=either("70in", "5ft10in", "5'10\"", "178cm", "1.78m", "0cm", "99ft", "5ft13in"),
    pain=either("0", "10", "11", "-1", "5.5"),
    at=WHEN,
)


@FUZZ
@given(VITALS, st.booleans())
@example({"temp": "1e309F"}, False)
@example({"weight": "99999999999999999999lb"}, True)
def test_any_vitals(run, db_path, clinic, chosen, confirm):
    args = argv(["chart", "vitals", "P000001"], chosen) + (["--confirm"] if confirm else [])
    if judge(run, db_path, args).exit_code == 0:
        listed = json.loads(run("chart vitals P000001 --list -f json").stdout)
        assert listed


PROBLEM = options(
    icd=either(
        "E11.9",
        "I10",
        "E11",
        "M54.5",
        "S72.001A",
        "S72.001",
        "e11.9",
        " E11.9 ",
        "E11.9X",
        pattern=r"[A-Z]\d{2}(\.[0-9A-Z]{1,4})?",
    ),
    onset=DATE,
    note=argv_text(),
)
RESULT = options(
    value=either("7.2", "<0.1", "positive", "1e400"),
    unit=either("%", "mg/dL", "mmol/L"),
    range=either(
        "4.0-5.6",
        "<5.7",
        ">60",
        "5.6-4.0",
        "-1--2",
        "4-",
        pattern=r"[<>]?-?\d{1,3}(\.\d)?(-\d{1,3})?",
    ),
    loinc=either("4548-4", "4548-5", "8480-6", "0-0", "99999999-9"),
    at=WHEN,
)


@FUZZ
@given(PROBLEM, RESULT, argv_text(), argv_text())
def test_any_problem_result_note_and_icd_search(
    run, db_path, clinic, tmp_path_factory, problem, result, test, text
):
    judge(run, db_path, argv(["chart", "problem", "add", "P000001"], problem))
    judge(run, db_path, argv(["chart", "result", "add", "P000001", "--test", test], result))
    judge(run, db_path, ["chart", "note", "add", "P000001", "--text", text])
    note = tmp_path_factory.mktemp("note") / "note.txt"
    note.write_bytes(text.encode("utf-8", "surrogateescape") + b"\xff\xfe" * (len(text) % 2))
    judge(run, db_path, ["chart", "note", "add", "P000001", "--file", str(note)])
    judge(run, db_path, ["chart", "icd", "search", text])


# -- schedule ---------------------------------------------------------------------------

RRULE_PARTS = {
    "FREQ": ["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", "SECONDLY", "daily", "X"],
    "COUNT": ["0", "1", "3", "201", "-1", "99999999999999999999", "x"],
    "INTERVAL": ["0", "1", "2", "-1", "1000000000", "x"],
    "UNTIL": [
        "20261231",
        "20261130T150000Z",
        "00010101T000000Z",
        "99991231T235959Z",
        "99991231",
        "20260230",
        "2026-12-31",
        "19000101",
    ],
    "BYDAY": ["MO,WE", "1MO", "-1FR", "XX", "53MO", "MO,MO"],
    "BYMONTHDAY": ["31", "-1", "0", "32"],
    "BYSETPOS": ["1", "-1", "0", "400"],
    "WKST": ["SU", "XX"],
    "BYHOUR": ["9", "25"],
}


@st.composite
def rrules(draw):
    names = draw(st.lists(st.sampled_from(sorted(RRULE_PARTS)), unique=True, max_size=5))
    if draw(st.booleans()):
        names = ["FREQ", *[name for name in names if name != "FREQ"]]
    return ";".join(f"{name}={draw(st.sampled_from(RRULE_PARTS[name]))}" for name in names)


BOOKING = options(
    duration=either("15", "0", "-5", "1441", "99999999999999999999", "15.5"),
    repeat=st.one_of(rrules(), argv_text()),
    room=argv_text(),
    reason=argv_text(),
    type=argv_text(),
)


@FUZZ
@given(WHEN, BOOKING)
@example("2026-12-01 09:00", {"repeat": "FREQ=DAILY;INTERVAL=-1;COUNT=2", "duration": "15"})
@example("2026-12-01 09:00", {"repeat": "FREQ=DAILY;UNTIL=00010101T000000Z", "duration": "15"})
@example("0001-01-01 00:00", {})
def test_any_booking(run, db_path, clinic, at, chosen):
    args = ["schedule", "add", "P000001", "--provider", "chen", "--at", at, "-q"]
    result = judge(run, db_path, argv(args, chosen))
    if result.exit_code == 0:
        for appointment in result.stdout.split():
            judge(run, db_path, ["schedule", "show", appointment])


@FUZZ
@given(WHEN, WHEN, argv_text(), either("30", "0", "-1", "100000"), either("1", "0", "400"))
@example("0001-01-01", "2026-11-26 08:30", "", "30", "1")
def test_any_block_move_and_search_for_free_time(
    run, db_path, clinic, start, end, text, minutes, days
):
    judge(
        run, db_path, ["schedule", "block", "chen", "--from", start, "--to", end, "--reason", text]
    )
    judge(
        run,
        db_path,
        [
            "schedule",
            "free",
            "chen",
            "--on",
            (start.split() or [""])[0],
            "--minutes",
            minutes,
            "--days",
            days,
        ],
    )
    judge(run, db_path, ["schedule", "day", (start.split() or [""])[0]])
    booked = run(
        ["schedule", "add", "P000001", "--provider", "chen", "--at", "2026-12-02 11:00", "-q"],
        expect=None,
    )
    if booked.exit_code == 0:
        judge(run, db_path, ["schedule", "move", booked.stdout.strip(), "--at", end])
        judge(run, db_path, ["schedule", "cancel", booked.stdout.strip(), "--reason", text])


@FUZZ
@given(DATE, DATE)
@example("9999-12-31", "0001-01-01")
def test_any_schedule_view(run, db_path, clinic, tmp_path_factory, first, last):
    calendar = tmp_path_factory.mktemp("ics") / "out.ics"
    judge(run, db_path, ["schedule", "week", first])
    judge(run, db_path, ["schedule", "list", "--from", first, "--to", last])
    judge(run, db_path, ["schedule", "export", "--from", first, "--to", last, "-o", str(calendar)])


PERIOD = options(
    month=either("2026-11", "9999-12", "0000-01", "2026-13", pattern=r"\d{4}-\d{2}"),
    year=either("2026", "9999", "0000", "0", pattern=r"\d{4}"),
    start=DATE,
    end=DATE,
)


@FUZZ
@given(
    PERIOD,
    st.sampled_from([["list"], ["report"], ["report", "--by", "month"], ["report", "--budget"]]),
)
@example({"month": "9999-12"}, ["list"])
@example({"month": "0000-01"}, ["report"])
def test_any_expense_period(run, db_path, clinic, chosen, command):
    chosen = {("from" if k == "start" else "to" if k == "end" else k): v for k, v in chosen.items()}
    judge(run, db_path, argv(["expense", *command], chosen))


# -- expenses -----------------------------------------------------------------------------


@FUZZ
@given(
    AMOUNTS,
    options(
        vendor=argv_text(), memo=argv_text(), date=DATE, method=either("card", "cash", "bitcoin")
    ),
    argv_text(),
)
@example("$1,234.56", {}, "supplies:office")
@example("99999999999999999999.99", {}, "supplies:office")
def test_any_expense(run, db_path, clinic, amount, chosen, category):
    args = argv(["expense", "add", amount, "-c", category], chosen)
    result = judge(run, db_path, args)
    if result.exit_code == 0:
        stored = json.loads(run(["expense", "show", result.stdout.strip(), "-f", "json"]).stdout)
        assert stored["amount_cents"] if "amount_cents" in stored else True
        text = run(
            [
                "sql",
                f"SELECT amount_cents FROM expenses WHERE id = {int(result.stdout)}",
                "-f",
                "csv",
            ]
        ).stdout
        assert int(text.split()[1]) == parse_amount(amount)


@st.composite
def statements(draw) -> bytes:
    header = draw(
        st.sampled_from(
            [["Date", "Description", "Amount"], ["date", "desc", "amount", "extra"], []]
        )
    )
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        width = draw(st.one_of(st.just(len(header) or 3), st.integers(0, 5)))
        rows.append(
            [
                draw(
                    st.one_of(
                        st.sampled_from(
                            ["2026-11-01", "11/01/2026", "2026-02-30", "", *NASTY[:20]]
                        ),
                        st.text(max_size=10),
                    )
                )
                if i == 0
                else draw(st.one_of(AMOUNTS, st.sampled_from(NASTY), st.just("x" * 140_000)))
                for i in range(width)
            ]
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(
        draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"])), errors="replace"
    )
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=6)) + data[cut:]
    return data


@FUZZ
@given(
    statements(),
    st.tuples(
        either("Date", "1", "0", "9"), either("Amount", "3", "-1"), either("Description", "2")
    ),
    either("%Y-%m-%d", "%m/%d/%Y", "%", "%Q", "", "%s"),
    st.booleans(),
)
@example(
    b"Date,Description,Amount\n2026-11-01,Coffee,$3.50\n",
    ("Date", "Amount", "Description"),
    "%Y-%m-%d",
    False,
)
def test_any_statement_import(
    run, db_path, clinic, tmp_path_factory, data, columns, date_format, negate
):
    path = tmp_path_factory.mktemp("statement") / "statement.csv"
    path.write_bytes(data)
    date_col, amount_col, desc_col = columns
    args = ["expense", "import", str(path), "--date-col", date_col, "--amount-col", amount_col]
    args += ["--desc-col", desc_col, "--date-format", date_format] + (
        ["--negate"] if negate else []
    )
    judge(run, db_path, args)
    if judge(run, db_path, args).exit_code == 0:
        # Importing the same statement again adds nothing.
        again = judge(run, db_path, args)
        assert again.exit_code == 0
