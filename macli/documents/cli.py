"""`macli chart file|files|letter ...`: documents on the record and letters to patients.

Registered under `chart` (macli/chart/cli.py adds these groups), kept in their own room.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from macli.cli import pass_app
from macli.documents import filing
from macli.documents.schema import KINDS
from macli.errors import Invalid
from macli.output import format_option, render, render_record


class DefaultGroup(click.Group):
    """A group whose first word may be a subcommand or the default command's argument:
    `chart file P000042 scan.pdf` files; `chart file show 12` shows."""

    def __init__(self, *args, default: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_command = default

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise Invalid(f"{path} is a folder, not a file") from None
    except FileNotFoundError:
        raise Invalid(f"no file {path}") from None
    except OSError as error:
        raise Invalid(f"cannot read {path}: {error.strerror}") from None


def _described(row: dict) -> str:
    pages = f", {row['pages']} page" + ("" if row["pages"] == 1 else "s") if row["pages"] else ""
    return f"{row['kind']}, {filing.TYPE_NAMES.get(row['media_type'])}{pages}"


# -- filing -----------------------------------------------------------------------------


@click.group("file", cls=DefaultGroup, default="add")
def file_group():
    """File documents on a patient's record, show one, amend one.

    `chart file PATIENT FILE... --kind KIND` files (the same as `chart file add`).
    Each file is kept in the store once, by its content: filing the same file again
    for the same patient finds the document already there.
    """


@file_group.command("add")
@click.argument("patient")
@click.argument("paths", metavar="FILE...", nargs=-1, required=True)
@click.option("--kind", required=True, type=click.Choice(KINDS), help="What the document is.")
@click.option("--date", "dated", metavar="DATE", help="The date it bears (default: today).")
@click.option("--from", "source", metavar="TEXT", help="Who sent it (a clinic, a doctor).")
@click.option("--note", help="A short note kept with it.")
@pass_app
def file_add(app, patient, paths, kind, dated, source, note):
    """File one or more documents (PDF, scan, photo, text) on PATIENT's record.

    All the files are filed, or none: one that is empty, too large (setting
    documents.max_mb), of a type that cannot be told, or a PDF that cannot be
    read stops the lot. Text in PDFs and text files is kept for `chart files
    --search`; a scanned image is filed and listed, not searched.

    \b
    Example:
        macli chart file P000042 ~/fax/lopez-referral.pdf --kind referral \\
            --from "Dr Lopez, Bayside Cardiology" --date 2026-11-20
        macli chart file garcia card-front.jpg card-back.jpg --kind insurance-card
    """
    files = [(path, _read(path)) for path in paths]
    rows = filing.file(
        app.store,
        patient,
        files,
        kind=kind,
        dated=dated,
        source=source,
        note=note,
        user=app.user,
        now=app.now,
        today=app.today,
    )
    for (path, _), row in zip(files, rows, strict=True):
        who = f"{row['patient_name']} ({row['mrn']})"
        if row["already"]:
            click.echo(
                f"{path} is already document {row['thread_id']} for {who} "
                f"({_described(row)}, dated {row['dated']}); not filed again."
            )
            continue
        state = filing.TEXT_SHOWN[row["text_state"]]
        click.echo(
            f"Filed {path} as document {row['thread_id']} for {who}: {_described(row)}, {state}."
        )
        if row["elsewhere"]:
            others = ", ".join(str(number) for number in row["elsewhere"])
            click.echo(
                f"Note: the same file is also filed for another patient (document {others}).",
                err=True,
            )


@file_group.command("show")
@click.argument("document_id", metavar="ID", type=int)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the original file here (mode 0600); `-` writes it to standard output.",
)
@format_option(formats=("table", "json"), help="How the description is shown (without -o).")
@pass_app
def file_show(app, document_id, output, fmt):
    """Describe a document, or write out its original bytes with -o.

    Both are written to the audit log.

    \b
    Example:
        macli chart file show 12
        macli chart file show 12 -o ~/print/lopez-referral.pdf
    """
    if output:
        from macli.files import check_writable

        check_writable(output)  # a copy that cannot be written is not audited as given out
        kept = filing.original(app.store, document_id, user=app.user, now=app.now)
        if output == "-":
            sys.stdout.buffer.write(kept["data"])
            sys.stdout.buffer.flush()
            return
        from macli.files import open_private

        with open_private(output, "wb") as handle:
            handle.write(kept["data"])
        click.echo(f"Wrote {kept['file']} ({len(kept['data'])} bytes) to {output}.", err=True)
        return
    record = filing.show(app.store, document_id, user=app.user, now=app.now, tz=app.zone)
    if fmt == "json":
        render_record(record, "json")
        return
    versions = record.pop("versions")
    excerpt = record.pop("text_excerpt")
    render_record({key: value for key, value in record.items() if value not in (None, "")}, "table")
    if len(versions) > 1:
        click.echo("\nVersions:")
        render(
            versions,
            "table",
            columns=("version", "kind", "date", "source", "note", "reason", "by", "at"),
        )
    if excerpt:
        click.echo("\nText (start):")
        click.echo(excerpt)


@file_group.command("history")
@click.argument("document_id", metavar="ID", type=int)
@format_option
@pass_app
def file_history(app, document_id, fmt):
    """Every version of a document: what each said, who changed it, when and why.

    \b
    Example:
        macli chart file history 12
    """
    record = filing.show(app.store, document_id, user=app.user, now=app.now, tz=app.zone)
    render(
        record["versions"],
        fmt,
        columns=("version", "id", "kind", "date", "source", "note", "reason", "by", "at"),
    )


@file_group.command("amend")
@click.argument("document_id", metavar="ID", type=int)
@click.option("--reason", required=True, help="Why it is corrected (kept with it).")
@click.option("--kind", type=click.Choice(KINDS), help="The right kind.")
@click.option("--date", "dated", metavar="DATE", help="The right date.")
@click.option("--from", "source", metavar="TEXT", help="The right sender.")
@click.option("--note", help="The right note.")
@pass_app
def file_amend(app, document_id, reason, kind, dated, source, note):
    """Correct what is recorded about a document; the earlier version stays.

    The file itself never changes: a wrong file is filed again, correctly, and
    the wrong one amended with a note saying so.

    \b
    Example:
        macli chart file amend 12 --kind outside-record --reason "discharge summary, not a referral"
    """
    row = filing.amend(
        app.store,
        document_id,
        reason=reason,
        kind=kind,
        dated=dated,
        source=source,
        note=note,
        user=app.user,
        now=app.now,
        today=app.today,
    )
    versions = row["amendments"] + 1
    click.echo(
        f"Amended document {row['thread_id']} for {row['patient_name']} ({row['mrn']}): "
        f"{_described(row)}, dated {row['dated']} (version {versions})."
    )


@click.command("files")
@click.argument("patient", required=False)
@click.option("--kind", type=click.Choice(KINDS), help="Only documents of this kind.")
@click.option("--search", metavar="WORDS", help="Words in the text, sender, note or file name.")
@format_option
@pass_app
def files_command(app, patient, kind, search, fmt):
    """List a patient's documents, newest first, or search every chart's.

    A scanned image (or a PDF of scans) has no text: it is listed, and found by
    its kind, sender, note and file name only. The listing is audited.

    \b
    Example:
        macli chart files P000042
        macli chart files P000042 --kind referral -f csv
        macli chart files --search "lopez referral"
    """
    rows = filing.listing(
        app.store, patient, kind=kind, search=search, user=app.user, now=app.now, tz=app.zone
    )
    columns = list(filing.LIST_COLUMNS)
    if patient is not None and fmt == "table":
        columns = [c for c in columns if c not in ("mrn", "patient")]
    render(
        rows, fmt, columns=columns, empty="No documents found." if search else "No documents filed."
    )
    if fmt == "table" and search:
        unsearched = sum(1 for row in rows if row["text"] != "searchable")
        if unsearched:
            click.echo(
                f"({unsearched} without text: found by kind, sender, note or file name only.)"
            )


# -- letters ----------------------------------------------------------------------------


@click.group("letter", cls=DefaultGroup, default="write")
def letter_group():
    """Write a letter to a patient on the clinic's letterhead, and its templates.

    `chart letter PATIENT --template NAME` writes one (the same as `chart letter
    write`); `chart letter template list|show|set` manages the templates.
    """


@letter_group.command("write")
@click.argument("patient")
@click.option(
    "--template", "name", required=True, metavar="NAME", help="See `letter template list`."
)
@click.option(
    "--result",
    "result_ids",
    type=int,
    multiple=True,
    metavar="ID",
    help="A result entry to report (repeat for several; default: the last day's results).",
)
@click.option(
    "--appointment", "appointment_id", type=int, metavar="ID", help="The visit it is about."
)
@click.option("--to", metavar="TEXT", help="Referral: who the patient is referred to.")
@click.option("--reason", metavar="TEXT", help="Referral: why, in plain words.")
@click.option(
    "--problem",
    "problem_id",
    type=int,
    metavar="ID",
    help="A problem on the chart to name in plain words (the referral's reason by default).",
)
@click.option("--until", metavar="DATE", help="Work or school note: the day they may go back.")
@click.option("--language", metavar="CODE", help="Write in this language (default: the patient's).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Also write the PDF here (mode 0600)."
)
@pass_app
def letter_write(
    app, patient, name, result_ids, appointment_id, to, reason, problem_id, until, language, output
):
    """Write a letter from a template and file it on the chart as kind `letter`.

    Fields come from the record: the patient's name, the clinic's name, phone
    and address (settings clinic.*), the results or the visit given. Tests are
    named the way a patient reads them, each with whether it is in range. The
    letter is in the patient's language when the template has that version.

    \b
    Example:
        macli chart letter P000042 --template normal-results -o ~/print/garcia.pdf
        macli chart letter P000042 --template missed-appointment --appointment 311
        macli chart letter P000042 --template referral --to "Dr Kim, Bayside Cardiology" \\
            --reason "a closer look at your heart rhythm"
        macli chart letter P000042 --template referral --to "Dr Kim" --problem 1240
    """
    from macli.documents import letters
    from macli.files import check_writable

    if output:
        check_writable(output)  # before the letter is filed, not after
    written = letters.write(
        app.store,
        patient,
        name,
        result_ids=list(result_ids),
        appointment_id=appointment_id,
        to=to,
        reason=reason,
        problem_id=problem_id,
        until=until,
        language=language,
        user=app.user,
        now=app.now,
        today=app.today,
        tz=app.zone,
    )
    if written["notice"]:
        click.echo(f"Note: {written['notice']}.", err=True)
    row = written["document"]
    who = f"{row['patient_name']} ({row['mrn']})"
    if row["already"]:
        click.echo(f"The same letter is already document {row['thread_id']} for {who}.")
    else:
        click.echo(
            f'Filed the letter "{written["title"]}" as document {row["thread_id"]} for {who}.'
        )
    if output:
        from macli.files import open_private

        with open_private(output, "wb") as handle:
            handle.write(written["data"])
        click.echo(f"Wrote {output}.")
    else:
        click.echo(f"Print it with: macli chart file show {row['thread_id']} -o letter.pdf")


@letter_group.group("template")
def letter_template():
    """The letter templates: shipped ones, and the clinic's own versions."""


