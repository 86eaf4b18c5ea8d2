"""US postal addresses as claims need them: street, city, state and ZIP apart."""

from __future__ import annotations

import re

from macli.errors import Invalid

STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI".split()
)
_TAIL = re.compile(r"^(?P<state>[A-Za-z]{2})[\s,]+(?P<zip>\d{5}(?:-?\d{4})?)$")


def split_address(text: str) -> dict:
    """`12 Elm Street[, Apt 4], Boston, MA 02110[-1234]` into its parts."""
    parts = [" ".join(part.split()) for part in (text or "").split(",")]
    parts = [part for part in parts if part]
    if not parts:
        raise Invalid("is missing")
    # The state and ZIP may stand in one part ("MA 02110") or two ("MA", "02110").
    if len(parts) >= 2 and re.fullmatch(r"\d{5}(?:-?\d{4})?", parts[-1]):
        parts[-2:] = [f"{parts[-2]} {parts[-1]}"]
    tail = _TAIL.match(parts[-1])
    if len(parts) < 3 or not tail:
        raise Invalid(
            f"{text!r} cannot be read as 'street, city, ST ZIP' "
            "(e.g. '12 Elm Street, Boston, MA 02110')"
        )
    state = tail["state"].upper()
    if state not in STATES:
        raise Invalid(f"{text!r} has an unknown state {state!r}")
    streets = parts[:-2]
    if len(streets) > 2:
        streets = [streets[0], ", ".join(streets[1:])]
    return {
        "street": streets[0],
        "street2": streets[1] if len(streets) > 1 else None,
        "city": parts[-2],
        "state": state,
        "zip": tail["zip"].replace("-", ""),
    }
