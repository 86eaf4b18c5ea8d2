"""Problems, medications and allergies, and the helpers every kind of entry shares.

Every write and every view of a chart is audited in the same transaction as the rows
it writes or reads. Vitals live in `readings`, results and notes in `findings`,
amendments in `corrections`, the append-only spine in `entries`.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.chart import entries, icd
from macli.errors import Conflict, Invalid
from macli.patients import core as patients
from macli.store import Store
from macli.when import local_text, parse_date

SEVERITIES = ("mild", "moderate", "severe")


def clean_text(value: str | None, what: str, required: bool = False) -> str | None:
    """Text with its whitespace collapsed; None when empty (Invalid if required).

    Control characters are refused (macli/text.py); line breaks and tabs collapse."""
    from macli.text import clean

    value = " ".join(clean(value, what, multiline=True).split()) if value is not None else None
    if required and not value:
        raise Invalid(f"{what} may not be empty")
    return value or None


def past_date(text: str | None, what: str, today: date) -> str | None:
    """A local date that is not in the future, as text; None when not given."""
    if text is None or not text.strip():
        return None
    day = parse_date(text, today)
    if day > today:
        raise Invalid(f"{what} {day} is in the future")
    return day.isoformat()


def audit_view(store, patient_id, what, *, user, now) -> None:
    audit.record(store, user=user, action="chart.view", now=now, patient_id=patient_id, detail=what)


def audit_write(store, patient_id, action, entry_id, *, user, now) -> None:
    audit.record(
        store, user=user, action=action, now=now, patient_id=patient_id, detail=f"entry {entry_id}"
    )


def add_entry(store, patient_ref, kind, *, action, at, detail, user, now) -> dict:
    """Write one new chart entry for a patient, audited in the same transaction."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        entry_id = entries.add(
            store, patient_id=patient["id"], kind=kind, at=at, user=user, now=now, detail=detail
        )
        audit_write(store, patient["id"], action, entry_id, user=user, now=now)
    return entries.get(store, entry_id)


# -- problems ---------------------------------------------------------------------------


def problem_fields(store: Store, values: dict, today: date) -> dict:
    out = {}
    # Everything that needs no code set is checked first, the code's form included:
    # loading ICD-10-CM on first use commits on its own, so a refusal must come before.
    if values.get("icd") is not None:
        icd.normalise(values["icd"])
    if "onset" in values:
        out["onset"] = past_date(values["onset"], "onset", today)
    if "note" in values:
        out["note"] = clean_text(values["note"], "note")
    if values.get("icd") is not None:
        out = {**icd.check_billable(store, values["icd"]), **out}
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
    again: bool = False,
) -> dict:
    """Add a problem coded with a billable ICD-10-CM code; the same code already active
    on the list is refused (naming it) unless `again` records a new episode."""
    # Checked before the write: loading the code set on first use commits on its own.
    detail = problem_fields(store, {"icd": code, "onset": onset, "note": note}, today)
    with store.write():
        patient = patients.resolve(store, patient_ref)
        if not again:
            # The zone only shapes the 'amended' date, which is not used here.
            for active in problems(store, patient["id"], tz=ZoneInfo("UTC")):
                if active["code"] == detail["code"]:
                    since = f", onset {active['onset']}" if active["onset"] else ""
                    raise Conflict(
                        f"{patient['mrn']} already has {active['code']} {active['description']}"
                        f" on the active problem list (entry {active['id']}{since}): resolve it"
                        f" first (macli chart problem resolve {active['id']}), or add --again"
                        " to record a new episode"
                    )
        return add_entry(
            store,
            patient_ref,
            "problem",
            action="chart.problem.add",
            at=now,
            detail=detail,
            user=user,
            now=now,
        )


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
        day = past_date(on, f"{verb} date", today) or today.isoformat()
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
        audit_write(store, target["patient_id"], action, status_id, user=user, now=now)
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
        row["amended"] = amended_marker(row, tz)
        out.append(row)
    return out


def amended_marker(row: dict, tz: ZoneInfo) -> str:
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
        audit_view(store, patient["id"], "problems", user=user, now=now)
    return rows


# -- medications ------------------------------------------------------------------------


def medication_fields(values: dict, today: date) -> dict:
    out = {}
    if "name" in values:
        out["name"] = clean_text(values["name"], "medication name", required=True)
    for key in ("dose", "route", "frequency"):
        if key in values:
            out[key] = clean_text(values[key], key)
    if "start" in values:
        out["start"] = past_date(values["start"], "start date", today)
    return out


def add_medication(
    store, patient_ref, name, *, dose=None, route=None, frequency=None, start=None, user, now, today
) -> dict:
    """Add a medication the patient takes."""
    detail = medication_fields(
        {"name": name, "dose": dose, "route": route, "frequency": frequency, "start": start}, today
    )
    return add_entry(
        store,
        patient_ref,
        "medication",
        action="chart.med.add",
        at=now,
        detail=detail,
        user=user,
        now=now,
    )


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
        audit_view(store, patient["id"], "medications", user=user, now=now)
    return rows


# -- allergies --------------------------------------------------------------------------


def allergy_fields(values: dict) -> dict:
    out = {}
    if "substance" in values:
        out["substance"] = clean_text(values["substance"], "substance", required=True)
    if "reaction" in values:
        out["reaction"] = clean_text(values["reaction"], "reaction")
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
    detail = allergy_fields({"substance": substance, "reaction": reaction, "severity": severity})
    return add_entry(
        store,
        patient_ref,
        "allergy",
        action="chart.allergy.add",
        at=now,
        detail=detail,
        user=user,
        now=now,
    )


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
        audit_write(store, patient["id"], "chart.allergy.none", entry_id, user=user, now=now)
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
            "amended": amended_marker(row, tz),
        }
        for row in found
    ]


def list_allergies(store, patient_ref, *, user, now, tz) -> list[dict]:
    """`chart allergy list`: audited."""
    with store.write():
        patient = patients.resolve(store, patient_ref)
        rows = allergies(store, patient["id"], tz=tz)
        audit_view(store, patient["id"], "allergies", user=user, now=now)
    return rows
