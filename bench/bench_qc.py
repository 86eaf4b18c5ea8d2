"""qc benchmarks: a year of 5-minute data-logger readings for three storage units
(3 x 105,120 = 315,360 rows) imported with `macli qc import`, importing one file again
(nothing new), and the inspector's sheet of one month (`macli qc sheet`).

    python bench/bench_qc.py [--python PYTHON]

Builds its own store in bench/out/qc/ (not the large clinic: the readings are the load).
Writes the `qc` section of docs/performance.md. Targets: one unit's year imports in
under 30 s; importing it again costs no more than the first import; a month's sheet
of a unit with 8,640 logged readings is written in under 5 s.
"""

from __future__ import annotations

import math
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    OUT,
    alternate,
    arguments,
    env_for,
    macli_path,
    once,
    table,
    verdict,
    write_section,
)

UNITS = [("Vaccines", "fridge", 480), ("Lab fridge", "fridge", 520), ("Freezer", "freezer", -2200)]
START = datetime(2025, 11, 1)
STEP = timedelta(minutes=5)
ZONE = ZoneInfo("America/New_York")
ROWS_PER_UNIT = 365 * 24 * 12


def logger_file(path: Path, usual: int, seed: int) -> None:
    """A LogTag-like export: local wall-clock times (so the fall-back hour repeats and the
    spring-forward hour is skipped, as a real logger on local time writes them), °C."""
    rng = random.Random(seed)
    lines = ["Date,Time,Temperature (°C)"]
    instant = START.replace(tzinfo=ZONE).astimezone(UTC)
    for index in range(ROWS_PER_UNIT):
        moment = instant.astimezone(ZONE)
        value = usual + round(70 * math.sin(index / 288 * 2 * math.pi)) + rng.randint(-10, 10)
        if index % 20_000 == 17_000:
            value = usual + 600  # now and then a door left open
        lines.append(f"{moment:%Y-%m-%d},{moment:%H:%M},{value / 100:.2f}")
        instant += STEP
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(db: Path, *args: str) -> str:
    done = subprocess.run(
        [macli_path(), *args], env=env_for(db, MACLI_NOW="2026-11-01T09:00"), capture_output=True
    )
    if done.returncode:
        raise RuntimeError(f"macli {' '.join(args)}: {done.stderr.decode()[-400:]}")
    return done.stdout.decode()


def main() -> None:
    folder = OUT / "qc"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = {}
    for seed, (name, _, usual) in enumerate(UNITS):
        files[name] = folder / f"{name.replace(' ', '-')}.csv"
        logger_file(files[name], usual, seed)
    db = folder / "qc.db"
    run(db, "init")
    run(db, "config", "set", "clinic.timezone", "America/New_York")
    for name, kind, _ in UNITS:
        run(db, "qc", "unit", "add", name, "--kind", kind)
    env = env_for(db, MACLI_NOW="2026-11-01T09:00")
    first = {}
    for name, _, _ in UNITS:
        started = time.perf_counter()
        run(db, "qc", "import", name, str(files[name]))
        first[name] = time.perf_counter() - started
    total_rows = sum(1 for _ in db.parent.glob("*.csv")) * ROWS_PER_UNIT
    again = alternate(
        {
            "again": lambda: once(
                [macli_path(), "qc", "import", "Vaccines", str(files["Vaccines"])], env
            )
        },
        rounds=3,
    )["again"]
    sheets = alternate(
        {
            "sheet": lambda: once(
                [
                    macli_path(),
                    "qc",
                    "sheet",
                    "Vaccines",
                    "--month",
                    "2026-10",
                    "-o",
                    str(folder / "sheet.pdf"),
                ],
                env,
            ),
            "list": lambda: once([macli_path(), "qc", "unit", "list"], env),
        },
        rounds=5,
    )
    slowest = max(first.values())
    rows = [
        [
            f"`qc import` one unit's year ({ROWS_PER_UNIT:,} rows), slowest of three",
            f"{slowest:.1f} s",
            "< 30 s",
            verdict("qc", "import a year", f"{slowest:.1f} s", "< 30 s", slowest < 30),
        ],
        [f"all three units ({total_rows:,} rows)", f"{sum(first.values()):.1f} s", "", ""],
        [
            "the same file again (adds nothing), median of 3",
            f"{again:.1f} s",
            "<= first import",
            verdict(
                "qc",
                "import again",
                f"{again:.1f} s",
                "<= first import",
                again <= first["Vaccines"] * 1.1,
            ),
        ],
        [
            "`qc sheet` of a month (8,640 logged readings + chart), median of 5",
            f"{sheets['sheet']:.2f} s",
            "< 5 s",
            verdict(
                "qc", "monthly sheet", f"{sheets['sheet']:.2f} s", "< 5 s", sheets["sheet"] < 5
            ),
        ],
        ["`qc unit list` beside it (start-up and a small read)", f"{sheets['list']:.2f} s", "", ""],
    ]
    write_section(
        "qc",
        "### Lab upkeep: logger imports and the inspector's sheet\n\n"
        + table(["what", "measured", "target", ""], rows)
        + "\n\nThe first imports are single runs; the others are medians of runs taken in"
        " turns. The machine was shared with other work while this ran, so absolute"
        " times vary from run to run; compare the rows with each other."
        "\n\nReproduce: `python bench/bench_qc.py --python PYTHON`.",
    )


if __name__ == "__main__":
    arguments(__doc__)
    main()
