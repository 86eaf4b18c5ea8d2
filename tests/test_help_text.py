"""Help a person can read: group listings give each command's summary whole, and usage
lines wrap between words (issue 21 item 18)."""

from __future__ import annotations

import click

from macli.cli import cli
from macli.reference import _walk


def commands():
    root = click.Context(cli, info_name="macli", terminal_width=80, max_content_width=80)
    for path, command, ctx in _walk(cli, ["macli"], root):
        ctx.terminal_width = ctx.max_content_width = 80
        yield path, command, ctx


def test_no_group_listing_cuts_a_summary_with_dots():
    cut = []
    for path, command, ctx in commands():
        if isinstance(command, click.Group):
            listing = command.get_help(ctx).split("Commands:", 1)[-1]
            cut += [
                f"{' '.join(path)}: {line.strip()}"
                for line in listing.splitlines()
                if line.rstrip().endswith("...")
            ]
    assert cut == []


def test_usage_lines_wrap_between_words():
    # Click wraps a long {a|b|c} choice list anywhere, even mid-word ("in-" / "room"):
    # no usage line may leave one open.
    broken = []
    for path, command, ctx in commands():
        formatter = ctx.make_formatter()
        command.format_usage(ctx, formatter)
        for line in formatter.getvalue().splitlines():
            if line.count("{") != line.count("}"):
                broken.append(f"{' '.join(path)}: {line.strip()}")
    assert broken == []


def test_a_one_diagnosis_claim_is_counted_in_the_singular():
    from macli.bill.cli import _count

    assert (_count(1, "line", "lines"), _count(2, "line", "lines")) == ("1 line", "2 lines")
