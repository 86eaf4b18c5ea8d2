"""Several real processes book the same slot at once: exactly one wins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from macli.migrations import open_store

MACLI = Path(sys.executable).parent / "macli"


def test_concurrent_bookings_of_one_slot_have_one_winner(store, clinic, db_path):
    store.close()  # the processes below are the only users of the store
    env = {
        **os.environ,
        "MACLI_DB": str(db_path),
        "MACLI_NOW": "2026-11-26T09:00:00",
        "MACLI_USER": "front desk",
    }
    patients = [clinic["ana"], clinic["bo"], clinic["cy"]] * 2
    processes = [
        subprocess.Popen(
            [
                str(MACLI),
                "schedule",
                "add",
                patient,
                "--provider",
                "chen",
                "--at",
                "2026-12-01 09:00",
                "--duration",
                "20",
                "--quiet",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for patient in patients
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    winners = [r for r in results if r[0] == 0]
    losers = [r for r in results if r[0] != 0]
    assert len(winners) == 1, results
    appointment_id = winners[0][1].strip()
    assert appointment_id.isdigit()
    for code, out, err in losers:
        assert code == 1
        assert out == ""
        assert err.startswith("Error: cannot book the appointment:")
        assert f"Dr. Ana Chen already has appointment {appointment_id} " in err
        assert "locked" not in err
    again = open_store(db_path)
    try:
        assert again.scalar("SELECT COUNT(*) FROM appointments") == 1
        assert again.scalar("SELECT COUNT(*) FROM audit WHERE action = 'schedule.add'") == 1
    finally:
        again.close()
