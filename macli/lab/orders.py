"""Orders, specimens and the courier: from the provider's order to the lab's door.

An order names tests; `collect` draws one specimen per kind of tube and lab among the
tests not yet collected; `send` hands every collected, unsent specimen to the courier
in one manifest, all or nothing. Every change is audited against the patient.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Conflict, Invalid, NotFound
from macli.lab import catalogue
from macli.lab.common import clean, order_number, parse_number, specimen_number
from macli.store import Store
from macli.when import from_utc_text, local_text, utc_text

PRIORITIES = ("routine", "stat")
PENDING_COLUMNS = [
    "order",
    "mrn",
    "patient",
    "test",
    "state",
    "priority",
    "ordered",
    "collected",
    "due",
    "overdue_by",
]


def get(store: Store, reference) -> dict:
    """One order by its number (`LO000012` or `12`)."""
    order_id = parse_number(reference, "LO", "an order")
    row = store.one("SELECT * FROM lab_orders WHERE id = ?", [order_id])
    if row is None:
        raise NotFound(f"no lab order {order_number(order_id)}")
    return row


def items(store: Store, order_id: int) -> list[dict]:
    """The tests of an order with their catalogue details."""
    return store.query(
        "SELECT i.*, t.name AS test, t.loinc, t.specimen, t.container, t.lab,"
        " t.turnaround_minutes, t.value_type, t.unit, t.reference_range, t.poc"
        " FROM lab_order_items i JOIN lab_tests t ON t.id = i.test_id"
        " WHERE i.order_id = ? ORDER BY i.id",
        [order_id],
    )


def _due(start: datetime, minutes: int | None) -> str | None:
    return utc_text(start + timedelta(minutes=minutes)) if minutes else None


def place(
    store: Store,
    patient: str,
    tests: list[str],
    *,
    provider: str | None = None,
    priority: str = "routine",
    fasting: bool = False,
    appointment: int | None = None,
    note: str | None = None,
    poc: bool = False,
    user: str,
    now: datetime,
) -> dict:
    """Order one or more tests for a patient; returns the order."""
    from macli.patients import core as patients
    from macli.patients import providers

    if not tests:
        raise Invalid("name at least one test (--test NAME)")
    if priority not in PRIORITIES:
        raise Invalid(f"priority is {' or '.join(PRIORITIES)}")
    note = clean(note, "the note", multiline=True)
    with store.write():
        person = patients.resolve(store, patient)
        doctor = providers.resolve(store, provider) if provider else None
        if appointment is not None:
            booked = store.one(
                "SELECT id, patient_id FROM appointments WHERE id = ?", [int(appointment)]
            )
            if booked is None:
                raise NotFound(f"no appointment {appointment}")
            if booked["patient_id"] != person["id"]:
                raise Invalid(f"appointment {appointment} is not {person['name']}'s")
        chosen = []
        for name in tests:
            test = catalogue.get(store, name)
            if test["id"] in (t["id"] for t in chosen):
                raise Invalid(f"{test['name']} is named twice")
            if test["poc"] and not poc:
                raise Invalid(f"{test['name']} is done in the office: record it with macli lab poc")
            chosen.append(test)
        order_id = store.insert(
            "lab_orders",
            {
                "patient_id": person["id"],
                "provider_id": doctor["id"] if doctor else None,
                "priority": priority,
                "fasting": int(fasting),
                "appointment_id": appointment,
                "note": note,
                "poc": int(poc),
                "ordered_at": utc_text(now),
                "ordered_by": user,
            },
        )
        for test in chosen:
            store.insert(
                "lab_order_items",
                {
                    "order_id": order_id,
                    "test_id": test["id"],
                    "due_at": _due(now, test["turnaround_minutes"]),
                },
            )
        audit.record(
            store,
            user=user,
            action="lab.order",
            now=now,
            patient_id=person["id"],
            detail=f"{order_number(order_id)} tests={len(chosen)}",
        )
    return {
        "order": order_number(order_id),
        "mrn": person["mrn"],
        "patient": person["name"],
        "tests": ", ".join(t["name"] for t in chosen),
        "priority": priority,
        "provider": doctor["name"] if doctor else None,
    }


def cancel(store: Store, reference, *, reason: str, user: str, now: datetime) -> dict:
    """Cancel an order that has no result yet."""
    reason = clean(reason, "the reason")
    if not reason:
        raise Invalid("say why the order is cancelled (--reason)")
    with store.write():
        order = get(store, reference)
        if order["cancelled_at"]:
            raise Conflict(f"{order_number(order['id'])} was already cancelled")
        if store.scalar("SELECT 1 FROM lab_results WHERE order_id = ? LIMIT 1", [order["id"]]):
            raise Conflict(f"{order_number(order['id'])} has results; it cannot be cancelled")
        store.execute(
            "UPDATE lab_orders SET cancelled_at = ?, cancelled_by = ?, cancel_reason = ?"
            " WHERE id = ?",
            [utc_text(now), user, reason, order["id"]],
        )
        audit.record(
            store,
            user=user,
            action="lab.cancel",
            now=now,
            patient_id=order["patient_id"],
            detail=order_number(order["id"]),
        )
    return {"order": order_number(order["id"]), "cancelled": local_text(now, ZoneInfo("UTC"))}


def collect(
    store: Store,
    reference,
    *,
    at: datetime | None = None,
    site: str | None = None,
    note: str | None = None,
    user: str,
    now: datetime,
) -> list[dict]:
    """Record the specimens drawn for an order's uncollected tests, one per tube and lab."""
    at = at or now
    if at > now + timedelta(minutes=5):
        raise Invalid("a specimen cannot be collected in the future")
    site = clean(site, "the site")
    note = clean(note, "the note", multiline=True)
    with store.write():
        order = get(store, reference)
        number = order_number(order["id"])
        if order["cancelled_at"]:
            raise Conflict(f"{number} was cancelled")
        waiting = [item for item in items(store, order["id"]) if item["specimen_id"] is None]
        if not waiting:
            raise Conflict(f"every test of {number} is already collected")
        tubes: dict[tuple, list[dict]] = {}
        for item in waiting:
            tubes.setdefault((item["specimen"], item["container"], item["lab"]), []).append(item)
        made = []
        for (kind, container, lab), group in tubes.items():
            specimen_id = store.insert(
                "lab_specimens",
                {
                    "order_id": order["id"],
                    "specimen": kind,
                    "container": container,
                    "lab": lab,
                    "collected_at": utc_text(at),
                    "collected_by": user,
                    "site": site,
                    "note": note,
                },
            )
            for item in group:
                store.execute(
                    "UPDATE lab_order_items SET specimen_id = ?, due_at = ? WHERE id = ?",
                    [specimen_id, _due(at, item["turnaround_minutes"]), item["id"]],
                )
            made.append(
                {
                    "specimen": specimen_number(specimen_id),
                    "order": number,
                    "kind": kind,
                    "container": container,
                    "lab": lab,
                    "tests": ", ".join(item["test"] for item in group),
                }
            )
        audit.record(
            store,
            user=user,
            action="lab.collect",
            now=now,
            patient_id=order["patient_id"],
            detail=f"{number} specimens={len(made)}",
        )
    return made


