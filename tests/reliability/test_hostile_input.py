"""Hostile input through the CLI (hypothesis): every input either works, or gets exactly
one `Error:` line with exit 1 or 2, no traceback, and the store exactly as before."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from macli.errors import Invalid
from macli.money import MAX_CENTS, cents_text, parse_amount
from macli.patients.core import IMPORT_COLUMNS
from macli.settings import SETTINGS
from macli.when import (
    duration_text,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_now,
    parse_time,
    zone,
)
from tests.reliability.hostile import FUZZ, NASTY, argv_text, judge

NEW_YORK = zone("America/New_York")
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


@pytest.fixture
def registered(run):
    """A store with a few patients and a provider, so look-ups have something to find."""
    run("patient add 'Ana Lima' --dob 1984-03-02 --phone 617-555-0142 --consent sms")
    run("patient add 'José Núñez' --dob 1990-07-04 --email jose@example.org")
    run("provider add 'Dr Maya Chen' --title MD")


def maybe(strategy):
    return st.one_of(st.none(), strategy)


# -- the parsers: a value or Invalid, never anything else -------------------------------


def refuses_cleanly(parse, *args):
    try:
        return parse(*args)
    except Invalid:
        return None


@FUZZ
@given(st.one_of(argv_text(), st.integers().map(str), st.decimals(places=3).map(str)))
@example("9" * 400)
@example("0" * 5000 + "1")
@example("1" + "0" * 5000)
@example("$1,234.56")
def test_amounts_parse_exactly_or_are_refused(text):
    cents = refuses_cleanly(parse_amount, text)
    if cents is not None:
        assert isinstance(cents, int)
        assert parse_amount(cents_text(cents)) == cents


@FUZZ
@given(st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS))
def test_every_cent_amount_round_trips(cents):
    assert parse_amount(cents_text(cents)) == cents


@FUZZ
@given(st.one_of(argv_text(), st.from_regex(r"\A(\d{1,25}(w|d|h|m|min|s)){1,3}\Z")))
@example("99999999999999999d")
@example("210000000d")
@example("0m")
def test_durations_parse_to_a_positive_span_or_are_refused(text):
    span = refuses_cleanly(parse_duration, text)
    if span is not None:
        assert span > timedelta(0)
        assert parse_duration(duration_text(span)) == span


@FUZZ
@given(argv_text())
@example("+999999999d")
@example("-99999999w")
def test_dates_and_times_parse_or_are_refused(text):
    refuses_cleanly(parse_date, text, date(2026, 11, 26))
    refuses_cleanly(parse_date, text)
    refuses_cleanly(parse_time, text)
    refuses_cleanly(parse_datetime, text, NEW_YORK, NOW)
    instant = refuses_cleanly(parse_now, text, NEW_YORK)
    if instant is not None:
        assert instant.tzinfo is not None


@FUZZ
@given(
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
    ).map(lambda moment: moment.isoformat())
)
@example("9999-12-31T23:59:00-05:00")
@example("0001-01-01T00:00:00+05:00")
def test_clock_and_dates_at_the_edges_of_the_calendar(text):
    refuses_cleanly(parse_now, text, NEW_YORK)
    refuses_cleanly(parse_datetime, text, NEW_YORK, NOW)


# -- through the CLI --------------------------------------------------------------------


@FUZZ
@given(st.one_of(argv_text(), st.datetimes().map(datetime.isoformat)))
@example("9999-12-31T23:59")
@example("0001-01-01T00:00+05:00")
def test_any_clock_on_the_command_line(run, db_path, registered, text):
    if judge(run, db_path, ["--now", text, "patient", "list", "-f", "json"]).exit_code == 0:
        # What was stamped with that clock reads back.
        judge(run, db_path, ["--now", text, "audit", "list", "--since", "2026-01-01"])
        judge(run, db_path, ["--now", text, "audit", "list", "--since", "today"])


@FUZZ
@given(
    name=st.one_of(st.sampled_from(["Ana Lima", "Lima, Ana", "Mary-Jo O'Neil"]), argv_text()),
    dob=st.one_of(st.sampled_from(["1984-03-02", "2026-11-26", "1880-01-01"]), argv_text()),
    options=st.dictionaries(
        st.sampled_from(
            ["--sex", "--phone", "--email", "--prefers", "--address", "--insurance", "--consent"]
        ),
        st.one_of(
            st.sampled_from(["f", "sms,email", "617-555-0199", "a@example.org", "sms"]),
            argv_text(),
        ),
    ),
)
@example(name="Ana Lima", dob="1984-03-02", options={"--address": "\udcff"})
def test_registering_anyone(run, db_path, name, dob, options):
    argv = ["patient", "add", name, "--dob", dob, "--allow-duplicate"]
    for option, value in options.items():
        argv += [option, value]
    result = judge(run, db_path, argv)
    if result.exit_code == 0:
        mrn = result.stdout.strip()
        shown = json.loads(run(["patient", "show", mrn, "-f", "json"]).stdout)
        assert shown["mrn"] == mrn


@FUZZ
@given(
    field=st.sampled_from(
        ["--name", "--dob", "--sex", "--phone", "--email", "--prefers", "--address"]
    ),
    value=argv_text(),
    who=st.one_of(st.sampled_from(["P000001", "ana", "lima"]), argv_text()),
)
def test_editing_anyone(run, db_path, registered, field, value, who):
    judge(run, db_path, ["patient", "edit", who, field, value])


@FUZZ
@given(
    text=argv_text(),
    command=st.sampled_from(
        [
            ["patient", "list", "--search"],
            ["patient", "show"],
            ["audit", "list", "--patient"],
            ["audit", "list", "--since"],
            ["export", "patients", "--since"],
            ["export", "consents", "--since"],
            ["patient", "consent", "P000001", "--give"],
            ["patient", "consent", "P000001", "--give", "sms", "--source"],
            ["provider", "add"],
            ["provider", "add", "Dr Who", "--npi"],
            ["provider", "edit", "Chen", "--color"],
            ["provider", "edit"],
        ]
    ),
)
@example(text="+999999999d", command=["audit", "list", "--since"])
@example(text="%", command=["patient", "list", "--search"])
def test_look_ups_filters_and_small_commands(run, db_path, registered, text, command):
    result = judge(run, db_path, [*command, text])
    if command[-1] == "--search" and result.exit_code == 0 and text.strip():
        # Wildcards are taken literally: a search for % finds no one here.
        assert text not in ("%", "_") or "No patients found." in result.stdout


@FUZZ
@given(key=st.one_of(st.sampled_from(sorted(SETTINGS)), argv_text()), value=argv_text())
@example(key="clinic.timezone", value="x" * 5000)
@example(key="clinic.timezone", value="../../../../etc/passwd")
def test_any_setting_any_value(run, db_path, key, value):
    result = judge(run, db_path, ["config", "set", key, value])
    if result.exit_code == 0:
        assert (
            run(["config", "get", key]).stdout.strip() == result.stdout.split(" = ", 1)[1].strip()
        )


# -- CSV imports ------------------------------------------------------------------------

CELLS = st.one_of(
    st.sampled_from(
        [
            "Ana Lima",
            "Lima, Ana",
            "1984-03-02",
            "617-555-0142",
            "ana@example.org",
            "sms,email",
            "f",
            "email",
            *NASTY,
            "line\nbreak",
            "x" * 140_000,  # larger than the csv module's field limit
        ]
    ),
    st.text(max_size=30),
)


@st.composite
def csv_files(draw) -> bytes:
    if draw(st.booleans()):
        header = draw(st.permutations(IMPORT_COLUMNS).map(lambda c: list(c[: 2 + len(c) // 2])))
        header = draw(st.sampled_from([header, ["name", "dob"], ["NAME", " Dob ", "Email"]]))
    else:
        header = draw(
            st.lists(st.one_of(st.sampled_from(IMPORT_COLUMNS), st.text(max_size=8)), max_size=6)
        )
    records = []
    for _ in range(draw(st.integers(0, 6))):
        width = draw(st.one_of(st.just(len(header)), st.integers(0, len(header) + 2)))
        records.append([draw(CELLS) for _ in range(width)])
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])))
    writer.writerow(header)
    writer.writerows(records)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"]))
    data = buffer.getvalue().encode(encoding, errors="replace")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=8)) + data[cut:]
    return data


@FUZZ
@given(csv_files())
@example(b"\xef\xbb\xbfname,dob\nAna Lima,1984-03-02\n")
@example(b"name,dob\nAna Lima\n")
@example(b"name,dob\n\xff\xfe,1984-03-02\n")
@example(b"name,dob\n=cmd|' /C calc'!A0,1984-03-02\n")
def test_any_csv_import_is_all_or_nothing(run, db_path, tmp_path_factory, data):
    path = tmp_path_factory.mktemp("csv") / "patients.csv"
    path.write_bytes(data)
    before = count(run, "patients")
    result = judge(run, db_path, ["patient", "import", str(path)])
    if result.exit_code == 0:
        imported = int(result.stdout.split()[1])
        assert count(run, "patients") == before + imported
    else:
        assert result.stderr.startswith("Error: ")


def count(run, table):
    return int(run(["sql", f"SELECT COUNT(*) AS n FROM {table}", "-f", "csv"]).stdout.split()[1])
