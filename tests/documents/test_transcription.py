"""`chart note add` without --text: $EDITOR on a terminal (pre-filled by --template),
standard input otherwise (issue 21 item 20, issue 22's transcription)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap

import pytest

EDITOR = textwrap.dedent(
    """\
    import os, sys
    path = sys.argv[-1]
    with open(path) as handle:
        seen = handle.read()
    with open(os.environ["EDITOR_SAW"], "w") as handle:
        handle.write(seen)
    answer = os.environ.get("EDITOR_WRITES")
    if answer is not None:
        # Fill each heading as a transcriptionist would, keeping the hint lines.
        with open(path, "w") as handle:
            handle.write(answer.replace("\\\\n", "\\n") + "\\n" + seen)
    """
)


@pytest.fixture
def editor(tmp_path, monkeypatch):
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR_SAW", str(tmp_path / "saw.txt"))
    return tmp_path / "saw.txt"


def _on_a_terminal(args, writes=None):
    """Run `macli ARGS` with a terminal as its standard input and output."""
    env = dict(os.environ)
    if writes is not None:
        env["EDITOR_WRITES"] = writes
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "macli", *args],
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
        )
    finally:
        os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return done.returncode, output.decode(), done.stderr.decode()


def _notes(run):
    return json.loads(run("chart note list P000001 -f json").stdout)


@pytest.fixture
def patient(run):
    run(["patient", "add", "Ana García", "--dob", "1984-03-02"])


def test_on_a_terminal_the_editor_opens_with_the_soap_headings(patient, editor, run):
    code, out, err = _on_a_terminal(
        ["chart", "note", "add", "P000001", "--template", "soap"],
        writes="Subjective: dizzy when standing\\nPlan: recheck BP in 2 weeks",
    )
    assert code == 0, err
    assert "Added note" in out
    saw = editor.read_text()
    assert saw.startswith("Subjective:\n\nObjective:\n\nAssessment:\n\nPlan:\n")
    assert "# Write the note for Ana García (P000001)" in saw
    text = _notes(run)[0]["text"]
    assert text.startswith("Subjective: dizzy when standing\nPlan: recheck BP in 2 weeks")
    assert "#" not in text and "Assessment:" in text


def test_no_text_on_a_terminal_opens_the_editor_instead_of_waiting(patient, editor, run):
    code, out, _ = _on_a_terminal(["chart", "note", "add", "P000001"], writes="Called, no answer.")
    assert code == 0 and "Added note" in out
    assert editor.read_text().startswith("\n# Write the note")
    assert _notes(run)[0]["text"] == "Called, no answer."


def test_an_untouched_template_adds_nothing(patient, editor, run):
    code, _, err = _on_a_terminal(["chart", "note", "add", "P000001", "--template", "phone"])
    assert code == 1
    assert "Error: the note is empty; nothing added" in err
    assert _notes(run) == []


def test_an_editor_that_cannot_start_is_one_error_and_adds_nothing(patient, run, monkeypatch):
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    monkeypatch.delenv("VISUAL", raising=False)
    code, _, err = _on_a_terminal(["chart", "note", "add", "P000001", "--template", "soap"])
    assert code == 1
    assert err.startswith("Error: the editor could not be started") and err.count("\n") == 1
    assert "set EDITOR, or give --text or --file" in err
    assert _notes(run) == []


def test_piped_in_the_note_is_read_from_standard_input(patient, run, tmp_path):
    run("chart note add P000001 --template procedure", input="Procedure: wart removal\n#2 of 3\n")
    assert _notes(run)[0]["text"] == "Procedure: wart removal\n#2 of 3"
    dictation = tmp_path / "dictation.txt"
    dictation.write_text("Typed elsewhere.\n")
    run(["chart", "note", "add", "P000001", "--file", str(dictation)])
    assert _notes(run)[-1]["text"] == "Typed elsewhere."
    result = run("chart note add P000001 --template soap --text x", expect=2)
    assert "--template opens the editor" in result.stderr
