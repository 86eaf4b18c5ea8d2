"""The demo's lab upkeep: two fridges and a freezer with three months of logger readings
and morning checks, one excursion handled (its lots released on the manufacturer's word),
one still open on the freezer's varicella lot; an autoclave with loads and weekly spore
tests."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from macli.qc import excursions, runs, sterilizers, units
from macli.when import day_start, localize, utc_text

DAYS = 91
UNITS = [
    # name, kind, stock location, usual temperature (°C x 100), daily swing
    ("Vaccines", "fridge", "Vaccine fridge", 480, 70),
    ("Lab fridge", "fridge", "Lab fridge", 520, 60),
    ("Varicella freezer", "freezer", "Vaccine freezer", -2200, 150),
]
STAFF = ["maria", "dana", "jordan"]
PACKS = [
    ("suture set", "suture sets"),
    ("speculum", "vaginal speculums"),
    ("I&D tray", "I&D trays"),
]


def populate(context) -> None:
    store, rng, tz = context.store, context.rng, context.zone
    today = context.today
    first = today - timedelta(days=DAYS)
    created = localize(datetime.combine(first - timedelta(days=1), time(12, 0)), tz)
    for name, kind, location, _, _ in UNITS:
        units.add(store, name, kind=kind, location=location, user=context.user, now=created)
    # The handled excursion: the main fridge's door left ajar one night five weeks ago.
    ajar_day = today - timedelta(days=36)
    ajar = (
        localize(datetime.combine(ajar_day, time(22, 0)), tz),
        localize(datetime.combine(ajar_day + timedelta(days=1), time(5, 30)), tz),
    )
    # The open one: the freezer's compressor struggling since the small hours of yesterday.
    warm = localize(datetime.combine(today - timedelta(days=1), time(2, 0)), tz)
    warm_until = localize(datetime.combine(today - timedelta(days=1), time(6, 30)), tz)
    for index, (name, _, _, usual, swing) in enumerate(UNITS):
        unit = units.get(store, name)
        readings = []
        moment = day_start(first, tz)
        while moment <= context.now:
            hours = moment.timestamp() / 3600
            value = usual + round(swing * math.sin(hours / 24 * 2 * math.pi + index))
            value += rng.randint(-15, 15)
            if index == 0 and ajar[0] <= moment <= ajar[1]:
                value = 840 + round(270 * math.sin((moment - ajar[0]) / (ajar[1] - ajar[0]) * 3.14))
            if index == 2 and warm <= moment <= warm_until:
                value = -1300 + rng.randint(-60, 60)
            readings.append((utc_text(moment), value))
            moment += timedelta(minutes=30)
        _log(context, unit, readings, ajar[1] if index == 0 else warm_until if index == 2 else None)
        _checks(context, unit, readings, first, skip=index == 1)
    _excursion_steps(context, ajar)
    _autoclave(context, first)


def _log(context, unit, readings, split_after) -> None:
    """Insert readings as the logger's exports would have: the excursion's night, found the
    next morning, then the rest."""
    store, tz = context.store, context.zone
    batches = [readings]
    if split_after is not None:
        cut = utc_text(split_after + timedelta(hours=3))
        batches = [[r for r in readings if r[0] <= cut], [r for r in readings if r[0] > cut]]
    for batch in batches:
        if not batch:
            continue
        store.conn.executemany(
            "INSERT INTO qc_readings (unit_id, at, c100) VALUES (?, ?, ?)",
            [(unit["id"], at, value) for at, value in batch],
        )
        found = datetime.fromisoformat(batch[-1][0].replace("Z", "+00:00"))
        runs.from_readings(store, unit, batch[0][0], batch[-1][0], user="maria", now=found, tz=tz)


def _checks(context, unit, readings, first: date, *, skip: bool) -> None:
    """Each working morning's min/max check, from the readings since the one before."""
    store, rng, tz = context.store, context.rng, context.zone
    previous = None
    for offset in range(DAYS + 1):
        day = first + timedelta(days=offset)
        if day.weekday() == 6:
            continue
        # The lab fridge's check was missed on two days, and is not done yet today.
        if skip and (offset in (17, 52) or day == context.today):
            continue
        at = localize(datetime.combine(day, time(8, rng.randint(0, 25))), tz)
        if at > context.now:
            break
        since = utc_text(previous or at - timedelta(days=1))
        window = [value for when, value in readings if since < when <= utc_text(at)]
        if not window:
            continue
        current = window[-1]
        units.record_check(
            store,
            unit["name"],
            minimum=f"{min(window) / 100:.1f}C",
            maximum=f"{max(window) / 100:.1f}C",
            current=f"{current / 100:.1f}C",
            at=at,
            user=rng.choice(STAFF),
            now=at + timedelta(minutes=1),
            tz=tz,
        )
        previous = at


