"""Temperature excursions: found in checks and logger readings, holding the stock.

An excursion opens when a check's min or max, or a run of logged readings, leaves the
unit's range. Every lot with stock at the unit's location is held at once (through
`macli.stock.usable`, the one rule for what may be used). The excursion is closed when
every held lot has been released or discarded; one that held nothing is closed by its
first documented action.
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


def _hold_stock(store: Store, unit: dict, excursion_id: int, *, user, now, tz) -> None:
    """Hold every lot with stock at the unit's location, and keep the holds' reason current."""
    excursion = store.one("SELECT * FROM qc_excursions WHERE id = ?", [excursion_id])
    reason = describe(store, excursion, tz=tz)
    if unit["location"]:
        lots = store.query(
            "SELECT l.id FROM stock_lots l JOIN stock_items i ON i.id = l.item_id"
            " WHERE l.on_hand > 0 AND i.location = ? COLLATE NOCASE AND l.created_at <= ?"
            " ORDER BY l.id",
            [unit["location"], utc_text(now)],
        )
        for lot in lots:
            usable.place_hold(
                store,
                lot["id"],
                kind="excursion",
                reason=reason,
                source_id=excursion_id,
                user=user,
                now=now,
            )
    usable.restate(store, kind="excursion", source_id=excursion_id, reason=reason)


def record_run(
    store: Store,
    unit: dict,
    *,
    source: str,
    started_at: datetime,
    last_out_at: datetime,
    ended_at: datetime | None,
    worst_c100: int,
    check_id: int | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> int:
    """Open an excursion for a run out of range, or grow the one it continues."""
    start, last = utc_text(started_at), utc_text(last_out_at)
    end = utc_text(ended_at) if ended_at else None
    with store.write():
        # One event is one excursion, whether the morning check or the logger saw it.
        existing = store.one(
            "SELECT * FROM qc_excursions WHERE unit_id = ? AND started_at <= ?"
            " AND coalesce(ended_at, '9999') >= ? ORDER BY id DESC LIMIT 1",
            [unit["id"], end or last, start],
        )
        if existing is None:
            excursion_id = store.insert(
                "qc_excursions",
                {
                    "unit_id": unit["id"],
                    "source": source,
                    "started_at": start,
                    "ended_at": end,
                    "last_out_at": last,
                    "worst_c100": worst_c100,
                    "check_id": check_id,
                    "opened_at": utc_text(now),
                    "opened_by": user,
                },
            )
        else:
            excursion_id = existing["id"]
            worst = max(
                (existing["worst_c100"], worst_c100), key=lambda value: distance(unit, value)
            )
            if existing["source"] != source:
                if source == "logger":
                    # The logger knows when it began and ended; the check only that it did.
                    store.execute(
                        "UPDATE qc_excursions SET source = 'logger', started_at = ?,"
                        " last_out_at = ?, ended_at = ?, worst_c100 = ? WHERE id = ?",
                        [start, last, end, worst, excursion_id],
                    )
                else:
                    store.execute(
                        "UPDATE qc_excursions SET worst_c100 = ? WHERE id = ?",
                        [worst, excursion_id],
                    )
            else:
                ends = [value for value in (existing["ended_at"], end) if value]
                store.execute(
                    "UPDATE qc_excursions SET started_at = min(started_at, ?),"
                    " last_out_at = max(last_out_at, ?), worst_c100 = ?, ended_at = ?"
                    " WHERE id = ?",
                    [
                        start,
                        last,
                        worst,
                        # Still out of range if the newest reading of the run is out.
                        None if end is None and last >= existing["last_out_at"] else max(ends),
                        excursion_id,
                    ],
                )
        _hold_stock(store, unit, excursion_id, user=user, now=now, tz=tz)
    return excursion_id


def from_check(store: Store, unit: dict, check_id: int, *, user, now, tz) -> dict | None:
    """The excursion a start-of-day check shows (its min or max out of range), if any."""
    check = store.one("SELECT * FROM qc_checks WHERE id = ?", [check_id])
    at = from_utc_text(check["at"])
    previous = store.scalar(
        "SELECT MAX(at) FROM qc_checks WHERE unit_id = ? AND at < ? AND amends IS NULL",
        [unit["id"], check["at"]],
    )
    values = [check["min_c100"], check["max_c100"]]
    outside = [value for value in values if distance(unit, value)]
    if not outside:
        # In range since the last reset: a check-found excursion still open has ended.
        with store.write():
            store.execute(
                "UPDATE qc_excursions SET ended_at = ? WHERE unit_id = ? AND source = 'check'"
                " AND ended_at IS NULL",
                [check["at"], unit["id"]],
            )
        return None
    current = check["current_c100"]
    still_out = current is not None and distance(unit, current) > 0
    # A min/max thermometer says only that it happened since the last reset.
    since = from_utc_text(previous) if previous else at
    excursion_id = record_run(
        store,
        unit,
        source="check",
        started_at=since,
        last_out_at=at,
        ended_at=None if still_out else at,
        worst_c100=max(outside, key=lambda value: distance(unit, value)),
        check_id=check_id,
        user=user,
        now=now,
        tz=tz,
    )
    return show(store, excursion_id, tz=tz)


def from_readings(store: Store, unit: dict, first_at: str, last_at: str, *, user, now, tz):
    """Open or grow excursions for the runs out of range among readings in a window.

    The window is widened by one reading each side, so a run that continues one seen in
    an earlier import joins it, and a reading back in range ends it. Returns the ids.
    """
    before = store.scalar(
        "SELECT MAX(at) FROM qc_readings WHERE unit_id = ? AND at < ?", [unit["id"], first_at]
    )
    after = store.scalar(
        "SELECT MIN(at) FROM qc_readings WHERE unit_id = ? AND at > ?", [unit["id"], last_at]
    )
    rows = store.conn.execute(
        "SELECT at, c100 FROM qc_readings WHERE unit_id = ? AND at BETWEEN ? AND ? ORDER BY at",
        [unit["id"], before or first_at, after or last_at],
    )
    found, run = [], None
    for at, c100 in rows:
        if distance(unit, c100):
            if run is None:
                run = {"start": at, "last": at, "worst": c100}
            else:
                run["last"] = at
                if distance(unit, c100) > distance(unit, run["worst"]):
                    run["worst"] = c100
        elif run is not None:
            found.append((run, at))
            run = None
    if run is not None:
        found.append((run, None))
    ids = []
    for run, back in found:
        ids.append(
            record_run(
                store,
                unit,
                source="logger",
                started_at=from_utc_text(run["start"]),
                last_out_at=from_utc_text(run["last"]),
                ended_at=from_utc_text(back) if back else None,
                worst_c100=run["worst"],
                user=user,
                now=now,
                tz=tz,
            )
        )
    return sorted(set(ids))


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
    record["log"] = [
        {"at": local_text(action["at"], tz), "by": action["user"], "note": action["note"]}
        for action in store.query(
            "SELECT * FROM qc_excursion_actions WHERE excursion_id = ? ORDER BY id",
            [excursion_id],
        )
    ]
    return record


def _holds(store: Store, excursion_id: int) -> list[dict]:
    return store.query(
        "SELECT h.*, l.lot, l.on_hand, i.sku, i.id AS item_id FROM stock_holds h"
        " JOIN stock_lots l ON l.id = h.lot_id JOIN stock_items i ON i.id = l.item_id"
        " WHERE h.kind = 'excursion' AND h.source_id = ? ORDER BY h.id",
        [excursion_id],
    )


def act(store: Store, excursion_id: int, *, note: str, user: str, now: datetime) -> dict:
    """Record a step taken (notified, documented, manufacturer contacted, reference...)."""
    note = units.clean_text(note, "the note (--note)", longest=1000)
    with store.write():
        _get(store, excursion_id)
        action_id = store.insert(
            "qc_excursion_actions",
            {
                "excursion_id": excursion_id,
                "at": utc_text(now),
                "kind": "note",
                "note": note,
                "user": user,
            },
        )
    return {"id": action_id, "excursion": excursion_id}


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
