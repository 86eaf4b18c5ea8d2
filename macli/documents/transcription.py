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


def editor_text(initial: str, patient_label: str) -> str:
    """What the editor opens on: the template's headings and the hint for `patient_label`."""
    seeded = initial + ("\n" if initial and not initial.endswith("\n") else "")
    return seeded + "\n" + HINT.format(patient=patient_label)


def written_note(written: str | None, initial: str) -> str:
    """The note as written in the editor, or Invalid when it was left empty or as the
    bare headings. (The editor itself is the command's to open: areas never import click.)"""
    note = strip_comments(written or "")
    if not note.strip() or " ".join(note.split()) == " ".join(initial.split()):
        raise Invalid("the note is empty; nothing added")
    return note
