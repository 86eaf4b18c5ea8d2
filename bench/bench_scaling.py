"""How far one store goes with replication on: staff booking at once, the day sheet under
them, the commit rate, the size after ten years, and how long a restore takes.

    python bench/bench_scaling.py --python bench/out/venv/bin/python [--writers 5,20,50]

On a copy of the large clinic (bench/clinic.py) with `macli replicate run` shipping
to a folder replica: N writers each book appointments with `macli schedule add` (a
whole process per booking, as staff and scripts run it) while one reader runs `macli
today` in a loop; p50/p99 latencies and bookings per second for each N. Then the raw
commit rate of one process (what the store itself sustains), the store's and the
replica's size, and `macli restore` of the whole store timed. Figures go to the
`scaling` section of docs/performance.md; docs/scaling.md reads them.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic, harness  # noqa: E402

WORK = harness.OUT / "scaling"
FIRST_MONDAY = date(2028, 1, 3)  # a Monday after every appointment the large clinic holds
SLOTS_A_MORNING = 16  # 08:00-12:00 in 15-minute visits


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def booking(index: int) -> list[str]:
    """The index-th booking of the run: its own provider, morning slot and patient."""
    provider = index % clinic.PROVIDERS + 1
    slot = index // clinic.PROVIDERS
    day = FIRST_MONDAY + timedelta(weeks=slot // SLOTS_A_MORNING)
    minutes = 8 * 60 + 15 * (slot % SLOTS_A_MORNING)
    at = f"{day.isoformat()} {minutes // 60:02d}:{minutes % 60:02d}"
    patient = f"P{1000 + index:06d}"
    return ["schedule", "add", patient, "--provider", str(provider), "--at", at, "--duration", "15"]


def timed(argv: list[str], env: dict) -> tuple[float, int, float, str]:
    """Wall seconds, exit code, CPU seconds (user + sys, from the kernel's accounting of
    the finished process) and the first line of stderr of one macli command."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [harness.macli_path(), *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    stderr = process.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    first = stderr.strip().splitlines()[0] if stderr.strip() else ""
    return wall, process.returncode, usage.ru_utime + usage.ru_stime, first


def load(writers: int, each: int, first: int, env: dict) -> dict:
    """`writers` threads booking `each` appointments while a reader runs `today`."""
    bookings: list[float] = []
    booking_cpu: list[float] = []
    refused: dict[str, int] = {}
    reads: list[float] = []
    read_cpu: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()

    def write(worker: int):
        for n in range(each):
            seconds, code, cpu, message = timed(booking(first + worker * each + n), env)
            with lock:
                if code == 0:
                    bookings.append(seconds)
                    booking_cpu.append(cpu)
                else:
                    reason = message.split(":")[0] + ": " + message.split(":")[1][:40]
                    refused[reason] = refused.get(reason, 0) + 1

    def read():
        while not stop.is_set():
            seconds, code, cpu, _ = timed(["today"], env)
            if code == 0:
                reads.append(seconds)
                read_cpu.append(cpu)

    reader = threading.Thread(target=read)
    reader.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    stop.set()
    reader.join()
    if not bookings:
        raise SystemExit(f"no booking succeeded with {writers} writers: try {booking(first)}")
    return {
        "writers": writers,
        "bookings": len(bookings),
        "refused": sum(refused.values()),
        "refusals": refused,
        "book_cpu": statistics.median(booking_cpu),
        "today_cpu": statistics.median(read_cpu) if read_cpu else float("nan"),
        "per_second": len(bookings) / wall,
        "book_p50": percentile(bookings, 0.5),
        "book_p99": percentile(bookings, 0.99),
        "today_p50": percentile(reads, 0.5) if reads else float("nan"),
        "today_p99": percentile(reads, 0.99) if reads else float("nan"),
        "reads": len(reads),
    }


