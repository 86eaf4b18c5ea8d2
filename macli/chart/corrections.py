"""Corrections: `chart amend` writes a new version of an entry (or voids it) and
`chart history` shows every version, with who, when and why."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from macli.chart import core, entries, findings, readings
from macli.chart.core import audit_view, audit_write, clean_text, past_date
from macli.errors import Invalid
from macli.store import Store
from macli.when import local_text, utc_text

# Which `amend` options apply to which kind of entry.
AMENDABLE = {
    "vitals": (*readings.OPTION_NAMES, "at"),
    "problem": ("icd", "onset", "note"),
    "medication": ("name", "dose", "route", "frequency", "start"),
    "allergy": ("substance", "reaction", "severity"),
    "result": ("test", "value", "unit", "range", "loinc", "at"),
    "note": ("text",),
    "resolution": ("on",),
    "stop": ("on",),
    "no-allergies": (),
}


# -- amendments and history -------------------------------------------------------------


def amend(
    store: Store,
    entry_id: int | str,
    changes: dict,
    *,
    reason: str,
    void: bool = False,
    confirm: bool = False,
    clinic_units: str,
    user: str,
    now: datetime,
    today: date,
    tz: ZoneInfo,
) -> dict:
    """Correct an entry by writing its new version (who, when, why); the old one stays."""
    reason = clean_text(reason, "the reason for an amendment", required=True)
    given = {key: value for key, value in changes.items() if value is not None}
    with store.write():
        entry = entries.require_current(store, entries.get(store, entry_id))
        kind = entry["kind"]
        wrong = sorted(set(given) - set(AMENDABLE[kind]))
        if wrong:
            allowed = ", ".join(f"--{name}" for name in AMENDABLE[kind]) or "only --void"
            raise Invalid(
                f"entry {entry['id']} is a {kind} entry: --{wrong[0]} does not apply "
                f"(it takes {allowed})"
            )
        if void and given:
            raise Invalid("--void withdraws the entry; give no new values with it")
        if not void and not given:
            raise Invalid("nothing to change: give new values, or --void if entered in error")
        if kind == "vitals" and not void:
            new_id = readings.amend(
                store,
                entry,
                given,
                reason=reason,
                confirm=confirm,
                clinic_units=clinic_units,
                user=user,
                now=now,
                tz=tz,
            )
        else:
            detail, at = _amended_detail(store, entry, given, today=today, tz=tz, now=now)
            new_id = entries.add(
                store,
                patient_id=entry["patient_id"],
                kind=kind,
                at=at,
                user=user,
                now=now,
                detail=detail,
                amends=entry,
                reason=reason,
                voided=void,
            )
            if kind == "vitals":  # voided vitals keep their values for the history
                store.execute(
                    "INSERT INTO chart_vital_values SELECT ?, loinc, value, unit, entered,"
                    " derived_from FROM chart_vital_values WHERE entry_id = ?",
                    [new_id, entry["id"]],
                )
        audit_write(store, entry["patient_id"], "chart.amend", new_id, user=user, now=now)
    return entries.get(store, new_id)


def _amended_detail(store, entry, given, *, today, tz, now) -> tuple[dict, str]:
    detail = {key: entry.get(key) for key in entries.DETAILS.get(entry["kind"], ((), ()))[1]}
    at = entry["at"]
    kind = entry["kind"]
    if kind == "problem":
        detail.update(core.problem_fields(store, given, today))
    elif kind == "medication":
        detail.update(core.medication_fields(given, today))
    elif kind == "allergy":
        detail.update(core.allergy_fields(given))
    elif kind == "result":
        detail.update(findings.result_fields(given))
        if given.get("at"):
            at = utc_text(readings.taken_instant(given["at"], tz=tz, now=now))
    elif kind == "note":
        detail["text"] = findings.note_text(given["text"]) if "text" in given else detail["text"]
    elif kind in ("resolution", "stop") and "on" in given:
        detail["on_date"] = past_date(given["on"], "date", today) or detail["on_date"]
    return detail, at


HISTORY_COLUMNS = ("id", "kind", "version", "state", "recorded", "by", "reason", "values")


def history(store, entry_id, *, user, now, tz) -> list[dict]:
    """Every version of an entry (and its resolution or stop), with who, when and why."""
    with store.write():
        entry = entries.get(store, entry_id)
        if entry["kind"] in ("resolution", "stop"):
            entry = entries.get(store, entry["target_id"])
        versions = entries.history(store, entry)
        audit_view(
            store, entry["patient_id"], f"history of entry {entry['id']}", user=user, now=now
        )
    corrected = {version["amends"] for version in versions}
    out = []
    for version in versions:
        if version["kind"] == "vitals":
            reading = readings.one(store, version["id"], tz)
            values = readings.machine_row(reading)
            summary = ", ".join(
                f"{k}={v}"
                for k, v in values.items()
                if v not in (None, "") and k not in ("id", "taken", "amended", "flags")
            )
            summary = f"taken {reading['taken']}: {summary}"
        else:
            columns = entries.DETAILS.get(version["kind"], ((), ()))[1]
            summary = "; ".join(
                f"{c}={version[c]}" for c in columns if version.get(c) not in (None, "")
            )
        out.append(
            {
                "id": version["id"],
                "version": (
                    "voided"
                    if version["voided"]
                    else f"amends {version['amends']}"
                    if version["amends"]
                    else "original"
                ),
                "kind": version["kind"],
                "state": (
                    "superseded"
                    if version["id"] in corrected
                    else "voided"
                    if version["voided"]
                    else "current"
                ),
                "recorded": local_text(version["recorded_at"], tz),
                "by": version["recorded_by"],
                "reason": version["reason"],
                "values": summary or "(none)",
            }
        )
    return out
