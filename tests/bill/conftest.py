"""Bill tests start from a store that already holds the ICD-10-CM code set (built once,
copied per test); `clinic` adds settings, a provider with an NPI, insured patients and
a fee schedule."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest

from macli import settings
from macli.bill import coverage, fees
from macli.chart import icd
from macli.migrations import open_store
from macli.patients import core as patients
from macli.patients import providers
from tests.bill.helpers import FEES, NOW, TODAY, USER


@pytest.fixture(scope="session")
def icd_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("bill") / "template.db"
    store = open_store(path)
    icd.ensure_loaded(store)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture(autouse=True)
def bill_store_file(icd_template, db_path):
    shutil.copyfile(icd_template, db_path)
    return db_path


@pytest.fixture
def clinic(store):
    """Settings, a provider, two insured patients (one a dependant) and the fee schedule."""
    for key, value in (
        ("clinic.name", "Riverside Family Practice"),
        ("clinic.timezone", "America/New_York"),
        ("clinic.phone", "(617) 555-0100"),
        ("clinic.address", "100 Example Street, Suite 2, Boston, MA 02110-1301"),
        ("clinic.npi", "1234567893"),
        ("clinic.tax_id", "12-3456789"),
        ("bill.receiver_id", "CLEARHOUSE01"),
        ("bill.receiver_name", "Example Clearinghouse"),
    ):
        settings.put(store, key, value, user=USER, now=NOW)
    doctor = providers.add(store, "Dr. Maya Chen", title="MD", npi="1245319599", now=NOW)
    common = {"region": "US", "user": USER, "now": NOW, "today": TODAY}
    ana = patients.add(
        store,
        {
            "name": "Ana García",
            "dob": "1984-03-02",
            "sex": "female",
            "address": "12 Elm Street, Boston, MA 02110",
        },
        **common,
    )
    leo = patients.add(
        store,
        {
            "name": "Leo García",
            "dob": "2015-07-09",
            "sex": "male",
            "address": "12 Elm Street, Apt 3, Boston, MA 02110",
        },
        **common,
    )
    coverage.set_coverage(
        store,
        ana["mrn"],
        {
            "payer": "Blue Harbor PPO",
            "payer_id": "BHP01",
            "plan_type": "ppo",
            "member_id": "XJH123456789",
            "group": "G-4410",
        },
        user=USER,
        now=NOW,
        today=TODAY,
    )
    coverage.set_coverage(
        store,
        leo["mrn"],
        {
            "payer": "Blue Harbor PPO",
            "member_id": "XJH123456702",
            "relation": "child",
            "subscriber_name": "Ana García",
            "subscriber_dob": "1984-03-02",
            "subscriber_sex": "female",
        },
        user=USER,
        now=NOW,
        today=TODAY,
    )
    fees.import_csv(store, FEES, replace=False, user=USER, now=NOW)
    return SimpleNamespace(store=store, doctor=doctor, ana=ana, leo=leo)
