"""stock's one rule for what may be used, called directly (as point-of-care tests do)."""

from datetime import date

import pytest

from macli.errors import Conflict
from macli.stock import usable


def test_require_usable_names_what_is_wrong(run, fridge, store):
    assert usable.require_usable(store, "FLU-QIV", "FL1", today=date(2026, 11, 26))["lot"] == "FL1"
    with pytest.raises(Conflict, match="expired on 2027-06-30"):
        usable.require_usable(store, "FLU-QIV", "FL1", today=date(2027, 7, 1))
    run("qc temp Vaccines --min 3.1C --max 11.2C")
    with pytest.raises(Conflict, match="DO NOT USE: fridge 'Vaccines'"):
        usable.require_usable(store, "FLU-QIV", "FL1", today=date(2026, 11, 26))
