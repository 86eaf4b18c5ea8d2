"""Hypothesis strategies for hostile input, and the one judgement every input must pass."""

from __future__ import annotations

import sqlite3

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from macli.migrations import open_store
from tests.conftest import dump
from tests.reliability.harness import pick

# In-process runs share the test's store across examples; each example compares the
# store before and after itself, so sharing is safe.
FUZZ = settings(
    max_examples=pick(60, 600),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
    ],
)

NASTY = [
    "",
    " ",
    "'",
    '"',
    "\\",
    "%",
    "_",
    "O'Brien",
    'Ana "Nana" Lima',
    "Robert'); DROP TABLE patients;--",
    "' OR 1=1 --",
    "1; DELETE FROM audit",
    "=1+1",
    '=HYPERLINK("http://example.org/x","click")',
    "+1",
    "-1",
    "@SUM(A1:A9)",
    "\t=1",
    "José Ñúñez",
    "Zoë Þórsdóttir",
    "李小龙",
    "محمد",
    "\u202eevil",
    "a\u200bb",
    "e\u0301",
    "\U0001f600",
    "x" * 5000,
    "9" * 400,
    "1e309",
    "NaN",
    "-0",
    "0",
    "2026-02-30",
    "2026-13-01",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "+999999999d",
    "-99999999w",
    "+2d",
    "today",
    "tomorrow 25:00",
    "2026-03-08 02:30",
    "2026-11-01 01:30",
    "2026-12-01T09:30+14:00",
    "P000001",
    "p1",
    "sms,email,fax",
]


def argv_text() -> st.SearchStrategy[str]:
    """Anything a shell can pass: any Unicode, and bytes that are not UTF-8 (as Python
    decodes them: lone surrogates). Never NUL, which no argv can hold."""
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=40),
        st.binary(max_size=12).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
    ).filter(lambda text: "\x00" not in text)


def either(*examples, pattern=None):
    """Plausible values (and a pattern of them), or anything at all."""
    choices = [st.sampled_from(examples), argv_text()]
    if pattern:
        choices.append(st.from_regex(pattern, fullmatch=True))
    return st.one_of(*choices)


def options(**strategies):
    """A random subset of the given options, each with a drawn value."""
    return st.dictionaries(
        st.sampled_from(sorted(strategies)), st.just(None), max_size=len(strategies)
    ).flatmap(lambda chosen: st.fixed_dictionaries({name: strategies[name] for name in chosen}))


def argv(base: list[str], chosen: dict) -> list[str]:
    args = list(base)
    for name, value in chosen.items():
        args += [f"--{name.replace('_', '-')}", value]
    return args


WHEN = either(
    "2026-11-26 08:30", "today 16:15", "+2d 10:00", "2026-03-08 02:30", "2026-11-01 01:30"
)
DATE = either("2026-11-20", "today", "yesterday", "+999999999d", "1880-01-01", "2999-12-31")
AMOUNTS = st.one_of(
    st.sampled_from(
        [
            "12.50",
            "$1,234.56",
            "-3.00",
            "(3.00)",
            "0",
            "0.001",
            "1,23",
            "1e3",
            "$-0.01",
            "99999999999999999999.99",
        ]
    ),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    argv_text(),
)


def judge(run, db_path, args: list[str], *, ignore=()):
    """Run macli in-process: it works, or fails cleanly and leaves the store as it was.

    "As it was" means nothing was committed: a connection held open across the command
    sees `PRAGMA data_version` change on any commit by another connection (stricter than
    comparing dumps, and fast on a store holding the ICD-10-CM code set). `ignore` names
    tables whose rows may change even on failure (the audit log records an attempt to use
    `macli sql` before the query runs); then the dumps without those rows are compared."""
    if not db_path.exists():
        open_store(db_path).close()  # any first command creates the store, even one that fails
    watcher = sqlite3.connect(db_path)
    try:
        version = watcher.execute("PRAGMA data_version").fetchone()
        before = store_text(db_path, ignore) if ignore else None
        result = run(args, expect=None)
        text = result.stdout + result.stderr
        assert "Traceback" not in text
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, text)
        if result.exit_code:
            errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
            assert len(errors) == 1, (args, result.stderr)
            if ignore:
                assert store_text(db_path, ignore) == before, args
            else:
                changed = watcher.execute("PRAGMA data_version").fetchone() != version
                assert not changed, f"the failed command {args} committed a change"
        return result
    finally:
        watcher.close()


def store_text(db_path, ignore=()) -> str:
    """The store as SQL (as `dump` gives it), without the rows of the tables in `ignore`."""
    if not ignore:
        return dump(db_path)
    skipped = tuple(f'INSERT INTO "{table}"' for table in ignore)
    skipped += tuple(f"INSERT INTO \"sqlite_sequence\" VALUES('{table}'" for table in ignore)
    connection = sqlite3.connect(db_path)
    try:
        return "\n".join(s for s in connection.iterdump() if not s.startswith(skipped))
    finally:
        connection.close()
