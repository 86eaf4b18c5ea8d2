"""The inspector's monthly sheets (PDF, through the shared `macli.pdf`).

A storage unit's sheet: its range and location, a chart of each day's min and max
against the band (drawn with fpdf2's lines and rectangles), the table of checks with who
made them and missing days marked, and every excursion of the month with its actions.
A sterilizer's sheet: its loads, spore tests and recalls.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from macli import pdf
from macli.errors import Invalid, NotFound
from macli.qc import excursions, packs, sterilizers, temps, units
from macli.store import Store
from macli.when import day_bounds_text, day_start, local_text, utc_text

CHART_TITLE = "Daily minimum and maximum against the allowed range"


def parse_month(text: str) -> date:
    """`2026-11` as the first day of that month."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", (text or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise Invalid(f"cannot read month {text!r} (use YYYY-MM, e.g. 2026-11)")
    return date(int(match[1]), int(match[2]), 1)


def _days(month: date) -> list[date]:
    last = calendar.monthrange(month.year, month.month)[1]
    return [month.replace(day=number) for number in range(1, last + 1)]


def unit_days(store: Store, unit: dict, month: date, *, tz: ZoneInfo, today: date) -> list[dict]:
    """Per day of the month: the check (newest version) and the logged min and max."""
    rows = []
    for day in _days(month):
        start, end = day_bounds_text(day, tz)
        check = store.one(
            "SELECT c.* FROM qc_checks c WHERE c.unit_id = ? AND c.day = ?"
            " AND NOT EXISTS (SELECT 1 FROM qc_checks n WHERE n.amends = c.id)"
            " ORDER BY c.at LIMIT 1",
            [unit["id"], day.isoformat()],
        )
        logged = store.one(
            "SELECT MIN(c100) AS low, MAX(c100) AS high, COUNT(*) AS n FROM qc_readings"
            " WHERE unit_id = ? AND at >= ? AND at < ?",
            [unit["id"], start, end],
        )
        values = [v for v in (logged["low"], logged["high"]) if v is not None]
        if check:
            values += [check["min_c100"], check["max_c100"]]
        rows.append(
            {
                "day": day,
                "check": check,
                "logged": logged,
                "low": min(values) if values else None,
                "high": max(values) if values else None,
                "future": day > today,
            }
        )
    return rows


def _chart(doc, unit: dict, days: list[dict]) -> None:
    """Each day's min..max as a vertical bar over the shaded band; missing days crossed."""
    x0, width, height = pdf.MARGIN + 12, doc.w - 2 * pdf.MARGIN - 14, 60
    pdf.text(doc, CHART_TITLE, bold=True)
    y0 = doc.get_y() + 2
    values = [unit["low_c100"], unit["high_c100"]] + [
        v for d in days for v in (d["low"], d["high"]) if v is not None
    ]
    bottom, top = min(values) - 100, max(values) + 100

    def y_of(c100):
        return y0 + height - (c100 - bottom) / (top - bottom) * height

    doc.set_draw_color(0, 0, 0)
    doc.rect(x0, y0, width, height)
    doc.set_fill_color(215, 240, 215)
    band_top, band_bottom = y_of(unit["high_c100"]), y_of(unit["low_c100"])
    doc.rect(x0, band_top, width, band_bottom - band_top, style="F")
    doc.set_font(pdf.FONT, "", 7)
    for c100 in {unit["low_c100"], unit["high_c100"], bottom + 100, top - 100}:
        doc.set_xy(pdf.MARGIN - 2, y_of(c100) - 1.5)
        doc.cell(13, 3, temps.number(c100), align="R")
    step = width / len(days)
    for index, day in enumerate(days):
        x = x0 + step * (index + 0.5)
        doc.set_xy(x - 3, y0 + height + 0.5)
        doc.cell(6, 3, str(day["day"].day), align="C")
        if day["low"] is None:
            if not day["future"]:
                doc.set_draw_color(200, 0, 0)
                doc.line(x - 1, y0 + height - 4, x + 1, y0 + height - 2)
                doc.line(x - 1, y0 + height - 2, x + 1, y0 + height - 4)
            continue
        outside = day["low"] < unit["low_c100"] or day["high"] > unit["high_c100"]
        doc.set_draw_color(200, 0, 0) if outside else doc.set_draw_color(0, 0, 160)
        doc.set_line_width(0.8)
        low_y, high_y = y_of(day["low"]), y_of(day["high"])
        doc.line(x, high_y, x, max(low_y, high_y + 0.4))
        doc.set_line_width(0.2)
    doc.set_draw_color(0, 0, 0)
    doc.set_fill_color(255, 255, 255)
    doc.set_y(y0 + height + 5)
    pdf.text(
        doc,
        "Green: allowed range. Bars: lowest to highest of the day (checks and logger); "
        "red: out of range; x: no reading that day.",
        size=7,
    )
    doc.ln(2)


def unit_sheet(store: Store, unit: dict, month: date, path, *, tz: ZoneInfo, now: datetime):
    today = now.astimezone(tz).date()
    days = unit_days(store, unit, month, tz=tz, today=today)
    doc = pdf.start(pdf.letterhead(store), f"Temperature log: {units.label(unit)}, {month:%B %Y}")
    past = [d for d in days if not d["future"]]
    missing = [d["day"].day for d in past if d["check"] is None]
    pdf.text(
        doc,
        f"Allowed range {temps.range_text(unit['low_c100'], unit['high_c100'])}"
        + (f"; holds the stock at {unit['location']!r}" if unit["location"] else "")
        + f". Checks recorded on {len(past) - len(missing)} of {len(past)} days"
        + (f"; missing: {', '.join(map(str, missing))}." if missing else "."),
    )
    doc.ln(1)
    _chart(doc, unit, days)
    rows = []
    for day in days:
        check, logged = day["check"], day["logged"]
        rows.append(
            {
                "day": day["day"].isoformat(),
                "time": local_text(check["at"], tz)[11:]
                if check
                else ("" if day["future"] else "MISSING"),
                "min": temps.number(check["min_c100"]) if check else "",
                "max": temps.number(check["max_c100"]) if check else "",
                "current": temps.number(check["current_c100"])
                if check and check["current_c100"] is not None
                else "",
                "by": check["user"] if check else "",
                "logger": f"{temps.number(logged['low'])} to {temps.number(logged['high'])}"
                f" ({logged['n']})"
                if logged["n"]
                else "",
                "note": f"amends check {check['amends']}: {check['reason']}"
                if check and check["amends"]
                else "",
            }
        )
    pdf.text(doc, "Checks (°C; min and max since the last reset)", bold=True)
    pdf.table(
        doc,
        rows,
        ["day", "time", "min", "max", "current", "by", "logger", "note"],
        headings=["Day", "Time", "Min", "Max", "Now", "By", "Logger low to high (n)", "Note"],
        widths=(20, 17, 12, 12, 12, 22, 38, 52),
        size=8,
    )
    start = day_start(month, tz)
    following = _days(month)[-1]
    end = day_start(date.fromordinal(following.toordinal() + 1), tz)
    found = store.query(
        "SELECT id FROM qc_excursions WHERE unit_id = ? AND started_at < ?"
        " AND coalesce(ended_at, last_out_at) >= ? ORDER BY started_at",
        [unit["id"], utc_text(end), utc_text(start)],
    )
    pdf.text(doc, f"Excursions ({len(found)})", bold=True)
    if not found:
        pdf.text(doc, "None this month.")
    for row in found:
        record = excursions.show(store, row["id"], tz=tz)
        pdf.text(doc, f"Excursion {record['id']} ({record['status']}): {record['what']}.")
        if record["lots"]:
            pdf.table(doc, record["lots"], ["sku", "lot", "outcome", "why"], size=8)
        pdf.table(
            doc,
            [{**row, "done": row["done"] or "NOT RECORDED"} for row in record["steps"]],
            ["what", "done"],
            headings=["step", "recorded"],
            widths=(60, 120),
            size=8,
        )
        if record["log"]:
            pdf.table(
                doc,
                record["log"],
                ["at", "by", "step", "reference", "note"],
                widths=(28, 20, 22, 25, 85),
                size=8,
            )
    _signature(doc, store)
    pdf.save(doc, path)
    return {"pages": doc.page_no(), "days": len(days), "missing": missing, "excursions": len(found)}


def sterilizer_sheet(store, sterilizer: dict, month: date, path, *, tz: ZoneInfo, now):
    start = day_start(month, tz)
    last = _days(month)[-1]
    end = day_start(date.fromordinal(last.toordinal() + 1), tz)
    loads = sterilizers.cycles(store, sterilizer["name"], since=start, until=end, tz=tz)
    tests = sterilizers.spore_tests(store, sterilizer["name"], since=start, until=end, tz=tz)
    recalled = [
        row
        for row in packs.recalls(store, open_only=False, tz=tz)
        if row["sterilizer"] == sterilizer["name"] and row["load_at"][:7] <= f"{month:%Y-%m}"
    ]
    state = sterilizers.service(store, sterilizer)
    doc = pdf.start(
        pdf.letterhead(store),
        f"Sterilizer log: {sterilizer['name']} ({sterilizer['kind']}), {month:%B %Y}",
    )
    pdf.text(
        doc,
        f"{len(loads)} loads and {len(tests)} spore tests this month. Now: "
        + (
            "in service."
            if state["in_service"]
            else f"OUT OF SERVICE ({state['passes_since']} of "
            f"{sterilizers.RETESTS_TO_RETURN} passing retests)."
        ),
    )
    pdf.text(doc, "Loads", bold=True)
    pdf.table(
        doc,
        loads,
        [
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
        ],
        headings=[
            "Load",
            "At",
            "Contents",
            "Packs",
            "Type",
            "Temp",
            "Min",
            "Pressure",
            "CI",
            "By",
            "Status",
        ],
        size=7,
    )
    pdf.text(doc, "Spore tests (biological indicators)", bold=True)
    pdf.table(doc, tests, ["at", "result", "bi_lot", "control", "counts", "by", "note"], size=8)
    pdf.text(doc, f"Recalled packs ({len(recalled)})", bold=True)
    if recalled:
        pdf.table(
            doc,
            recalled,
            ["pack", "load", "load_at", "pack_type", "spore_test", "used", "reprocessed"],
            size=8,
        )
    else:
        pdf.text(doc, "None.")
    _signature(doc, store)
    pdf.save(doc, path)
    return {"pages": doc.page_no(), "loads": len(loads), "spore_tests": len(tests)}


def _signature(doc, store) -> None:
    from macli import settings

    years = settings.get(store, "qc.retention_years")
    doc.ln(4)
    pdf.text(doc, "Reviewed by: ______________________________   Date: ______________")
    pdf.text(
        doc,
        f"These records are kept at least {years} years and are never deleted or edited;"
        " corrections are amendments that keep the original.",
        size=7,
    )


def write(store: Store, name: str, month_text: str, path, *, tz: ZoneInfo, now: datetime):
    """The month's sheet of the unit or sterilizer called `name`, written to `path`."""
    month = parse_month(month_text)
    unit = store.one("SELECT * FROM qc_units WHERE name = ? COLLATE NOCASE", [name.strip()])
    if unit is not None:
        return {"kind": "unit", **unit_sheet(store, unit, month, path, tz=tz, now=now)}
    found = store.one("SELECT * FROM qc_sterilizers WHERE name = ? COLLATE NOCASE", [name.strip()])
    if found is None:
        raise NotFound(f"no storage unit or sterilizer called {name!r}")
    return {"kind": "sterilizer", **sterilizer_sheet(store, found, month, path, tz=tz, now=now)}
