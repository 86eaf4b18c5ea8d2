"""Private files: every file macli writes is its owner's alone; devices are left alone."""

from __future__ import annotations

import os
import stat

import pytest

from macli.files import create_private_file, open_private


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_text_and_binary_files_are_created_0600(tmp_path):
    with open_private(tmp_path / "a.csv") as handle:
        handle.write("x,y\r\n1,2\n")
    with open_private(tmp_path / "b.pdf", "wb") as handle:
        handle.write(b"%PDF-\x00\xff")
    assert (tmp_path / "a.csv").read_bytes() == b"x,y\r\n1,2\n"  # line ends as written
    assert (tmp_path / "b.pdf").read_bytes() == b"%PDF-\x00\xff"
    assert mode(tmp_path / "a.csv") == mode(tmp_path / "b.pdf") == 0o600


def test_an_earlier_file_readable_by_others_is_truncated_and_made_private(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("something long that was here before\n")
    path.chmod(0o644)
    with open_private(path) as handle:
        handle.write("new\n")
    assert path.read_text() == "new\n"
    assert mode(path) == 0o600


def test_exclusive_mode_refuses_an_existing_file(tmp_path):
    path = tmp_path / "batch.x12"
    with open_private(path, "x", encoding="ascii") as handle:
        handle.write("ISA*")
    with pytest.raises(FileExistsError):
        open_private(path, "x")
    with pytest.raises(FileExistsError):
        open_private(path, "xb")
    assert path.read_text() == "ISA*"


def test_a_device_keeps_its_mode(tmp_path):
    before = mode("/dev/null")
    with open_private("/dev/null") as handle:
        handle.write("nothing\n")
    assert mode("/dev/null") == before


def test_an_unknown_mode_is_refused(tmp_path):
    with pytest.raises(ValueError):
        open_private(tmp_path / "a", "a")
    assert not (tmp_path / "a").exists()


def test_create_private_file_makes_the_folder_and_keeps_content(tmp_path):
    path = tmp_path / "deep" / "er" / "store.lock"
    create_private_file(path)
    assert mode(path) == 0o600
    path.write_text("kept")
    create_private_file(path)
    assert path.read_text() == "kept"
