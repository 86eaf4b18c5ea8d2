import csv
import io
import json

from macli.output import neutralise, render


def test_formula_cells_are_neutralised_but_numbers_keep_their_sign():
    assert neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("+cmd") == "'+cmd"
    assert neutralise("\tx") == "'\tx"
    assert neutralise("-3.00") == "-3.00"
    assert neutralise(-3) == -3


def test_csv_and_json_shapes():
    rows = [{"a": 1, "b": "=1+1"}, {"a": -2, "b": None}]
    out = io.StringIO()
    render(rows, "csv", out=out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["a", "b"], ["1", "'=1+1"], ["-2", ""]]
    out = io.StringIO()
    render(rows, "json", out=out)
    assert json.loads(out.getvalue()) == rows
    out = io.StringIO()
    render(iter(rows), "jsonl", out=out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == rows


def test_empty_output_keeps_its_shape():
    for fmt, expected in (("json", "[]\n"), ("csv", "a,b\n"), ("tsv", "a\tb\n"), ("jsonl", "")):
        out = io.StringIO()
        render([], fmt, columns=["a", "b"], out=out)
        assert out.getvalue() == expected
    out = io.StringIO()
    render([], "table", empty="Nothing here.", out=out)
    assert out.getvalue() == "Nothing here.\n"


def test_tables_look_exactly_as_tabulate_draws_them():
    from macli.output import _tabulate, table_text

    columns = ["sku", "name", "on_hand", "note"]
    rows = [
        {"sku": "GLV-M", "name": " Gloves, medium ", "on_hand": 12, "note": None},
        {"sku": "FLU", "name": "Vacuna antigripal · García", "on_hand": 0, "note": ""},
        {"sku": "X", "name": "two\nlines", "on_hand": 3, "note": 2.5},  # tabulate's own path
    ]
    for shown in (rows[:2], rows, []):
        body = [["" if row.get(c) is None else row.get(c) for c in columns] for row in shown]
        drawn = _tabulate()(body, headers=columns, tablefmt="simple", disable_numparse=True)
        assert table_text(shown, columns) == drawn
