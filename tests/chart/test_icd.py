"""ICD-10-CM: billable codes pass; headers are refused with their billable children;
malformed and unknown codes are refused; the shipped file matches the package."""

import gzip
from datetime import UTC, datetime

import pytest

from macli.chart import icd
from macli.errors import Invalid, NotFound
from macli.migrations import open_store


def test_a_billable_code_is_returned_normalised(store):
    assert icd.check_billable(store, "e119") == {
        "code": "E11.9",
        "description": "Type 2 diabetes mellitus without complications",
    }
    assert icd.check_billable(store, " S72.001A ")["code"] == "S72.001A"
    assert icd.check_billable(store, "QA0.0101")["code"] == "QA0.0101"  # new in FY2026


def test_a_category_header_is_refused_with_its_billable_codes(store):
    with pytest.raises(Invalid) as error:
        icd.check_billable(store, "E11")
    message = error.value.message
    assert message.startswith("E11 (Type 2 diabetes mellitus) is a header, not billable")
    # One code a line, the general ones first: what a medical assistant wants is on top.
    lines = message.splitlines()
    assert lines[1] == "  E11.9  Type 2 diabetes mellitus without complications"
    assert "  E11.8  Type 2 diabetes mellitus with unspecified complications" in lines[2:5]
    assert len(lines) == 1 + icd.SHOWN_CHILDREN + 1
    assert lines[-1] == "  ... and 79 more (macli chart icd search E11 --billable --limit 87)"


def test_codes_used_in_this_clinic_are_offered_first(store):
    from macli.chart import core
    from tests.conftest import NOW

    when = datetime.fromisoformat(NOW).replace(tzinfo=UTC)
    core.add_problem(store, "P000001", "E11.65", user="t", now=when, today=when.date())
    with pytest.raises(Invalid) as error:
        icd.check_billable(store, "E11")
    assert error.value.message.splitlines()[1].startswith("  E11.65  ")
    assert icd.search(store, "type 2 diabetes hyperglycemia")[0]["code"] == "E11.65"


def test_search_puts_the_general_code_first_and_counts_what_it_cut(store):
    assert icd.search(store, "hypertension", limit=5)[0]["code"] == "I10"
    found = icd.search_total(store, "hypertension", limit=5)
    assert len(found["rows"]) == 5 and found["total"] > 50
    assert icd.search_total(store, "zzzzqqq")["total"] == 0


def test_m54_5_is_a_header_since_october_2021(store):
    with pytest.raises(Invalid) as error:
        icd.check_billable(store, "M54.5")
    message = error.value.message
    assert "M54.5 (Low back pain) is a header, not billable" in message
    for child in (
        "M54.50  Low back pain, unspecified",
        "M54.51  Vertebrogenic low back pain",
        "M54.59  Other low back pain",
    ):
        assert child in message


@pytest.mark.parametrize("code, first", [("S72.001", "S72.001A"), ("S00.00", "S00.00XA")])
def test_a_code_missing_its_seventh_character_lists_the_choices(store, code, first):
    with pytest.raises(Invalid, match=f"(?s){code} .* needs its 7th character; .*{first}  "):
        icd.check_billable(store, code)


@pytest.mark.parametrize(
    "code, message",
    [
        ("250.00", "looks like an ICD-9-CM code"),
        ("401.9", "looks like an ICD-9-CM code"),
        ("E11.99X", "E11.99X is not in ICD-10-CM .April 2026.; the nearest code is E11.9"),
        ("Z99.999", "is not in ICD-10-CM"),
        ("E08-E13", "is not an ICD-10-CM code"),
        ("E1", "is not an ICD-10-CM code"),
        ("", "no ICD-10-CM code given"),
    ],
)
def test_unknown_and_malformed_codes_are_refused(store, code, message):
    with pytest.raises(Invalid, match=message):
        icd.check_billable(store, code)


def test_lookup_tells_parent_children_and_release(store):
    found = icd.lookup(store, "M54.5")
    assert found["billable"] is False
    assert found["parent"] == "M54" and found["parent_description"] == "Dorsalgia"
    assert [c["code"] for c in found["children"]] == ["M54.50", "M54.51", "M54.59"]
    assert found["release"] == "April 2026"
    with pytest.raises(NotFound):
        icd.lookup(store, "E11.99X")


def test_search_by_words_and_by_code_start(store):
    codes = [row["code"] for row in icd.search(store, "type 2 diabetes", limit=10)]
    assert codes[0] == "E11" and "E11.9" in codes
    billable = icd.search(store, "E11.6", billable_only=True, limit=100)
    assert billable and all(
        r["billable"] == "yes" and r["code"].startswith("E11.6") for r in billable
    )
    assert icd.search(store, "asthma", limit=3)[0]["code"].startswith("J")
    assert icd.search(store, "zzzzqqq") == []
    with pytest.raises(Invalid):
        icd.search(store, "  ")


def test_the_code_set_is_loaded_once_on_first_use(tmp_path):
    fresh = open_store(tmp_path / "fresh.db")
    try:
        assert fresh.scalar("SELECT COUNT(*) FROM icd10cm_codes") == 0
        icd.check_billable(fresh, "I10")
        count = fresh.scalar("SELECT COUNT(*) FROM icd10cm_codes")
        assert count > 90000
        assert fresh.scalar("SELECT COUNT(*) FROM icd10cm_codes WHERE billable = 1") == 74719
        icd.ensure_loaded(fresh)  # a second call finds the release and does nothing
        assert fresh.scalar("SELECT COUNT(*) FROM icd10cm_codes") == count
    finally:
        fresh.close()


def test_the_shipped_file_is_what_the_build_script_makes_from_the_package():
    from macli.chart import icd_build

    simple = pytest.importorskip("simple_icd_10_cm")
    with gzip.open(icd.data_file().open("rb"), "rt", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        shipped = [tuple(line.rstrip("\n").split("\t")) for line in handle]
    assert header[1] == "April 2026"
    built = [tuple(str(v) for v in row) for row in icd_build.rows(simple)]
    assert shipped == built
