"""A negative number given where a count or amount goes says what is wrong, not
"No such option '-1'" (issue 21 item 11)."""

import pytest


@pytest.mark.parametrize(
    "command, number",
    [
        ("stock use GLOVE-M -1", "-1"),
        ("bill pay C150 -5", "-5"),
        ("stock count GLOVE-M LOT1 -2", "-2"),
        ("expense budget set supplies -5", "-5"),
    ],
)
def test_a_negative_number_is_named(run, command, number):
    result = run(command, expect=2)
    assert (
        f"Error: {number} is a negative number: quantities, amounts and counts here must be"
        " positive" in result.stderr
    )
    assert "No such option" not in result.stderr


def test_an_unknown_option_is_still_reported_as_such(run):
    assert "No such option '--bogus'" in run("stock use GLOVE-M --bogus", expect=2).stderr
