"""`macli browse` serves the store read-only through Datasette with canned queries."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("datasette")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_day_sheet_canned_query_as_json(run, store, db_path):
    run("provider add 'Dr. Maya Chen'")
    run("patient add 'Zoë Müller' --dob 1975-07-07")
    with store.write():
        store.execute(
            "INSERT INTO appointments (patient_id, provider_id, starts_at, ends_at, status,"
            " status_at, created_at, created_by, updated_at) VALUES (1, 1,"
            " '2026-12-01T14:30:00Z', '2026-12-01T15:00:00Z', 'scheduled', 'x', 'x', 'x', 'x')"
        )
    port = free_port()
    script = Path(sys.executable).with_name("macli")
    macli = str(script) if script.exists() else shutil.which("macli")
    # Served as /macli/ whatever the file is called (issue 21 item 23).
    renamed = db_path.with_name("macli-demo.db")
    store.close()
    db_path.rename(renamed)
    env = {**os.environ, "MACLI_DB": str(renamed)}
    server = subprocess.Popen(
        [macli, "browse", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/macli"
    url = f"{base}/day_sheet.json?day=2026-12-01&_shape=array"
    try:
        deadline = time.monotonic() + 90  # Datasette starts slowly on a busy machine
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    rows = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        for query in ("low_stock.json?_shape=array", "spending.json?_shape=array"):
            with urllib.request.urlopen(f"{base}/{query}", timeout=5) as response:
                assert json.load(response) == []
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert rows == [
        {
            "time": "09:30",
            "provider": "Dr. Maya Chen",
            "mrn": "P000001",
            "patient": "Zoë Müller",
            "type": None,
            "status": "scheduled",
            "room": None,
        }
    ]
    assert "store.browse" in run(f"--db {renamed} audit list").stdout
