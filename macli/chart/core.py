"""Problems, medications, allergies, results and notes; amendments and history.

Every write and every view of a chart is audited in the same transaction as the rows
it writes or reads. Vitals live in `readings`, the append-only spine in `entries`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from macli import audit
from macli.chart import entries, icd, readings
from macli.errors import Conflict, Invalid
from macli.patients import core as patients
from macli.store import Store
from macli.when import local_text, parse_date, utc_text

SEVERITIES = ("mild", "moderate", "severe")
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


def _text(value: str | None, what: str, required: bool = False) -> str | None:
    value = " ".join(value.split()) if value is not None else None
    if required and not value:
        raise Invalid(f"{what} may not be empty")
    return value or None


def _past_date(text: str | None, what: str, today: date) -> str | None:
    if text is None or not text.strip():
        return None
    day = parse_date(text, today)
    if day > today:
        raise Invalid(f"{what} {day} is in the future")
    return day.isoformat()


def _view(store, patient_id, what, *, user, now) -> None:
    audit.record(store, user=user, action="chart.view", now=now, patient_id=patient_id, detail=what)


def _written(store, patient_id, action, entry_id, *, user, now) -> None:
    audit.record(
        store, user=user, action=action, now=now, patient_id=patient_id, detail=f"entry {entry_id}"
    )


# -- problems ---------------------------------------------------------------------------


def _problem_fields(store: Store, values: dict, today: date) -> dict:
    out = {}
    if values.get("icd") is not None:
        out.update(icd.check_billable(store, values["icd"]))
    if "onset" in values:
        out["onset"] = _past_date(values["onset"], "onset", today)
    if "note" in values:
        out["note"] = _text(values["note"], "note")
    return out


def add_problem(
    store: Store,
    patient_ref: str,
    code: str,
    *,
    onset: str | None = None,
    note: str | None = None,
    user: str,
    now: datetime,
    today: date,
) -> dict:
    """Add a problem coded with a billable ICD-10-CM code."""
    # Checked before the write: loading the code set on first use commits on its own.
    detail = _problem_fields(store, {"icd": code, "onset": onset, "note": note}, today)
    with store.write():
        patient = patients.resolve(store, patient_ref)
        entry_id = entries.add(
            store,
            patient_id=patient["id"],
            kind="problem",
            at=now,
            user=user,
            now=now,
            detail=detail,
        )
        _written(store, patient["id"], "chart.problem.add", entry_id, user=user, now=now)
    return entries.get(store, entry_id)


def _set_status(store, entry_id, kind, target_kind, on, *, user, now, today) -> dict:
    verb = "resolved" if kind == "resolution" else "stopped"
    with store.write():
        # Any version's id names the problem or medication: act on its live version.
        target = entries.current(store, entries.get(store, entry_id, (target_kind,)))
        if target["voided"]:
            raise Conflict(f"{target_kind} {entry_id} was voided (entry {target['id']})")
        existing = entries.status_of(store, target["thread_id"])
        if existing:
            raise Conflict(
                f"{target_kind} {target['id']} was already {verb} on {existing['on_date']} "
                f"(entry {existing['id']})"
            )
        day = _past_date(on, f"{verb} date", today) or today.isoformat()
        started = target.get("onset") or target.get("start")
        if started and day < started:
            raise Invalid(f"{verb} date {day} is before the {target_kind} began ({started})")
        status_id = entries.add(
            store,
            patient_id=target["patient_id"],
            kind=kind,
            at=now,
            user=user,
            now=now,
            detail={"target_id": target["thread_id"], "on_date": day},
        )
        action = "chart.problem.resolve" if kind == "resolution" else "chart.med.stop"
        _written(store, target["patient_id"], action, status_id, user=user, now=now)
    return {**target, "status_id": status_id, "on_date": day}


def resolve_problem(store, entry_id, *, on=None, user, now, today) -> dict:
    """Mark a problem resolved (a new entry; the problem itself is never changed)."""
    return _set_status(
        store, entry_id, "resolution", "problem", on, user=user, now=now, today=today
    )


def _listing(store, patient_id, kind, table, columns, *, include_ended: bool, tz) -> list[dict]:
    status = "resolution" if kind == "problem" else "stop"
    rows = store.query(
        f"SELECT e.id, e.thread_id, e.at, e.amends, e.recorded_at, {', '.join('d.' + c for c in columns)},"
        " s.on_date AS ended FROM chart_entries e"
        f" JOIN {table} d ON d.entry_id = e.id"
        " LEFT JOIN (SELECT st.target_id, st.on_date FROM chart_status st"
        "   JOIN chart_entries se ON se.id = st.entry_id"
        f"   WHERE se.patient_id = ?1 AND se.kind = '{status}' AND se.voided = 0"
        "   AND NOT EXISTS (SELECT 1 FROM chart_entries l WHERE l.amends = se.id)) s"
        "   ON s.target_id = e.thread_id"
        f" WHERE e.patient_id = ?1 AND e.kind = '{kind}' AND e.voided = 0"
        f" AND {entries.NOT_AMENDED} ORDER BY e.thread_id",
        [patient_id],
    )
    word = "resolved" if kind == "problem" else "stopped"
    out = []
    for row in rows:
        if row["ended"] and not include_ended:
            continue
        row["status"] = f"{word} {row['ended']}" if row["ended"] else "active"
        row["amended"] = _amended(row, tz)
        out.append(row)
    return out


def _amended(row: dict, tz: ZoneInfo) -> str:
    return f"amended {local_text(row['recorded_at'], tz)[:10]}" if row.get("amends") else ""


PROBLEM_COLUMNS = ("id", "code", "description", "onset", "status", "note", "amended")


def problems(store, patient_id, *, include_resolved=False, tz) -> list[dict]:
    """Live problems of a patient (active only unless include_resolved)."""
    return _listing(
        store,
        patient_id,
        "problem",
        "chart_problems",
        ("code", "description", "onset", "note"),
        include_ended=include_resolved,
        tz=tz,
    )


def list_problems(store, patient_ref, *, include_resolved=False, user, now, tz) -> list[dict]:
    """`chart problem list`: audited."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        rows = problems(store, patient["id"], include_resolved=include_resolved, tz=tz)
        _view(store, patient["id"], "problems", user=user, now=now)
    return rows


