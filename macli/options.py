"""The one way to give several commands the same set of click options."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def option_stack(options: Sequence[Callable]) -> Callable:
    """A decorator adding `options` (each a `click.option(...)`) to a command, so that
    `--help` lists them in the order given."""

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate
