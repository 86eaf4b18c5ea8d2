"""Reading the CSV files people hand to macli: UTF-8 (a byte order mark is fine), a
header row, and errors that name the line, so an import stops at its first bad row.
The csv module is imported where it is used: listings import this module too."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import TypeVar

from macli.errors import Invalid

Row = TypeVar("Row")


def decode(data: bytes, what: str = "the file") -> str:
    """The text of a file handed to macli, or a clear error when it is not UTF-8 text
    (a NUL byte is refused with its line: every file reader comes through here)."""
    from macli.text import refuse_nul

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise Invalid(
            f"{what} is not UTF-8 text (line {line}, byte {error.start} cannot be read)"
        ) from error
    return refuse_nul(text, what)


def reader(text: str):
    """A csv reader over text, keeping newlines inside quoted cells."""
    import csv

    return csv.reader(io.StringIO(text, newline=""))


def parse_rows(
    data: bytes,
    *,
    columns: Sequence[str],
    required: Sequence[str],
    parse: Callable[[dict[str, str]], Row | None],
    multiline: Sequence[str] = (),
) -> list[Row]:
    """Every row of a CSV file with a header naming some of `columns`, through `parse`.

    Blank rows are skipped; `parse` returns the row to keep (or None to leave it out)
    and raises Invalid for a bad one. Every cell is held to the one rule for text
    (macli/text.py): one line, no control characters, except in the `multiline`
    columns. The first problem stops the whole file with the line its row starts on
    and "nothing was imported".
    """
    import csv

    from macli.text import clean

    rows = reader(decode(data))
    header = [column.strip().lower() for column in next(rows, None) or []]
    if not header:
        raise Invalid(f"the file is empty: expected a header row ({','.join(columns)})")
    unknown = [column for column in header if column not in columns]
    if unknown:
        raise Invalid(
            f"line 1: unknown column(s) {', '.join(unknown)}; known: {', '.join(columns)}"
        )
    missing = [column for column in required if column not in header]
    if missing:
        raise Invalid(f"line 1: the column(s) {', '.join(missing)} are required")
    if len(set(header)) != len(header):
        raise Invalid("line 1: a column is named twice")
    kept: list[Row] = []
    line = 1
    try:
        while True:
            # The physical line the next row starts on (a quoted cell may span lines,
            # and a cell too large to read fails before the row is complete).
            line = rows.line_num + 1
            record = next(rows, None)
            if record is None:
                break
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise Invalid(f"has {len(record)} fields, the header has {len(header)}")
            cells = {
                column: clean(cell, f"the {column} column", multiline=column in multiline)
                for column, cell in zip(header, record, strict=True)
            }
            row = parse(cells)
            if row is not None:
                kept.append(row)
    except Invalid as error:
        raise Invalid(f"line {line}: {error.message}; nothing was imported") from error
    except csv.Error as error:
        raise Invalid(f"line {line}: {error}; nothing was imported") from error
    return kept