@letter_template.command("list")
@format_option
@pass_app
def letter_template_list(app, fmt):
    """List the templates in each language, with their reading level.

    grade is the Flesch–Kincaid grade (English); ease is the Fernández-Huerta
    score (Spanish; 70 and up reads fairly easily); other languages are not
    measured.

    \b
    Example:
        macli chart letter template list
    """
    from macli.documents import letters

    render(
        letters.list_templates(app.store),
        fmt,
        columns=("name", "language", "source", "about", "grade", "ease", "fields"),
    )


def _level(measured: dict) -> str:
    if measured["grade"] is not None:
        return f"grade {measured['grade']}"
    if measured["ease"] is not None:
        return f"ease {measured['ease']}"
    return "reading level not measured in this language"


@letter_template.command("show")
@click.argument("name")
@click.option("--language", metavar="CODE", default="en", show_default=True)
@pass_app
def letter_template_show(app, name, language):
    """Print a template's text as it is used (the clinic's version, else the shipped one).

    \b
    Example:
        macli chart letter template show normal-results --language es > resultados.txt
    """
    from macli.documents import letters

    record = letters.show_template(app.store, name, language)
    click.echo(record["text"], nl=not record["text"].endswith("\n"))
    level = _level(record)
    click.echo(f"({record['source']}, {record['words']} words, {level})", err=True)