# -- medications ------------------------------------------------------------------------


def _medication_fields(values: dict, today: date) -> dict:
    out = {}
    if "name" in values:
        out["name"] = _text(values["name"], "medication name", required=True)
    for key in ("dose", "route", "frequency"):
        if key in values:
            out[key] = _text(values[key], key)
    if "start" in values:
        out["start"] = _past_date(values["start"], "start date", today)
    return out


def add_medication(
    store, patient_ref, name, *, dose=None, route=None, frequency=None, start=None, user, now, today
) -> dict:
    """Add a medication the patient takes."""
    detail = _medication_fields(
        {"name": name, "dose": dose, "route": route, "frequency": frequency, "start": start}, today
    )
    with store.write():
        patient = patients.resolve(store, patient_ref)
        entry_id = entries.add(
            store,
            patient_id=patient["id"],
            kind="medication",
            at=now,
            user=user,
            now=now,
            detail=detail,
        )
        _written(store, patient["id"], "chart.med.add", entry_id, user=user, now=now)
    return entries.get(store, entry_id)


def stop_medication(store, entry_id, *, on=None, user, now, today) -> dict:
    """Record that a medication was stopped (a new entry)."""
    return _set_status(store, entry_id, "stop", "medication", on, user=user, now=now, today=today)


MEDICATION_COLUMNS = ("id", "name", "dose", "route", "frequency", "start", "status", "amended")


def medications(store, patient_id, *, include_stopped=False, tz) -> list[dict]:
    return _listing(
        store,
        patient_id,
        "medication",
        "chart_medications",
        ("name", "dose", "route", "frequency", "start"),
        include_ended=include_stopped,
        tz=tz,
    )


