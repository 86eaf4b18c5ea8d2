"""The generated command reference is current, and every command has an example."""

from pathlib import Path

import click

from macli.cli import cli
from macli.reference import _walk, reference


def test_reference_is_current():
    page = Path(__file__).resolve().parent.parent / "docs" / "reference.md"
    assert page.read_text() == reference(), (
        "docs/reference.md is out of date: python -m macli.reference > docs/reference.md"
    )


def test_every_command_has_an_example():
    ctx = click.Context(cli, info_name="macli")
    missing = [
        " ".join(path)
        for path, command, _ in _walk(cli, ["macli"], ctx)
        if not isinstance(command, click.Group) and "Example" not in (command.help or "")
    ]
    assert missing == []


def test_lazy_one_liners_match_each_commands_own_help():
    from macli.cli import LAZY_COMMANDS

    ctx = click.Context(cli, info_name="macli")
    for name, (_, one_liner) in LAZY_COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command.get_short_help_str(limit=200) == one_liner, name