@letter_template.command("set")
@click.argument("name")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--language", metavar="CODE", default="en", show_default=True)
@pass_app
def letter_template_set(app, name, path, language):
    """Use the clinic's own text for a template: title on the first line, then the
    letter, with {field} marks (`letter template list` shows each one's fields).

    Warns when the text reads above grade 8.

    \b
    Example:
        macli chart letter template show normal-results > normal.txt
        macli chart letter template set normal-results --file normal.txt
    """
    from macli.csvfile import decode
    from macli.documents import letters

    text = decode(Path(path).read_bytes(), path)
    result = letters.set_template(
        app.store, name, text, language=language, user=app.user, now=app.now
    )
    level = _level(result)
    click.echo(f"Set {result['name']} ({result['language']}): {result['words']} words, {level}.")
    if result["warning"]:
        click.echo(
            f"Warning: the template {result['warning']}; shorter sentences and words help.",
            err=True,
        )


@letter_template.command("reset")
@click.argument("name")
@click.option("--language", metavar="CODE", default="en", show_default=True)
@pass_app
def letter_template_reset(app, name, language):
    """Go back to the shipped text of a template; the clinic's versions stay on record.

    \b
    Example:
        macli chart letter template reset normal-results --language es
    """
    from macli.documents import letters

    result = letters.reset_template(app.store, name, language=language, user=app.user, now=app.now)
    if result["source"] == "shipped":
        click.echo(f"{result['name']} ({result['language']}) is the shipped text again.")
    else:
        click.echo(
            f"{result['name']} ({result['language']}) has no version now; "
            "letters in that language are written in English."
        )


@letter_group.group("plain")
def letter_plain():
    """The words a letter uses for each test ("average blood sugar over 3 months")."""


@letter_plain.command("list")
@click.option("--language", metavar="CODE", default="en", show_default=True)
@format_option
@pass_app
def letter_plain_list(app, language, fmt):
    """List the clinic's own words for tests, then the shipped ones (by LOINC code).

    \b
    Example:
        macli chart letter plain list --language es
    """
    from macli.documents import letters

    rows = letters.plain_names(app.store, language)
    render(rows, fmt, columns=("test", "language", "words", "source"))


@letter_plain.command("set")
@click.argument("test")
@click.argument("words")
@click.option("--language", metavar="CODE", default="en", show_default=True)
@pass_app
def letter_plain_set(app, test, words, language):
    """Give a test the words a patient reads, by its LOINC code or its name as the
    lab or the chart writes it; the test's own name follows them in brackets.

    \b
    Example:
        macli chart letter plain set 2951-2 "salt level in the blood"
        macli chart letter plain set MCV "size of the red blood cells"
        macli chart letter plain set MCV "tamaño de los glóbulos rojos" --language es
    """
    from macli.documents import letters

    row = letters.set_plain_name(
        app.store, test, words, language=language, user=app.user, now=app.now
    )
    click.echo(f'{row["test"]} ({row["language"]}) reads in letters as "{row["words"]}".')
