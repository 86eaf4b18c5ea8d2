"""Temperature excursions as a record: what happened, the steps taken, the held lots
released or discarded.

How an excursion is found in checks and logger readings, and how it holds the stock,
is `macli.qc.runs`. The excursion is closed when every held lot has been released or
discarded; one that held nothing is closed by its first documented action.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from macli.errors import Conflict, Invalid, NotFound
from macli.qc import temps, units
from macli.stock import usable
from macli.store import Store
from macli.when import from_utc_text, local_text, utc_text

LIST_COLUMNS = (
    "id",
    "unit",
    "status",
    "started",
    "duration",
    "worst",
    "held_lots",
    "open_holds",
    "actions",
)

# The steps each excursion should show, in the CDC toolkit's order; `qc due` and the
# inspector's sheet name those not yet recorded.
STEPS = {
    "notified": "person in charge notified",
    "documented": "event documented",
    "contacted": "manufacturer or program contacted",
}

_STATUS_SQL = """
    CASE
        WHEN e.ended_at IS NULL THEN 'ongoing'
        WHEN (SELECT COUNT(*) FROM stock_holds h WHERE h.kind = 'excursion'
              AND h.source_id = e.id AND h.ended_at IS NULL) > 0 THEN 'open'
        WHEN (SELECT COUNT(*) FROM stock_holds h WHERE h.kind = 'excursion'
              AND h.source_id = e.id) = 0
             AND (SELECT COUNT(*) FROM qc_excursion_actions a
                  WHERE a.excursion_id = e.id) = 0 THEN 'open'
        ELSE 'closed'
    END
"""


def span_text(span: timedelta) -> str:
    """`7 h 30 min`, `45 min`, `2 d 3 h`."""
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else ""]
    parts.append(f"{minutes} min" if minutes or not (days or hours) else "")
    return " ".join(part for part in parts if part)


def distance(unit: dict, c100: int) -> int:
    """How far a temperature lies outside the unit's range (0 inside)."""
    if c100 > unit["high_c100"]:
        return c100 - unit["high_c100"]
    if c100 < unit["low_c100"]:
        return unit["low_c100"] - c100
    return 0


def describe(store: Store, excursion: dict, *, tz: ZoneInfo) -> str:
    """`fridge 'Vaccines' was at 11.2 °C for 7 h 30 min on 2026-11-30`."""
    unit = store.one("SELECT * FROM qc_units WHERE id = ?", [excursion["unit_id"]])
    worst = temps.text(excursion["worst_c100"])
    start = from_utc_text(excursion["started_at"])
    if excursion["source"] == "check":
        return (
            f"{units.label(unit)} reached {worst} between {local_text(start, tz)} and "
            f"{local_text(excursion['last_out_at'], tz)} (min/max check)"
        )
    end = from_utc_text(excursion["ended_at"] or excursion["last_out_at"])
    first_day = start.astimezone(tz).date()
    last_day = end.astimezone(tz).date()
    when = (
        f"on {first_day}"
        if first_day == last_day
        else f"from {local_text(start, tz)} to {local_text(end, tz)}"
    )
    still = " (still out of range)" if excursion["ended_at"] is None else ""
    return f"{units.label(unit)} was at {worst} for {span_text(end - start)} {when}{still}"


def _get(store: Store, excursion_id: int) -> dict:
    row = store.one(
        f"SELECT e.*, u.name AS unit, u.kind, ({_STATUS_SQL}) AS status"
        " FROM qc_excursions e JOIN qc_units u ON u.id = e.unit_id WHERE e.id = ?",
        [excursion_id],
    )
    if row is None:
        raise NotFound(f"no excursion {excursion_id} (see: macli qc excursion list)")
    return row


def _summary(store: Store, row: dict, tz: ZoneInfo) -> dict:
    start = from_utc_text(row["started_at"])
    end = from_utc_text(row["ended_at"] or row["last_out_at"])
    holds = store.one(
        "SELECT COUNT(*) AS held, COUNT(*) - COUNT(ended_at) AS open FROM stock_holds"
        " WHERE kind = 'excursion' AND source_id = ?",
        [row["id"]],
    )
    return {
        "id": row["id"],
        "unit": row["unit"],
        "status": row["status"],
        "started": local_text(start, tz),
        "duration": (
            f"up to {span_text(end - start)}"
            if row["source"] == "check"
            else span_text(end - start)
        ),
        "worst": temps.text(row["worst_c100"]),
        "held_lots": holds["held"],
        "open_holds": holds["open"],
        "actions": store.scalar(
            "SELECT COUNT(*) FROM qc_excursion_actions WHERE excursion_id = ?", [row["id"]]
        ),
    }


def listing(store: Store, *, open_only: bool = False, tz: ZoneInfo, unit: str | None = None):
    """Excursions, newest first; `open_only` leaves out the closed ones."""
    where, params = [], []
    if open_only:
        where.append(f"({_STATUS_SQL}) != 'closed'")
    if unit is not None:
        where.append("e.unit_id = ?")
        params.append(units.get(store, unit)["id"])
    rows = store.query(
        f"SELECT e.*, u.name AS unit, ({_STATUS_SQL}) AS status"
        " FROM qc_excursions e JOIN qc_units u ON u.id = e.unit_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY e.started_at DESC, e.id DESC",
        params,
    )
    return [_summary(store, row, tz) for row in rows]


def show(store: Store, excursion_id: int, *, tz: ZoneInfo) -> dict:
    """One excursion: what happened, the lots it holds and every action taken."""
    row = _get(store, excursion_id)
    record = _summary(store, row, tz)
    record["what"] = describe(store, row, tz=tz)
    record["ended"] = local_text(row["ended_at"], tz) if row["ended_at"] else None
    record["lots"] = [
        {
            "sku": hold["sku"],
            "lot": hold["lot"],
            "on_hand": hold["on_hand"],
            "outcome": hold["outcome"] or "held",
            "why": hold["why"],
        }
        for hold in _holds(store, excursion_id)
    ]
    actions = store.query(
        "SELECT * FROM qc_excursion_actions WHERE excursion_id = ? ORDER BY id", [excursion_id]
    )
    record["steps"] = steps(actions, tz)
    record["log"] = [
        {
            "at": local_text(action["at"], tz),
            "by": action["user"],
            "step": action["step"],
            "reference": action["reference"],
            "note": action["note"],
        }
        for action in actions
    ]
    return record


def steps(actions: list[dict], tz: ZoneInfo) -> list[dict]:
    """Each of STEPS with when and by whom it was first recorded (None: still to do)."""
    first = {}
    for action in actions:
        if action["step"] and action["step"] not in first:
            first[action["step"]] = action
    return [
        {
            "step": step,
            "what": what,
            "done": f"{local_text(first[step]['at'], tz)} by {first[step]['user']}"
            + (f", ref {first[step]['reference']}" if first[step]["reference"] else "")
            if step in first
            else None,
        }
        for step, what in STEPS.items()
    ]


def missing_steps(store: Store, excursion_id: int) -> list[str]:
    """The STEPS not yet recorded on an excursion, in order."""
    done = {
        row["step"]
        for row in store.query(
            "SELECT DISTINCT step FROM qc_excursion_actions WHERE excursion_id = ?"
            " AND step IS NOT NULL",
            [excursion_id],
        )
    }
    return [step for step in STEPS if step not in done]


def _holds(store: Store, excursion_id: int) -> list[dict]:
    return store.query(
        "SELECT h.*, l.lot, l.on_hand, i.sku, i.id AS item_id FROM stock_holds h"
        " JOIN stock_lots l ON l.id = h.lot_id JOIN stock_items i ON i.id = l.item_id"
        " WHERE h.kind = 'excursion' AND h.source_id = ? ORDER BY h.id",
        [excursion_id],
    )


