"""Side-by-side timing helpers for the benchmarks; figures go into docs/performance.md.

Each area's `bench_<area>.py` measures its commands on the demo store and on the large
clinic in one run and writes its own section of docs/performance.md between
`<!-- bench:<area> -->` and `<!-- /bench:<area> -->`. Ratios, not absolute times, are
what the targets speak of: the machines are shared and noisy, so commands compared
with each other are run in turns (`alternate`) and medians are reported.

The `macli` measured is the one next to the interpreter given with `--python` (or
MACLI_BENCH_PYTHON), else next to the Python running the script. Start-up figures
should come from a venv with only the runtime dependencies and a non-editable install,
as users have it (see bench/run_all.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERFORMANCE = ROOT / "docs" / "performance.md"
OUT = ROOT / "bench" / "out"
NOW = "2026-11-26T09:00:00"


def python_path() -> str:
    """The interpreter whose `macli` is measured: --python / MACLI_BENCH_PYTHON, else this one."""
    return os.environ.get("MACLI_BENCH_PYTHON") or sys.executable


def macli_path() -> str:
    """The installed `macli` script next to the measured Python, else on PATH."""
    candidate = Path(python_path()).with_name("macli")
    return str(candidate) if candidate.exists() else (shutil.which("macli") or "macli")


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every bench script takes; `--python` picks the measured interpreter."""
    options = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    options.add_argument(
        "--python",
        help="the Python whose venv holds the macli to measure (env MACLI_BENCH_PYTHON);"
        " default: this one",
    )
    return options


def arguments(doc: str | None, options: argparse.ArgumentParser | None = None):
    """Parse the command line (with `parser(doc)` unless given) and apply --python."""
    parsed = (options or parser(doc)).parse_args()
    if parsed.python:
        os.environ["MACLI_BENCH_PYTHON"] = parsed.python
    measured_with()
    return parsed


_MEASURED_WITH: dict[str, str] = {}


def measured_with() -> str:
    """Which macli was measured: the venv, how it was installed, what else is in it.

    A non-editable install that no longer matches this checkout stops the run: its
    figures would describe other code. When the measured venv has no wcwidth, this
    process does without it too, so tables drawn in process cost what they cost there
    (tabulate measures every cell with wcwidth when it can import it)."""
    python = python_path()
    if python in _MEASURED_WITH:
        return _MEASURED_WITH[python]
    probe = (
        "import importlib.util, json, sys, macli, os;"
        "print(json.dumps({'prefix': sys.prefix, 'package': os.path.dirname(macli.__file__),"
        " 'pytest': importlib.util.find_spec('pytest') is not None,"
        " 'wcwidth': importlib.util.find_spec('wcwidth') is not None}))"
    )
    # Run outside the checkout, so its own folder does not shadow the installed package.
    found = json.loads(
        subprocess.run([python, "-c", probe], capture_output=True, check=True, cwd="/").stdout
    )
    package = Path(found["package"])
    source = ROOT / "macli"
    if package.resolve() == source.resolve():
        how = "editable install of this checkout"
    else:
        stale = [
            str(path.relative_to(source))
            for path in sorted(source.rglob("*.py"))
            if _digest(path) != _digest(package / path.relative_to(source))
        ]
        if stale:
            raise SystemExit(
                f"the macli installed in {found['prefix']} differs from this checkout"
                f" ({', '.join(stale[:3])}...): reinstall it with"
                f" `{Path(python).with_name('pip')} install --force-reinstall --no-deps {ROOT}`"
            )
        how = "non-editable install of this checkout"
    extras = "with the test extra" if found["pytest"] else "runtime dependencies only"
    if not found["wcwidth"] and "tabulate" not in sys.modules:
        sys.modules["wcwidth"] = None  # import wcwidth now fails, as it does there
    _MEASURED_WITH[python] = f"`macli` from the venv `{found['prefix']}` ({how}, {extras})"
    return _MEASURED_WITH[python]


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def env_for(db: Path, **extra) -> dict:
    env = {**os.environ, "MACLI_DB": str(db), "MACLI_USER": "bench", "MACLI_NOW": NOW}
    env.update(extra)
    return env


def time_run(
    argv: list[str],
    *,
    env: dict | None = None,
    repeat: int = 7,
    warmup: int = 1,
    input: bytes | None = None,
) -> float:
    """Median wall time in seconds of running `argv`, which must succeed."""
    samples = []
    for index in range(warmup + repeat):
        started = time.perf_counter()
        completed = subprocess.run(argv, env=env, input=input, capture_output=True)
        elapsed = time.perf_counter() - started
        if completed.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} failed ({completed.returncode}): {completed.stderr.decode()[-500:]}"
            )
        if index >= warmup:
            samples.append(elapsed)
    return statistics.median(samples)


def time_macli(args: list[str], db: Path, repeat: int = 7, **kwargs) -> float:
    return time_run([macli_path(), *args], env=env_for(db), repeat=repeat, **kwargs)


def alternate(runs: dict, rounds: int) -> dict:
    """Median seconds of each callable in `runs` (each returns the seconds it took), run
    in turns after one warm-up round, so load from other work falls on all of them alike."""
    samples: dict = {label: [] for label in runs}
    for index in range(rounds + 1):
        for label, run in runs.items():
            seconds = run()
            if index:
                samples[label].append(seconds)
    return {label: statistics.median(values) for label, values in samples.items()}


def once(argv: list[str], env: dict | None = None) -> float:
    """Seconds of one run of `argv` (for `alternate`)."""
    return time_run(argv, env=env, repeat=1, warmup=0)


def median_call(function, repeat: int = 15) -> float:
    """Median seconds of calling `function` in this process, after one warm-up call."""
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


# Every target checked in this run, for the summary bench/run_all.py writes.
RESULTS: list[dict] = []


def verdict(area: str, what: str, figure: str, target: str, met: bool) -> str:
    """Record a target's outcome; returns the cell for the table ("met" / "missed")."""
    RESULTS.append(
        {"area": area, "what": what, "figure": figure, "target": target, "met": bool(met)}
    )
    return "met" if met else "**missed**"


def query_plan(db: Path, sql: str, params=()) -> str:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = connection.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return "\n".join(row[-1] for row in rows)
    finally:
        connection.close()


def machine() -> str:
    """One line naming the machine the figures ran on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}"
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(area: str, markdown: str) -> None:
    """Replace (or append) the `area` section of docs/performance.md."""
    start, end = f"<!-- bench:{area} -->", f"<!-- /bench:{area} -->"
    stamp = time.strftime("%Y-%m-%d")
    block = (
        f"{start}\n_Measured {stamp} on {machine()}; {measured_with()}._\n\n"
        f"{markdown.strip()}\n{end}"
    )
    text = PERFORMANCE.read_text() if PERFORMANCE.exists() else "# Performance\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    PERFORMANCE.write_text(text)
    print(block)
