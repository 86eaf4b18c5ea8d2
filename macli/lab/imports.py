"""`lab import`: HL7 result files into results, or into quarantine, never onto a guess.

Every file is read and every message parsed before anything is written: one bad message
is an error naming its file and number, and nothing is imported. A message whose control
id (MSH-10) was seen before adds nothing. A message is attached when its placer order
number (ORC-2/OBR-2) names an order whose patient has the name and birth date of PID-5
and PID-7 and which has the test of each OBR; otherwise it waits in quarantine with the
reason until `lab match` attaches it to the order a person checked.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Conflict, Invalid, NotFound
from macli.lab import critical, hl7, orders, results
from macli.lab.common import clean, order_number
from macli.store import Store
from macli.when import local_text, utc_text

QUARANTINE_COLUMNS = [
    "message",
    "control_id",
    "file",
    "number",
    "received",
    "placer",
    "patient",
    "dob",
    "reason",
]


def read(paths: list[str | Path], tz: ZoneInfo, known=None) -> list[dict]:
    """Every message of every file, parsed; Invalid on the first that cannot be read.

    `known(control_id)` gives the text already stored under a control id: a message
    identical to it is not parsed again (it was read when it came; re-delivered files
    are mostly such messages, and parsing is most of an import's time)."""
    texts = []
    for path in paths:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise Invalid(f"cannot read {path}: {error.strerror}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # HL7 v2 files from older systems are often Latin-1; MSH-18 would say so.
            text = raw.decode("latin-1")
        texts.append((path.name, text))
    return parse_texts(texts, tz, known)


def parse_texts(texts: list[tuple[str, str]], tz: ZoneInfo, known=None) -> list[dict]:
    """Every message of (file name, text) pairs, parsed (see `read` for `known`)."""
    parsed = []
    for name, text in texts:
        for number, message in enumerate(hl7.split(text, name), start=1):
            where = f"{name}, message {number}"
            control = hl7.control_id(message) if known else None
            if control and known(control) == message:
                entry = {"control_id": control}
            else:
                entry = hl7.parse(message, where, tz)
            entry.update(file=name, number=number, text=message, where=where)
            parsed.append(entry)
    return parsed


def _name_matches(patient: dict, family: str | None, given: str | None) -> bool:
    from macli.identifiers import fold

    words = fold(patient["name"]).replace("-", " ").split()
    family_words = fold(family or "").replace("-", " ").split()
    given_words = fold(given or "").split()
    if not family_words or not given_words:
        return False
    return all(word in words for word in family_words) and given_words[0] == words[0]


def _problem(store: Store, entry: dict) -> tuple[dict | None, str | None]:
    """The order a message belongs to, or why it cannot be attached."""
    placer = entry["placer"] or ""
    try:
        order = orders.get(store, placer)
    except (Invalid, NotFound):
        return None, f"placer order number {placer or '(none)'!r} matches no order"
    return order, _disagreement(store, entry, order)


def _disagreement(store: Store, entry: dict, order: dict) -> str | None:
    number = order_number(order["id"])
    if order["cancelled_at"]:
        return f"{number} was cancelled"
    patient = store.one("SELECT * FROM patients WHERE id = ?", [order["patient_id"]])
    if entry["dob"] != patient["dob"] or not _name_matches(
        patient, entry["family"], entry["given"]
    ):
        return (
            f"the message's patient ({entry['given']} {entry['family']}, born {entry['dob']})"
            f" is not {number}'s patient"
        )
    tests = {item["loinc"] for item in orders.items(store, order["id"])}
    for result in entry["results"]:
        if result["code"] not in tests:
            return f"{number} has no test with code {result['code']!r}"
    return None


def _attach(store: Store, entry: dict, order: dict, message_id: int, *, user, now, limits):
    made = []
    by_code = {item["loinc"]: item for item in orders.items(store, order["id"])}
    for result in entry["results"]:
        item = by_code[result["code"]]
        result_id = results.record(
            store,
            item,
            order,
            result["observations"],
            status=result["status"],
            source="hl7",
            observed_at=result["observed_at"] or result["reported_at"] or now,
            reported_at=result["reported_at"] or now,
            user=user,
            now=now,
            limits=limits,
            message_id=message_id,
            interpretation="\n".join(result["comments"]) or None,
        )
        item["result_id"], item["result_status"] = result_id, result["status"]
        made.append(result_id)
    return made


def import_files(
    store: Store, paths: list[str | Path], *, user: str, now: datetime, tz: ZoneInfo
) -> dict:
    """Import result files; returns counts and what went to quarantine."""

    def known(control_id: str) -> str | None:
        return store.scalar("SELECT text FROM lab_messages WHERE control_id = ?", [control_id])

    return import_parsed(store, read(paths, tz, known), user=user, now=now)


def import_parsed(store: Store, parsed: list[dict], *, user: str, now: datetime) -> dict:
    """Attach or quarantine parsed messages, in one transaction."""
    counts = {
        "messages": len(parsed),
        "attached": 0,
        "quarantined": 0,
        "duplicates": 0,
        "results": 0,
    }
    quarantined = []
    with store.write():
        limits = critical.load(store)
        seen = set()
        for entry in parsed:
            control = entry["control_id"]
            if control in seen or store.scalar(
                "SELECT 1 FROM lab_messages WHERE control_id = ?", [control]
            ):
                counts["duplicates"] += 1
                continue
            seen.add(control)
            order, reason = _problem(store, entry)
            if reason is None:
                # A report out of order (a preliminary after the final) is not guessed at.
                try:
                    with store.write():
                        message_id = _message(store, entry, order, "attached", None, user, now)
                        made = _attach(
                            store, entry, order, message_id, user=user, now=now, limits=limits
                        )
                except Conflict as error:
                    reason = error.message
                else:
                    counts["attached"] += 1
                    counts["results"] += len(made)
                    audit.record(
                        store,
                        user=user,
                        action="lab.import",
                        now=now,
                        patient_id=order["patient_id"],
                        detail=f"message {message_id} results={len(made)}",
                    )
                    continue
            message_id = _message(store, entry, None, "quarantined", reason, user, now)
            counts["quarantined"] += 1
            quarantined.append({"message": message_id, "where": entry["where"], "reason": reason})
        if quarantined:
            audit.record(
                store,
                user=user,
                action="lab.quarantine",
                now=now,
                detail=f"messages={len(quarantined)}",
            )
    return {**counts, "quarantine": quarantined}


def _message(store, entry, order, state, reason, user, now) -> int:
    return store.insert(
        "lab_messages",
        {
            "control_id": entry["control_id"],
            "file": entry["file"],
            "number": entry["number"],
            "received_at": utc_text(now),
            "received_by": user,
            "placer": entry["placer"],
            "patient_name": f"{entry['family'] or ''}^{entry['given'] or ''}",
            "patient_dob": entry["dob"],
            "text": entry["text"],
            "state": state,
            "reason": reason,
            "order_id": order["id"] if order else None,
        },
    )


def quarantine(store: Store, *, user: str, now: datetime, tz: ZoneInfo) -> list[dict]:
    """Messages waiting for a person to say which order they belong to."""
    rows = store.query("SELECT * FROM lab_messages WHERE state = 'quarantined' ORDER BY id")
    audit.record(
        store, user=user, action="lab.quarantine.view", now=now, detail=f"rows={len(rows)}"
    )
    return [
        {
            "message": row["id"],
            "control_id": row["control_id"],
            "file": row["file"],
            "number": row["number"],
            "received": local_text(row["received_at"], tz),
            "placer": row["placer"],
            "patient": " ".join(reversed((row["patient_name"] or "").split("^"))).strip(),
            "dob": row["patient_dob"],
            "reason": row["reason"],
        }
        for row in rows
    ]


def match(
    store: Store, message_id, order_ref, *, why: str, user: str, now: datetime, tz: ZoneInfo
) -> dict:
    """Attach a quarantined message to the order a person checked, saying why."""
    why = clean(why, "the reason")
    if not why:
        raise Invalid("say why this message belongs to that order (--why)")
    with store.write():
        try:
            number = int(str(message_id).strip())
        except ValueError:
            raise Invalid(f"{message_id!r} is not a message number") from None
        row = store.one("SELECT * FROM lab_messages WHERE id = ?", [number])
        if row is None:
            raise NotFound(f"no lab message {number}")
        if row["state"] != "quarantined":
            raise Conflict(f"message {number} is not in quarantine (it is {row['state']})")
        order = orders.get(store, order_ref)
        entry = hl7.parse(row["text"], f"message {number}", tz)
        entry["placer"] = order_number(order["id"])
        reason = _disagreement(store, entry, order)
        # A person may vouch for the patient (a misspelt name); never for a missing test.
        if reason and ("no test" in reason or "cancelled" in reason):
            raise Conflict(f"cannot attach message {number}: {reason}")
        made = _attach(store, entry, order, number, user=user, now=now, limits=critical.load(store))
        store.execute(
            "UPDATE lab_messages SET state = 'matched', order_id = ?, matched_at = ?,"
            " matched_by = ?, matched_why = ? WHERE id = ?",
            [order["id"], utc_text(now), user, why, number],
        )
        audit.record(
            store,
            user=user,
            action="lab.match",
            now=now,
            patient_id=order["patient_id"],
            detail=f"message {number} to {order_number(order['id'])}",
        )
    return {"message": number, "order": order_number(order["id"]), "results": len(made)}