def commit_rate(db: Path, seconds: float = 5.0) -> float:
    """Small durable commits per second from one process (synchronous=FULL, WAL)."""
    from macli.store import Store

    store = Store(db)
    store.conn.execute("CREATE TABLE IF NOT EXISTS bench_commits (at REAL)")
    count = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        with store.write():
            store.execute("INSERT INTO bench_commits VALUES (?)", [time.time()])
        count += 1
    store.conn.execute("DROP TABLE bench_commits")
    store.close()
    return count / seconds


def folder_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def main() -> None:
    options = harness.parser(__doc__)
    options.add_argument("--writers", default="5,20,50")
    options.add_argument("--bookings", type=int, default=120, help="bookings per level")
    parsed = harness.arguments(__doc__, options)
    source = clinic.large()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "clinic.db"
    with sqlite3.connect(source) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    env = harness.env_for(db)
    env.pop("MACLI_NOW")  # replication works on the real clock; bookings name their dates
    replica = WORK / "replica"
    setup_seconds, code, _, _ = timed(["replicate", "setup", "--to", f"file://{replica}"], env)
    assert code == 0, "replicate setup failed"
    runner = subprocess.Popen(
        [harness.macli_path(), "replicate", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2)
    rows = []
    first = 0
    load_before = os.getloadavg()[0]
    try:
        for writers in [int(n) for n in parsed.writers.split(",")]:
            each = max(1, parsed.bookings // writers)
            result = load(writers, each, first, env)
            first += writers * each
            rows.append(result)
            print(result, file=sys.stderr)
        rate = commit_rate(db)
        time.sleep(3)
    finally:
        runner.terminate()  # Litestream ships what is left before it exits
        try:
            runner.wait(180)
        except subprocess.TimeoutExpired:
            runner.kill()
            runner.wait()
    store_bytes = db.stat().st_size
    replica_bytes = folder_size(replica)
    restored = WORK / "restored.db"
    restore_seconds, code, _, _ = timed(
        ["restore", "--from", f"file://{replica}", "--to", str(restored)], env
    )
    assert code == 0, "restore failed"
    refusals = "; ".join(
        f"{count} x {reason}" for row in rows for reason, count in row["refusals"].items()
    )
    table = harness.table(
        [
            "writers",
            "bookings",
            "refused",
            "bookings/s",
            "booking p50",
            "booking p99",
            "today p50",
            "today p99",
            "CPU a booking",
            "CPU a today",
        ],
        [
            [
                row["writers"],
                row["bookings"],
                row["refused"],
                f"{row['per_second']:.1f}",
                harness.ms(row["book_p50"]),
                harness.ms(row["book_p99"]),
                harness.ms(row["today_p50"]),
                harness.ms(row["today_p99"]),
                harness.ms(row["book_cpu"]),
                harness.ms(row["today_cpu"]),
            ]
            for row in rows
        ],
    )
    harness.write_section(
        "scaling",
        "### One store with replication on (bench/bench_scaling.py)\n\n"
        "Writers book with `macli schedule add` (one process a booking) while one reader "
        "runs `macli today`; Litestream ships every change to a folder replica the whole "
        "time.\n\n"
        f"{table}\n\n"
        f"Load average when the run began: {load_before:.1f} on {os.cpu_count()} cores "
        "(other work shared the machine); the CPU columns are the kernel's user + system "
        "time of each finished process, which such sharing does not inflate. Refused "
        f"bookings, by reason: {refusals or 'none'}.\n\n"
        f"- Raw commit rate of one process (durable, WAL, synchronous=FULL): "
        f"{rate:,.0f} commits/s.\n"
        f"- The ten-year large clinic: store {store_bytes / 2**20:,.0f} MiB, "
        f"its replica {replica_bytes / 2**20:,.0f} MiB (Litestream's LTX files, compressed).\n"
        f"- `replicate setup` (first full snapshot) {setup_seconds:.1f} s; "
        f"`macli restore` of the whole store, checked {restore_seconds:.1f} s.",
    )


if __name__ == "__main__":
    main()
