"""`phone screen`: one audited read of what the desk needs to answer a caller, in the
order the call goes: confirm who it is, the language, who else may be told, then the
appointments, medications, results (the chart's, and the lab's with their review
state), open messages, balance and consent."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.identifiers import fold
from macli.patients import core as patients
from macli.patients import representatives
from macli.phone import core as phone
from macli.store import Store
from macli.when import utc_text

NEXT_APPOINTMENTS = 3
RECENT_RESULTS = 5


def _age(dob: str, today: date) -> int:
    born = date.fromisoformat(dob)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def appointments(store: Store, patient_id: int, now: datetime) -> dict:
    """The next few appointments (not cancelled) and the last completed visit."""
    columns = (
        "SELECT a.id, a.starts_at, v.name AS provider, t.name AS type, a.status FROM appointments a"
        " JOIN providers v ON v.id = a.provider_id LEFT JOIN appointment_types t ON t.id = a.type_id"
    )
    upcoming = store.query(
        columns + " WHERE a.patient_id = ? AND a.starts_at >= ? AND a.status != 'cancelled'"
        f" ORDER BY a.starts_at LIMIT {NEXT_APPOINTMENTS}",
        [patient_id, utc_text(now)],
    )
    last = store.one(
        columns + " WHERE a.patient_id = ? AND a.starts_at < ? AND a.status = 'completed'"
        " ORDER BY a.starts_at DESC LIMIT 1",
        [patient_id, utc_text(now)],
    )
    return {"next": upcoming, "last_visit": last}


def caller_check(
    patient: dict, contacts: list[dict], *, caller: str | None, number: str | None
) -> dict | None:
    """Whether the caller (name and/or number) is the patient or a representative on file."""
    if not caller and not number:
        return None
    digits = re.sub(r"\D", "", number or "")
    if number and len(digits) < 4:
        from macli.errors import Invalid

        raise Invalid(f"{number!r} is too short to compare: give the caller's whole number")
    tail = digits[-10:]

    def same_number(stored):
        return bool(tail) and bool(stored) and re.sub(r"\D", "", stored).endswith(tail)

    def same_name(name):
        words = set(fold(caller or "").split())
        return bool(words) and words <= set(fold(name).split())

    if (caller and same_name(patient["name"])) or (not caller and same_number(patient["phone"])):
        return {"on_file": True, "as": "the patient", "may_discuss": True}
    for contact in contacts:
        if (caller and same_name(contact["name"])) or (
            not caller and same_number(contact["phone"])
        ):
            return {
                "on_file": True,
                "as": f"{contact['name']} ({contact['relation']})",
                "may_discuss": contact["may_discuss"],
            }
    return {"on_file": False, "as": caller or number, "may_discuss": False}


def lab_for_desk(store: Store, lab: dict) -> dict:
    """The lab section with what the reviewing provider wrote (what the desk may say)."""
    for row in lab["recent"]:
        row["provider_says"] = store.scalar(
            "SELECT comment FROM lab_reviews WHERE result_id = ? ORDER BY id DESC LIMIT 1",
            [row["result"]],
        )
    return lab


def screen(
    store: Store,
    patient_ref: str,
    *,
    caller: str | None = None,
    number: str | None = None,
    tz: ZoneInfo,
    user: str,
    now: datetime,
) -> dict:
    """Every section of the phone screen for one patient; the view is audited."""
    from macli.bill import payments
    from macli.chart import core as chart
    from macli.chart import findings
    from macli.lab import results as lab_results

    today = now.astimezone(tz).date()
    with store.write():
        patient = patients.resolve(store, patient_ref, today=today)
        pid = patient["id"]
        contacts = representatives.of_patient(store, pid)
        balance = payments.patient_balance(store, pid, as_of=today)
        sheet = {
            "confirm": {
                "name": patient["name"],
                "dob": patient["dob"],
                "age": _age(patient["dob"], today),
                "mrn": patient["mrn"],
            },
            "language": {
                "code": patient["language"],
                "name": store.scalar(
                    "SELECT name FROM languages WHERE code = ?", [patient["language"]]
                ),
                "interpreter": bool(patient["interpreter"]),
            },
            "caller": caller_check(patient, contacts, caller=caller, number=number),
            "representatives": contacts,
            "appointments": appointments(store, pid, now),
            "medications": chart.medications(store, pid, tz=tz),
            "results": findings.results(store, pid, tz=tz, last=RECENT_RESULTS),
            # Results from the lab with their review state, and the tests still out:
            # "did my results come back?" is answered from here.
            "lab": lab_for_desk(
                store, lab_results.for_patient(store, pid, tz=tz, last=RECENT_RESULTS)
            ),
            # Audited with the screen itself, below.
            "messages": phone.messages(
                store, open_only=True, patient_id=pid, user=user, now=now, record_view=False
            ),
            "balance": {"cents": balance["cents"], "claims": balance["claims"]},
            "consent": patients.consents(store, pid),
            "phone": patient["phone"],
            "email": patient["email"],
            "prefers": patient["prefers"],
        }
        audit.record(store, user=user, action="phone.screen", now=now, patient_id=pid)
    return sheet
