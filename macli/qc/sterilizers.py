"""Sterilizers: cycles (loads) with their packs, spore tests, recalls.

A failed spore test (biological indicator) puts the sterilizer out of service: cycles
are refused until three consecutive passing retests, and every pack of its loads since
the last passing test is recalled. A spore test whose control vial failed proves
nothing either way and is not counted. A failed chemical indicator fails that load only.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from macli.errors import Conflict, Invalid, NotFound
from macli.qc import packs, temps
from macli.qc.packs import pack_code
from macli.qc.units import check_name, clean_text
from macli.store import Store
from macli.when import local_text, utc_text

KINDS = ("steam", "dry-heat", "chemical")
RETESTS_TO_RETURN = 3
SPORE_TEST_EVERY_DAYS = 7  # CDC 2008: at least weekly
# Sterilizing temperatures, for reading a bare number (121 is °C, 250 is °F).
CYCLE_BAND = (10000, 20000)
CYCLE_COLUMNS = (
    "load",
    "at",
    "contents",
    "packs",
    "pack_type",
    "temp",
    "minutes",
    "pressure",
    "chemical",
    "operator",
    "status",
)
SPORE_COLUMNS = ("id", "at", "result", "bi_lot", "control", "counts", "by", "note")


def add(store: Store, name: str, *, kind: str = "steam", user: str, now: datetime) -> dict:
    """Add a sterilizer (steam autoclave unless said otherwise)."""
    name = check_name(name, "a sterilizer")
    kind = (kind or "steam").strip().lower()
    if kind not in KINDS:
        raise Invalid(f"the kind must be one of: {', '.join(KINDS)}")
    with store.write():
        taken = store.scalar("SELECT 1 FROM qc_sterilizers WHERE name = ? COLLATE NOCASE", [name])
        if taken or store.scalar("SELECT 1 FROM qc_units WHERE name = ? COLLATE NOCASE", [name]):
            raise Conflict(f"the name {name!r} is already used by a unit or sterilizer")
        store.insert(
            "qc_sterilizers",
            {"name": name, "kind": kind, "created_at": utc_text(now), "created_by": user},
        )
    return get(store, name)


def get(store: Store, name: str) -> dict:
    row = store.one(
        "SELECT * FROM qc_sterilizers WHERE name = ? COLLATE NOCASE", [(name or "").strip()]
    )
    if row is None:
        known = ", ".join(r["name"] for r in store.query("SELECT name FROM qc_sterilizers"))
        raise NotFound(f"no sterilizer {name!r} (sterilizers: {known or 'none yet'})")
    return row


def service(store: Store, sterilizer: dict) -> dict:
    """Whether the sterilizer may run: the last failed spore test and passes since."""
    tests = store.query(
        "SELECT * FROM qc_spore_tests WHERE sterilizer_id = ? AND coalesce(control, '') != 'fail'"
        " ORDER BY at DESC, id DESC LIMIT 50",
        [sterilizer["id"]],
    )
    passes = 0
    for test in tests:
        if test["result"] == "fail":
            return {
                "in_service": passes >= RETESTS_TO_RETURN,
                "failed_test": test,
                "passes_since": passes,
                "last_test": tests[0],
            }
        passes += 1
    return {
        "in_service": True,
        "failed_test": None,
        "passes_since": passes,
        "last_test": tests[0] if tests else None,
    }


def listing(store: Store, *, now: datetime, tz: ZoneInfo) -> list[dict]:
    """Every sterilizer: in service or not, last load, last spore test and when one is due."""
    rows = []
    for sterilizer in store.query("SELECT * FROM qc_sterilizers ORDER BY name COLLATE NOCASE"):
        state = service(store, sterilizer)
        last_load = store.one(
            "SELECT load_number, at FROM qc_cycles WHERE sterilizer_id = ?"
            " ORDER BY load_number DESC LIMIT 1",
            [sterilizer["id"]],
        )
        last = state["last_test"]
        rows.append(
            {
                "name": sterilizer["name"],
                "kind": sterilizer["kind"],
                "status": "in service"
                if state["in_service"]
                else f"OUT OF SERVICE ({state['passes_since']} of {RETESTS_TO_RETURN} retests)",
                "last_load": last_load["load_number"] if last_load else None,
                "last_spore_test": f"{last['day']} {last['result']}" if last else None,
                "spore_test": spore_due(store, sterilizer, now=now, tz=tz)["state"],
            }
        )
    return rows


def spore_due(store: Store, sterilizer: dict, *, now: datetime, tz: ZoneInfo) -> dict:
    """`ok`, `due` (a week since the last counted test) or `late` (more than a week)."""
    last = store.scalar(
        "SELECT MAX(day) FROM qc_spore_tests WHERE sterilizer_id = ?"
        " AND coalesce(control, '') != 'fail'",
        [sterilizer["id"]],
    )
    today = now.astimezone(tz).date()
    if last is None:
        return {"state": "due", "last": None, "days": None}
    days = (today - datetime.fromisoformat(last).date()).days
    state = "ok" if days < SPORE_TEST_EVERY_DAYS else ("due" if days == 7 else "late")
    return {"state": state, "last": last, "days": days}


def record_cycle(
    store: Store,
    name: str,
    *,
    contents: str,
    temp: str,
    minutes: int,
    chemical: str,
    packs: int = 0,
    pack_type: str | None = None,
    pressure: str | None = None,
    at: datetime | None = None,
    operator: str | None = None,
    implant: bool = False,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Record a load: returns its number and its packs' codes. Refused out of service.

    An `implant` load's packs wait for a passing spore test run after the load."""
    contents = clean_text(contents, "the contents (--contents)", longest=500)
    pack_type = clean_text(pack_type, "the pack type", required=False, longest=60)
    pressure = clean_text(pressure, "the pressure", required=False, longest=40)
    operator = clean_text(operator, "who ran it (--by)", required=False, longest=60) or user
    chemical = (chemical or "").strip().lower()
    if chemical not in ("pass", "fail"):
        raise Invalid("the chemical indicator result is pass or fail")
    if not isinstance(minutes, int) or minutes < 1:
        raise Invalid("--minutes is a whole number of at least 1")
    if not isinstance(packs, int) or packs < 0 or packs > 500:
        raise Invalid("--packs is a whole number from 0 to 500")
    if packs and not pack_type:
        raise Invalid("say what the packs are (--pack-type), e.g. 'suture set'")
    temp_c100 = temps.parse(temp, band=CYCLE_BAND)
    at = at or now
    if at > now:
        raise Invalid("a cycle cannot be recorded in the future")
    with store.write():
        sterilizer = get(store, name)
        state = service(store, sterilizer)
        if not state["in_service"]:
            failed = state["failed_test"]
            raise Conflict(
                f"{sterilizer['name']} is out of service since the failed spore test of "
                f"{failed['day']}: {state['passes_since']} of {RETESTS_TO_RETURN} passing "
                "retests recorded (macli qc spore ...)"
            )
        load = (
            store.scalar(
                "SELECT MAX(load_number) FROM qc_cycles WHERE sterilizer_id = ?",
                [sterilizer["id"]],
            )
            or 0
        ) + 1
        cycle_id = store.insert(
            "qc_cycles",
            {
                "sterilizer_id": sterilizer["id"],
                "load_number": load,
                "at": utc_text(at),
                "day": at.astimezone(tz).date().isoformat(),
                "contents": contents,
                "packs": packs,
                "pack_type": pack_type,
                "temp_c100": temp_c100,
                "minutes": minutes,
                "pressure": pressure,
                "chemical": chemical,
                "operator": operator,
                "implant": 1 if implant else 0,
                "user": user,
                "recorded_at": utc_text(now),
            },
        )
        codes = []
        for number in range(1, packs + 1):
            code = pack_code(sterilizer["id"], load, number)
            store.insert(
                "qc_packs",
                {"code": code, "cycle_id": cycle_id, "number": number, "pack_type": pack_type},
            )
            codes.append(code)
    return {
        "sterilizer": sterilizer["name"],
        "load": load,
        "at": local_text(at, tz),
        "day": at.astimezone(tz).date().isoformat(),
        "chemical": chemical,
        "pack_type": pack_type,
        "packs": codes,
    }


