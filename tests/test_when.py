from datetime import UTC, date, datetime, timedelta

import pytest

from macli.errors import Invalid
from macli.when import (
    day_bounds,
    day_bounds_text,
    duration_text,
    local_date,
    local_text,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_now,
    utc_text,
    wall_instant,
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


# -- a day's bounds: one way, tolerant of days that start at 01:00 or last 23/25 hours ---

SANTIAGO = zone("America/Santiago")  # springs forward at midnight: 2026-09-06 starts at 01:00


@pytest.mark.parametrize(
    "day, start, hours",
    [
        (date(2026, 9, 5), "2026-09-05T04:00:00Z", 24),
        (date(2026, 9, 6), "2026-09-06T04:00:00Z", 23),  # 00:00 never happens
        (date(2026, 9, 7), "2026-09-07T03:00:00Z", 24),
        (date(2026, 4, 4), "2026-04-04T03:00:00Z", 25),  # 23:00-24:00 happens twice
        (date(2026, 4, 5), "2026-04-05T04:00:00Z", 24),
    ],
)
def test_day_bounds_in_a_zone_whose_clocks_change_at_midnight(day, start, hours):
    begin, end = day_bounds(day, SANTIAGO)
    assert utc_text(begin) == start
    assert end - begin == timedelta(hours=hours)
    assert day_bounds_text(day, SANTIAGO) == (utc_text(begin), utc_text(end))
    assert local_date(begin, SANTIAGO) == day
    assert local_date(begin - timedelta(seconds=1), SANTIAGO) == day - timedelta(days=1)
    assert local_date(utc_text(end), SANTIAGO) == day + timedelta(days=1)


@pytest.mark.parametrize(
    "name", ["America/Santiago", "America/Havana", "America/Asuncion", "Asia/Beirut", NY.key]
)
def test_every_day_start_is_the_first_instant_of_its_local_date(name):
    tz = zone(name)
    day = date(2025, 1, 1)
    while day < date(2028, 1, 1):
        begin, end = day_bounds(day, tz)
        assert local_date(begin, tz) == day
        assert local_date(begin - timedelta(seconds=1), tz) < day
        assert timedelta(hours=23) <= end - begin <= timedelta(hours=25)
        day += timedelta(days=1)


def test_a_wall_time_in_a_gap_lands_after_it_and_a_fold_takes_its_first_occurrence():
    from datetime import time

    assert local_text(wall_instant(date(2026, 9, 6), time(0, 30), SANTIAGO), SANTIAGO) == (
        "2026-09-06 01:30"
    )
    first = wall_instant(date(2026, 11, 1), time(1, 30), NY)  # New York falls back at 02:00
    assert utc_text(first) == "2026-11-01T05:30:00Z"
