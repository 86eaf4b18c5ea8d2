"""Streaming renderers: long tables laid out as tabulate would, terminal pages, tuples."""

import csv
import io
import json
import random

from macli import output
from macli.output import write_rows

ALPHABET = "abcxyz XYZ019-+=@.,'\"áéñüçß日本語한국어😀·"


def _rows(count, seed=7):
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14)))
        rows.append(
            {
                "id": index,
                "name": text,
                "amount": rng.choice([None, -3, 2.5, "-12.50", "1,200"]),
                "note": rng.choice(["", "  padded  ", "=SUM(A1)", "\ttab", "ok"]),
            }
        )
    return rows


def _tabulate(rows, columns):
    """tabulate's own layout of the same rows: what every table must match."""
    from tabulate import tabulate

    cells = [[output.cell_text(row.get(c)) for c in columns] for row in rows]
    return tabulate(cells, headers=columns, tablefmt="simple", disable_numparse=True) + "\n"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_long_table_is_laid_out_exactly_as_tabulate_lays_it_out(monkeypatch):
    rows = _rows(700)
    columns = ["id", "name", "amount", "note"]
    expected = _tabulate(rows, columns)
    monkeypatch.setattr(output, "TABLE_IN_MEMORY", 64)
    monkeypatch.setattr(output, "BATCH_ROWS", 50)
    streamed = io.StringIO()
    assert write_rows(iter(rows), "table", streamed, columns) == 700
    assert streamed.getvalue() == expected
    # A wide cell late in the listing still widens its column from the first line on.
    rows[-1]["name"] = "Ω" * 40
    streamed = io.StringIO()
    write_rows(iter(rows), "table", streamed, columns)
    assert streamed.getvalue() == _tabulate(rows, columns)


def test_our_layout_of_latin_text_is_tabulates_and_needs_no_tabulate(monkeypatch):
    latin = "abc XYZ 019 -+=@.,'\"áéñüçßÀÿĀžǅȳ"
    rng = random.Random(11)
    columns = ["id", "name", "amount", "empty"]
    for count in (1, 2, 30, 200):
        rows = [
            {
                "id": rng.randint(-5, 10 ** rng.randint(0, 7)),
                "name": "".join(rng.choice(latin) for _ in range(rng.randint(0, 20))),
                "amount": rng.choice([None, -3, 2.5, "  1,200  "]),
                "empty": None,
            }
            for _ in range(count)
        ]
        streamed = io.StringIO()
        write_rows(rows, "table", streamed, columns)
        assert streamed.getvalue() == _tabulate(rows, columns)
        monkeypatch.setattr(output, "TABLE_IN_MEMORY", 8)
        monkeypatch.setattr(output, "BATCH_ROWS", 7)
        streamed = io.StringIO()
        write_rows(rows, "table", streamed, columns)
        assert streamed.getvalue() == _tabulate(rows, columns)
        monkeypatch.undo()
    import subprocess
    import sys

    script = (
        "import io, sys; from macli.output import write_rows;"
        "write_rows([{'name': 'Ana García', 'n': 1}], 'table', io.StringIO());"
        "print('tabulate' in sys.modules, 'wcwidth' in sys.modules)"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert loaded.stdout.split() == ["False", "False"]


def test_a_long_table_with_a_multi_line_cell_falls_back_to_tabulate(monkeypatch):
    rows = _rows(300)
    rows[250]["note"] = "two\nlines"
    monkeypatch.setattr(output, "TABLE_IN_MEMORY", 50)
    monkeypatch.setattr(output, "BATCH_ROWS", 20)
    streamed = io.StringIO()
    write_rows(rows, "table", streamed, ["id", "name", "note"])
    assert streamed.getvalue() == _tabulate(rows, ["id", "name", "note"])


def test_a_terminal_shows_a_page_of_a_very_long_table_and_says_how_to_see_all():
    rows = [{"mrn": f"P{i:06d}", "name": f"Patient {i}"} for i in range(2500)]
    screen = Terminal()
    assert write_rows(rows, "table", screen, ["mrn", "name"]) == output.PAGE_ROWS
    lines = screen.getvalue().splitlines()
    assert len(lines) == output.PAGE_ROWS + 3
    assert "2,400 more rows" in lines[-1] and "2,500 in all" in lines[-1]
    assert "--limit" in lines[-1] and "-f csv" in lines[-1]
    # Asked for a --limit, or not a terminal, or a machine format: every row.
    assert write_rows(rows, "table", Terminal(), ["mrn", "name"], paged=False) == 2500
    assert write_rows(rows, "table", io.StringIO(), ["mrn", "name"]) == 2500
    assert write_rows(rows, "csv", Terminal(), ["mrn", "name"]) == 2500
    short = Terminal()
    write_rows(rows[: output.TERMINAL_ROWS], "table", short, ["mrn", "name"])
    assert "more rows" not in short.getvalue()


def test_cursor_tuples_render_like_dicts_in_every_format():
    rows = _rows(1200)
    columns = ["id", "name", "amount", "note"]
    tuples = [tuple(row[c] for c in columns) for row in rows]
    for fmt in ("table", "csv", "tsv", "json", "jsonl"):
        from_dicts, from_tuples = io.StringIO(), io.StringIO()
        write_rows(rows, fmt, from_dicts, columns)
        write_rows(iter(tuples), fmt, from_tuples, columns)
        assert from_tuples.getvalue() == from_dicts.getvalue(), fmt
    out = io.StringIO()
    write_rows(iter(tuples), "json", out, columns)
    assert json.loads(out.getvalue()) == rows


def test_the_formula_guard_applies_to_every_cell_of_every_batch():
    rows = _rows(2000, seed=3)
    columns = ["id", "name", "amount", "note"]
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        out = io.StringIO()
        write_rows(rows, fmt, out, columns)
        got = list(csv.reader(io.StringIO(out.getvalue()), delimiter=delimiter))
        expected = [columns] + [
            ["" if row[c] is None else str(output.neutralise(row[c])) for c in columns]
            for row in rows
        ]
        assert got == expected, fmt


def test_rows_missing_a_column_show_it_empty():
    out = io.StringIO()
    write_rows([{"a": 1, "b": 2}, {"a": 3}], "csv", out, ["a", "b"])
    assert out.getvalue() == "a,b\n1,2\n3,\n"


def test_one_risky_cell_in_an_otherwise_clean_batch_is_still_guarded():
    # Each risky first character alone in a long clean export, first in its row, after a
    # delimiter, and inside a quoted cell: the batch check must notice every one.
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        for risky in ("=1+2", "+cmd", "-x", "@SUM(A1)", "\tx", "\rx", '=a,"b"'):
            for column in (0, 1):
                rows = [[f"P{i:06d}", "2026-01-02", "plain"] for i in range(1300)]
                rows[777][column] = risky
                out = io.StringIO()
                write_rows(rows, fmt, out, ["mrn", "day", "note"])
                if risky.startswith("\r"):  # written unquoted: csv.reader would split it
                    assert "'\rx" in out.getvalue() and "\n\rx" not in out.getvalue()
                    continue
                text = io.StringIO(out.getvalue(), newline="")
                got = list(csv.reader(text, delimiter=delimiter))
                assert got[778][column] == "'" + risky, (fmt, risky, column)
                assert got[1][1] == "2026-01-02"
