"""Results (point-of-care tests, EKG reads, lab values) and free-text notes."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from macli.chart import entries, readings
from macli.chart.core import add_entry, amended_marker, audit_view, clean_text
from macli.errors import Invalid
from macli.identifiers import check_loinc
from macli.patients import core as patients
from macli.text import clean as clean_input
from macli.when import local_text

# -- results ----------------------------------------------------------------------------

_RANGE = re.compile(
    r"^\s*(?:(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)|([<>])\s*(-?\d+(?:\.\d+)?))\s*$"
)


def parse_range(text: str | None) -> tuple[str | None, str | None]:
    """`70-99` -> ('70', '99'); `<5.7` -> (None, '5.7'); `>60` -> ('60', None)."""
    if text is None or not text.strip():
        return None, None
    match = _RANGE.match(text)
    if not match:
        raise Invalid(f"cannot read range {text!r} (use LOW-HIGH, <HIGH or >LOW, e.g. 70-99)")
    if match[1] is not None:
        if Decimal(match[1]) > Decimal(match[2]):
            raise Invalid(f"range {text!r}: the low end is above the high end")
        return match[1], match[2]
    return (None, match[4]) if match[3] == "<" else (match[4], None)


def result_flag(value: str, low: str | None, high: str | None) -> str:
    """H or L when a numeric value is outside its reference range."""
    try:
        number = Decimal(value.strip().lstrip("<>"))
    except InvalidOperation:
        return ""
    if low is not None and number < Decimal(low):
        return "L"
    if high is not None and number > Decimal(high):
        return "H"
    return ""


def result_fields(values: dict) -> dict:
    out = {}
    if "test" in values:
        out["test"] = clean_text(values["test"], "test name", required=True)
    if "value" in values:
        out["value"] = clean_text(values["value"], "value", required=True)
    if "unit" in values:
        out["unit"] = clean_text(values["unit"], "unit")
    if "range" in values:
        out["low"], out["high"] = parse_range(values["range"])
    if "loinc" in values:
        out["loinc"] = check_loinc(values["loinc"]) if values["loinc"] else None
    return out


def add_result(
    store,
    patient_ref,
    test,
    value,
    *,
    unit=None,
    range_text=None,
    loinc=None,
    at=None,
    user,
    now,
    tz,
) -> dict:
    """Record a point-of-care test, EKG read or lab value, exactly as reported."""
    detail = result_fields(
        {"test": test, "value": value, "unit": unit, "range": range_text, "loinc": loinc}
    )
    taken = readings.taken_instant(at, tz=tz, now=now)
    return add_entry(
        store,
        patient_ref,
        "result",
        action="chart.result.add",
        at=taken,
        detail=detail,
        user=user,
        now=now,
    )


RESULT_COLUMNS = ("id", "taken", "test", "value", "unit", "range", "flag", "loinc", "amended")


def results(store, patient_id, *, tz, last: int | None = None) -> list[dict]:
    limit = f" LIMIT {int(last)}" if last else ""
    rows = store.query(
        "SELECT e.id, e.at, e.amends, e.recorded_at, r.test, r.value, r.unit, r.low, r.high,"
        " r.loinc FROM chart_entries e JOIN chart_results r ON r.entry_id = e.id"
        " WHERE e.patient_id = ? AND e.kind = 'result' AND e.voided = 0"
        f" AND {entries.NOT_AMENDED} ORDER BY e.at DESC, e.id DESC{limit}",
        [patient_id],
    )
    out = []
    for row in reversed(rows):
        low, high = row["low"], row["high"]
        shown = (
            f"{low}-{high}" if low and high else f"<{high}" if high else f">{low}" if low else None
        )
        out.append(
            {
                "id": row["id"],
                "at": row["at"],
                "taken": local_text(row["at"], tz),
                "test": row["test"],
                "value": row["value"],
                "unit": row["unit"],
                "range": shown,
                "flag": result_flag(row["value"], low, high),
                "loinc": row["loinc"],
                "amended": amended_marker(row, tz),
                "low": low,
                "high": high,
            }
        )
    return out


def list_results(store, patient_ref, *, user, now, tz) -> list[dict]:
    """`chart result list`: audited."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        rows = results(store, patient["id"], tz=tz)
        audit_view(store, patient["id"], "results", user=user, now=now)
    return rows


# -- notes ------------------------------------------------------------------------------


def note_text(text: str | None) -> str:
    if text is None or not text.strip():
        raise Invalid("the note is empty")
    return clean_input(text, "the note", multiline=True).strip("\n")


def add_note(store, patient_ref, text, *, user, now) -> dict:
    """Add a free-text note, kept exactly as written."""
    body = note_text(text)
    return add_entry(
        store,
        patient_ref,
        "note",
        action="chart.note.add",
        at=now,
        detail={"text": body},
        user=user,
        now=now,
    )


NOTE_COLUMNS = ("id", "written", "by", "text", "amended")


def notes(store, patient_id, *, tz, last: int | None = None) -> list[dict]:
    limit = f" LIMIT {int(last)}" if last else ""
    rows = store.query(
        "SELECT e.id, e.at, e.amends, e.recorded_at, e.recorded_by, n.text FROM chart_entries e"
        " JOIN chart_notes n ON n.entry_id = e.id WHERE e.patient_id = ? AND e.kind = 'note'"
        f" AND e.voided = 0 AND {entries.NOT_AMENDED} ORDER BY e.at DESC, e.id DESC{limit}",
        [patient_id],
    )
    return [
        {
            "id": row["id"],
            "written": local_text(row["at"], tz),
            "by": row["recorded_by"],
            "text": row["text"],
            "amended": amended_marker(row, tz),
        }
        for row in reversed(rows)
    ]


def list_notes(store, patient_ref, *, user, now, tz) -> list[dict]:
    """`chart note list`: audited."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        rows = notes(store, patient["id"], tz=tz)
        audit_view(store, patient["id"], "notes", user=user, now=now)
    return rows
