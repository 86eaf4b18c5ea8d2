"""The working-hours grammar, setting hours and blocks."""

from __future__ import annotations

from datetime import time

import pytest

from macli.errors import Invalid, NotFound
from macli.schedule import core, hours
from tests.schedule.conftest import NOW, TZ


def test_hours_grammar_reads_ranges_lists_and_several_specs():
    parsed = hours.parse_hours(
        "mon-thu 08:00-17:00; fri 8:00-12:00 ; sat,sun 09:00-10:00, 11:00-12:00"
    )
    assert parsed[0] == [(time(8), time(17))]
    assert parsed[4] == [(time(8), time(12))]
    assert parsed[6] == [(time(9), time(10)), (time(11), time(12))]
    assert hours.hours_text(parsed) == (
        "mon-thu 08:00-17:00; fri 08:00-12:00; sat-sun 09:00-10:00,11:00-12:00"
    )


def test_hours_text_reads_back_to_the_same_hours():
    text = "mon-fri 08:00-12:00,13:00-17:00"
    assert hours.hours_text(hours.parse_hours(text)) == text
    wrapped = hours.parse_hours("fri-mon 10:00-14:00")  # a range may wrap over the week end
    assert sorted(wrapped) == [0, 4, 5, 6]


def test_one_day_may_be_given_in_two_specs_if_they_do_not_overlap():
    parsed = hours.parse_hours("mon-fri 08:00-12:00; mon 13:00-15:00")
    assert parsed[0] == [(time(8), time(12)), (time(13), time(15))]
    assert parsed[1] == [(time(8), time(12))]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no working hours given"),
        ("mon-fri", "give days and times"),
        ("moon 08:00-12:00", "cannot read the days 'moon'"),
        ("mon 8-12", "cannot read the times '8-12'"),
        ("mon 12:00-08:00", "ends before it starts"),
        ("mon 25:00-26:00", "out of range"),
        ("mon-fri 08:00-12:00; wed 11:00-13:00", "the hours given for wed overlap"),
    ],
)
def test_bad_hours_are_refused(text, message):
    with pytest.raises(Invalid, match=message):
        hours.parse_hours(text)


def test_setting_hours_lists_upcoming_appointments_now_outside(store, clinic):
    late = core.add(
        store, clinic["ana"], "chen", "2026-12-01 16:00", minutes=20, tz=TZ, user="t", now=NOW
    )
    result = hours.set_hours(store, "chen", "mon-fri 08:00-12:00,13:00-15:00", tz=TZ, now=NOW)
    assert result["outside"] == [{"id": late["ids"][0], "starts": "2026-12-01 16:00"}]
    assert hours.hours_rows(hours.get_hours(store, clinic["chen"]))[1] == {
        "day": "tue",
        "hours": "08:00-12:00,13:00-15:00",
    }


def test_without_hours_any_time_can_be_booked(store, clinic):
    hours.set_hours(store, "chen", None, tz=TZ, now=NOW)
    assert hours.get_hours(store, clinic["chen"]) == {}
    core.add(store, clinic["ana"], "chen", "2026-12-05 19:00", minutes=20, tz=TZ, user="t", now=NOW)


def test_block_over_booked_appointments_lists_them(store, clinic):
    booked = core.add(
        store, clinic["ana"], "chen", "2026-12-24 10:00", minutes=20, tz=TZ, user="t", now=NOW
    )
    block = hours.add_block(
        store, "chen", "2026-12-24", "2026-12-26", reason="holidays", tz=TZ, user="t", now=NOW
    )
    assert (block["starts"], block["ends"]) == ("2026-12-24 00:00", "2026-12-27 00:00")
    assert block["inside"] == [{"id": booked["ids"][0], "starts": "2026-12-24 10:00"}]
    listed = hours.blocks(store, "chen", tz=TZ, since=NOW)
    assert [(row["id"], row["reason"]) for row in listed] == [(block["id"], "holidays")]
    hours.remove_block(store, block["id"])
    assert hours.blocks(store, None, tz=TZ, since=NOW) == []
    with pytest.raises(NotFound, match=f"no block with id {block['id']}"):
        hours.remove_block(store, block["id"])


def test_block_must_end_after_it_starts(store, clinic):
    with pytest.raises(Invalid, match="must end after it starts"):
        hours.add_block(
            store,
            "chen",
            "2026-12-24 12:00",
            "2026-12-24 11:00",
            reason=None,
            tz=TZ,
            user="t",
            now=NOW,
        )
