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
    """The text of a file handed to macli, or a clear error when it is not UTF-8 text
    (a NUL byte is refused with its line: every file reader comes through here or
    through `iter_rows`)."""
    from macli.text import refuse_nul

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid(_not_utf8(data, error, what)) from error
    return refuse_nul(text, what)


def _not_utf8(data: bytes, error: UnicodeDecodeError, what: str, line: int = 1) -> str:
    """Where the first unreadable byte is, what it probably meant, and how to fix the file:
    most such files are spreadsheets saved as Windows-1252 (Latin-1). `line` is the line
    `data` starts on."""
    line += data.count(b"\n", 0, error.start)
    byte = data[error.start]
    meant = bytes([byte]).decode("cp1252", "replace")
    guess = f", probably {meant!r} saved as Windows-1252/Latin-1" if meant.isprintable() else ""
    if line == 1 and data.startswith((b"\xff\xfe", b"\xfe\xff")):
        guess = ": it was saved as UTF-16"
    return (
        f"{what} is not UTF-8 text: line {line} has the byte 0x{byte:02X}{guess}. "
        "Save it as UTF-8 (Excel: Save As, 'CSV UTF-8'; LibreOffice: Save As, character "
        "set 'Unicode (UTF-8)') and try again"
    )


class _Unreadable(Invalid):
    """A file's line that is not UTF-8 text (or holds a NUL), reported with its line."""


def _text_lines(source: BinaryIO) -> Iterator[str]:
    """The lines of a binary file as text, decoded one at a time so that a byte that is
    not UTF-8 is reported on its own line, however large the file."""
    from macli.text import refuse_nul

    for number, raw in enumerate(source, start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            message = _not_utf8(raw, error, "the file", number)
            raise _Unreadable(f"{message}; nothing was imported") from error
        try:
            yield refuse_nul(text, "the file")
        except Invalid as error:
            message = error.message.replace("line 1", f"line {number}", 1)
            raise _Unreadable(f"{message}; nothing was imported") from error


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
    return list(
        iter_rows(data, columns=columns, required=required, parse=parse, multiline=multiline)
    )


def iter_rows(
    source: bytes | BinaryIO,
    *,
    columns: Sequence[str],
    required: Sequence[str],
    parse: Callable[[dict[str, str]], Row | None],
    multiline: Sequence[str] = (),
) -> Iterator[Row]:
    """`parse_rows` as rows are read: from bytes, or from a binary file read as it goes,
    so a file of any size is never held whole. A caller that writes the rows inside one
    transaction keeps the file all or nothing: the first problem raises before commit."""
    import csv

    from macli.text import clean

    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    rows = csv.reader(_text_lines(source))
    try:
        header = [column.strip().lower() for column in next(rows, None) or []]
    except csv.Error as error:
        raise Invalid(f"line 1: {_csv_problem(error)}; nothing was imported") from error
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
                yield row
    except _Unreadable:
        raise  # names its own (physical) line already
    except Invalid as error:
        raise Invalid(f"line {line}: {error.message}; nothing was imported") from error
    except csv.Error as error:
        raise Invalid(f"line {line}: {_csv_problem(error)}; nothing was imported") from error


def _csv_problem(error) -> str:
    """What the csv module's complaint means for the person holding the file."""
    text = str(error)
    if "new-line character seen in unquoted field" in text:
        return (
            "a carriage return (CR) alone inside an unquoted cell: save the file with"
            " ordinary line endings, or quote that cell"
        )
    return text
