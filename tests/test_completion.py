"""Shell completion comes from click and reaches lazily loaded groups."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def macli() -> str:
    candidate = Path(sys.executable).with_name("macli")
    return str(candidate) if candidate.exists() else shutil.which("macli")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_is_generated(shell):
    env = {**os.environ, "_MACLI_COMPLETE": f"{shell}_source"}
    script = subprocess.run([macli()], env=env, capture_output=True, text=True, check=True).stdout
    assert "_MACLI_COMPLETE" in script


def test_completion_offers_subcommands_of_a_lazy_group():
    env = {
        **os.environ,
        "_MACLI_COMPLETE": "bash_complete",
        "COMP_WORDS": "macli patient ",
        "COMP_CWORD": "2",
    }
    out = subprocess.run([macli()], env=env, capture_output=True, text=True, check=True).stdout
    offered = {line.split(",", 1)[1] for line in out.splitlines() if "," in line}
    assert {"add", "list", "show", "import", "export"} <= offered