def act(
    store: Store,
    excursion_id: int,
    *,
    note: str | None = None,
    step: str | None = None,
    reference: str | None = None,
    user: str,
    now: datetime,
) -> dict:
    """Record a step taken: one of STEPS (`contacted` with the reference given), or a note."""
    if step is not None:
        step = step.strip().lower()
        if step not in STEPS:
            raise Invalid(f"the step is one of: {', '.join(STEPS)}")
    note = units.clean_text(note, "the note (--note)", required=step is None, longest=1000)
    reference = units.clean_text(reference, "the reference", required=False, longest=80)
    if step == "contacted" and reference is None:
        raise Invalid(
            "give the case or reference number the manufacturer or program gave (--reference)"
        )
    if reference is not None and step != "contacted":
        raise Invalid("--reference goes with --step contacted")
    with store.write():
        _get(store, excursion_id)
        action_id = store.insert(
            "qc_excursion_actions",
            {
                "excursion_id": excursion_id,
                "at": utc_text(now),
                "kind": "note",
                "note": note or STEPS[step],
                "step": step,
                "reference": reference,
                "user": user,
            },
        )
    return {
        "id": action_id,
        "excursion": excursion_id,
        "missing_steps": missing_steps(store, excursion_id),
    }


def _held_lot(store: Store, excursion_id: int, lot: str, sku: str | None) -> dict:
    code = (lot or "").strip().lower()
    holds = [
        hold
        for hold in _holds(store, excursion_id)
        if hold["lot"].lower() == code and (sku is None or hold["sku"].lower() == sku.lower())
    ]
    open_ones = [hold for hold in holds if hold["ended_at"] is None]
    if not open_ones:
        held = ", ".join(
            f"{h['sku']} lot {h['lot']}"
            for h in _holds(store, excursion_id)
            if h["ended_at"] is None
        )
        ended = f" (it was already {holds[0]['outcome']})" if holds else ""
        raise Conflict(
            f"excursion {excursion_id} holds no lot {lot.strip()!r}{ended}; "
            f"held: {held or 'nothing'}"
        )
    if len(open_ones) > 1:
        raise Invalid(
            f"several items have a held lot {lot.strip()!r}: "
            + ", ".join(h["sku"] for h in open_ones)
            + "; name the item with --sku"
        )
    return open_ones[0]


def release(
    store: Store,
    excursion_id: int,
    *,
    lot: str,
    sku: str | None = None,
    why: str,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Release a held lot: the manufacturer or program says it may still be used."""
    why = units.clean_text(why, "why the lot may be used (--why)", longest=1000)
    with store.write():
        _get(store, excursion_id)
        hold = _held_lot(store, excursion_id, lot, sku)
        usable.end_hold(store, hold["id"], outcome="released", why=why, user=user, now=now)
        store.insert(
            "qc_excursion_actions",
            {
                "excursion_id": excursion_id,
                "at": utc_text(now),
                "kind": "release",
                "note": f"released {hold['sku']} lot {hold['lot']}: {why}",
                "lot_id": hold["lot_id"],
                "user": user,
            },
        )
    return show(store, excursion_id, tz=tz)


def discard(
    store: Store,
    excursion_id: int,
    *,
    lot: str,
    sku: str | None = None,
    why: str | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Write a held lot off through `stock discard` (reason excursion)."""
    from macli.stock import core as stock

    why = units.clean_text(why, "the note", required=False, longest=1000)
    with store.write():
        _get(store, excursion_id)
        hold = _held_lot(store, excursion_id, lot, sku)
        note = f"excursion {excursion_id}" + (f": {why}" if why else "")
        usable.end_hold(store, hold["id"], outcome="discarded", why=note, user=user, now=now)
        if hold["on_hand"] > 0:
            stock.discard(
                store,
                hold["sku"],
                hold["on_hand"],
                lot=hold["lot"],
                reason="excursion",
                note=note,
                user=user,
                now=now,
                tz=tz,
            )
        store.insert(
            "qc_excursion_actions",
            {
                "excursion_id": excursion_id,
                "at": utc_text(now),
                "kind": "discard",
                "note": f"discarded {hold['on_hand']} of {hold['sku']} lot {hold['lot']}"
                + (f": {why}" if why else ""),
                "lot_id": hold["lot_id"],
                "user": user,
            },
        )
    return show(store, excursion_id, tz=tz)
