"""Writing a note as a transcriptionist does: a template's headings in $EDITOR (as git
opens one for a commit message), or dictation typed elsewhere and piped in."""

from __future__ import annotations

from macli.errors import Invalid

NOTE_TEMPLATES = {
    "soap": "Subjective:\n\nObjective:\n\nAssessment:\n\nPlan:\n",
    "procedure": (
        "Procedure:\n\nIndication:\n\nConsent:\n\nDescription:\n\nFindings:\n\n"
        "Complications:\n\nSpecimens:\n\nFollow-up:\n"
    ),
    "phone": "Caller:\n\nCallback number:\n\nReason for call:\n\nAdvice given:\n\nFollow-up:\n",
}

HINT = (
    "# Write the note for {patient} above. Lines starting with '#' are left out.\n"
    "# An empty note (or the headings alone) adds nothing.\n"
)


def strip_comments(text: str) -> str:
    """The note without the editor's `#` hint lines and surrounding blank lines."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip("\n")


def edit(initial: str, patient_label: str) -> str:
    """Open $VISUAL or $EDITOR on `initial` (plus a hint) and return what was written.

    Invalid when the editor fails or the note is left empty or as the bare headings.
    """
    import click

    seeded = initial + ("\n" if initial and not initial.endswith("\n") else "")
    try:
        written = click.edit(
            seeded + "\n" + HINT.format(patient=patient_label), extension=".txt", require_save=True
        )
    except click.ClickException as error:
        raise Invalid(
            f"the editor could not be started ({error.format_message()}); "
            "set EDITOR, or give --text or --file"
        ) from None
    note = strip_comments(written or "")
    if not note.strip() or " ".join(note.split()) == " ".join(initial.split()):
        raise Invalid("the note is empty; nothing added")
    return note
