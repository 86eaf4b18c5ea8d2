"""Shared set-up for qc tests: a vaccine fridge whose location holds two vaccines."""

from __future__ import annotations

import pytest


@pytest.fixture
def fridge(run):
    """`Vaccines` (2..8 °C) at stock location 'Vaccine fridge', holding FLU-QIV and MMR."""
    run("config set clinic.timezone America/New_York")
    for sku in ("FLU-QIV", "MMR"):
        run(
            f"stock item add {sku} --name {sku} --unit dose --category vaccines"
            " --location 'Vaccine fridge'"
        )
    run("stock receive FLU-QIV 10 --lot FL1 --expires 2027-06 --no-expense")
    run("stock receive MMR 5 --lot MM1 --expires 2027-06 --no-expense")
    run("stock item add GAUZE --name Gauze --unit box --location 'Closet A'")
    run("stock receive GAUZE 3 --lot G1 --expires 2029-01 --no-expense")
    run("stock kit add 'vaccine visit' FLU-QIV:1 MMR:1")
    run("qc unit add Vaccines --kind fridge --location 'Vaccine fridge'")
    return "Vaccines"