def label_rows(store: Store, reference, *, user: str, now: datetime, tz: ZoneInfo) -> list[dict]:
    """What each specimen label of an order shows; refused for an order not collected."""
    with store.write():
        order = get(store, reference)
        number = order_number(order["id"])
        person = store.one("SELECT * FROM patients WHERE id = ?", [order["patient_id"]])
        rows = store.query(
            "SELECT s.*, group_concat(t.name, ', ') AS tests FROM lab_specimens s"
            " JOIN lab_order_items i ON i.specimen_id = s.id JOIN lab_tests t ON t.id = i.test_id"
            " WHERE s.order_id = ? GROUP BY s.id ORDER BY s.id",
            [order["id"]],
        )
        if not rows:
            raise Conflict(f"{number} has no specimen collected yet: no label to print")
        audit.record(
            store,
            user=user,
            action="lab.label",
            now=now,
            patient_id=person["id"],
            detail=f"{number} labels={len(rows)}",
        )
    return [
        {
            "specimen": specimen_number(row["id"]),
            "order": number,
            "patient": person["name"],
            "dob": person["dob"],
            "mrn": person["mrn"],
            "tests": row["tests"],
            "kind": row["specimen"],
            "container": row["container"] or "",
            "lab": row["lab"] or "",
            "collected": local_text(row["collected_at"], tz),
            "priority": order["priority"],
            "fasting": "fasting" if order["fasting"] else "",
        }
        for row in rows
    ]


MANIFEST_COLUMNS = ["specimen", "order", "mrn", "patient", "dob", "tests", "container", "collected"]