def list_medications(store, patient_ref, *, include_stopped=False, user, now, tz) -> list[dict]:
    """`chart med list`: audited."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        rows = medications(store, patient["id"], include_stopped=include_stopped, tz=tz)
        _view(store, patient["id"], "medications", user=user, now=now)
    return rows


# -- allergies --------------------------------------------------------------------------


def _allergy_fields(values: dict) -> dict:
    out = {}
    if "substance" in values:
        out["substance"] = _text(values["substance"], "substance", required=True)
    if "reaction" in values:
        out["reaction"] = _text(values["reaction"], "reaction")
    if values.get("severity"):
        severity = values["severity"].strip().lower()
        if severity not in SEVERITIES:
            raise Invalid(f"unknown severity {values['severity']!r} (use {', '.join(SEVERITIES)})")
        out["severity"] = severity
    elif "severity" in values:
        out["severity"] = None
    return out


def add_allergy(store, patient_ref, substance, *, reaction=None, severity=None, user, now) -> dict:
    """Record an allergy (this also ends a previous 'no known allergies')."""
    detail = _allergy_fields({"substance": substance, "reaction": reaction, "severity": severity})
    with store.write():
        patient = patients.resolve(store, patient_ref)
        entry_id = entries.add(
            store,
            patient_id=patient["id"],
            kind="allergy",
            at=now,
            user=user,
            now=now,
            detail=detail,
        )
        _written(store, patient["id"], "chart.allergy.add", entry_id, user=user, now=now)
    return entries.get(store, entry_id)


def no_known_allergies(store, patient_ref, *, user, now, tz) -> dict:
    """Record that the patient was asked and has no known allergies (NKA)."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        listed = allergies(store, patient["id"], tz=tz)
        recorded = [row for row in listed if row["type"] == "allergy"]
        if recorded:
            ids = ", ".join(str(row["id"]) for row in recorded)
            raise Conflict(
                f"{patient['name']} has recorded allergies (entries {ids}); if they were "
                "entered in error, withdraw them with: macli chart amend ID --void --reason ..."
            )
        entry_id = entries.add(
            store, patient_id=patient["id"], kind="no-allergies", at=now, user=user, now=now
        )
        _written(store, patient["id"], "chart.allergy.none", entry_id, user=user, now=now)
    return entries.get(store, entry_id)


ALLERGY_COLUMNS = ("id", "type", "substance", "reaction", "severity", "recorded", "amended")


def allergies(store, patient_id, *, tz) -> list[dict]:
    """Live allergies; or one 'none known' row when so recorded; [] when never asked."""
    rows = store.query(
        "SELECT e.id, e.kind, e.amends, e.recorded_at, e.at, a.substance, a.reaction, a.severity"
        " FROM chart_entries e LEFT JOIN chart_allergies a ON a.entry_id = e.id"
        " WHERE e.patient_id = ? AND e.kind IN ('allergy', 'no-allergies') AND e.voided = 0"
        f" AND {entries.NOT_AMENDED} ORDER BY e.id",
        [patient_id],
    )
    found = [row for row in rows if row["kind"] == "allergy"]
    if not found and rows:
        found = [rows[-1]]
    return [
        {
            "id": row["id"],
            "type": "allergy" if row["kind"] == "allergy" else "none known",
            "substance": row["substance"],
            "reaction": row["reaction"],
            "severity": row["severity"],
            "recorded": local_text(row["at"], tz)[:10],
            "amended": _amended(row, tz),
        }
        for row in found
    ]


