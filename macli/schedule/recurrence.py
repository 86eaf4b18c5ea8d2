"""Recurring appointments: an iCalendar RRULE expanded with dateutil in local wall time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from macli.errors import Invalid

MAX_OCCURRENCES = 200
_ALLOWED_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def expand(rule: str, first: datetime, tz) -> list[datetime]:
    """The local wall-clock starts of a series beginning at `first` (naive local time).

    The rule is the RRULE value (`FREQ=WEEKLY;COUNT=6`); it must end (COUNT or UNTIL)
    and `first` must be its first occurrence, so what is booked is what was asked for.
    """
    from dateutil.rrule import rrulestr

    text = _normalise(rule, tz)
    try:
        recurrence = rrulestr(text, dtstart=first)
    except (ValueError, TypeError) as error:
        raise Invalid(f"cannot read the rule {rule!r}: {error}") from error
    starts = []
    try:
        for start in recurrence:
            starts.append(start)
            if len(starts) > MAX_OCCURRENCES:
                raise Invalid(
                    f"the rule {rule!r} makes more than {MAX_OCCURRENCES} appointments;"
                    " book a shorter series"
                )
    except (ValueError, OverflowError) as error:
        # dateutil reads some rules it cannot expand (INTERVAL=-1).
        raise Invalid(f"cannot expand the rule {rule!r}: {error}") from error
    if not starts:
        raise Invalid(f"the rule {rule!r} makes no appointments from {first:%Y-%m-%d %H:%M}")
    if starts[0] != first:
        raise Invalid(
            f"{first:%Y-%m-%d %H:%M} is not an occurrence of {rule!r} (its first is"
            f" {starts[0]:%Y-%m-%d %H:%M}); start the series on its first occurrence"
        )
    return starts


def _normalise(rule: str, tz) -> str:
    text = "".join((rule or "").split())
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        raise Invalid("empty repeat rule (use e.g. FREQ=WEEKLY;COUNT=6)")
    parts = {}
    for piece in text.split(";"):
        key, equals, value = piece.partition("=")
        if not equals or not value:
            raise Invalid(f"cannot read {piece!r} in the rule {rule!r} (use NAME=VALUE;...)")
        key = key.upper()
        if key in parts:
            raise Invalid(f"{key} is given twice in the rule {rule!r}")
        parts[key] = value.upper()
    if parts.get("FREQ") not in _ALLOWED_FREQUENCIES:
        raise Invalid(
            f"the rule {rule!r} needs FREQ={'|'.join(_ALLOWED_FREQUENCIES)} (e.g. FREQ=WEEKLY;COUNT=6)"
        )
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise Invalid(f"the rule {rule!r} never ends: add COUNT=N or UNTIL=YYYYMMDD")
    if "UNTIL" in parts:
        parts["UNTIL"] = _until(parts["UNTIL"], rule, tz)
    return ";".join(f"{key}={value}" for key, value in parts.items())


def _until(value: str, rule: str, tz) -> str:
    """UNTIL as local wall time: a date means through the end of that day, a UTC time
    (with Z) is converted to the clinic zone."""
    compact = value.replace("-", "").replace(":", "")
    match = re.fullmatch(r"(\d{8})(?:T(\d{6})(Z?))?", compact)
    if not match:
        raise Invalid(f"cannot read UNTIL={value} in the rule {rule!r} (use YYYYMMDD)")
    try:
        if match[2] is None:
            local = datetime.combine(datetime.strptime(match[1], "%Y%m%d").date(), time(23, 59, 59))
        else:
            local = datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S")
            if match[3]:
                local = local.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
    except (ValueError, OverflowError) as error:  # Overflow: year 1 in UTC is year 0 here
        raise Invalid(f"cannot read UNTIL={value} in the rule {rule!r}: {error}") from error
    return local.strftime("%Y%m%dT%H%M%S")
