"""Critical values: the lab's HH/LL flags, and the clinic's own limits per LOINC code.

The limits are one setting, `lab.critical_limits`: `LOINC<number` or `LOINC>number`
separated by commas, e.g. `2823-3>6.0, 2345-7<50` (potassium above 6.0, glucose
below 50, in the unit the lab reports). A value beyond a limit is critical whatever
flag the lab sent.
"""

from __future__ import annotations

import re

from macli.errors import Invalid

_LIMIT = re.compile(r"^(\d{1,7}-\d)\s*([<>])\s*(-?\d+(?:\.\d+)?)$")


def parse_limits(text: str) -> dict[str, dict[str, float]]:
    """{loinc: {"<": low, ">": high}} from the setting's text."""
    from macli.identifiers import check_loinc as loinc

    limits: dict[str, dict[str, float]] = {}
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        found = _LIMIT.match(part)
        if not found:
            raise Invalid(f"cannot read critical limit {part!r} (use e.g. 2823-3>6.0)")
        code = loinc(found[1])
        limits.setdefault(code, {})[found[2]] = float(found[3])
    return limits


def limits_text(limits: dict[str, dict[str, float]]) -> str:
    """The setting's text for parsed limits (normalised)."""
    return ", ".join(
        f"{code}{sign}{value:g}"
        for code, bounds in limits.items()
        for sign, value in sorted(bounds.items())
    )


def is_critical(loinc: str | None, number: float | None, flag: str | None, limits) -> bool:
    """True for an LL/HH flag or a value beyond the clinic's limit for its LOINC."""
    if flag in ("LL", "HH"):
        return True
    if number is None or not loinc or loinc not in limits:
        return False
    bounds = limits[loinc]
    return ("<" in bounds and number < bounds["<"]) or (">" in bounds and number > bounds[">"])


def load(store) -> dict[str, dict[str, float]]:
    """The clinic's critical limits."""
    from macli import settings

    return parse_limits(settings.get(store, "lab.critical_limits"))
