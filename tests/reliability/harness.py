"""Driving the installed `macli` as separate processes, and judging what came back.

Every command run by the reliability suite must end one of two ways: exit 0, or a
clean failure (exit 1 or 2 with exactly one `Error:` line on stderr and no traceback).
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

MACLI = str(Path(sys.executable).with_name("macli"))

# Set from `--long` by tests/reliability/conftest.py before the test modules are imported.
LONG = False


def pick(default, long):
    """The size of a test: `default` normally, `long` under `pytest --long`."""
    return long if LONG else default


@dataclass
class Outcome:
    args: list[str]
    code: int  # negative: killed by that signal
    stdout: str
    stderr: str
    started: float  # time.monotonic() just before the process was started
    finished: float  # ... and just after it had exited: the acknowledgement

    @property
    def ok(self) -> bool:
        return self.code == 0

    def __str__(self):
        return f"macli {' '.join(self.args)} -> {self.code}\n{self.stdout}{self.stderr}"


class Processes:
    """Starts macli processes and keeps the running ones so a test can kill them."""

    def __init__(self, env: dict | None = None):
        self.env = env
        self.running: dict[int, subprocess.Popen] = {}
        self.lock = threading.Lock()

    def run(self, args: Sequence[str], *, input: str | None = None, **popen) -> Outcome:
        started = time.monotonic()
        process = subprocess.Popen(
            [MACLI, *args],
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            **popen,
        )
        with self.lock:
            self.running[process.pid] = process
        try:
            stdout, stderr = process.communicate(input, timeout=300)
        finally:
            with self.lock:
                self.running.pop(process.pid, None)
        return Outcome(list(args), process.returncode, stdout, stderr, started, time.monotonic())

    def kill_one(self, rng) -> bool:
        """SIGKILL one running macli process chosen at random; False if none was running."""
        with self.lock:
            if not self.running:
                return False
            victim = rng.choice(list(self.running.values()))
            try:
                victim.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                return False
        return True


def macli(*args: str, env: dict | None = None, input: str | None = None, **popen) -> Outcome:
    """Run the installed macli once and return its Outcome."""
    return Processes(env).run(args, input=input, **popen)


def assert_clean(outcome: Outcome, expected_error: str | None = None) -> None:
    """Exit 0, or exit 1/2 with one `Error:` line (matching `expected_error`) and no traceback."""
    text = outcome.stdout + outcome.stderr
    assert "Traceback" not in text, str(outcome)
    assert "locked" not in outcome.stderr and "busy" not in outcome.stderr, str(outcome)
    if outcome.code == 0:
        return
    assert outcome.code in (1, 2), str(outcome)
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, str(outcome)
    if expected_error is not None:
        assert re.search(expected_error, errors[0]), str(outcome)


def assert_sound(env: dict | None = None, db: Path | None = None) -> None:
    """`macli check` passes on the store (or on `db`)."""
    if db is not None:
        env = {**(env or os.environ), "MACLI_DB": str(db)}
    checked = macli("check", env=env)
    assert checked.code == 0 and checked.stdout == "Store is sound.\n", str(checked)


def rows(db: Path, sql: str, params: Sequence = ()) -> list[tuple]:
    """Read the store directly (read-only), bypassing macli: what is really on disk."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return connection.execute(sql, tuple(params)).fetchall()
    finally:
        connection.close()


def in_parallel(workers: Sequence[Callable[[], object]]) -> list:
    """Run each callable in its own thread (each starts macli processes) and wait for all."""
    results: list = [None] * len(workers)
    failures: list[BaseException] = []

    def call(index, worker):
        try:
            results[index] = worker()
        except BaseException as error:  # surfaced below, in the test's thread
            failures.append(error)

    threads = [
        threading.Thread(target=call, args=(i, worker), daemon=True)
        for i, worker in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results
