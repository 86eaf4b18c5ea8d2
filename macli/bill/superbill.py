"""Coding one visit: its diagnoses and its service lines (`bill code`), kept as the
visit's draft claim until it is claimed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.bill import fees
from macli.bill.status import transition
from macli.errors import Conflict, Invalid, NotFound
from macli.store import Store
from macli.when import from_utc_text, utc_text

MAX_DIAGNOSES = 12
MAX_POINTERS = 4
MAX_LINES = 50
MAX_UNITS = 999
# Visits that did not happen are never billed.
UNBILLABLE = ("cancelled", "no-show", "left-without-visit")
CODABLE = ("arrived", "in-room", "completed")


@dataclass
class Line:
    """One service line as written: `99214:25x2@1,2`."""

    text: str
    code: str
    modifiers: list[str]
    units: int
    pointers: list[int] | None  # None: not given


def parse_line(text: str) -> Line:
    """Read `CODE[:MOD...][xUNITS][@POINTERS]`; pointers are 1-12 or A-L, comma separated."""
    raw = text.strip()
    if not raw:
        raise Invalid("an empty --line (use e.g. 99213 or 99214:25x1@1,2)")
    head, at, pointer_text = raw.partition("@")
    if "@" in pointer_text:
        raise Invalid(f"line {raw!r}: '@' appears twice")
    parts = head.split(":")
    units_text = None
    if len(parts) == 1:
        code_text, x, rest = _split_units(parts[0])
        units_text = rest if x else None
        modifier_texts = []
    else:
        code_text = parts[0]
        modifier_texts = parts[1:-1]
        last = parts[-1]
        modifier_texts.append(last[:2])
        if len(last) > 2:
            if last[2] not in "xX":
                raise Invalid(
                    f"line {raw!r}: modifier {last!r} must be two letters or digits "
                    "(units follow as x2)"
                )
            units_text = last[3:]
    try:
        code = fees.check_code(code_text)
        modifiers = fees.check_modifiers(modifier_texts)
    except Invalid as error:
        raise Invalid(f"line {raw!r}: {error.message}") from error
    units = 1
    if units_text is not None:
        if not re.fullmatch(r"\d+", units_text.strip()) or int(units_text) < 1:
            raise Invalid(
                f"line {raw!r}: units must be a positive whole number, not {units_text!r}"
            )
        units = int(units_text)
        if units > MAX_UNITS:
            raise Invalid(f"line {raw!r}: {units} units is more than {MAX_UNITS}; check the number")
    pointers = _pointers(raw, pointer_text) if at else None
    return Line(raw, code, modifiers, units, pointers)


def _split_units(text: str) -> tuple[str, str, str]:
    for index, char in enumerate(text):
        if char in "xX":
            return text[:index], char, text[index + 1 :]
    return text, "", ""


def _pointers(raw: str, text: str) -> list[int]:
    items = [item.strip().upper() for item in re.split(r"[,:]", text)]
    if not any(items):
        raise Invalid(f"line {raw!r}: give the diagnoses it treats after '@', e.g. @1 or @1,2")
    pointers = []
    for item in items:
        if item.isdigit():
            value = int(item)
        elif len(item) == 1 and "A" <= item <= "L":
            value = ord(item) - ord("A") + 1
        else:
            raise Invalid(
                f"line {raw!r}: diagnosis pointer {item or '(empty)'!r} must be 1-12 or A-L"
            )
        if not 1 <= value <= MAX_DIAGNOSES:
            raise Invalid(f"line {raw!r}: diagnosis pointer {item} must be 1-12 or A-L")
        if value in pointers:
            raise Invalid(f"line {raw!r}: diagnosis pointer {item} is given twice")
        pointers.append(value)
    if len(pointers) > MAX_POINTERS:
        raise Invalid(
            f"line {raw!r}: {len(pointers)} diagnosis pointers; a line points at most at "
            f"{MAX_POINTERS} (keep the {MAX_POINTERS} that justify it best)"
        )
    return pointers


def split_codes(text: str) -> list[str]:
    """`J06.9, R05.9` into a list of codes."""
    return [part.strip() for part in re.split(r"[,\s]+", text or "") if part.strip()]


def check_diagnoses(store: Store, codes: list[str]) -> list[dict]:
    """Each code a billable ICD-10-CM code; at most 12, none twice. Returns code+description."""
    from macli.chart import icd

    if not codes:
        raise Invalid("give the visit's diagnoses with --dx (e.g. --dx J06.9,R05.9)")
    if len(codes) > MAX_DIAGNOSES:
        raise Invalid(
            f"{len(codes)} diagnoses; a claim carries at most {MAX_DIAGNOSES} "
            "(keep those the service lines point at)"
        )
    for code in codes:
        icd.normalise(code)  # every code's form before the code set is loaded for any
    checked, seen = [], set()
    for code in codes:
        row = icd.check_billable(store, code)
        if row["code"] in seen:
            raise Invalid(f"diagnosis {row['code']} is given twice")
        seen.add(row["code"])
        checked.append({"code": row["code"], "description": row.get("description")})
    return checked


def active_problems(
    store: Store, appointment_id: int | str, *, user: str, now: datetime, tz: ZoneInfo
) -> list[dict]:
    """The visit's patient's active chart problems (code, description), to code from.

    Reading the problem list is a view of the chart, audited as the chart audits it.
    """
    from macli.chart import core as chart

    # One transaction, so a refusal leaves no trace (not even the audit row of the view).
    with store.write():
        visit = appointment(store, appointment_id, tz)
        mrn = store.scalar("SELECT mrn FROM patients WHERE id = ?", [visit["patient_id"]])
        rows = chart.list_problems(store, mrn, user=user, now=now, tz=tz)
        problems = {row["code"]: row["description"] for row in rows}
        if not problems:
            raise Invalid(
                f"{mrn} has no active problems on the chart: give the visit's diagnoses with --dx"
            )
    return [{"code": code, "description": text} for code, text in problems.items()]


def appointment(store: Store, appointment_id: int | str, tz: ZoneInfo) -> dict:
    """The appointment with its local date of service."""
    text = str(appointment_id).strip()
    if not text.isdigit():
        raise Invalid(f"{appointment_id!r} is not an appointment id (a number, e.g. 42)")
    row = store.one("SELECT * FROM appointments WHERE id = ?", [int(text)])
    if row is None:
        raise NotFound(f"no appointment with id {text}")
    row["service_date"] = from_utc_text(row["starts_at"]).astimezone(tz).date().isoformat()
    return row


def current_claim(store: Store, appointment_id: int) -> dict | None:
    """The newest version of the claim for a visit, or None."""
    return store.one(
        "SELECT * FROM bill_claims WHERE appointment_id = ? ORDER BY version DESC LIMIT 1",
        [appointment_id],
    )


def refuse_unbillable(visit: dict) -> None:
    if visit["status"] in UNBILLABLE:
        raise Conflict(
            f"appointment {visit['id']} is marked {visit['status']}: "
            "a visit that did not take place cannot be billed"
        )


def code_visit(
    store: Store,
    appointment_id: int | str,
    diagnosis_codes: list[str],
    line_texts: list[str],
    *,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Record (or redo) the superbill of one visit as its draft claim; returns the claim."""
    lines = [parse_line(text) for text in line_texts]
    if not lines:
        raise Invalid("give at least one service line with --line (e.g. --line 99213@1)")
    if len(lines) > MAX_LINES:
        raise Invalid(f"{len(lines)} lines; a claim carries at most {MAX_LINES}")
    with store.write():
        visit = appointment(store, appointment_id, tz)
        refuse_unbillable(visit)
        if visit["status"] not in CODABLE:
            raise Conflict(
                f"appointment {visit['id']} is still {visit['status']}: "
                "code a visit once the patient has arrived"
            )
        claim = current_claim(store, visit["id"])
        if claim and claim["status"] == "denied":
            raise Conflict(
                f"claim C{claim['id']} for appointment {visit['id']} was denied: "
                f"start its corrected version with `macli bill correct C{claim['id']}`"
            )
        withdrawn = claim is not None and claim["status"] == "withdrawn"
        if claim and claim["status"] != "draft" and not withdrawn:
            raise Conflict(
                f"appointment {visit['id']} is already on claim C{claim['id']} "
                f"({claim['status']}); a visit is billed once"
            )
        diagnoses = check_diagnoses(store, diagnosis_codes)
        priced = [_price(store, line, len(diagnoses)) for line in lines]
        total = sum(line["charge_cents"] for line in priced)
        stamp = utc_text(now)
        if claim is None or withdrawn:
            # After a withdrawal the visit is coded afresh, as the claim's next version.
            claim_id = store.insert(
                "bill_claims",
                {
                    "appointment_id": visit["id"],
                    "version": claim["version"] + 1 if withdrawn else 1,
                    "patient_id": visit["patient_id"],
                    "provider_id": visit["provider_id"],
                    "service_date": visit["service_date"],
                    "status": "draft",
                    "status_at": stamp,
                    "charge_cents": total,
                    "created_at": stamp,
                    "created_by": user,
                },
            )
            note = "coded"
        else:
            claim_id = claim["id"]
            store.execute("DELETE FROM bill_claim_lines WHERE claim_id = ?", [claim_id])
            store.execute("DELETE FROM bill_claim_diagnoses WHERE claim_id = ?", [claim_id])
            store.execute(
                "UPDATE bill_claims SET charge_cents = ?, provider_id = ? WHERE id = ?",
                [total, visit["provider_id"], claim_id],
            )
            note = "recoded"
        write_coding(store, claim_id, diagnoses, priced)
        transition(store, {"id": claim_id, "status": "draft"}, "draft", note, user=user, now=now)
        audit.record(
            store,
            user=user,
            action="bill.code",
            now=now,
            patient_id=visit["patient_id"],
            detail=f"claim C{claim_id}, appointment {visit['id']}",
        )
    return {
        "claim": f"C{claim_id}",
        "appointment": visit["id"],
        "lines": len(priced),
        "diagnoses": len(diagnoses),
        "charges": total,
    }


