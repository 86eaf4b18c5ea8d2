"""Point-of-care tests done in the office, their kits from stock, and their controls.

A POC test with a QC rule (`--qc-levels positive,negative --qc-every lot|daily|weekly`)
may be run on a patient only when the latest control at every level passed on the kit
lot in use: on that lot at all (`lot`), on that lot today (`daily`), or in the last
seven days (`weekly`). Otherwise it is refused naming the control to run, unless the
user overrides with a reason, which is kept with the result and audited. Whether the
lot itself may be used (expired, held by a recall or an excursion) is stock's one rule
(`macli.stock.usable`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Conflict, Invalid
from macli.lab import catalogue, critical, results
from macli.lab.common import clean, order_number
from macli.store import Store
from macli.when import local_text, utc_text

CONTROL_COLUMNS = ["id", "test", "lot", "level", "result", "at", "user", "note"]
ATTACHMENT_LIMIT = 20 * 1024 * 1024


def control(
    store: Store,
    test_name: str,
    *,
    lot: str,
    level: str,
    passed: bool,
    note: str | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Record one quality-control run of a POC test on a kit lot."""
    lot = clean(lot, "the lot")
    note = clean(note, "the note", multiline=True)
    if not lot:
        raise Invalid("name the kit lot the control was run on (--lot)")
    if level not in catalogue.CONTROL_LEVELS:
        raise Invalid(f"unknown control level {level!r}")
    with store.write():
        test = catalogue.get(store, test_name)
        if not test["poc"]:
            raise Invalid(f"{test['name']} is sent out; its lab runs its controls")
        if test["kit_sku"]:
            from macli.stock import items

            item = items.get(store, test["kit_sku"])
            known = store.one(
                "SELECT lot FROM stock_lots WHERE item_id = ? AND lot = ? COLLATE NOCASE",
                [item["id"], lot],
            )
            if known is None:
                raise Invalid(f"{item['sku']} has no lot {lot!r} in stock")
            lot = known["lot"]
        control_id = store.insert(
            "lab_controls",
            {
                "test_id": test["id"],
                "lot": lot,
                "level": level,
                "passed": int(passed),
                "at": utc_text(now),
                "day": now.astimezone(tz).date().isoformat(),
                "user": user,
                "note": note,
            },
        )
        audit.record(
            store,
            user=user,
            action="lab.control",
            now=now,
            detail=f"{test['name']} lot {lot} {level} {'pass' if passed else 'fail'}",
        )
    return {
        "id": control_id,
        "test": test["name"],
        "lot": lot,
        "level": level,
        "result": "pass" if passed else "fail",
    }


def controls(store: Store, *, test: str | None = None, tz: ZoneInfo) -> list[dict]:
    """Control runs, newest first."""
    where, params = "", []
    if test:
        where, params = "WHERE c.test_id = ?", [catalogue.get(store, test)["id"]]
    rows = store.query(
        "SELECT c.*, t.name AS test FROM lab_controls c JOIN lab_tests t ON t.id = c.test_id"
        f" {where} ORDER BY c.id DESC",
        params,
    )
    return [
        {
            "id": row["id"],
            "test": row["test"],
            "lot": row["lot"],
            "level": row["level"],
            "result": "pass" if row["passed"] else "fail",
            "at": local_text(row["at"], tz),
            "user": row["user"],
            "note": row["note"],
        }
        for row in rows
    ]


def missing_controls(
    store: Store, test: dict, lot: str, *, now: datetime, tz: ZoneInfo
) -> list[str]:
    """The control levels that must be run (and pass) before `test` on `lot`."""
    if not test["qc_levels"]:
        return []
    today = now.astimezone(tz).date()
    needed = []
    for level in test["qc_levels"].split(","):
        latest = store.one(
            "SELECT passed, day FROM lab_controls WHERE test_id = ? AND lot = ? COLLATE NOCASE"
            " AND level = ? ORDER BY id DESC LIMIT 1",
            [test["id"], lot, level],
        )
        if latest is None:
            needed.append(f"{level} (none run on lot {lot})")
        elif not latest["passed"]:
            needed.append(f"{level} (failed on {latest['day']})")
        elif test["qc_every"] == "daily" and latest["day"] != today.isoformat():
            needed.append(f"{level} (due daily; last {latest['day']})")
        elif (
            test["qc_every"] == "weekly" and latest["day"] < (today - timedelta(days=6)).isoformat()
        ):
            needed.append(f"{level} (due weekly; last {latest['day']})")
    return needed


def _kit_lot(store: Store, sku: str, lot: str | None, *, today) -> dict:
    """The lot a test will use: the one named, else the first-expiring usable lot."""
    from macli.stock import items, usable

    if lot:
        return usable.require_usable(store, sku, lot, today=today)
    item = items.get(store, sku)
    lots = store.query(
        "SELECT * FROM stock_lots WHERE item_id = ? AND on_hand > 0"
        " ORDER BY expires IS NULL, expires, id",
        [item["id"]],
    )
    refusals = []
    for row in lots:
        why = usable.refusal(store, row, today=today, sku=item["sku"])
        if why is None:
            return row
        refusals.append(why)
    raise Conflict(
        f"no usable lot of {item['sku']} on hand"
        + (f" ({'; '.join(refusals)})" if refusals else " (receive one: macli stock receive)")
    )