def record_spore_test(
    store: Store,
    name: str,
    *,
    result: str,
    bi_lot: str,
    control: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Record a biological-indicator test; a failure recalls the packs since the last pass.

    `at` is when the indicator ran; every load after the last passing test is recalled,
    up to now. `already_used` names the recalled packs that were opened before."""
    result = (result or "").strip().lower()
    if result not in ("pass", "fail"):
        raise Invalid("the result is pass or fail")
    control = (control or "").strip().lower() or None
    if control not in (None, "pass", "fail"):
        raise Invalid("the control is pass or fail")
    bi_lot = clean_text(bi_lot, "the indicator's lot (--bi-lot)", longest=40)
    note = clean_text(note, "the note", required=False, longest=500)
    at = at or now
    if at > now:
        raise Invalid("a spore test cannot be recorded in the future")
    with store.write():
        sterilizer = get(store, name)
        was = service(store, sterilizer)
        test_id = store.insert(
            "qc_spore_tests",
            {
                "sterilizer_id": sterilizer["id"],
                "at": utc_text(at),
                "day": at.astimezone(tz).date().isoformat(),
                "result": result,
                "bi_lot": bi_lot,
                "control": control,
                "note": note,
                "user": user,
                "recorded_at": utc_text(now),
            },
        )
        recalled = []
        if result == "fail" and control != "fail":
            last_pass = store.scalar(
                "SELECT MAX(at) FROM qc_spore_tests WHERE sterilizer_id = ? AND result = 'pass'"
                " AND coalesce(control, '') != 'fail' AND at < ?",
                [sterilizer["id"], utc_text(at)],
            )
            # Every load since the last pass, up to now: an indicator is read a day or two
            # after it ran (--at), and the loads run while it incubated are suspect too.
            suspects = store.query(
                "SELECT p.id, p.code FROM qc_packs p JOIN qc_cycles c ON c.id = p.cycle_id"
                " WHERE c.sterilizer_id = ? AND c.at > ?"
                " AND NOT EXISTS (SELECT 1 FROM qc_recalls r WHERE r.pack_id = p.id)"
                " ORDER BY p.code",
                [sterilizer["id"], last_pass or ""],
            )
            for suspect in suspects:
                store.insert(
                    "qc_recalls",
                    {"pack_id": suspect["id"], "spore_test_id": test_id, "at": utc_text(now)},
                )
                recalled.append(suspect["code"])
        state = service(store, sterilizer)
        already_used = [
            found for found in (packs.pack(store, code) for code in recalled) if found["used_at"]
        ]
    return {
        "id": test_id,
        "sterilizer": sterilizer["name"],
        "result": result,
        "counted": control != "fail",
        "recalled": recalled,
        "already_used": [
            {
                "pack": found["code"],
                "opened": local_text(found["used_at"], tz),
                "patient": found["used_mrn"],
                "for": found["used_for"],
            }
            for found in already_used
        ],
        "in_service": state["in_service"],
        "returned_to_service": state["in_service"] and not was["in_service"],
        "passes_since": state["passes_since"],
    }


def cycles(
    store: Store, name: str, *, since: datetime, until: datetime, tz: ZoneInfo
) -> list[dict]:
    """A sterilizer's loads in a period, with each load's standing."""
    sterilizer = get(store, name)
    rows = store.query(
        "SELECT c.*, (SELECT COUNT(*) FROM qc_packs p JOIN qc_recalls r ON r.pack_id = p.id"
        " WHERE p.cycle_id = c.id) AS recalled FROM qc_cycles c"
        " WHERE c.sterilizer_id = ? AND c.at >= ? AND c.at < ? ORDER BY c.load_number",
        [sterilizer["id"], utc_text(since), utc_text(until)],
    )
    return [
        {
            "load": row["load_number"],
            "at": local_text(row["at"], tz),
            "contents": row["contents"],
            "packs": row["packs"],
            "pack_type": row["pack_type"],
            "temp": temps.text(row["temp_c100"]),
            "minutes": row["minutes"],
            "pressure": row["pressure"],
            "chemical": row["chemical"],
            "operator": row["operator"],
            "status": "failed (chemical)"
            if row["chemical"] == "fail"
            else ("recalled" if row["recalled"] else "ok"),
        }
        for row in rows
    ]


def spore_tests(
    store: Store, name: str, *, since: datetime, until: datetime, tz: ZoneInfo
) -> list[dict]:
    """A sterilizer's spore tests in a period."""
    sterilizer = get(store, name)
    rows = store.query(
        "SELECT * FROM qc_spore_tests WHERE sterilizer_id = ? AND at >= ? AND at < ? ORDER BY at",
        [sterilizer["id"], utc_text(since), utc_text(until)],
    )
    return [
        {
            "id": row["id"],
            "at": local_text(row["at"], tz),
            "result": row["result"],
            "bi_lot": row["bi_lot"],
            "control": row["control"],
            "counts": "no (control failed)" if row["control"] == "fail" else "yes",
            "by": row["user"],
            "note": row["note"],
        }
        for row in rows
    ]


def labels(store: Store, name: str, load: int, *, tz: ZoneInfo) -> list[dict]:
    """What each pack label of a load shows."""
    sterilizer = get(store, name)
    rows = store.query(
        "SELECT p.code, p.pack_type, c.load_number, c.day, c.at FROM qc_packs p"
        " JOIN qc_cycles c ON c.id = p.cycle_id WHERE c.sterilizer_id = ? AND c.load_number = ?"
        " ORDER BY p.number",
        [sterilizer["id"], load],
    )
    return [{**row, "sterilizer": sterilizer["name"]} for row in rows]