def send(
    store: Store, *, lab: str | None = None, user: str, now: datetime, tz: ZoneInfo, write=None
) -> dict:
    """Hand every collected, unsent specimen (of one lab) to the courier, all or nothing.

    `write(rows)` writes the manifest file inside the same transaction: if it fails,
    no specimen is marked sent.
    """
    lab = clean(lab, "the lab")
    with store.write():
        where, params = "", []
        if lab:
            where, params = " AND s.lab = ? COLLATE NOCASE", [lab]
        found = store.query(
            "SELECT s.id, s.order_id, s.container, s.collected_at, s.lab, p.id AS patient_id,"
            " p.mrn, p.name, p.dob, group_concat(t.name, ', ') AS tests FROM lab_specimens s"
            " JOIN lab_orders o ON o.id = s.order_id JOIN patients p ON p.id = o.patient_id"
            " JOIN lab_order_items i ON i.specimen_id = s.id JOIN lab_tests t ON t.id = i.test_id"
            f" WHERE s.sent_at IS NULL AND o.cancelled_at IS NULL AND o.poc = 0{where}"
            " GROUP BY s.id ORDER BY s.lab, s.id",
            params,
        )
        if not found:
            raise Conflict(
                "no collected specimen is waiting for the courier" + (f" for {lab}" if lab else "")
            )
        labs = sorted({row["lab"] or "" for row in found})
        manifest_id = store.insert(
            "lab_manifests",
            {
                "lab": lab or (labs[0] if len(labs) == 1 else None),
                "at": utc_text(now),
                "user": user,
                "specimens": len(found),
            },
        )
        store.conn.executemany(
            "UPDATE lab_specimens SET sent_at = ?, manifest_id = ? WHERE id = ?",
            [(utc_text(now), manifest_id, row["id"]) for row in found],
        )
        rows = [
            {
                "specimen": specimen_number(row["id"]),
                "order": order_number(row["order_id"]),
                "mrn": row["mrn"],
                "patient": row["name"],
                "dob": row["dob"],
                "tests": row["tests"],
                "container": row["container"] or "",
                "collected": local_text(row["collected_at"], tz),
                "lab": row["lab"] or "",
            }
            for row in found
        ]
        audit.record_many(
            store,
            user=user,
            action="lab.send",
            now=now,
            entries=[
                (patient_id, f"manifest {manifest_id}")
                for patient_id in sorted({row["patient_id"] for row in found})
            ],
        )
        if write is not None:
            write(rows)
    return {"manifest": manifest_id, "specimens": len(rows), "labs": labs, "rows": rows}


def pending(
    store: Store, *, overdue: bool = False, now: datetime, tz: ZoneInfo, user: str
) -> list[dict]:
    """Tests ordered, collected or sent that have no final result, oldest due first."""
    extra, params = "", []
    if overdue:
        extra, params = " AND i.due_at < ?", [utc_text(now)]
    rows = store.query(
        "SELECT o.id AS order_id, p.mrn, p.name, t.name AS test, o.priority, o.ordered_at,"
        " s.collected_at, s.sent_at, i.due_at, i.result_status FROM lab_order_items i"
        " JOIN lab_orders o ON o.id = i.order_id JOIN patients p ON p.id = o.patient_id"
        " JOIN lab_tests t ON t.id = i.test_id LEFT JOIN lab_specimens s ON s.id = i.specimen_id"
        " WHERE (i.result_status IS NULL OR i.result_status = 'preliminary')"
        f" AND o.cancelled_at IS NULL{extra}"
        " ORDER BY i.due_at IS NULL, i.due_at, o.id",
        params,
    )
    out = []
    for row in rows:
        if row["result_status"]:
            state = "preliminary"
        elif row["sent_at"]:
            state = "sent"
        elif row["collected_at"]:
            state = "collected"
        else:
            state = "ordered"
        late = None
        if row["due_at"] and from_utc_text(row["due_at"]) < now:
            late = _span(now - from_utc_text(row["due_at"]))
        out.append(
            {
                "order": order_number(row["order_id"]),
                "mrn": row["mrn"],
                "patient": row["name"],
                "test": row["test"],
                "state": state,
                "priority": row["priority"],
                "ordered": local_text(row["ordered_at"], tz),
                "collected": local_text(row["collected_at"], tz) if row["collected_at"] else None,
                "due": local_text(row["due_at"], tz) if row["due_at"] else None,
                "overdue_by": late,
            }
        )
    # A listing of who has tests out is a view of patient data.
    audit.record(store, user=user, action="lab.pending", now=now, detail=f"rows={len(out)}")
    return out


def _span(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h"
