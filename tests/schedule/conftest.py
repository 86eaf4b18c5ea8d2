"""A small clinic for schedule tests: two providers with working hours, three
patients, appointment types and rooms, written straight through the core functions."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from macli.patients import core as patients
from macli.patients import providers
from macli.schedule import catalog, hours

TZ = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=ZoneInfo("UTC"))  # Thu 09:00 in New York


@pytest.fixture
def clinic(store):
    """Ids and names of the test clinic, in the test's store."""
    chen = providers.add(store, "Dr. Ana Chen", now=NOW)["id"]
    okafor = providers.add(store, "Dr. Ben Okafor", now=NOW)["id"]
    hours.set_hours(store, "chen", "mon-fri 08:00-12:00,13:00-17:00", tz=TZ, now=NOW)
    hours.set_hours(store, "okafor", "mon-fri 08:00-17:00", tz=TZ, now=NOW)
    people = {}
    for name, born in (
        ("Ana García", "1980-02-03"),
        ("Bo Smith", "1975-06-07"),
        ("Cy Jones", "1990-09-09"),
    ):
        row = patients.add(
            store, {"name": name, "dob": born}, region="US", user="setup", now=NOW, today=NOW.date()
        )
        people[name.split()[0].lower()] = row["mrn"]
    catalog.add_type(store, "follow-up", 20)
    catalog.add_type(store, "new patient", 40)
    catalog.add_type(store, "vaccine", 10)
    catalog.add_room(store, "Exam 1")
    catalog.add_room(store, "Exam 2")
    return {"chen": chen, "okafor": okafor, **people}
