"""The installed `macli` script, run as a separate process the way cron runs it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from macli.patients.demo import PANEL


def macli() -> str:
    candidate = Path(sys.executable).with_name("macli")
    return str(candidate) if candidate.exists() else shutil.which("macli")


def test_installed_script_and_module_entry_point(tmp_path):
    env = {**os.environ, "MACLI_DB": str(tmp_path / "x.db")}
    made = subprocess.run([macli(), "init"], env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    added = subprocess.run(
        [macli(), "patient", "add", "Ana Lima", "--dob", "1990-01-01"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "P000001"
    listed = subprocess.run(
        [sys.executable, "-m", "macli", "patient", "list", "-f", "json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert json.loads(listed.stdout)[0]["name"] == "Ana Lima"
    failed = subprocess.run(
        [macli(), "patient", "show", "nobody"], env=env, capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert failed.stderr == "Error: no patient matches 'nobody'\n"
    version = subprocess.run([macli(), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("macli, version ")


def test_demo_builds_a_clinic_and_leaves_other_stores_alone(tmp_path):
    env = {**os.environ, "MACLI_DB": str(tmp_path / "real.db")}
    built = subprocess.run([macli(), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert not (tmp_path / "real.db").exists()
    demo_env = {**env, "MACLI_DB": str(tmp_path / "macli-demo.db")}
    rows = subprocess.run(
        [macli(), "patient", "list", "-f", "json"], env=demo_env, capture_output=True, text=True
    )
    assert len(json.loads(rows.stdout)) == PANEL
    again = subprocess.run([macli(), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    (tmp_path / "mine.db").write_text("")
    refused = subprocess.run(
        [macli(), "demo", "--db", "mine.db"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1 and "is not a demo store" in refused.stderr
