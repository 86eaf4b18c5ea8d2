"""The reliability suite: `pytest tests/reliability` (add `--long` for the long variants)."""

from tests.reliability import harness


def pytest_configure(config):
    harness.LONG = bool(config.getoption("--long", default=False))
