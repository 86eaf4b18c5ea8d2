"""The root group: global options, the App on ctx.obj, lazily loaded command groups,
and the one place where expected failures become `Error: ...` and an exit code."""

from __future__ import annotations

import importlib

import click

from macli import __version__
from macli.errors import MacliError

# Commands receive the App (macli.app) that the root group puts on ctx.obj. It is
# imported inside the root callback so `macli --help` never loads the store modules.
pass_app = click.pass_obj

# name -> (module:attribute, one-line help). Groups are imported only when called, so
# `macli --help` and a simple listing never pay for what they do not use.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "config": ("macli.ops:config", "Clinic settings: name, phone, time zone, mail and SMS."),
    "patient": ("macli.patients.cli:patient", "Register, find, edit, import and export patients."),
    "provider": ("macli.patients.cli:provider", "The clinicians who see patients."),
    "schedule": (
        "macli.schedule.cli:schedule",
        "Book appointments that never double-book; day sheets, free slots.",
    ),
    "bill": (
        "macli.bill.cli:bill",
        "Fees, coding, claims, X12 837P export, payments and what is owed.",
    ),
    "chart": ("macli.chart.cli:chart", "Patient charts: vitals, problems, meds, allergies, notes."),
    "remind": (
        "macli.remind.cli:remind",
        "Appointment reminders by e-mail, SMS and phone call list.",
    ),
    "audit": ("macli.ops:audit_group", "The audit log of every view and change of patient data."),
    "backup": ("macli.ops:backup", "Copy the store to PATH while others keep working (mode 0600)."),
    "check": (
        "macli.ops:check",
        "Check the store: SQLite integrity, foreign keys and the audit chain.",
    ),
    "sql": ("macli.ops:sql", "Run one read-only SQL query; any write is refused."),
    "browse": (
        "macli.browse:browse",
        "Browse the store read-only in Datasette, with canned clinic queries.",
    ),
    "expense": (
        "macli.expense.cli:expense",
        "Record, import, budget, report and export what the office spends.",
    ),
    "stock": (
        "macli.stock.cli:stock",
        "Supplies by lot and expiry: receive, use, count, discard, reorder.",
    ),
    "lab": (
        "macli.lab.cli:lab",
        "Lab tests: orders, specimens, HL7 results, review, telling the patient.",
    ),
    "qc": (
        "macli.qc.cli:qc",
        "Lab upkeep: fridge temperatures, excursions, sterilizers, spore tests.",
    ),
    "procedure": (
        "macli.procedure.cli:procedure",
        "Minor procedures: prep sheets, the safety checklist, trays, packs, specimens.",
    ),
    "phone": (
        "macli.phone.cli:phone",
        "Phone messages and callbacks, and the screen to answer a caller.",
    ),
    "today": (
        "macli.today.cli:today",
        "The day sheet: appointments, reminders, calls, supplies and spending.",
    ),
    "init": (
        "macli.ops:init",
        "Create a new, empty store (mode 0600), or bring an existing one up to date.",
    ),
    "demo": ("macli.demo:demo", "Create a synthetic demo clinic to try macli on."),
    "replicate": (
        "macli.replicate.cli:replicate",
        "Continuous off-site copies of the store with Litestream.",
    ),
    "restore": (
        "macli.replicate.cli:restore",
        "Restore the store from its replica into a new file, then check it.",
    ),
    "export": (
        "macli.ops:export",
        "Export one table, or all of them, for scripts (streamed; files are 0600).",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands live in `lazy` and are imported on first use."""

    def __init__(self, *args, lazy: dict[str, tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            module_name, attribute = self.lazy[name][0].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            guard_text(command)
            _whole_summaries(command)
            self.add_command(command, name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx, formatter):
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                rows.append((name, self.lazy[name][1]))
            else:
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _whole_summaries(command: click.Command) -> None:
    """Give each command of a loaded group its docstring's first sentence, whole, as the
    line its group's --help lists: click cuts it at about 45 characters with "...", and
    the listing wraps a long line anyway."""
    for sub in getattr(command, "commands", {}).values():
        if sub.short_help is None and sub.help:
            first = sub.help.split("\n\n", 1)[0]
            sub.short_help = " ".join(first.split())
        _whole_summaries(sub)


class RootGroup(LazyGroup):
    def parse_args(self, ctx, args):
        for arg in args:
            require_text(arg)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as error:
            raise _negative_number(error) from None
        except MacliError as error:
            raise _failure(error.message, error.exit_code) from None
        except Exception as error:
            import errno
            import sqlite3

            if isinstance(error, sqlite3.DatabaseError):
                raise _failure(f"the store could not be used: {error}", 1) from None
            # A file that cannot be written or read (a full disk, a missing folder); a
            # broken pipe is left to click, which exits quietly as `| head` expects.
            if isinstance(error, OSError) and error.errno != errno.EPIPE:
                where = f": {error.filename}" if error.filename else ""
                raise _failure(f"{error.strerror or error}{where}", 1) from None
            raise
        finally:
            if ctx.obj is not None:
                ctx.obj.close()


class OneLine(click.ParamType):
    """Plain text on one line: what every text option and argument takes by default."""

    name = "text"
    multiline = False

    def convert(self, value, param, ctx):
        from macli.errors import Invalid
        from macli.text import clean

        if not isinstance(value, str):
            return value
        try:
            return clean(value, "the value", multiline=self.multiline)
        except Invalid as error:
            self.fail(error.message.removeprefix("the value "), param, ctx)


class ManyLines(OneLine):
    """Text that may hold line breaks and tabs (a note): `type=MULTILINE`."""

    multiline = True


MULTILINE = ManyLines()
_ONE_LINE = OneLine()


def guard_text(command: click.Command) -> None:
    """Hold every plain text option and argument of `command` (and its subcommands) to
    the one rule for text (macli/text.py): no control characters, one line unless the
    parameter is declared `type=MULTILINE`. Parameters with their own type (choices,
    numbers, paths, files) are left to it."""
    for param in command.params:
        if param.type is click.STRING:
            param.type = _ONE_LINE
    for sub in getattr(command, "commands", {}).values():
        guard_text(sub)


def _negative_number(error: click.NoSuchOption) -> click.UsageError:
    """`stock use SKU -1` reaches click as an option named -1: say what is wrong."""
    name = error.option_name
    try:
        float(name.replace(",", ""))
    except ValueError:
        return error
    return click.UsageError(
        f"{name} is a negative number: quantities, amounts and counts here must be positive",
        ctx=error.ctx,
    )


def require_text(value: str, where: str = "an argument") -> None:
    """Refuse bytes that are not UTF-8 (Python hands them over as lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = value.encode("utf-8", "surrogateescape")[:60]
        raise click.UsageError(f"{where} is not UTF-8 text: {shown!r}") from None


def _failure(message: str, exit_code: int) -> click.ClickException:
    failure = click.ClickException(message)
    failure.exit_code = exit_code
    return failure


@click.group(
    cls=RootGroup,
    lazy=LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--db",
    "db_path",
    envvar="MACLI_DB",
    type=click.Path(dir_okay=False),
    help="The store (env MACLI_DB). Default: macli.db in the user's application folder.",
)
@click.option(
    "--user",
    envvar="MACLI_USER",
    help="Who is acting, for the audit log (env MACLI_USER). Default: the login name.",
)
@click.option(
    "--now",
    "now_text",
    envvar="MACLI_NOW",
    metavar="DATETIME",
    help="The clock for this run, ISO 8601, naive times in the clinic zone (env MACLI_NOW).",
)
@click.version_option(__version__, prog_name="macli")
@click.pass_context
def cli(ctx, db_path, user, now_text):
    """macli: the office work of a medical assistant, from the command line.

    One store holds patients, appointments, reminders, charts, supplies and
    expenses. Every listing prints a table, or CSV/TSV/JSON with -f.

    \b
    Example:
        macli demo && export MACLI_DB=macli-demo.db
        macli patient list --search garcia
    """
    from macli.app import App, default_db_path, login_name

    for name, value in (("MACLI_USER", user), ("MACLI_NOW", now_text)):
        if value is not None:
            require_text(value, name)
    if now_text is not None:
        from datetime import datetime

        try:
            datetime.fromisoformat(now_text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise click.BadParameter(
                f"cannot read {now_text!r} as ISO 8601 (e.g. 2026-12-01T08:00)",
                param_hint="--now",
            ) from None
    ctx.obj = App(
        db_path or default_db_path(), user or login_name(), now_text, create=db_path is None
    )


guard_text(cli)


def main():
    cli(prog_name="macli")
