from datetime import UTC, date, datetime, timedelta

import pytest

from macli.errors import Invalid
from macli.when import (
    duration_text,
    local_text,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_now,
    zone,
)

NY = zone("America/New_York")
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # Thursday 09:00 in New York


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-12-01 09:30", "2026-12-01 09:30"),
        ("2026-12-01T09:30", "2026-12-01 09:30"),
        ("tomorrow 9:30", "2026-11-27 09:30"),
        ("today 16:15", "2026-11-26 16:15"),
        ("mon 14:00", "2026-11-30 14:00"),
        ("thu 08:00", "2026-11-26 08:00"),
        ("+2d 10:00", "2026-11-28 10:00"),
        ("+1w 10:00", "2026-12-03 10:00"),
        ("2026-12-01T09:30-05:00", "2026-12-01 09:30"),
        ("2026-12-01T14:30Z", "2026-12-01 09:30"),
    ],
)
def test_datetimes_are_read_in_the_clinic_zone(text, expected):
    assert local_text(parse_datetime(text, NY, NOW), NY) == expected


def test_spring_forward_gap_is_refused():
    with pytest.raises(Invalid, match="does not exist"):
        parse_datetime("2026-03-08 02:30", NY, NOW)


def test_fall_back_fold_needs_an_offset():
    with pytest.raises(Invalid, match="happens twice.*-04:00 or .*-05:00"):
        parse_datetime("2026-11-01 01:30", NY, NOW)
    first = parse_datetime("2026-11-01T01:30-04:00", NY, NOW)
    second = parse_datetime("2026-11-01T01:30-05:00", NY, NOW)
    assert second - first == timedelta(hours=1)


@pytest.mark.parametrize(
    "text", ["next tuesday", "2026-13-01 09:00", "2026-12-01", "12/01/2026 9:00", "", "mon 25:00"]
)
def test_no_fuzzy_parsing(text):
    with pytest.raises(Invalid):
        parse_datetime(text, NY, NOW)


def test_dates():
    today = date(2026, 11, 26)
    assert parse_date("tomorrow", today) == date(2026, 11, 27)
    assert parse_date("-1w", today) == date(2026, 11, 19)
    assert parse_date("2026-02-28") == date(2026, 2, 28)
    with pytest.raises(Invalid):
        parse_date("2026-02-30")


@pytest.mark.parametrize(
    "text, minutes", [("48h", 2880), ("2d", 2880), ("90m", 90), ("1h30m", 90), ("2w", 20160)]
)
def test_durations(text, minutes):
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "12", "2 days", "0m", "-2d", "h"])
def test_bad_durations(text):
    with pytest.raises(Invalid):
        parse_duration(text)


def test_duration_text_round_trips():
    for text in ("2d", "90m", "1d12h"):
        assert parse_duration(duration_text(parse_duration(text))) == parse_duration(text)


def test_now_naive_is_local_and_aware_is_kept():
    assert parse_now("2026-11-26T09:00", NY) == NOW
    assert parse_now("2026-11-26T14:00:00Z", NY) == NOW
