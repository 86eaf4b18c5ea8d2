"""One output path: the `-f/--format` option and `write_rows`, the renderer behind it.

Rows are dicts with stable snake_case keys, or tuples straight from a cursor with the
column names given. `table` is for people (tabulate); csv, tsv, json and jsonl are for
scripts. Every format streams: rows are written as they come, a few hundred at a time,
so a listing of any length holds no more than one batch in memory.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import NamedTuple

import click

from macli.text import escape

FORMATS = ("table", "csv", "tsv", "json", "jsonl")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Rows go out in batches: one write per batch, and one formula check per batch.
BATCH_ROWS = 500
# A table up to this many rows is laid out by tabulate in memory; past it, column widths
# come from a pass of our own over every row, the rows waiting in a private temporary
# file meanwhile, so memory stays flat (tests/test_output.py holds it to tabulate's
# output for the same rows).
TABLE_IN_MEMORY = 2000
# A table on a terminal that would run past TERMINAL_ROWS shows the first PAGE_ROWS and
# says how many more there are and how to get them; scripts get every row.
TERMINAL_ROWS = 1000
PAGE_ROWS = 100


def format_option(command=None, *, formats=FORMATS, default="table", help=None):
    """Add `-f/--format table|csv|tsv|json|jsonl` to a command (as `fmt`).

    Used bare (`@format_option`) for a listing; a command that writes only some of the
    formats names them: `@format_option(formats=("table", "json"))`.
    """

    def decorate(command):
        return click.option(
            "-f",
            "--format",
            "fmt",
            type=click.Choice(formats),
            default=default,
            show_default=True,
            help=help or "Output format: a table for people, csv/tsv/json/jsonl for scripts.",
        )(command)

    return decorate(command) if command is not None else decorate


def neutralise(value):
    """Defuse a spreadsheet formula in a CSV/TSV cell (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        import re

        if not re.match(r"^[-+]?\d+(\.\d+)?$", value):
            return "'" + value
    return value


def write_rows(
    rows: Iterable,
    fmt: str = "table",
    output=None,
    columns: Sequence[str] | None = None,
    *,
    empty: str = "No rows.",
    paged: bool = True,
) -> int:
    """Write rows in `fmt` to `output` (stdout); return how many rows were written.

    `rows` are dicts, or sequences in the order of `columns` (cursor tuples). `columns`
    fixes the column order and gives CSV its header when there are no rows. A table
    written to a terminal that would run past TERMINAL_ROWS shows one page and says how
    many more rows there are, unless `paged` is false (the user asked for a --limit).
    """
    iterator = iter(rows)
    try:
        return _write_rows(iterator, fmt, output or sys.stdout, columns, empty, paged)
    finally:
        # A write that fails part-way (a full disk) leaves a generator of the caller's
        # half read: close it now, while the store it reads is still open.
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _write_rows(iterator, fmt, output, columns, empty, paged) -> int:
    first = next(iterator, None)
    if first is None:
        tuples: Iterator = iter(())
        columns = list(columns or ())
    elif isinstance(first, dict):
        if fmt in ("json", "jsonl") and not columns:
            return _write_json(chain((first,), iterator), None, output, fmt == "json")
        columns = list(columns or first.keys())
        tuples = _from_dicts(chain((first,), iterator), columns)
    else:
        if columns is None:
            raise ValueError("rows given as sequences need their column names")
        columns = list(columns)
        tuples = chain((first,), iterator)
    if fmt == "table":
        if first is None:
            output.write(empty + "\n")
            return 0
        page = None
        if paged and _is_terminal(output):
            page = (TERMINAL_ROWS, PAGE_ROWS)
        return _write_table(tuples, columns, output, page)
    if fmt in ("csv", "tsv"):
        return _write_delimited(tuples, columns, output, "," if fmt == "csv" else "\t")
    if fmt in ("json", "jsonl"):
        return _write_json(tuples, columns, output, fmt == "json")
    raise ValueError(f"unknown format {fmt}")


def render(
    rows: Iterable,
    fmt: str = "table",
    columns: Sequence[str] | None = None,
    empty: str = "No rows.",
    out=None,
    paged: bool = True,
) -> int:
    """`write_rows` under its older name and argument order (`out=` for the output)."""
    return write_rows(rows, fmt, out, columns, empty=empty, paged=paged)


def _from_dicts(rows: Iterable[dict], columns: list[str]) -> Iterator[tuple]:
    from operator import itemgetter

    if len(columns) == 1:
        name = columns[0]

        def fast(row):
            return (row[name],)
    else:
        fast = itemgetter(*columns)
    for row in rows:
        try:
            yield fast(row)
        except KeyError:  # a row without some column shows it empty, as .get would
            yield tuple(row.get(column) for column in columns)


def _batches(rows: Iterable, size: int | None = None) -> Iterator[list]:
    size = size or BATCH_ROWS
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _is_terminal(output) -> bool:
    try:
        return bool(output.isatty())
    except (AttributeError, ValueError):
        return False


# -- machine formats --------------------------------------------------------------


def _write_delimited(rows: Iterable, columns: list[str], output, delimiter: str) -> int:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    output.write(buffer.getvalue())
    # The formula guard looks at a whole batch as written: a risky cell can only begin
    # right after a delimiter, a line break or an opening quote (or at the very start).
    # Only a batch where one of those pairs occurs is written again cell by cell; most
    # batches (dates and names, whose "-" never starts a cell) pass untouched.
    starts = {
        risky: tuple(before + risky for before in (delimiter, "\n", '"'))
        for risky in _FORMULA_START
    }
    count = 0
    for batch in _batches(rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        text = buffer.getvalue()
        if text.startswith(_FORMULA_START) or _contains(text, starts):
            buffer.seek(0)
            buffer.truncate()
            writer.writerows([neutralise(value) for value in row] for row in batch)
            text = buffer.getvalue()
        output.write(text)
        count += len(batch)
    return count


def _contains(text: str, starts: dict[str, tuple[str, ...]]) -> bool:
    # One scan for each risky character, and the pairs only for one that occurs at all:
    # five of the six never do in most exports, and "-" mostly sits inside dates.
    return any(
        risky in text and any(pair in text for pair in pairs) for risky, pairs in starts.items()
    )


def _write_json(rows: Iterable, columns: list[str] | None, output, array: bool) -> int:
    import json

    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    count = 0
    if array:
        output.write("[")
    for batch in _batches(rows):
        if columns is not None:
            batch = [dict(zip(columns, row, strict=False)) for row in batch]
        if array:
            text = ",\n".join(map(encode, batch))
            output.write(("\n" if not count else ",\n") + text)
        else:
            output.write("\n".join(map(encode, batch)) + "\n")
        count += len(batch)
    if array:
        output.write("\n]\n" if count else "]\n")
    return count


# -- tables -----------------------------------------------------------------------


def cell_text(value) -> str:
    """What a table shows for one value: None blank, outer whitespace trimmed, and any
    control character shown as a visible escape (`\\x1b`), never raw (macli/text.py)."""
    if value is None:
        return ""
    return escape((value if isinstance(value, str) else str(value)).strip())


def table_text(rows: Iterable, columns: Sequence[str]) -> str:
    """A plain text table of rows (dicts or sequences in `columns` order), held in memory."""
    columns = list(columns)
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return _tabulate_cells([], columns)
    tuples = chain((first,), iterator)
    if isinstance(first, dict):
        tuples = _from_dicts(tuples, columns)
    return _table_cells([[cell_text(value) for value in row] for row in tuples], columns)


def _table_cells(cells: list[list[str]], columns: list[str]) -> str:
    """The table of cells held in memory. Where every character is one column wide and
    printable (ASCII and the Latin letters below U+0300: what most clinic data is), our
    own layout writes exactly what tabulate would, without importing it (and wcwidth),
    which is most of a short listing's start-up; anything else is tabulate's to measure."""
    if cells and _narrow(columns) and all(_narrow(row) for row in cells):
        return _layout(cells, columns, _widths(cells, columns, len), len)
    return _tabulate_cells(cells, columns)


def _narrow(cells) -> bool:
    return _narrow_text("".join(cells))


def _narrow_text(text: str) -> bool:
    return text.isprintable() and (text.isascii() or max(text) < "\u0300")


def _widths(cells: list[list[str]], columns: list[str], width) -> list[int]:
    widths = [width(name) + 2 for name in columns]  # tabulate pads headers by two
    for index, column in enumerate(zip(*cells, strict=False)):
        widest = max(map(width, column))
        if widest > widths[index]:
            widths[index] = widest
    return widths


def _layout(cells, columns, widths, width) -> str:
    """tabulate's "simple" format, left-aligned, for column widths already known."""
    lines = [_line(columns, widths, width), "  ".join("-" * w for w in widths)]
    if width is len:  # lengths are widths: str.ljust pads as tabulate does
        lines.extend("  ".join(map(str.ljust, row, widths)).rstrip() for row in cells)
    else:
        lines.extend(_line(row, widths, width) for row in cells)
    return "\n".join(lines)


def _tabulate_cells(cells: list[list[str]], columns: list[str]) -> str:
    """tabulate's "simple" table of cells that are already text: no number parsing, every
    column aligned left as given, so it infers nothing per cell beyond its type check."""
    return _tabulate()(
        cells,
        headers=columns,
        tablefmt="simple",
        disable_numparse=True,
        colalign=("left",) * len(columns),
    )


def _write_table(rows: Iterable, columns: list[str], output, page) -> int:
    batches = _text_batches(rows)
    if page is not None:
        threshold, shown = page
        held = _take(batches, threshold + 1)
        if len(held) > threshold:
            more = len(held) - shown + sum(len(batch.rows) for batch in batches)
            output.write(_table_cells(held[:shown], columns) + "\n")
            output.write(
                f"... {more:,} more rows not shown ({shown + more:,} in all): add --limit N"
                " to see more, or -f csv for every row.\n"
            )
            return shown
        output.write(_table_cells(held, columns) + "\n")
        return len(held)
    first: list[TextBatch] = []
    count = 0
    for batch in batches:
        first.append(batch)
        count += len(batch.rows)
        if count > TABLE_IN_MEMORY:
            break
    if count <= TABLE_IN_MEMORY and first and all(batch.narrow for batch in first):
        # The batches already measured every column: lay the table out from their widths.
        if _narrow(columns):
            widths = [len(name) + 2 for name in columns]  # tabulate pads headers by two
            for batch in first:
                widths = list(map(max, widths, batch.widths))
            output.write(
                _layout([row for batch in first for row in batch.rows], columns, widths, len) + "\n"
            )
            return count
    if count <= TABLE_IN_MEMORY or any(batch.multiline for batch in first):
        # A multi-line cell is tabulate's own layout: such a table is held whole.
        held = [row for batch in chain(first, batches) for row in batch.rows]
        output.write(_table_cells(held, columns) + "\n")
        return len(held)
    return _write_long_table(chain(first, batches), columns, output)


class TextBatch(NamedTuple):
    rows: list[tuple[str, ...]]  # cell text, row by row
    widths: list[int]  # the widest cell of each column
    narrow: bool  # every character one column wide: widths are lengths
    multiline: bool


def _text_batches(rows: Iterable, size: int | None = None) -> Iterator[TextBatch]:
    """Rows as cell text a batch at a time, converted and measured column by column (the
    common cases, all text or text and None, without a function call per cell)."""
    width = None
    for batch in _batches(rows, size or BATCH_ROWS):
        cells, widths, narrow, multiline = [], [], True, False
        for column in zip(*batch, strict=False):
            kinds = set(map(type, column))
            if kinds <= {str}:
                text = list(map(str.strip, column))
            elif kinds <= {str, type(None)}:
                text = ["" if value is None else value.strip() for value in column]
            else:
                text = list(map(cell_text, column))
            joined = "".join(text)
            if _narrow_text(joined):
                widths.append(max(map(len, text)))
            else:
                # Not printable or not narrow: where a stored control character would be
                # (the text fast path above skips cell_text), shown escaped, never raw.
                text = list(map(escape, text))
                joined = "".join(text)
                narrow = False
                multiline = multiline or "\n" in joined or "\r" in joined
                width = width or _width_function()
                widths.append(max(map(width, text)))
            cells.append(text)
        yield TextBatch(list(zip(*cells, strict=False)), widths, narrow, multiline)


def _take(batches: Iterator[TextBatch], count: int) -> list:
    held: list = []
    for batch in batches:
        held.extend(batch.rows)
        if len(held) >= count:
            break
    return held


def _write_long_table(batches: Iterable[TextBatch], columns: list[str], output) -> int:
    """A table too long to hold: widths from every row, the rows kept meanwhile in an
    anonymous temporary file (mode 0600, gone when closed), then written in batches."""
    import tempfile

    width = _width_function()
    widths = [width(name) + 2 for name in columns]  # tabulate's header padding
    narrow = _narrow(columns)
    spilled = total = 0
    batches = iter(batches)
    with tempfile.TemporaryFile() as spill:
        for batch in batches:
            if batch.multiline:
                # Rare (a long listing of multi-line notes): tabulate lays it out whole.
                spill.seek(0)
                cells = [row for _ in range(spilled) for row in _unspill(spill)]
                cells += batch.rows
                cells.extend(row for later in batches for row in later.rows)
                output.write(_tabulate_cells(cells, columns) + "\n")
                return len(cells)
            widths = list(map(max, widths, batch.widths))
            narrow = narrow and batch.narrow
            _spill(spill, batch.rows)
            spilled += 1
            total += len(batch.rows)
        spill.seek(0)
        output.write(_line(columns, widths, width) + "\n")
        output.write("  ".join("-" * w for w in widths) + "\n")
        for _ in range(spilled):
            rows = _unspill(spill)
            if narrow:  # lengths are widths: str.ljust pads as tabulate does
                lines = ("  ".join(map(str.ljust, row, widths)).rstrip() for row in rows)
            else:
                lines = (_line(row, widths, width) for row in rows)
            output.write("\n".join(lines) + "\n")
    return total


def _spill(spill, rows) -> None:
    import marshal

    # Each batch as one length-prefixed block: marshal.load on a file reads it a few
    # bytes at a time (most of a 60,000-row table's time); loads of one read does not.
    data = marshal.dumps(rows)
    spill.write(len(data).to_bytes(8, "little") + data)


def _unspill(spill):
    import marshal

    return marshal.loads(spill.read(int.from_bytes(spill.read(8), "little")))


def _line(cells, widths, width) -> str:
    return "  ".join(
        cell + " " * (column_width - width(cell))
        for cell, column_width in zip(cells, widths, strict=False)
    ).rstrip()


def _width_function():
    """How tabulate measures a cell: with wcwidth when it is installed (wide East Asian
    characters count twice), imported only once a cell needs more than len."""
    measure = None

    def width(text: str) -> int:
        nonlocal measure
        if text.isascii():
            return len(text)
        if measure is None:
            try:
                from wcwidth import wcswidth as measure
            except ImportError:  # pragma: no cover - tabulate then measures with len too
                measure = len
        return measure(text)

    return width


def _tabulate():
    # tabulate asks importlib.metadata for its own version when imported, which costs
    # about 35 ms of start-up on every listing; it only feeds tabulate.__version__, so
    # it is answered with a stand-in just for that import.
    if "tabulate" not in sys.modules and "importlib.metadata" not in sys.modules:
        import types

        stand_in = types.ModuleType("importlib.metadata")
        stand_in.PackageNotFoundError = type("PackageNotFoundError", (Exception,), {})

        def version(name):
            raise stand_in.PackageNotFoundError(name)

        stand_in.version = version
        sys.modules["importlib.metadata"] = stand_in
        try:
            import tabulate
        finally:
            del sys.modules["importlib.metadata"]
    import tabulate

    return tabulate.tabulate


def render_record(record: dict, fmt: str, out=None) -> None:
    """One record: `field  value` lines for people, one object for scripts."""
    out = out or sys.stdout
    if fmt == "table":
        out.write(table_text(list(record.items()), ["field", "value"]) + "\n")
    elif fmt == "json":
        import json

        out.write(json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        write_rows([record], fmt, out)
