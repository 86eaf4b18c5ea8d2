"""The test catalogue: what the clinic orders or performs, with its LOINC code."""

from __future__ import annotations

from datetime import datetime

from macli.errors import Conflict, Invalid, NotFound
from macli.lab.common import clean
from macli.store import Store
from macli.when import duration_text, parse_duration, utc_text

SPECIMENS = ("blood", "urine", "swab", "stool", "other")
QC_EVERY = ("lot", "daily", "weekly")
CONTROL_LEVELS = ("positive", "negative", "low", "normal", "high")
COLUMNS = [
    "name",
    "loinc",
    "specimen",
    "container",
    "lab",
    "turnaround",
    "poc",
    "kit",
    "value_type",
    "unit",
    "reference_range",
    "qc",
]


def add(
    store: Store,
    name: str,
    *,
    loinc: str,
    specimen: str,
    container: str | None = None,
    lab: str | None = None,
    turnaround: str | None = None,
    poc: bool = False,
    kit: str | None = None,
    value_type: str = "numeric",
    unit: str | None = None,
    reference_range: str | None = None,
    qc_levels: str | None = None,
    qc_every: str | None = None,
    user: str,
    now: datetime,
) -> dict:
    """Add a test to the catalogue; the LOINC code's form and check digit are checked."""
    from macli.identifiers import check_loinc

    name = clean(name, "the test name")
    if not name:
        raise Invalid("a test needs a name")
    if specimen not in SPECIMENS:
        raise Invalid(f"unknown specimen {specimen!r} (use {', '.join(SPECIMENS)})")
    if value_type not in ("numeric", "text"):
        raise Invalid("the value type is numeric or text")
    minutes = None
    if turnaround:
        minutes = int(parse_duration(turnaround).total_seconds() // 60)
    levels = _levels(qc_levels)
    if levels and not poc:
        raise Invalid("quality-control levels are for point-of-care tests (--poc)")
    if qc_every and not levels:
        raise Invalid("say which control levels the rule needs (--qc-levels positive,negative)")
    if qc_every is not None and qc_every not in QC_EVERY:
        raise Invalid(f"controls are run every {', '.join(QC_EVERY)}")
    if kit and not poc:
        raise Invalid("a kit is used up by a point-of-care test (--poc)")
    if kit:
        from macli.stock import items

        kit = items.get(store, kit)["sku"]
    row = {
        "name": name,
        "loinc": check_loinc(loinc),
        "specimen": specimen,
        "container": clean(container, "the container"),
        "lab": None if poc else clean(lab, "the lab"),
        "turnaround_minutes": minutes,
        "poc": int(poc),
        "kit_sku": kit,
        "value_type": value_type,
        "unit": clean(unit, "the unit"),
        "reference_range": clean(reference_range, "the reference range"),
        "qc_levels": ",".join(levels) or None,
        "qc_every": (qc_every or "lot") if levels else None,
        "created_at": utc_text(now),
        "created_by": user,
    }
    with store.write():
        if store.one("SELECT id FROM lab_tests WHERE name = ? COLLATE NOCASE", [name]):
            raise Conflict(f"the catalogue already has a test named {name!r}")
        row["id"] = store.insert("lab_tests", row)
    return display(row)


EDITABLE = (
    "container",
    "lab",
    "turnaround",
    "kit",
    "unit",
    "reference_range",
    "qc_levels",
    "qc_every",
)


def edit(store: Store, name: str, *, user: str, now: datetime, **changes) -> dict:
    """Change what may change about a test (an empty text clears it), audited.

    The name, LOINC code, specimen and whether it is done in the office stay: a test that
    differs in those is another test, so add it. Orders already placed keep the turnaround
    they were given."""
    from macli import audit

    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))} of a test")
    given = {key: value for key, value in changes.items() if value is not None}
    if not given:
        raise Invalid(
            f"say what to change ({', '.join('--' + k.replace('_', '-') for k in EDITABLE)})"
        )
    with store.write():
        row = get(store, name)
        update: dict = {}
        if "container" in given:
            update["container"] = clean(given["container"], "the container")
        if "lab" in given:
            if row["poc"]:
                raise Invalid(f"{row['name']} is done in the office: it has no reference lab")
            update["lab"] = clean(given["lab"], "the lab")
        if "turnaround" in given:
            text = given["turnaround"].strip()
            update["turnaround_minutes"] = (
                int(parse_duration(text).total_seconds() // 60) if text else None
            )
        if "kit" in given:
            if not row["poc"]:
                raise Invalid("a kit is used up by a point-of-care test (--poc)")
            sku = given["kit"].strip()
            if sku:
                from macli.stock import items

                sku = items.get(store, sku)["sku"]
            update["kit_sku"] = sku or None
        if "unit" in given:
            update["unit"] = clean(given["unit"], "the unit")
        if "reference_range" in given:
            update["reference_range"] = clean(given["reference_range"], "the reference range")
        levels = _levels(given["qc_levels"]) if "qc_levels" in given else None
        if levels is not None:
            if levels and not row["poc"]:
                raise Invalid("quality-control levels are for point-of-care tests (--poc)")
            update["qc_levels"] = ",".join(levels) or None
        every = given.get("qc_every")
        if every is not None and every not in QC_EVERY:
            raise Invalid(f"controls are run every {', '.join(QC_EVERY)}")
        has_levels = update["qc_levels"] if levels is not None else row["qc_levels"]
        if every and not has_levels:
            raise Invalid("say which control levels the rule needs (--qc-levels positive,negative)")
        if has_levels:
            update["qc_every"] = every or row["qc_every"] or "lot"
        else:
            update["qc_every"] = None
        changed = {key: value for key, value in update.items() if value != row[key]}
        if changed:
            assignments = ", ".join(f"{column} = ?" for column in changed)
            store.execute(
                f"UPDATE lab_tests SET {assignments} WHERE id = ?", [*changed.values(), row["id"]]
            )
            audit.record(
                store,
                user=user,
                action="lab.test.edit",
                now=now,
                detail=f"{row['name']}: "
                + "; ".join(f"{key} {row[key]!r} -> {value!r}" for key, value in changed.items()),
            )
        return display({**row, **changed})


def _levels(text: str | None) -> list[str]:
    levels = [part.strip().lower() for part in (text or "").split(",") if part.strip()]
    for level in levels:
        if level not in CONTROL_LEVELS:
            raise Invalid(f"unknown control level {level!r} (use {', '.join(CONTROL_LEVELS)})")
    return levels


def display(row: dict) -> dict:
    """A catalogue row as listed."""
    minutes = row["turnaround_minutes"]
    from datetime import timedelta

    return {
        "name": row["name"],
        "loinc": row["loinc"],
        "specimen": row["specimen"],
        "container": row["container"],
        "lab": row["lab"],
        "turnaround": duration_text(timedelta(minutes=minutes)) if minutes else None,
        "poc": "yes" if row["poc"] else "no",
        "kit": row["kit_sku"],
        "value_type": row["value_type"],
        "unit": row["unit"],
        "reference_range": row["reference_range"],
        "qc": f"{row['qc_levels']} every {row['qc_every']}" if row["qc_levels"] else None,
    }


def listing(store: Store, *, poc: bool | None = None) -> list[dict]:
    """The catalogue by name."""
    where = "" if poc is None else f"WHERE poc = {int(poc)}"
    return [display(r) for r in store.query(f"SELECT * FROM lab_tests {where} ORDER BY name")]


def get(store: Store, name: str) -> dict:
    """One test by name (case-insensitive) or LOINC code."""
    text = " ".join(str(name or "").split())
    row = store.one("SELECT * FROM lab_tests WHERE name = ? COLLATE NOCASE", [text]) or store.one(
        "SELECT * FROM lab_tests WHERE loinc = ? ORDER BY id LIMIT 1", [text]
    )
    if row is None:
        known = ", ".join(
            r["name"] for r in store.query("SELECT name FROM lab_tests ORDER BY name")
        )
        raise NotFound(f"no test {text!r} in the catalogue (known: {known or 'none yet'})")
    return row
