"""Private files: everything macli writes to disk (the store, its lock, backups, exports,
reports, calendars, claim batches) can be read by its owner only (mode 0600).

This is the store's side of the house: the renderer writes to whatever handle it is
given, and the commands open that handle here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

_FLAGS = {
    "w": os.O_CREAT | os.O_WRONLY | os.O_TRUNC,
    "x": os.O_CREAT | os.O_WRONLY | os.O_EXCL,
}


def check_writable(path: Path | str) -> None:
    """Refuse a path no file can be written to (its folder missing or not writable, or
    a folder itself) before a command commits anything: write first, then fail, would
    leave the store changed behind an `Error:` line."""
    from macli.errors import Invalid

    target = Path(path).expanduser()
    if str(path) == "-" or (target.exists() and not target.is_dir()):
        if target.exists() and not os.access(target, os.W_OK):
            raise Invalid(f"cannot write {path}: permission denied")
        return
    if target.is_dir():
        raise Invalid(f"cannot write {path}: it is a folder; give a file name")
    folder = target.parent
    if not folder.is_dir():
        raise Invalid(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise Invalid(f"cannot write {path}: permission denied in {folder}")


def create_private_file(path: Path | str) -> None:
    """Create `path` (and its folder) with mode 0600 if it does not exist yet."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def open_private(path: Path | str, mode: str = "w", *, encoding: str = "utf-8") -> IO:
    """Open `path` for writing with mode 0600: `w` text (truncating), `x` text that must
    not exist yet (FileExistsError), `wb` / `xb` the same for bytes.

    Text is written as given (`newline=""`): CSV and X12 choose their own line ends.
    """
    binary = mode.endswith("b")
    base = mode.removesuffix("b")
    if base not in _FLAGS or mode not in (base, base + "b"):
        raise ValueError(f"open_private: mode {mode!r} is not one of w, x, wb, xb")
    fd = os.open(path, _FLAGS[base], 0o600)
    try:
        # An earlier file readable by others becomes private; a device or pipe (/dev/null,
        # /dev/stdout) is not ours to change: as root, chmod would lock everyone out of it.
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, 0o600)
        if binary:
            return open(fd, "wb")
        return open(fd, "w", encoding=encoding, newline="")
    except BaseException:
        os.close(fd)
        raise
