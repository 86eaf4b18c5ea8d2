"""Reading the CSV files people hand to macli: UTF-8 (a byte order mark is fine), a
header row, and errors that name the line, so an import stops at its first bad row.
The csv module is imported where it is used: listings import this module too."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO, TypeVar

from macli.errors import Invalid

Row = TypeVar("Row")


def decode(data: bytes, what: str = "the file") -> str:
    """The text of an uploaded file, or a clear error when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(f"{what} is not UTF-8 text (byte {error.start} cannot be read)") from error


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
) -> list[Row]:
    """Every row of a CSV file with a header naming some of `columns`, through `parse`.

    Blank rows are skipped; `parse` returns the row to keep (or None to leave it out)
    and raises Invalid for a bad one. The first problem stops the whole file with its
    line number and "nothing was imported".
    """
    return list(iter_rows(data, columns=columns, required=required, parse=parse))


def iter_rows(
    source: bytes | BinaryIO,
    *,
    columns: Sequence[str],
    required: Sequence[str],
    parse: Callable[[dict[str, str]], Row | None],
) -> Iterator[Row]:
    """`parse_rows` as rows are read: from bytes, or from a binary file read as it goes,
    so a file of any size is never held whole. A caller that writes the rows inside one
    transaction keeps the file all or nothing: the first problem raises before commit."""
    import csv

    if isinstance(source, bytes | bytearray):
        text = io.StringIO(decode(bytes(source)), newline="")
    else:
        text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    rows = csv.reader(text)
    line = 1
    try:
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
        try:
            # `line` outlives the loop on purpose: the error names the row that failed.
            for line, record in enumerate(rows, start=2):  # noqa: B007
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != len(header):
                    raise Invalid(f"has {len(record)} fields, the header has {len(header)}")
                row = parse(dict(zip(header, record, strict=True)))
                if row is not None:
                    yield row
        except Invalid as error:
            raise Invalid(f"line {line}: {error.message}; nothing was imported") from error
        except csv.Error as error:
            raise Invalid(f"line {line}: {error}; nothing was imported") from error
    except UnicodeDecodeError as error:
        raise Invalid(
            f"the file is not UTF-8 text (near line {line + 1}); nothing was imported"
        ) from error
