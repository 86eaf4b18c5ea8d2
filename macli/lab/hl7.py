"""Reading HL7 v2.5.1 ORU^R01 result messages (python-hl7 parses; we read the fields).

A file may hold several messages, each starting with an MSH segment; segments end with
a carriage return (CR LF is accepted, a bare line feed is not: it is how a file mangled
by a text editor or a mail gateway looks, and reading it would be a guess). Anything
that cannot be read is an Invalid naming the file and the message number, so an import
writes nothing rather than part of a file.

Fields read: MSH-9 (type), MSH-10 (control id), MSH-12 (version); PID-3 (patient id),
PID-5 (name), PID-7 (birth date); ORC-2 / OBR-2 (placer order number); OBR-4 (test
code), OBR-7 (observed), OBR-22 (reported), OBR-25 (result status); OBX-2 (value type),
OBX-3 (analyte code), OBX-5 (value), OBX-6 (unit), OBX-7 (range), OBX-8 (flag),
NTE-3 after an OBR or OBX (comments).
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from macli.errors import Invalid

STATUSES = {"P": "preliminary", "F": "final", "C": "corrected"}
FLAGS = ("L", "H", "LL", "HH", "A", "N")
_SEGMENT = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_NUMBER = re.compile(r"^[<>]?=?\s*[-+]?(\d+(\.\d*)?|\.\d+)$")


_PLAIN_ID = re.compile(r"^[A-Za-z0-9._-]{1,199}$")
_ENVELOPE = ("FHS", "BHS", "BTS", "FTS")


def split(text: str, where: str) -> list[str]:
    """The messages of one file's text, each with CR-separated segments.

    A batch file's envelope (FHS/BHS ... BTS/FTS) is read past, its BTS-1 message count
    checked so that a cut-off file is refused; MLLP framing bytes (VT, FS) left by an
    interface engine's capture are dropped."""
    if "\x00" in text:
        raise Invalid(f"{where}: not an HL7 text file (it holds NUL bytes)")
    text = text.lstrip("\ufeff").replace("\x0b", "").replace("\x1c", "").replace("\r\n", "\r")
    if "\n" in text:
        raise Invalid(
            f"{where}: segments are separated by line feeds; HL7 v2 separates them with"
            " carriage returns (ask the lab for the file as sent, or convert LF to CR)"
        )
    segments = [segment for segment in text.split("\r") if segment.strip()]
    body = [segment for segment in segments if segment[:3] not in _ENVELOPE]
    if not body or not body[0].startswith("MSH"):
        raise Invalid(f"{where}: not an HL7 message (a message starts with an MSH segment)")
    messages, current, in_batch = [], [], 0
    for segment in segments:
        kind = segment[:3]
        if kind == "MSH" and current:
            messages.append("\r".join(current))
            current = []
        if kind in _ENVELOPE:
            if current:
                messages.append("\r".join(current))
                current = []
            if kind == "BHS":
                in_batch = len(messages)
            elif kind == "BTS":
                _check_batch_count(segment, len(messages) - in_batch, where)
            continue
        current.append(segment)
    if current:
        messages.append("\r".join(current))
    return messages


def _check_batch_count(segment: str, found: int, where: str) -> None:
    fields = segment.split(segment[3]) if len(segment) > 3 else []
    stated = fields[1].strip() if len(fields) > 1 else ""
    if stated and (not stated.isdigit() or int(stated) != found):
        raise Invalid(
            f"{where}: the batch trailer (BTS-1) says {stated} messages but the batch holds"
            f" {found}: the file looks cut off or joined; ask the lab to send it again"
        )


def control_id(message: str) -> str | None:
    """MSH-10 read straight from the text (no parse), or None when it is not plain."""
    header = message.split("\r", 1)[0]
    if len(header) < 4 or not header.startswith("MSH"):
        return None
    fields = header.split(header[3])
    value = fields[9].strip() if len(fields) > 9 else ""
    # Anything but a plain id (escapes, components, repeats) is left to the full parse.
    return value if _PLAIN_ID.match(value) else None


def _field(segment, number: int, component: int = 1, repetition: int = 1) -> str:
    """One component of a field as text ('' when absent)."""
    if number >= len(segment):
        return ""
    try:
        value = segment(number)
        if hasattr(value, "__len__") and not isinstance(value, str):
            value = value(repetition)
            if not isinstance(value, str):
                value = value(component)
        elif component > 1:
            return ""
    except (IndexError, KeyError, TypeError):
        return ""
    return str(value).strip() if value is not None else ""


def _timestamp(text: str, tz: ZoneInfo, what: str) -> datetime | None:
    import hl7

    if not text:
        return None
    try:
        value = hl7.parse_datetime(text)
    except (ValueError, TypeError):
        raise Invalid(f"cannot read {what} {text!r} (HL7 time YYYYMMDDHHMM[SS])") from None
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=tz)
        return value.astimezone(ZoneInfo("UTC"))
    raise Invalid(f"cannot read {what} {text!r}")


