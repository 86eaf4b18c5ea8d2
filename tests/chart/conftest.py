"""Chart tests start from a store that already holds the ICD-10-CM code set and three
patients (an adult, a child and an infant): built once, copied per test in a few ms."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import pytest

from macli.chart import icd
from macli.migrations import open_store
from macli.patients import core as patients

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 09:00 in New York, the suite's clock
TODAY = date(2026, 11, 26)
ADULT, CHILD, INFANT = "P000001", "P000002", "P000003"


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("chart") / "template.db"
    store = open_store(path)
    icd.ensure_loaded(store)
    for name, dob, sex in (
        ("Ana García", "1984-03-02", "female"),
        ("Leo Smith", "2020-05-10", "male"),
        ("Mia Chen", "2026-06-01", "female"),
    ):
        patients.add(
            store,
            {"name": name, "dob": dob, "sex": sex},
            region="US",
            user="setup",
            now=NOW,
            today=TODAY,
        )
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture(autouse=True)
def chart_store_file(template, db_path):
    shutil.copyfile(template, db_path)
    return db_path