def perform(
    store: Store,
    patient: str,
    test_name: str,
    value: str,
    *,
    kit_lot: str | None = None,
    provider: str | None = None,
    flag: str | None = None,
    interpretation: str | None = None,
    attachment: str | Path | None = None,
    override: bool = False,
    why: str | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Record an in-office test for a patient, using its kit from stock."""
    from macli.lab import hl7, orders

    value = clean(value, "the result")
    interpretation = clean(interpretation, "the interpretation", multiline=True)
    why = clean(why, "the reason")
    if not value:
        raise Invalid("give the result (--result VALUE)")
    if override and not why:
        raise Invalid("--override needs --why: say why the test is run without its controls")
    if flag is not None and flag.upper() not in hl7.FLAGS:
        raise Invalid(f"unknown flag {flag!r} (use {', '.join(hl7.FLAGS)})")
    data = None
    if attachment is not None:
        path = Path(attachment)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise Invalid(f"cannot read {path}: {error.strerror}") from None
        if not data:
            raise Invalid(f"{path.name} is empty")
        if len(data) > ATTACHMENT_LIMIT:
            raise Invalid(f"{path.name} is larger than 20 MB")
    today = now.astimezone(tz).date()
    with store.write():
        test = catalogue.get(store, test_name)
        if not test["poc"]:
            raise Invalid(f"{test['name']} is sent to a lab: order it with macli lab order")
        number = None
        if test["value_type"] == "numeric":
            try:
                number = float(value)
            except ValueError:
                raise Invalid(f"{test['name']} takes a number, not {value!r}") from None
        lot_row = None
        needed: list[str] = []
        if test["kit_sku"]:
            lot_row = _kit_lot(store, test["kit_sku"], kit_lot, today=today)
            needed = missing_controls(store, test, lot_row["lot"], now=now, tz=tz)
        elif kit_lot:
            raise Invalid(f"{test['name']} uses no kit from stock")
        if needed and not override:
            first = needed[0].split(" ")[0]
            raise Conflict(
                f"{test['name']} on lot {lot_row['lot']} needs its controls first: "
                + "; ".join(needed)
                + f". Run: macli lab control {test['name']!r} --lot {lot_row['lot']}"
                f" --level {first} --result pass|fail (or --override --why TEXT)"
            )
        made = orders.place(
            store,
            patient,
            [test["name"]],
            provider=provider,
            poc=True,
            user=user,
            now=now,
        )
        order = orders.get(store, made["order"])
        item = orders.items(store, order["id"])[0]
        if lot_row is not None:
            from macli.stock import core as stock

            stock.use(
                store,
                test["kit_sku"],
                1,
                lot=lot_row["lot"],
                patient=made["mrn"],
                note=f"{test['name']} {order_number(order['id'])}",
                user=user,
                now=now,
                tz=tz,
            )
        stored = None
        if data is not None:
            stored = (_keep(store, data), Path(attachment).name)
        result_id = results.record(
            store,
            item,
            order,
            [
                {
                    "loinc": test["loinc"],
                    "name": test["name"],
                    "value": value,
                    "numeric": number,
                    "unit": test["unit"],
                    "reference_range": test["reference_range"],
                    "flag": flag.upper() if flag else None,
                }
            ],
            status="final",
            source="poc",
            observed_at=now,
            reported_at=now,
            user=user,
            now=now,
            limits=critical.load(store),
            interpretation=interpretation,
            attachment=stored,
            kit_lot=lot_row["lot"] if lot_row else None,
            override_why=why if needed else None,
        )
        audit.record(
            store,
            user=user,
            action="lab.poc.override" if needed else "lab.poc",
            now=now,
            patient_id=order["patient_id"],
            detail=f"result {result_id}"
            + (f" without controls: {'; '.join(needed)}" if needed else ""),
        )
    return {
        "result": result_id,
        "order": order_number(order["id"]),
        "test": test["name"],
        "value": value,
        "kit_lot": lot_row["lot"] if lot_row else None,
        "attachment": stored[0] if stored else None,
        "override": "yes" if needed else "no",
    }


def _keep(store: Store, data: bytes) -> str:
    """Keep a tracing in the store by content hash; returns the hash."""
    from macli import blobs

    return blobs.keep(store, data, limit=ATTACHMENT_LIMIT, what="the tracing")


def attachment(store: Store, result_id, *, user: str, now: datetime) -> tuple[str, bytes]:
    """The file attached to a result (name, bytes); reading it is audited."""
    from macli import blobs

    with store.write():
        row = results._result(store, result_id)
        if not row["attachment"]:
            raise Invalid(f"result {row['id']} has no attached file")
        data = blobs.read(store, row["attachment"])
        audit.record(
            store,
            user=user,
            action="lab.attachment",
            now=now,
            patient_id=row["patient_id"],
            detail=f"result {row['id']}",
        )
    return row["attachment_name"], data
