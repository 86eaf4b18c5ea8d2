"""The phone screen as the desk reads it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from macli.identifiers import phone_national
from macli.money import cents_text
from macli.output import table_text
from macli.when import local_text


def _table(rows, columns) -> str:
    return "\n".join("  " + line for line in table_text(rows, columns).splitlines())


def language_line(language: dict) -> str:
    """`Spanish (es) · interpreter: Spanish`, or the clinic's default."""
    if not language["code"]:
        return "Language: not recorded" + (
            " · interpreter needed" if language["interpreter"] else ""
        )
    name = language["name"] or language["code"]
    line = f"Language: {name} ({language['code']})"
    return line + (f" · interpreter: {name}" if language["interpreter"] else "")


def lab_text(lab: dict) -> str:
    """The lab's results with what each waits for, and the tests not back yet. A result
    waiting for review is not the desk's to read out: it says so."""
    parts = []
    if lab["recent"]:
        rows = [
            {**row, "state": f"waiting for {row['waiting_for']}" if row["waiting_for"] else "done"}
            for row in lab["recent"]
        ]
        parts.append(f"\nLab results ({len(rows)})")
        columns = ["result", "reported", "test", "status", "flags", "state"]
        if any(row.get("provider_says") for row in rows):
            columns.append("provider_says")
        parts.append(_table(rows, columns))
        if any(row["waiting_for"] == "review" for row in rows):
            parts.append(
                "  Not reviewed yet: the provider reviews a result before the patient is told."
            )
    else:
        parts.append("\nLab results: none.")
    if lab["pending"]:
        parts.append(f"Lab tests not back ({len(lab['pending'])})")
        parts.append(_table(lab["pending"], ["order", "test", "ordered", "due", "state"]))
    return "\n".join(parts)


def text(sheet: dict, tz: ZoneInfo) -> str:
    confirm = sheet["confirm"]
    parts = [
        f"Confirm: {confirm['name']}, born {confirm['dob']} (age {confirm['age']})"
        f" · {confirm['mrn']}",
        language_line(sheet["language"]),
    ]
    caller = sheet["caller"]
    if caller is not None:
        if not caller["on_file"]:
            parts.append(
                f"Caller: {caller['as']} is NOT on file for this patient: do not share details."
            )
        elif caller["may_discuss"]:
            parts.append(f"Caller: {caller['as']}, on file, may be told.")
        else:
            parts.append(f"Caller: {caller['as']}, on file, may NOT be told about care.")
    contacts = sheet["representatives"]
    if contacts:
        rows = [
            {
                **row,
                "phone": phone_national(row["phone"]),
                "may_discuss": "yes" if row["may_discuss"] else "no",
            }
            for row in contacts
        ]
        parts.append(f"\nRepresentatives ({len(rows)})")
        parts.append(_table(rows, ["name", "relation", "phone", "may_discuss"]))
    else:
        parts.append("\nRepresentatives: none on file (tell no one else).")
    visits = sheet["appointments"]
    if visits["next"]:
        rows = [{**row, "when": local_text(row["starts_at"], tz)} for row in visits["next"]]
        parts.append("\nNext appointments")
        parts.append(_table(rows, ["when", "provider", "type", "status"]))
    else:
        parts.append("\nNext appointments: none booked.")
    last = visits["last_visit"]
    parts.append(
        f"Last visit: {local_text(last['starts_at'], tz)[:10]} with {last['provider']}"
        + (f" ({last['type']})" if last["type"] else "")
        if last
        else "Last visit: none."
    )
    meds = sheet["medications"]
    if meds:
        parts.append(f"\nActive medications ({len(meds)})")
        parts.append(_table(meds, ["name", "dose", "route", "frequency", "start"]))
    else:
        parts.append("\nActive medications: none recorded.")
    results = sheet["results"]
    if results:
        parts.append("\nRecent results")
        parts.append(_table(results, ["taken", "test", "value", "unit", "range", "flag"]))
    else:
        parts.append("\nRecent results: none.")
    parts.append(lab_text(sheet["lab"]))
    messages = sheet["messages"]
    if messages:
        rows = [{**row, "due": local_text(row["due_at"], tz)} for row in messages]
        parts.append(f"\nOpen messages ({len(rows)})")
        parts.append(_table(rows, ["id", "status", "flag", "due", "for", "reason", "summary"]))
    else:
        parts.append("\nOpen messages: none.")
    balance = sheet["balance"]
    parts.append(
        f"\nBalance due: {cents_text(balance['cents'])} on {balance['claims']} claim(s)."
        if balance["cents"]
        else "\nBalance due: none."
    )
    consent = sheet["consent"]
    given = ", ".join(channel for channel, ok in consent.items() if ok) or "none"
    parts.append(
        f"Contact consent: {given} · prefers {sheet['prefers']}"
        f" · phone {phone_national(sheet['phone']) or 'none'}"
    )
    return "\n".join(parts)
