"""Shared pieces of the bill tests: the clock, a fee schedule, and appointments inserted
the way the schedule area stores them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZONE)
TODAY = date(2026, 11, 26)
USER = "tester"
FEES = b"""code,description,fee,modifiers
99213,Office visit - established patient - low complexity,95.00,
99214,Office visit - established patient - moderate complexity,140.00,
87880,Rapid strep test in office,18.50,QW
90471,Vaccine administration - first,25.00,
90686,Influenza vaccine - quadrivalent - preservative free,32.75,
96372,Injection under skin or into muscle,30.00,
G0008,Flu vaccine administration (Medicare),25.00,
"""


def visit(store, patient_id, provider_id, starts="2026-11-20T14:00:00Z", status="completed"):
    """Insert an appointment the way the schedule area stores one; returns its id."""
    with store.write():
        return store.insert(
            "appointments",
            {
                "patient_id": patient_id,
                "provider_id": provider_id,
                "starts_at": starts,
                "ends_at": starts[:11] + "23:59:00Z",
                "status": status,
                "status_at": starts,
                "created_at": starts,
                "created_by": USER,
                "updated_at": starts,
            },
        )


def coded(clinic, patient=None, starts="2026-11-20T14:00:00Z", dx=("J02.9",), lines=("99213",)):
    """A completed visit coded as a draft claim; returns the appointment id."""
    from macli.bill import superbill

    patient = patient or clinic.ana
    appointment = visit(clinic.store, patient["id"], clinic.doctor["id"], starts=starts)
    superbill.code_visit(
        clinic.store, appointment, list(dx), list(lines), user=USER, now=NOW, tz=ZONE
    )
    return appointment


def claimed(clinic, **kwargs) -> int:
    """A coded visit made a ready claim; returns the claim id."""
    from macli.bill import claims

    appointment = coded(clinic, **kwargs)
    return claims.make_ready(clinic.store, appointment, user=USER, now=NOW, tz=ZONE)["id"]


def send(clinic, path, claim_ids=None, all_or_nothing=False) -> dict:
    """Export ready claims (or those named) as an 837P batch at `path`."""
    from macli.bill import batch

    return batch.export(
        clinic.store,
        path,
        claim_ids=claim_ids,
        all_or_nothing=all_or_nothing,
        user=USER,
        now=NOW,
        tz=ZONE,
    )


def submitted(clinic, tmp_path, **kwargs) -> int:
    """A claim sent in its own batch; returns the claim id."""
    claim = claimed(clinic, **kwargs)
    send(clinic, tmp_path / f"claim-{claim}.837", [claim])
    return claim