def _birth_date(text: str) -> str | None:
    found = re.match(r"^(\d{4})(\d{2})(\d{2})", text or "")
    return f"{found[1]}-{found[2]}-{found[3]}" if found else None


def parse(message_text: str, where: str, tz: ZoneInfo) -> dict:
    """One ORU^R01 message as a dict, or Invalid saying what is wrong and `where`."""
    import hl7

    from macli.lab.common import clean

    for index, segment in enumerate(message_text.split("\r"), start=1):
        if not _SEGMENT.match(segment[:3]) or (len(segment) > 3 and segment[3] != "|"):
            raise Invalid(f"{where}: segment {index} does not start with a segment name and |")
    try:
        message = hl7.parse(message_text)
    except Exception as error:  # python-hl7 raises several kinds on a broken message
        raise Invalid(f"{where}: cannot parse the message ({error})") from None

    def text(value, field):
        try:
            value = message.unescape(value) if value else value
        except Exception:
            pass
        try:
            return clean(value, field)
        except Invalid as error:
            raise Invalid(f"{where}: {error.message}") from None

    msh = message.segment("MSH")
    kind = f"{_field(msh, 9, 1)}^{_field(msh, 9, 2)}"
    if kind != "ORU^R01":
        raise Invalid(f"{where}: message type {kind.strip('^') or 'missing'}, expected ORU^R01")
    control = text(_field(msh, 10), "MSH-10")
    if not control:
        raise Invalid(f"{where}: MSH-10 (message control id) is empty")
    version = _field(msh, 12)
    if not version.startswith("2."):
        raise Invalid(f"{where}: HL7 version {version or 'missing'} (expected 2.5.1)")
    try:
        pid = message.segment("PID")
    except KeyError:
        raise Invalid(f"{where}: no PID segment (the patient)") from None
    orc_placer = ""
    results, current, last = [], None, None
    for segment in message:
        name = str(segment[0])
        if name == "ORC":
            orc_placer = _field(segment, 2)
        elif name == "OBR":
            status_code = _field(segment, 25)
            if status_code not in STATUSES:
                raise Invalid(
                    f"{where}: OBR-25 result status {status_code or 'missing'!r}"
                    " (this reads P, F and C: preliminary, final, corrected)"
                )
            current = {
                "placer": text(_field(segment, 2) or orc_placer, "OBR-2"),
                "code": text(_field(segment, 4, 1), "OBR-4"),
                "name": text(_field(segment, 4, 2), "OBR-4"),
                "observed_at": _timestamp(_field(segment, 7), tz, "OBR-7"),
                "reported_at": _timestamp(_field(segment, 22), tz, "OBR-22"),
                "status": STATUSES[status_code],
                "observations": [],
                "comments": [],
            }
            results.append(current)
            last = current
        elif name == "OBX":
            if current is None:
                raise Invalid(f"{where}: an OBX segment before any OBR")
            obx_number = len(current["observations"]) + 1
            spot = f"{where}, OBX {obx_number}"
            value_type = _field(segment, 2)
            value = text(_field(segment, 5), "OBX-5")
            code = text(_field(segment, 3, 1), "OBX-3")
            system = _field(segment, 3, 3)
            if system == "LN":
                from macli.identifiers import check_loinc as loinc

                try:
                    loinc(code)
                except Invalid as error:
                    raise Invalid(f"{spot}: {error.message}") from None
            if value is None:
                raise Invalid(f"{spot}: OBX-5 (the value) is empty")
            number = None
            if value_type in ("NM", "SN"):
                if not _NUMBER.match(value):
                    raise Invalid(
                        f"{spot}: value {value!r} is not a number (OBX-2 says {value_type})"
                    )
                number = float(value.lstrip("<>=").strip())
            flag = _field(segment, 8) or None
            if flag is not None and flag not in FLAGS:
                raise Invalid(f"{spot}: abnormal flag {flag!r} (this reads {', '.join(FLAGS)})")
            observation = {
                "loinc": code if system in ("LN", "") else None,
                "name": text(_field(segment, 3, 2), "OBX-3") or code or "result",
                "value": value,
                "numeric": number,
                "unit": text(_field(segment, 6, 1), "OBX-6"),
                "reference_range": text(_field(segment, 7), "OBX-7"),
                "flag": flag,
                "comments": [],
            }
            current["observations"].append(observation)
            last = observation
        elif name == "NTE" and last is not None:
            comment = text(_field(segment, 3), "NTE-3")
            if comment:
                last["comments"].append(comment)
    if not results:
        raise Invalid(f"{where}: no OBR segment (no result in the message)")
    for result in results:
        if not result["observations"]:
            raise Invalid(f"{where}: OBR {result['code']} has no OBX (no value)")
    return {
        "control_id": control,
        "patient_id": text(_field(pid, 3, 1), "PID-3"),
        "family": text(_field(pid, 5, 1), "PID-5"),
        "given": text(_field(pid, 5, 2), "PID-5"),
        "dob": _birth_date(_field(pid, 7)),
        "placer": results[0]["placer"],
        "results": results,
    }
