"""Excursions found in readings: a check's min or max, or a run of logged readings,
outside the unit's range opens one (or grows the one it continues).

Every lot with stock at the unit's location is held at once, through
`macli.stock.usable` (the one rule for what may be used); the holds' reason is kept
current as the excursion grows.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from macli.qc.excursions import describe, distance, show
from macli.stock import usable
from macli.store import Store
from macli.when import from_utc_text, utc_text


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
