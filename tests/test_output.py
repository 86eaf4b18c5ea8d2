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


def test_a_table_tabulate_draws_does_not_load_importlib_metadata():
    # tabulate asks importlib.metadata for its version when imported; output._tabulate
    # answers with a stand-in for that import, which saves the scan of every installed
    # package (bench/bench_startup.py times it). The stand-in must not outlive the import:
    # the real importlib.metadata still loads afterwards.
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from macli.output import write_rows\n"
        "write_rows([{'name': 'Zoë 漢字'}], 'table')\n"  # wide letters: tabulate's to draw
        "assert 'tabulate' in sys.modules, 'tabulate was not used'\n"
        "print('importlib.metadata' in sys.modules)\n"
        "import importlib.metadata\n"
        "print(importlib.metadata.version('click') != '')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-2:] == ["False", "True"]
