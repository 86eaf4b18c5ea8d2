"""The demo clinic's charts: a year of vitals, coded problems, both allergy states."""

from macli.chart import icd
from macli.migrations import open_store


def test_the_demo_has_charts_worth_trying(demo_db):
    store = open_store(demo_db)
    try:
        with_vitals = store.scalar(
            "SELECT COUNT(*) FROM (SELECT patient_id FROM chart_entries WHERE kind = 'vitals'"
            " GROUP BY patient_id HAVING COUNT(*) >= 3"
            " AND MAX(at) > '2026-08-01' AND MIN(at) < '2026-05-01')"
        )
        assert with_vitals > 100
        codes = [row["code"] for row in store.query("SELECT DISTINCT code FROM chart_problems")]
        assert len(codes) > 5
        for code in codes:
            assert icd.check_billable(store, code)["code"] == code
        kinds = {row["kind"] for row in store.query("SELECT DISTINCT kind FROM chart_entries")}
        assert {"medication", "allergy", "no-allergies", "result", "note", "resolution"} <= kinds
        never_asked = store.scalar(
            "SELECT COUNT(*) FROM patients p WHERE NOT EXISTS (SELECT 1 FROM chart_entries e"
            " WHERE e.patient_id = p.id AND e.kind IN ('allergy', 'no-allergies'))"
        )
        assert never_asked > 20
    finally:
        store.close()