def _price(store: Store, line: Line, diagnosis_count: int) -> dict:
    fee = fees.get(store, line.code)
    if fee is None:
        raise Invalid(
            f"line {line.text!r}: {line.code} is not in the fee schedule "
            "(see `macli bill fees list`, or add it with `macli bill fees import`)"
        )
    pointers = line.pointers
    if pointers is None:
        if diagnosis_count != 1:
            raise Invalid(
                f"line {line.text!r}: say which diagnoses justify it, "
                f"e.g. {line.text}@1 (pointers 1-{diagnosis_count} follow the --dx order)"
            )
        pointers = [1]
    for pointer in pointers:
        if pointer > diagnosis_count:
            raise Invalid(
                f"line {line.text!r}: pointer {pointer} points past the "
                f"{diagnosis_count} diagnos{'is' if diagnosis_count == 1 else 'es'} given"
            )
    modifiers = line.modifiers or (fee["modifiers"].split(":") if fee["modifiers"] else [])
    return {
        "code": line.code,
        "description": fee["description"],
        "modifiers": ":".join(modifiers) or None,
        "units": line.units,
        "fee_cents": fee["fee_cents"],
        "charge_cents": fee["fee_cents"] * line.units,
        "pointers": ":".join(str(p) for p in pointers),
    }


def write_coding(store: Store, claim_id: int, diagnoses: list[dict], lines: list[dict]) -> None:
    """Insert a claim's diagnoses (in pointer order) and lines."""
    store.conn.executemany(
        "INSERT INTO bill_claim_diagnoses (claim_id, position, code, description)"
        " VALUES (?, ?, ?, ?)",
        [(claim_id, n, d["code"], d["description"]) for n, d in enumerate(diagnoses, start=1)],
    )
    store.conn.executemany(
        "INSERT INTO bill_claim_lines (claim_id, line_no, code, description, modifiers, units,"
        " fee_cents, charge_cents, pointers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                claim_id,
                n,
                line["code"],
                line["description"],
                line["modifiers"],
                line["units"],
                line["fee_cents"],
                line["charge_cents"],
                line["pointers"],
            )
            for n, line in enumerate(lines, start=1)
        ],
    )
