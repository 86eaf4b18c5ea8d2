"""Side-by-side timing helpers for the benchmarks; figures go into docs/performance.md.

Each area's `bench_<area>.py` measures its commands on the demo store and on the large
clinic in one run and writes its own section of docs/performance.md between
`<!-- bench:<area> -->` and `<!-- /bench:<area> -->`. Ratios, not absolute times, are
what the targets speak of: the machines are shared and noisy.
"""

from __future__ import annotations

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


def macli_path() -> str:
    """The installed `macli` script next to this Python, else on PATH."""
    candidate = Path(sys.executable).with_name("macli")
    return str(candidate) if candidate.exists() else (shutil.which("macli") or "macli")


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


def time_query(db: Path, sql: str, params=(), repeat: int = 50) -> float:
    """Median seconds of one query on a fresh read connection (cache warmed once)."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        connection.execute(sql, params).fetchall()
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            connection.execute(sql, params).fetchall()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)
    finally:
        connection.close()


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
    block = f"{start}\n_Measured {stamp} on {machine()}._\n\n{markdown.strip()}\n{end}"
    text = PERFORMANCE.read_text() if PERFORMANCE.exists() else "# Performance\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    PERFORMANCE.write_text(text)
    print(block)