def _excursion_steps(context, ajar) -> None:
    store, tz = context.store, context.zone
    handled = store.scalar(
        "SELECT e.id FROM qc_excursions e JOIN qc_units u ON u.id = e.unit_id"
        " WHERE u.name = 'Vaccines' AND e.source = 'logger' ORDER BY e.id LIMIT 1"
    )
    morning = ajar[1] + timedelta(hours=2, minutes=30)  # the 08:00 check
    steps = [
        (0, "documented", None, "door found ajar at 08:00; closed, vaccines labelled DO NOT USE"),
        (10, "notified", None, "Dr. Chen (practice lead)"),
        (55, "contacted", "AV-88121", "Apex Vaccines medical line, stability data requested"),
    ]
    for minutes, step, reference, note in steps:
        excursions.act(
            store,
            handled,
            note=note,
            step=step,
            reference=reference,
            user="maria",
            now=morning + timedelta(minutes=minutes),
        )
    answer = morning + timedelta(hours=5)
    for hold in store.query(
        "SELECT l.lot FROM stock_holds h JOIN stock_lots l ON l.id = h.lot_id"
        " WHERE h.kind = 'excursion' AND h.source_id = ? AND h.ended_at IS NULL ORDER BY h.id",
        [handled],
    ):
        excursions.release(
            store,
            handled,
            lot=hold["lot"],
            why="Apex AV-88121: within stability data for 11 °C for 8 hours",
            user="maria",
            now=answer,
            tz=tz,
        )


def _autoclave(context, first: date) -> None:
    store, rng, tz = context.store, context.rng, context.zone
    created = localize(datetime.combine(first - timedelta(days=1), time(12, 0)), tz)
    sterilizers.add(store, "Autoclave", kind="steam", user=context.user, now=created)
    for offset in range(DAYS + 1):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        clock = localize(datetime.combine(day, time(7, 45)), tz)
        if day.weekday() == 0 and clock < context.now:
            # The weekly spore test rides in the first load of the week.
            sterilizers.record_spore_test(
                store,
                "Autoclave",
                result="pass",
                bi_lot=f"BI-{day:%y%W}",
                control="pass",
                at=clock,
                user="dana",
                now=clock + timedelta(days=1) if clock + timedelta(days=1) < context.now else clock,
                tz=tz,
            )
        for load in range(rng.randint(1, 2)):
            at = localize(datetime.combine(day, time(12 + 3 * load, rng.randint(0, 40))), tz)
            if at > context.now:
                return
            pack_type, contents = rng.choice(PACKS)
            sterilizers.record_cycle(
                store,
                "Autoclave",
                contents=contents,
                packs=rng.randint(2, 6),
                pack_type=pack_type,
                temp="121C" if pack_type != "I&D tray" else "132C",
                minutes=30 if pack_type != "I&D tray" else 15,
                pressure="15 psi" if pack_type != "I&D tray" else "27 psi",
                # One load whose indicator strip did not turn: it failed alone.
                chemical="fail" if offset == 40 and load == 0 else "pass",
                at=at,
                operator=rng.choice(STAFF),
                user=rng.choice(STAFF),
                now=at + timedelta(minutes=45) if at + timedelta(minutes=45) < context.now else at,
                tz=tz,
            )
