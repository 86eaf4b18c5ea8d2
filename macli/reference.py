"""The command reference, generated from the code: `python -m macli.reference`."""

from __future__ import annotations

import click

from macli.cli import cli


def _walk(command: click.Command, path: list[str], ctx: click.Context):
    yield path, command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = click.Context(sub, info_name=name, parent=ctx)
            yield from _walk(sub, [*path, name], sub_ctx)


def reference() -> str:
    """Every command's --help, in one Markdown page."""
    root_ctx = click.Context(
        cli, info_name="macli", terminal_width=88, max_content_width=88, **cli.context_settings
    )
    parts = [
        "# Command reference\n",
        "Generated from the code by `python -m macli.reference > docs/reference.md`;",
        "a test fails when this page is out of date.\n",
    ]
    for path, command, ctx in _walk(cli, ["macli"], root_ctx):
        ctx.terminal_width = ctx.max_content_width = 88
        parts.append(f"## {' '.join(path)}\n")
        parts.append("```")
        parts.append(command.get_help(ctx).rstrip())
        parts.append("```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
