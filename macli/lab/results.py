"""Results: recording them (HL7, by hand, point of care), superseding, and the follow-up.

A result is one test of an order as reported once; it holds one observation per analyte.
A later report of the same test (preliminary, then final, then corrected) is a new
result that supersedes the one before; nothing is changed or removed. A result is
closed when a provider has reviewed it and the patient was told (or the provider said
no telling is needed); `inbox` and `open` show what is not.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Conflict, Invalid, NotFound
from macli.lab import critical
from macli.lab.common import clean, order_number
from macli.store import Store
from macli.when import local_text, utc_text

RANK = {"preliminary": 0, "final": 1, "corrected": 2}
HOW = ("phone", "letter", "portal", "email", "in-person")
_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")
_BOUND = re.compile(r"^\s*([<>])=?\s*(-?\d+(?:\.\d+)?)\s*$")
LIST_COLUMNS = [
    "result",
    "order",
    "mrn",
    "patient",
    "test",
    "status",
    "flags",
    "reported",
    "provider",
]
OPEN_COLUMNS = [*LIST_COLUMNS, "waiting_for"]


def flag_for(number: float | None, reference_range: str | None) -> str | None:
    """L or H from a numeric value and a range `3.5-5.1`, `<200` or `>40`; else None."""
    if number is None or not reference_range:
        return None
    found = _RANGE.match(reference_range)
    if found:
        low, high = float(found[1]), float(found[2])
        return "L" if number < low else "H" if number > high else "N"
    found = _BOUND.match(reference_range)
    if found:
        limit = float(found[2])
        if found[1] == "<":
            return "H" if number >= limit else "N"
        return "L" if number <= limit else "N"
    return None


def record(
    store: Store,
    item: dict,
    order: dict,
    observations: list[dict],
    *,
    status: str,
    source: str,
    observed_at: datetime,
    reported_at: datetime,
    user: str,
    now: datetime,
    limits: dict,
    message_id: int | None = None,
    interpretation: str | None = None,
    attachment: tuple[str, str] | None = None,
    kit_lot: str | None = None,
    override_why: str | None = None,
) -> int:
    """Append one result with its observations (inside a write); returns its id."""
    previous = None
    if item["result_id"]:
        previous = store.one("SELECT id, status FROM lab_results WHERE id = ?", [item["result_id"]])
        if RANK[status] < RANK[previous["status"]]:
            raise Conflict(
                f"a {status} result after the {previous['status']} one (result"
                f" {previous['id']}); a later report must be final or corrected"
            )
    rows, abnormal, is_critical = [], False, False
    for obs in observations:
        flag = obs.get("flag") or flag_for(obs.get("numeric"), obs.get("reference_range"))
        crit = critical.is_critical(obs.get("loinc"), obs.get("numeric"), flag, limits)
        abnormal = abnormal or (flag not in (None, "N"))
        is_critical = is_critical or crit
        rows.append({**obs, "flag": flag, "critical": int(crit)})
    result_id = store.insert(
        "lab_results",
        {
            "order_id": order["id"],
            "item_id": item["id"],
            "patient_id": order["patient_id"],
            "provider_id": order["provider_id"],
            "source": source,
            "message_id": message_id,
            "status": status,
            "supersedes": previous["id"] if previous else None,
            "observed_at": utc_text(observed_at),
            "reported_at": utc_text(reported_at),
            "recorded_at": utc_text(now),
            "recorded_by": user,
            "abnormal": int(abnormal or is_critical),
            "critical": int(is_critical),
            "interpretation": interpretation,
            "attachment": attachment[0] if attachment else None,
            "attachment_name": attachment[1] if attachment else None,
            "kit_lot": kit_lot,
            "override_why": override_why,
        },
    )
    store.conn.executemany(
        "INSERT INTO lab_observations (result_id, loinc, name, value, numeric, unit,"
        " reference_range, flag, critical, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                result_id,
                row.get("loinc"),
                row["name"],
                row["value"],
                row.get("numeric"),
                row.get("unit"),
                row.get("reference_range"),
                row["flag"],
                row["critical"],
                "; ".join(row.get("comments") or []) or None,
            )
            for row in rows
        ],
    )
    return result_id


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def manual(
    store: Store,
    reference,
    values: list[str],
    *,
    unit: str | None = None,
    reference_range: str | None = None,
    flag: str | None = None,
    status: str = "final",
    user: str,
    now: datetime,
) -> list[dict]:
    """Enter results by hand (a faxed report): `TEST=VALUE` for each test of the order."""
    from macli.lab import hl7, orders

    if not values:
        raise Invalid("give at least one --value TEST=VALUE")
    if flag is not None and flag.upper() not in hl7.FLAGS:
        raise Invalid(f"unknown flag {flag!r} (use {', '.join(hl7.FLAGS)})")
    if status not in RANK:
        raise Invalid(f"status is {', '.join(RANK)}")
    unit = clean(unit, "the unit")
    reference_range = clean(reference_range, "the range")
    made = []
    with store.write():
        order = orders.get(store, reference)
        number = order_number(order["id"])
        if order["cancelled_at"]:
            raise Conflict(f"{number} was cancelled")
        by_name = {}
        for item in orders.items(store, order["id"]):
            by_name[item["test"].casefold()] = item
            by_name[item["loinc"]] = item
        limits = critical.load(store)
        for pair in values:
            name, sep, value = (pair or "").partition("=")
            value = clean(value, "the value")
            if not sep or not name.strip() or not value:
                raise Invalid(f"cannot read {pair!r}: use --value TEST=VALUE")
            item = by_name.get(name.strip().casefold()) or by_name.get(name.strip())
            if item is None:
                tests = ", ".join(sorted({i["test"] for i in by_name.values()}))
                raise Invalid(f"{number} has no test {name.strip()!r} (it has: {tests})")
            numeric = _number(value)
            if item["value_type"] == "numeric" and numeric is None:
                raise Invalid(f"{item['test']} takes a number, not {value!r}")
            result_id = record(
                store,
                item,
                order,
                [
                    {
                        "loinc": item["loinc"],
                        "name": item["test"],
                        "value": value,
                        "numeric": numeric if item["value_type"] == "numeric" else None,
                        "unit": unit or item["unit"],
                        "reference_range": reference_range or item["reference_range"],
                        "flag": flag.upper() if flag else None,
                    }
                ],
                status=status,
                source="manual",
                observed_at=now,
                reported_at=now,
                user=user,
                now=now,
                limits=limits,
            )
            item["result_id"], item["result_status"] = result_id, status
            made.append({"result": result_id, "order": number, "test": item["test"]})
        audit.record(
            store,
            user=user,
            action="lab.result",
            now=now,
            patient_id=order["patient_id"],
            detail=f"{number} results={len(made)}",
        )
    return made


def _rows(store: Store, where: str, params: list, order_by: str, tz: ZoneInfo) -> list[dict]:
    rows = store.query(
        "SELECT r.*, p.mrn, p.name AS patient, t.name AS test, pr.name AS provider,"
        " (SELECT group_concat(o.name || ' ' || o.flag, ', ') FROM lab_observations o"
        "   WHERE o.result_id = r.id AND o.flag IS NOT NULL AND o.flag != 'N') AS flagged,"
        " (SELECT count(*) FROM lab_reviews v WHERE v.result_id = r.id) AS reviews,"
        " (SELECT min(v.notify_needed) FROM lab_reviews v WHERE v.result_id = r.id) AS no_tell,"
        " (SELECT count(*) FROM lab_notifications n WHERE n.result_id = r.id) AS told"
        " FROM lab_results r JOIN lab_order_items i ON i.id = r.item_id"
        " JOIN patients p ON p.id = r.patient_id JOIN lab_tests t ON t.id = i.test_id"
        " LEFT JOIN providers pr ON pr.id = r.provider_id"
        f" WHERE {where} ORDER BY {order_by}",
        params,
    )
    return [_display(row, tz) for row in rows]


def _display(row: dict, tz: ZoneInfo) -> dict:
    flags = "CRITICAL" if row["critical"] else ""
    if row["flagged"]:
        flags = f"{flags}: {row['flagged']}" if flags else row["flagged"]
    waiting = []
    if not row["reviews"]:
        waiting.append("review")
    elif row["no_tell"] != 0 and not row["told"]:
        waiting.append("telling the patient")
    return {
        "result": row["id"],
        "order": order_number(row["order_id"]),
        "mrn": row["mrn"],
        "patient": row["patient"],
        "test": row["test"],
        "status": row["status"],
        "flags": flags or "normal",
        "reported": local_text(row["reported_at"], tz),
        "provider": row["provider"],
        "waiting_for": ", ".join(waiting) or None,
        "critical": bool(row["critical"]),
    }


def inbox(
    store: Store, *, provider: str | None = None, user: str, now: datetime, tz: ZoneInfo
) -> list[dict]:
    """Latest results no provider has reviewed: critical first, then abnormal, oldest first."""
    where, params = "i.follow_up = 'review' AND r.id = i.result_id", []
    if provider:
        from macli.patients import providers

        where += " AND r.provider_id = ?"
        params.append(providers.resolve(store, provider)["id"])
    rows = _rows(store, where, params, "r.critical DESC, r.abnormal DESC, r.reported_at, r.id", tz)
    audit.record(store, user=user, action="lab.inbox", now=now, detail=f"rows={len(rows)}")
    return rows


def open_results(store: Store, *, user: str, now: datetime, tz: ZoneInfo) -> list[dict]:
    """Latest results not closed: not reviewed, or reviewed and the patient not yet told."""
    where = "i.follow_up IS NOT NULL AND r.id = i.result_id"
    rows = _rows(store, where, [], "r.critical DESC, r.abnormal DESC, r.reported_at, r.id", tz)
    audit.record(store, user=user, action="lab.open", now=now, detail=f"rows={len(rows)}")
    return rows


def _result(store: Store, result_id) -> dict:
    try:
        number = int(str(result_id).strip().lstrip("Rr"))
    except ValueError:
        raise Invalid(f"{result_id!r} is not a result number") from None
    row = store.one("SELECT * FROM lab_results WHERE id = ?", [number])
    if row is None:
        raise NotFound(f"no lab result {number}")
    return row


def _latest_check(store: Store, row: dict) -> None:
    newer = store.scalar("SELECT result_id FROM lab_order_items WHERE id = ?", [row["item_id"]])
    if newer != row["id"]:
        raise Conflict(f"result {row['id']} was superseded by result {newer}: act on that one")


def review(
    store: Store,
    result_id,
    *,
    by: str,
    comment: str | None = None,
    notify_needed: bool = True,
    user: str,
    now: datetime,
) -> dict:
    """A provider signs off a result (once)."""
    from macli.patients import providers

    comment = clean(comment, "the comment", multiline=True)
    with store.write():
        row = _result(store, result_id)
        _latest_check(store, row)
        doctor = providers.resolve(store, by)
        if store.scalar("SELECT 1 FROM lab_reviews WHERE result_id = ?", [row["id"]]):
            raise Conflict(f"result {row['id']} is already reviewed")
        store.insert(
            "lab_reviews",
            {
                "result_id": row["id"],
                "provider_id": doctor["id"],
                "at": utc_text(now),
                "user": user,
                "comment": comment,
                "notify_needed": int(notify_needed),
            },
        )
        audit.record(
            store,
            user=user,
            action="lab.review",
            now=now,
            patient_id=row["patient_id"],
            detail=f"result {row['id']}",
        )
    return {
        "result": row["id"],
        "reviewed_by": doctor["name"],
        "patient_to_be_told": "yes" if notify_needed else "no",
    }


def letter_results(store: Store, row: dict) -> list[dict]:
    """A result's analytes as a results letter reports them (macli.documents.letters)."""
    return [
        {
            "id": row["id"],
            "where": f"lab result {row['id']}",
            "test": observation["name"],
            "loinc": observation["loinc"],
            "value": observation["value"],
            "unit": observation["unit"],
            "range": observation["reference_range"],
            "flag": observation["flag"] or "",
            "at": row["observed_at"],
        }
        for observation in store.query(
            "SELECT * FROM lab_observations WHERE result_id = ? ORDER BY id", [row["id"]]
        )
    ]


def _write_letter(store: Store, row: dict, template: str | None, *, user, now, today, tz):
    """The results letter of `row`, filed on the chart: all in range or please come in."""
    from macli.documents import letters

    given = letter_results(store, row)
    if template is None:
        flagged = (
            row["abnormal"] or row["critical"] or any(r["flag"] not in ("", "N") for r in given)
        )
        template = "follow-up-results" if flagged else "normal-results"
    mrn = store.scalar("SELECT mrn FROM patients WHERE id = ?", [row["patient_id"]])
    return letters.write(
        store, mrn, template, results=given, user=user, now=now, today=today, tz=tz
    )


def notify(
    store: Store,
    result_id,
    *,
    how: str,
    note: str | None = None,
    template: str | None = None,
    user: str,
    now: datetime,
    today=None,
    tz: ZoneInfo | None = None,
) -> dict:
    """Record that the patient was told of a result, and how. `how="letter"` writes the
    results letter (macli.documents) and files it on the chart in the same write."""
    if how not in HOW:
        raise Invalid(f"how the patient was told: {', '.join(HOW)}")
    if template is not None and how != "letter":
        raise Invalid("a letter template goes with --how letter")
    note = clean(note, "the note", multiline=True)
    letter = None
    with store.write():
        row = _result(store, result_id)
        _latest_check(store, row)
        if how == "letter":
            if tz is None:
                from macli import settings
                from macli.when import zone

                tz = zone(settings.get(store, "clinic.timezone"))
            today = today or now.astimezone(tz).date()
            letter = _write_letter(store, row, template, user=user, now=now, today=today, tz=tz)
            document = letter["document"]["thread_id"]
            note = f"letter: document {document}" + (f"; {note}" if note else "")
        store.insert(
            "lab_notifications",
            {"result_id": row["id"], "how": how, "at": utc_text(now), "user": user, "note": note},
        )
        reviewed = store.scalar("SELECT count(*) FROM lab_reviews WHERE result_id = ?", [row["id"]])
        audit.record(
            store,
            user=user,
            action="lab.notify",
            now=now,
            patient_id=row["patient_id"],
            detail=f"result {row['id']} {how}",
        )
    return {
        "result": row["id"],
        "told_by": how,
        "closed": "yes" if reviewed else "no: waiting for the provider's review",
        "letter": letter,
    }


def show(store: Store, result_id, *, user: str, now: datetime, tz: ZoneInfo) -> dict:
    """One result with its analytes, history, review and notifications; audited."""
    with store.write():
        row = _result(store, result_id)
        listed = _rows(store, "r.id = ?", [row["id"]], "r.id", tz)[0]
        observations = store.query(
            "SELECT loinc, name, value, unit, reference_range, flag,"
            " CASE critical WHEN 1 THEN 'yes' ELSE '' END AS critical, comment"
            " FROM lab_observations WHERE result_id = ? ORDER BY id",
            [row["id"]],
        )
        history = store.query(
            "SELECT id AS result, status, reported_at, source FROM lab_results"
            " WHERE item_id = ? ORDER BY id",
            [row["item_id"]],
        )
        for entry in history:
            entry["reported_at"] = local_text(entry["reported_at"], tz)
        reviews = store.query(
            "SELECT p.name AS provider, v.at, v.comment, v.notify_needed FROM lab_reviews v"
            " JOIN providers p ON p.id = v.provider_id WHERE v.result_id = ?",
            [row["id"]],
        )
        told = store.query(
            "SELECT how, at, user, note FROM lab_notifications WHERE result_id = ? ORDER BY id",
            [row["id"]],
        )
        for entry in reviews + told:
            entry["at"] = local_text(entry["at"], tz)
        audit.record(
            store,
            user=user,
            action="lab.view",
            now=now,
            patient_id=row["patient_id"],
            detail=f"result {row['id']}",
        )
    listed.pop("critical")
    return {
        **listed,
        "observed": local_text(row["observed_at"], tz),
        "source": row["source"],
        "interpretation": row["interpretation"],
        "attachment": row["attachment"],
        "attachment_name": row["attachment_name"],
        "kit_lot": row["kit_lot"],
        "override_why": row["override_why"],
        "observations": observations,
        "history": history,
        "reviews": reviews,
        "notifications": told,
    }


