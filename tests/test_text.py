"""The one rule for text entering the store (macli/text.py), tried broadly."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from macli import csvfile
from macli.errors import Invalid
from macli.output import render, render_record
from macli.text import clean, escape, refuse_nul

QUICK = settings(deadline=None, max_examples=100)
CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
STEERING = ["\x1b]0;owned\x07", "\x1b[2J", "ab\x08\x08cd", "\x9b31m", "x\x00y", "ok\x1b[K"]


def _has_control(text: str, allowed: str = "") -> bool:
    return any(ch in CONTROLS and ch not in allowed for ch in text)


@QUICK
@given(st.text())
def test_a_one_line_field_takes_no_control_character(value):
    try:
        kept = clean(value, "the reason")
    except Invalid as error:
        assert error.message.startswith("the reason ")
        assert _has_control(value) or "\u2028" in value or "\u2029" in value or _surrogate(value)
    else:
        assert kept == value
        assert not _has_control(kept)


@QUICK
@given(st.text())
def test_a_multi_line_field_keeps_only_line_breaks_and_tabs(value):
    try:
        kept = clean(value, "the note", multiline=True)
    except Invalid:
        assert _has_control(value.replace("\r", ""), allowed="\n\t") or _surrogate(value)
    else:
        assert "\r" not in kept
        assert not _has_control(kept, allowed="\n\t")
        assert kept == value.replace("\r\n", "\n").replace("\r", "\n")


@QUICK
@given(st.text(), st.booleans())
def test_stripping_leaves_no_control_and_keeps_the_rest(value, multiline):
    if _surrogate(value):
        return
    kept = clean(value, "the description", multiline=multiline, strip=True)
    assert not _has_control(kept, allowed="\n\t" if multiline else "")
    printable = "".join(ch for ch in value if not _has_control(ch, "\t\n\r"))
    assert "".join(kept.split()) == "".join(printable.split())


@pytest.mark.parametrize("value", STEERING)
def test_terminal_sequences_are_refused_with_what_and_where(value):
    with pytest.raises(Invalid, match=r"the reason may not contain control characters \(found"):
        clean(value, "the reason")
    with pytest.raises(Invalid):
        clean(value, "the note", multiline=True)


def test_a_line_break_is_named_as_such_in_a_one_line_field():
    with pytest.raises(Invalid, match="must be one line"):
        clean("Maple\r\nBcc: evil@example.org", "clinic.name")
    assert clean("line one\r\nline two\tend", "the note", multiline=True) == (
        "line one\nline two\tend"
    )


def test_text_that_is_not_utf8_is_refused():
    with pytest.raises(Invalid, match="not UTF-8"):
        clean("abc\udcff", "the reason")


def test_none_stays_none():
    assert clean(None, "the reason") is None


@QUICK
@given(st.text())
def test_escaping_never_lets_a_control_character_through(value):
    shown = escape(value)
    assert not _has_control(shown, allowed="\n")
    assert not any(0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 for ch in shown)
    if not _has_control(value, allowed="\n") and shown == value:
        return
    assert "\\x" in shown or "\\u" in shown


def test_escaping_shows_each_character_as_its_code():
    assert escape("\x1b]0;owned\x07") == "\\x1b]0;owned\\x07"
    assert escape("a\u202eb") == "a\\u202eb"
    assert escape("two\nlines") == "two\nlines"
    assert escape(12) == 12


@QUICK
@given(st.lists(st.text(max_size=20), min_size=1, max_size=4))
def test_the_table_renderer_prints_no_stored_control_character(cells):
    rows = [{f"c{i}": cell for i, cell in enumerate(cells)}]
    out = io.StringIO()
    render(rows, "table", out=out)
    assert not _has_control(out.getvalue(), allowed="\n")
    out = io.StringIO()
    render_record(rows[0], "table", out=out)
    assert not _has_control(out.getvalue(), allowed="\n")


@pytest.mark.parametrize("value", STEERING)
def test_scripts_still_get_the_stored_text_exactly(value):
    # JSON escapes controls itself and CSV is data for programs: neither is changed.
    import json

    out = io.StringIO()
    render([{"text": value}], "jsonl", out=out)
    assert json.loads(out.getvalue()) == {"text": value}


@QUICK
@given(st.text(alphabet="ab\n", max_size=30), st.text(alphabet="cd\n", max_size=30))
def test_a_nul_is_refused_with_its_line(before, after):
    text = before + "\x00" + after
    with pytest.raises(Invalid, match=f"NUL byte on line {before.count(chr(10)) + 1}:"):
        refuse_nul(text, "the file")
    with pytest.raises(Invalid, match=f"line {before.count(chr(10)) + 1}"):
        csvfile.decode(text.encode(), "the file")


def test_a_file_that_is_not_utf8_names_its_line():
    with pytest.raises(Invalid, match="line 3 has the byte 0xFF"):
        csvfile.decode(b"a\nb\n\xff\n", "the file")


def _rows(data: bytes, multiline=()):
    return csvfile.parse_rows(
        data, columns=("name", "note"), required=("name",), parse=dict, multiline=multiline
    )


@pytest.mark.parametrize("character", [c for c in CONTROLS if c not in "\n\r\x00"])
def test_every_csv_cell_is_held_to_the_rule_with_its_line(character):
    data = f'name,note\nAna,ok\n"Bo",x{character}y\n'.encode()
    with pytest.raises(Invalid, match=r"^line 3: the note column may not contain control"):
        _rows(data)


def test_a_csv_cell_may_span_lines_only_in_a_multi_line_column():
    data = b'name,note\nAna,"two\nlines"\nBo,"x\x1by"\n'
    with pytest.raises(Invalid, match="line 2: the note column must be one line"):
        _rows(data)
    with pytest.raises(Invalid, match="line 4: the note column may not contain"):
        _rows(data, multiline=("note",))


@QUICK
@given(st.integers(min_value=0, max_value=6))
def test_a_cell_too_large_to_read_names_the_line_it_is_on(good_lines):
    big = "x" * 140_000
    lines = ["name,note", *(f"p{i},ok" for i in range(good_lines)), f"Ana,{big}", "Bo,ok"]
    with pytest.raises(Invalid, match=f"^line {good_lines + 2}:"):
        _rows("\n".join(lines).encode())


def _surrogate(value: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