def list_allergies(store, patient_ref, *, user, now, tz) -> list[dict]:
    """`chart allergy list`: audited."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        rows = allergies(store, patient["id"], tz=tz)
        _view(store, patient["id"], "allergies", user=user, now=now)
    return rows


# -- results ----------------------------------------------------------------------------

_RANGE = re.compile(
    r"^\s*(?:(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)|([<>])\s*(-?\d+(?:\.\d+)?))\s*$"
)


def check_loinc(code: str) -> str:
    """A LOINC code with a correct mod-10 check digit (e.g. 4548-4), or Invalid."""
    text = (code or "").strip()
    match = re.fullmatch(r"(\d{1,7})-(\d)", text)
    if not match:
        raise Invalid(f"{code!r} is not a LOINC code (digits, a dash, a check digit: 4548-4)")
    digits = match[1]
    odd = digits[::-1][0::2][::-1]  # 1st, 3rd, ... from the right, in reading order
    even = digits[::-1][1::2][::-1]
    total = sum(int(d) for d in even + str(int(odd) * 2))
    if (10 - total % 10) % 10 != int(match[2]):
        raise Invalid(f"{text} is not a LOINC code: its check digit is wrong")
    return text


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


def _result_fields(values: dict) -> dict:
    out = {}
    if "test" in values:
        out["test"] = _text(values["test"], "test name", required=True)
    if "value" in values:
        out["value"] = _text(values["value"], "value", required=True)
    if "unit" in values:
        out["unit"] = _text(values["unit"], "unit")
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
    detail = _result_fields(
        {"test": test, "value": value, "unit": unit, "range": range_text, "loinc": loinc}
    )
    taken = readings.taken_instant(at, tz=tz, now=now)
    with store.write():
        patient = patients.resolve(store, patient_ref)
        entry_id = entries.add(
            store,
            patient_id=patient["id"],
            kind="result",
            at=taken,
            user=user,
            now=now,
            detail=detail,
        )
        _written(store, patient["id"], "chart.result.add", entry_id, user=user, now=now)
    return entries.get(store, entry_id)


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
                "amended": _amended(row, tz),
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
        _view(store, patient["id"], "results", user=user, now=now)
    return rows


# -- notes ------------------------------------------------------------------------------


def _note_text(text: str | None) -> str:
    if text is None or not text.strip():
        raise Invalid("the note is empty")
    return text.strip("\n")


def add_note(store, patient_ref, text, *, user, now) -> dict:
    """Add a free-text note, kept exactly as written."""
    body = _note_text(text)
    with store.write():
        patient = patients.resolve(store, patient_ref)
        entry_id = entries.add(
            store,
            patient_id=patient["id"],
            kind="note",
            at=now,
            user=user,
            now=now,
            detail={"text": body},
        )
        _written(store, patient["id"], "chart.note.add", entry_id, user=user, now=now)
    return entries.get(store, entry_id)


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
            "amended": _amended(row, tz),
        }
        for row in reversed(rows)
    ]


def list_notes(store, patient_ref, *, user, now, tz) -> list[dict]:
    """`chart note list`: audited."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        rows = notes(store, patient["id"], tz=tz)
        _view(store, patient["id"], "notes", user=user, now=now)
    return rows


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
    reason = _text(reason, "the reason for an amendment", required=True)
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
        _written(store, entry["patient_id"], "chart.amend", new_id, user=user, now=now)
    return entries.get(store, new_id)


def _amended_detail(store, entry, given, *, today, tz, now) -> tuple[dict, str]:
    detail = {key: entry.get(key) for key in entries.DETAILS.get(entry["kind"], ((), ()))[1]}
    at = entry["at"]
    kind = entry["kind"]
    if kind == "problem":
        detail.update(_problem_fields(store, given, today))
    elif kind == "medication":
        detail.update(_medication_fields(given, today))
    elif kind == "allergy":
        detail.update(_allergy_fields(given))
    elif kind == "result":
        detail.update(_result_fields(given))
        if given.get("at"):
            at = utc_text(readings.taken_instant(given["at"], tz=tz, now=now))
    elif kind == "note":
        detail["text"] = _note_text(given["text"]) if "text" in given else detail["text"]
    elif kind in ("resolution", "stop") and "on" in given:
        detail["on_date"] = _past_date(given["on"], "date", today) or detail["on_date"]
    return detail, at


HISTORY_COLUMNS = ("id", "kind", "version", "state", "recorded", "by", "reason", "values")


def history(store, entry_id, *, user, now, tz) -> list[dict]:
    """Every version of an entry (and its resolution or stop), with who, when and why."""
    with store.write():
        entry = entries.get(store, entry_id)
        if entry["kind"] in ("resolution", "stop"):
            entry = entries.get(store, entry["target_id"])
        versions = entries.history(store, entry)
        _view(store, entry["patient_id"], f"history of entry {entry['id']}", user=user, now=now)
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
