"""`qc temps`' terminal drawing: readings against the unit's band (plotext, as `chart
trend` draws; without it the readings are still listed)."""

from __future__ import annotations

import shutil
from zoneinfo import ZoneInfo

from macli.when import from_utc_text

INSTALL_HINT = "the plot needs plotext: pip install 'macli[plot]' (readings listed below)\n"


def terminal(unit: dict, rows: list[dict], *, tz: ZoneInfo, colour: bool = False) -> str:
    """Min and max of each reading over time, with the band's low and high as lines."""
    try:
        import plotext
    except ImportError:
        return INSTALL_HINT
    figure = plotext.figure
    figure.clear()
    columns, _ = shutil.get_terminal_size((80, 24))
    figure.plot_size(max(40, min(columns, 100)), 18)
    figure.date().activate(True, form="%Y-%m-%d %H:%M")
    times = [from_utc_text(row["at"]).astimezone(tz).strftime("%Y-%m-%d %H:%M") for row in rows]
    lows = [row["min_c100"] / 100 for row in rows]
    highs = [row["max_c100"] / 100 for row in rows]
    figure.draw(figure.signal(times, highs).lines())
    if lows != highs:
        figure.draw(figure.signal(times, lows).lines())
    for edge in (unit["low_c100"], unit["high_c100"]):
        figure.draw(figure.signal([times[0], times[-1]], [edge / 100] * 2).lines())
    low, high = unit["low_c100"] / 100, unit["high_c100"] / 100
    figure.title(f"{unit['name']}: °C, allowed {low:g} to {high:g}")
    text = figure.build().string(colorless=not colour)
    figure.clear()
    return text.rstrip() + "\n"
