"""The one way to give several commands the same set of click options."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click

# The most rows one listing's --limit may ask for. Past it the number is a typo (SQLite
# cannot even hold 20 digits); a listing without --limit shows everything anyway.
MAX_LIMIT = 1_000_000


def limit_type(least: int = 0) -> click.IntRange:
    """The type of every --limit option: a whole number from `least` to MAX_LIMIT."""
    return click.IntRange(least, MAX_LIMIT)


def option_stack(options: Sequence[Callable]) -> Callable:
    """A decorator adding `options` (each a `click.option(...)`) to a command, so that
    `--help` lists them in the order given."""

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate
