"""`macli export`: stable columns, --since, 0600 files, audit, and flat memory when streaming."""

import json
import os
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from macli.migrations import open_store
from macli.patients import core


def test_export_one_table_and_all(run, tmp_path):
    run("patient add 'Ana Lima' --dob 1990-01-01 --consent sms")
    run("--now 2026-11-30T10:00 patient add 'Omar Ali' --dob 1970-05-05")
    rows = json.loads(run("export patients -f json").stdout)
    assert [row["mrn"] for row in rows] == ["P000001", "P000002"]
    assert list(rows[0])[:3] == ["id", "mrn", "name"]
    newer = [
        json.loads(line)
        for line in run("export patients -f jsonl --since 2026-11-30").stdout.splitlines()
    ]
    assert [row["name"] for row in newer] == ["Omar Ali"]
    run(["export", "all", "-f", "csv", "-o", str(tmp_path / "out")])
    files = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert "patients.csv" in files and "providers.csv" in files
    for path in (tmp_path / "out").iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    audit_rows = json.loads(run("audit list -f json").stdout)
    assert sum(1 for row in audit_rows if row["action"] == "export") >= 4


def test_every_area_exports_with_stable_columns(run):
    from macli import exports

    for table in exports.names():
        result = run(["export", table, "-f", "csv"])
        header = result.stdout.splitlines()[0].split(",")
        assert header and all(name == name.lower() and " " not in name for name in header)
    assert "No such" not in run("export vitals -f json").stdout
    actions = [row["detail"] for row in json.loads(run("audit list -f json").stdout)]
    # Patient data is audited; supplies, expenses and providers are not patient data.
    assert "table=vitals" in actions and "table=expenses" not in actions


def test_export_errors(run):
    assert run("export nothing", expect=2).exit_code == 2
    assert "needs -o DIR" in run("export all", expect=1).stderr
    assert "no dates to filter on" in run("export providers --since 2026-01-01", expect=1).stderr


def _peak_rss_kib(argv, env) -> int:
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, process.stderr.read()
    return usage.ru_maxrss


def test_export_streams_with_flat_memory(tmp_path):
    """200,000 rows cost no more memory than 20,000: rows are never all held at once."""
    small, large = tmp_path / "small.db", tmp_path / "large.db"
    now = datetime(2026, 11, 26, tzinfo=UTC)
    for path, count in ((small, 20_000), (large, 200_000)):
        store = open_store(path)
        rows = [
            {
                "name": f"Patient {i:06d}",
                "first_name": "Patient",
                "search_name": f"patient {i:06d}",
                "dob": "1980-01-01",
                "phone": "+16175550100",
                "email": f"p{i}@example.org",
            }
            for i in range(count)
        ]
        with store.write():
            core.insert_rows(store, rows, now)
        store.close()
    script = Path(sys.executable).with_name("macli")
    macli = str(script) if script.exists() else shutil.which("macli")
    peaks = {}
    for path in (small, large):
        env = {**os.environ, "MACLI_DB": str(path)}
        peaks[path] = _peak_rss_kib(
            [
                macli,
                "export",
                "patients",
                "-f",
                "jsonl",
                "-o",
                str(tmp_path / f"{path.stem}.jsonl"),
            ],
            env,
        )
    exported = sum(1 for _ in open(tmp_path / "large.jsonl"))
    assert exported == 200_000
    # Holding 200,000 rows as dicts would take well over 100 MB more than 20,000 rows.
    assert peaks[large] - peaks[small] < 20 * 1024, peaks
