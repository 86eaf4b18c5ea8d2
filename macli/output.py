"""One output path: the `-f/--format` option and the renderer behind it.

Rows are dicts with stable snake_case keys. `table` is for people (tabulate);
csv, tsv, json and jsonl are for scripts and stream row by row.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence

import click

FORMATS = ("table", "csv", "tsv", "json", "jsonl")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")


def format_option(command):
    """Add `-f/--format table|csv|tsv|json|jsonl` to a command (as `fmt`)."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format: a table for people, csv/tsv/json/jsonl for scripts.",
    )(command)


def neutralise(value):
    """Defuse a spreadsheet formula in a CSV/TSV cell (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        if not _PLAIN_NUMBER.match(value):
            return "'" + value
    return value


def render(
    rows: Iterable[dict],
    fmt: str = "table",
    columns: Sequence[str] | None = None,
    empty: str = "No rows.",
    out=None,
) -> int:
    """Write rows in `fmt` to `out` (stdout); return how many rows were written.

    `columns` fixes the column order and gives CSV its header when there are no rows.
    """
    out = out or sys.stdout
    if fmt == "table":
        rows = list(rows)
        if not rows:
            out.write(empty + "\n")
            return 0
        columns = list(columns or rows[0].keys())
        out.write(table_text(rows, columns) + "\n")
        return len(rows)
    if fmt in ("csv", "tsv"):
        return _write_delimited(rows, columns, out, "," if fmt == "csv" else "\t")
    if fmt == "json":
        return _write_json_array(rows, columns, out)
    if fmt == "jsonl":
        import json

        count = 0
        for row in rows:
            out.write(json.dumps(_ordered(row, columns), ensure_ascii=False, default=str) + "\n")
            count += 1
        return count
    raise ValueError(f"unknown format {fmt}")


def table_text(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """A plain text table (tabulate), None shown as blank, control characters escaped."""
    from macli.text import escape

    tabulate = _tabulate()
    body = [["" if row.get(c) is None else escape(row.get(c)) for c in columns] for row in rows]
    return tabulate(body, headers=list(columns), tablefmt="simple", disable_numparse=True)


def _ordered(row: dict, columns: Sequence[str] | None) -> dict:
    if not columns:
        return row
    return {column: row.get(column) for column in columns}


def _write_delimited(rows, columns, out, delimiter) -> int:
    import csv

    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    iterator = iter(rows)
    first = next(iterator, None)
    header = list(columns or (first.keys() if first else []))
    writer.writerow(header)
    if first is None:
        return 0
    count = 0
    for row in _chain(first, iterator):
        writer.writerow(["" if row.get(c) is None else neutralise(row.get(c)) for c in header])
        count += 1
    return count


def _write_json_array(rows, columns, out) -> int:
    import json

    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(_ordered(row, columns), ensure_ascii=False, default=str))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _chain(first, rest):
    yield first
    yield from rest


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
        rows = [{"field": key, "value": value} for key, value in record.items()]
        out.write(table_text(rows, ["field", "value"]) + "\n")
    elif fmt == "json":
        import json

        out.write(json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        render([record], fmt, out=out)