def for_patient(store: Store, patient_id: int, *, tz: ZoneInfo, last: int = 5) -> dict:
    """A chart's lab section: the latest results and the tests still out (no audit: the
    caller's view is audited)."""
    recent = _rows(
        store,
        "r.patient_id = ? AND r.id = i.result_id",
        [patient_id],
        f"r.reported_at DESC, r.id DESC LIMIT {int(last)}",
        tz,
    )
    for row in recent:
        row.pop("critical")
    outstanding = store.query(
        "SELECT o.id AS order_id, t.name AS test, o.ordered_at, i.due_at, i.result_status"
        " FROM lab_orders o JOIN lab_order_items i ON i.order_id = o.id"
        " JOIN lab_tests t ON t.id = i.test_id WHERE o.patient_id = ? AND o.cancelled_at IS NULL"
        " AND (i.result_status IS NULL OR i.result_status = 'preliminary') ORDER BY o.id",
        [patient_id],
    )
    pending = [
        {
            "order": order_number(row["order_id"]),
            "test": row["test"],
            "ordered": local_text(row["ordered_at"], tz),
            "due": local_text(row["due_at"], tz) if row["due_at"] else None,
            "state": row["result_status"] or "waiting",
        }
        for row in outstanding
    ]
    return {"recent": recent, "pending": pending}


