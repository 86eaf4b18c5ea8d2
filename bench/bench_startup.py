"""Start-up before and after a change, the two installs taking turns in one run.

    python bench/bench_startup.py --before OLD/bin/python --before-label REV \\
        [--python NEW/bin/python]

`--before` is the Python of a venv holding an older macli (a non-editable install of
`git archive REV`, runtime dependencies only); `--python` the one of this checkout, as
for every bench script. The older macli builds the demo clinic; the newer one gets a
copy of that same store, brought to its schema once before timing, so both read the
same patients. Then every command runs with each install in turns, and medians are
reported. Writes the `startup-pair` section of docs/performance.md.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    OUT,
    alternate,
    arguments,
    env_for,
    macli_path,
    ms,
    once,
    parser,
    python_path,
    table,
    write_section,
)

ROUNDS = 31
COMMANDS = {
    "help": ["--help"],
    "list": ["patient", "list"],
    "limit": ["patient", "list", "--limit", "20"],
    "today": ["today"],
}
LABELS = {
    "help": "`macli --help`",
    "list": "`macli patient list` (the demo's {patients:,} patients)",
    "limit": "`macli patient list --limit 20`",
    "today": "`macli today` (the demo's day sheet)",
}


def _beside(python: str, name: str) -> str:
    return str(Path(python).with_name(name))


def _installed(python: str) -> str:
    probe = "import sys; print(sys.prefix)"
    return subprocess.run(
        [python, "-c", probe], capture_output=True, check=True, text=True, cwd="/"
    ).stdout.strip()


def stores(before_macli: str, after_macli: str) -> tuple[Path, Path, int]:
    """The demo as the older macli builds it, and a copy the newer one has migrated."""
    before, after = OUT / "startup-before.db", OUT / "startup-after.db"
    OUT.mkdir(parents=True, exist_ok=True)
    for path in OUT.glob("startup-*.db*"):
        path.unlink()
    subprocess.run(
        [before_macli, "demo", "--db", str(before)],
        env=env_for(before),
        check=True,
        capture_output=True,
    )
    shutil.copyfile(before, after)
    after.chmod(0o600)
    counted = subprocess.run(
        [after_macli, "sql", "SELECT COUNT(*) AS patients FROM patients", "-f", "json"],
        env=env_for(after),
        check=True,
        capture_output=True,
        text=True,
    )
    return before, after, json.loads(counted.stdout)[0]["patients"]


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--before", required=True, help="the Python of the older macli's venv")
    options.add_argument("--before-label", required=True, help="what the older macli is")
    parsed = arguments(__doc__, options)
    after_python, before_python = python_path(), parsed.before
    after_macli, before_macli = macli_path(), _beside(before_python, "macli")
    before_db, after_db, patients = stores(before_macli, after_macli)

    runs = {"pass": lambda: once([after_python, "-c", "pass"])}
    for key, args in COMMANDS.items():
        runs[f"before {key}"] = lambda args=args: once([before_macli, *args], env_for(before_db))
        runs[f"after {key}"] = lambda args=args: once([after_macli, *args], env_for(after_db))
    # What output._tabulate's stand-in for importlib.metadata saves a table tabulate draws.
    runs["tabulate plain"] = lambda: once([after_python, "-c", "import macli.output, tabulate"])
    runs["tabulate stand-in"] = lambda: once(
        [after_python, "-c", "import macli.output; macli.output._tabulate()"]
    )
    median = alternate(runs, ROUNDS)

    rows = [["`python -c pass`", ms(median["pass"]), "", "", ""]]
    for key in COMMANDS:
        before, after = median[f"before {key}"], median[f"after {key}"]
        rows.append(
            [
                LABELS[key].format(patients=patients),
                ms(before),
                ms(after),
                f"{after / before:.2f}x",
                f"{before / median['pass']:.1f}x → {after / median['pass']:.1f}x",
            ]
        )
    plain, stand_in = median["tabulate plain"], median["tabulate stand-in"]
    saved = (
        "\n\nImporting tabulate as `output._tabulate` does, with its stand-in for"
        " `importlib.metadata` (tabulate asks it for its own version, and it reads every"
        f" installed package's metadata): {ms(stand_in)}, against {ms(plain)} for a plain"
        " `import tabulate` beside `macli.output` (the newer install, same run). Only tables"
        " with letters wider or narrower than one column are drawn by tabulate;"
        " tests/test_output.py checks the stand-in keeps importlib.metadata out and does not"
        " outlive the import."
    )
    write_section(
        "startup-pair",
        f"### Start-up before and after: {parsed.before_label} and this checkout"
        f" (median of {ROUNDS}, all taking turns)\n\n"
        f"Before: the `macli` of `{_installed(before_python)}`. Both read the same demo"
        " clinic, built by the older macli; the newer one's copy was brought to its schema"
        " once before timing. Everything that landed between the two commits is in the"
        " comparison, not only one change. This section comes from its own run (it needs"
        " two installs), not from bench/run_all.py.\n\n"
        + table(["command", "before", "after", "after / before", "vs `python -c pass`"], rows)
        + saved,
    )


if __name__ == "__main__":
    main()
