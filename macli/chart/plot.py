"""The terminal plot of `chart trend`, drawn with plotext (the optional `plot` extra).

plotext is imported here only, when a trend is drawn; without it the readings are still
listed and the command says how to install it.
"""

from __future__ import annotations

import shutil

INSTALL_HINT = "the plot needs plotext: pip install 'macli[plot]' (readings listed below)"


def available() -> bool:
    try:
        import plotext  # noqa: F401
    except ImportError:
        return False
    return True


def draw(dates: list[str], series: list[list[float]], title: str, *, colour: bool = False) -> str:
    """A line plot of one or more series over dates (`YYYY-MM-DD`) as text."""
    import plotext

    figure = plotext.figure
    figure.clear()
    columns, _ = shutil.get_terminal_size((80, 24))
    figure.plot_size(max(40, min(columns, 100)), 16)
    figure.date().activate(True, form="%Y-%m-%d")
    for values in series:
        figure.draw(figure.signal(dates, values).lines())
    figure.title(title)
    text = figure.build().string(colorless=not colour)
    figure.clear()
    return text.rstrip() + "\n"