def day_summary(store: Store, *, now: datetime, tz: ZoneInfo) -> dict:
    """What the day sheet says about the lab: critical results first (no audit of its own:
    the day sheet's view is audited)."""
    critical_rows = _rows(
        store,
        "i.follow_up = 'review' AND r.id = i.result_id AND r.critical = 1",
        [],
        "r.reported_at, r.id",
        tz,
    )
    for row in critical_rows:
        row.pop("critical")
    waiting = store.scalar("SELECT count(*) FROM lab_order_items WHERE follow_up = 'review'")
    to_tell = store.scalar("SELECT count(*) FROM lab_order_items WHERE follow_up = 'tell'")
    unsent = store.scalar(
        "SELECT count(*) FROM lab_specimens s JOIN lab_orders o ON o.id = s.order_id"
        " WHERE s.sent_at IS NULL AND o.cancelled_at IS NULL AND o.poc = 0"
    )
    overdue = store.scalar(
        "SELECT count(*) FROM lab_order_items i JOIN lab_orders o ON o.id = i.order_id"
        " WHERE (i.result_status IS NULL OR i.result_status = 'preliminary')"
        " AND i.due_at < ? AND o.cancelled_at IS NULL",
        [utc_text(now)],
    )
    return {
        "critical": critical_rows,
        "to_review": waiting,
        "to_tell": to_tell,
        "specimens_to_send": unsent,
        "overdue": overdue,
    }
