"""The `closet` fixture: core-function shortcuts on the test's store."""

import pytest

from .closet import Closet


@pytest.fixture
def closet(store):
    return Closet(store)
