"""Sterile packs: the one answer to "may this pack be used?", opening one for a patient,
recalls and reprocessing.

This is what another area calls (the procedure area records the packs it opens):

- `pack(store, code)` finds a pack by the code on its label (`S1-0042-03`) and returns
  its load (sterilizer, load number, when it ran, the chemical indicator) and its
  `status`: `usable`, `used`, `awaiting spore test`, `failed load`, `recalled` or
  `reprocessed`, with `usable` (True only for `usable`) and `why_not` (a sentence for
  the user, None when usable).
- `require_usable_pack(store, code)` returns the same record or raises Conflict with
  "DO NOT USE pack ...: why".
- `use_pack(store, code, patient_id=..., reference=..., user=, now=)` checks and records
  in one step that the pack was opened (once: an opened pack is no longer sterile), for
  which patient and what (`reference`, e.g. "procedure 12"). Call it inside the caller's
  own `store.write()` so that a refused pack leaves the whole procedure unwritten.
- `uses_of_recalled(store)` lists the packs that were opened and later recalled, with
  their patients: the people a failed spore test may have reached.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Conflict, NotFound
from macli.qc.units import clean_text
from macli.store import Store
from macli.when import local_text, utc_text

STATUSES = ("usable", "used", "awaiting spore test", "failed load", "recalled", "reprocessed")
RECALL_COLUMNS = (
    "pack",
    "sterilizer",
    "load",
    "load_at",
    "pack_type",
    "spore_test",
    "used",
    "reprocessed",
)

_PACK_SQL = (
    "SELECT p.id, p.code, p.pack_type, c.id AS cycle_id, c.load_number AS load,"
    " c.at AS made_at, c.day AS made_day, c.chemical, s.name AS sterilizer,"
    " s.kind AS sterilizer_kind, r.spore_test_id AS recalled_by, r.at AS recalled_at,"
    " x.at AS reprocessed_at, u.at AS used_at, u.reference AS used_for,"
    " u.patient_id AS used_patient_id, pt.mrn AS used_mrn, c.implant,"
    # An implant load is released by a counted passing spore test run after it.
    " EXISTS (SELECT 1 FROM qc_spore_tests t WHERE t.sterilizer_id = c.sterilizer_id"
    " AND t.at >= c.at AND t.result = 'pass' AND coalesce(t.control, '') != 'fail')"
    " AS spore_passed_since FROM qc_packs p"
    " JOIN qc_cycles c ON c.id = p.cycle_id JOIN qc_sterilizers s ON s.id = c.sterilizer_id"
    " LEFT JOIN qc_recalls r ON r.pack_id = p.id"
    " LEFT JOIN qc_reprocessed x ON x.pack_id = p.id"
    " LEFT JOIN qc_pack_uses u ON u.pack_id = p.id"
    " LEFT JOIN patients pt ON pt.id = u.patient_id"
)


def pack_code(sterilizer_id: int, load: int, number: int) -> str:
    """`S1-0042-03`: sterilizer 1, load 42, pack 3 (printed on the label, stable)."""
    return f"S{sterilizer_id}-{load:04d}-{number:02d}"


def _opened(row: dict) -> str:
    what = f" for {row['used_for']}" if row["used_for"] else ""
    who = f" (patient {row['used_mrn']})" if row["used_mrn"] else ""
    return f"opened {row['used_at'][:10]}{what}{who}"


def _standing(row: dict) -> tuple[str, str | None]:
    if row["reprocessed_at"]:
        return "reprocessed", "it was reprocessed: use the pack from the new load"
    if row["recalled_by"]:
        why = f"recalled after the failed spore test {row['recalled_by']}"
        if row["used_at"]:
            return "recalled", f"{why}; it was already {_opened(row)}"
        return "recalled", f"{why}: reprocess it"
    if row["chemical"] == "fail":
        return "failed load", f"load {row['load']} failed its chemical indicator: reprocess it"
    if row["used_at"]:
        return "used", f"it was already {_opened(row)}"
    if row["implant"] and not row["spore_passed_since"]:
        return "awaiting spore test", (
            f"load {row['load']} holds an implant: quarantined until a spore test run with or"
            " after it passes (macli qc spore ...)"
        )
    return "usable", None


def pack(store: Store, code: str) -> dict:
    """A pack by its code: its load, its status, and whether it may be used and why not."""
    row = store.one(_PACK_SQL + " WHERE p.code = ? COLLATE NOCASE", [(code or "").strip()])
    if row is None:
        raise NotFound(f"no sterile pack {code!r} (pack codes look like S1-0042-03)")
    status, why = _standing(row)
    return {**row, "status": status, "usable": why is None, "why_not": why}


def shown(found: dict, tz: ZoneInfo) -> dict:
    """A pack record as `qc pack` shows it: local times, no internal ids."""
    return {
        "pack": found["code"],
        "status": found["status"],
        "why_not": found["why_not"],
        "sterilizer": found["sterilizer"],
        "load": found["load"],
        "made": local_text(found["made_at"], tz),
        "pack_type": found["pack_type"],
        "chemical": found["chemical"],
        "implant_load": bool(found["implant"]),
        "recalled_by_spore_test": found["recalled_by"],
        "opened": local_text(found["used_at"], tz) if found["used_at"] else None,
        "opened_for": found["used_for"],
        "patient": found["used_mrn"],
        "reprocessed": local_text(found["reprocessed_at"], tz) if found["reprocessed_at"] else None,
    }


def require_usable_pack(store: Store, code: str) -> dict:
    """The pack, or Conflict when it may not be used (recalled, failed load, opened)."""
    found = pack(store, code)
    if not found["usable"]:
        raise Conflict(f"DO NOT USE pack {found['code']}: {found['why_not']}")
    return found


def use_pack(
    store: Store,
    code: str,
    *,
    patient_id: int | None = None,
    reference: str | None = None,
    emergency_why: str | None = None,
    user: str,
    now: datetime,
) -> dict:
    """Record that a usable pack was opened (for a patient, for `reference`); Conflict if not.

    `emergency_why` opens a pack that may not be used (recalled, failed load, awaiting its
    spore test) when there is no other: the opening is recorded as any other and the
    reason goes to the audit log. An opened pack can never be opened again."""
    reference = clean_text(reference, "what the pack was opened for", required=False, longest=80)
    emergency_why = clean_text(emergency_why, "the reason", required=False, longest=200)
    with store.write():
        found = pack(store, code)
        if found["status"] == "used" or not emergency_why:
            found = require_usable_pack(store, code)
        elif not found["usable"]:
            audit.record(
                store,
                user=user,
                action="qc.pack.emergency",
                now=now,
                patient_id=patient_id,
                detail=f"pack={found['code']} status={found['status']}",
            )
        if patient_id is not None and not store.scalar(
            "SELECT 1 FROM patients WHERE id = ?", [patient_id]
        ):
            raise NotFound(f"no patient {patient_id}")
        store.insert(
            "qc_pack_uses",
            {
                "pack_id": found["id"],
                "at": utc_text(now),
                "patient_id": patient_id,
                "reference": reference,
                "user": user,
            },
        )
        return pack(store, found["code"])


def uses_of_recalled(store: Store, *, tz: ZoneInfo) -> list[dict]:
    """Packs opened before they were recalled, with the patient and what they were for."""
    rows = store.query(
        _PACK_SQL + " WHERE r.id IS NOT NULL AND u.id IS NOT NULL ORDER BY u.at, p.code"
    )
    return [
        {
            "pack": row["code"],
            "opened": local_text(row["used_at"], tz),
            "patient": row["used_mrn"],
            "for": row["used_for"],
            "spore_test": row["recalled_by"],
        }
        for row in rows
    ]


def recalls(store: Store, *, open_only: bool = True, tz: ZoneInfo) -> list[dict]:
    """Recalled packs; `open_only`: those still on the shelf (not reprocessed, not opened)."""
    rows = store.query(
        _PACK_SQL
        + " WHERE r.id IS NOT NULL"
        + (" AND x.id IS NULL AND u.id IS NULL" if open_only else "")
        + " ORDER BY p.code"
    )
    return [
        {
            "pack": row["code"],
            "sterilizer": row["sterilizer"],
            "load": row["load"],
            "load_at": local_text(row["made_at"], tz),
            "pack_type": row["pack_type"],
            "spore_test": row["recalled_by"],
            "used": _opened(row) if row["used_at"] else None,
            "reprocessed": local_text(row["reprocessed_at"], tz) if row["reprocessed_at"] else None,
        }
        for row in rows
    ]


def reprocessed(
    store: Store, codes: list[str], *, note: str | None = None, user: str, now: datetime
) -> list[str]:
    """Mark recalled or failed-load packs as reprocessed (taken apart, sterilized again)."""
    note = clean_text(note, "the note", required=False, longest=500)
    done = []
    with store.write():
        for code in codes:
            found = pack(store, code)
            if found["status"] == "reprocessed":
                raise Conflict(f"pack {found['code']} was already reprocessed")
            if found["status"] not in ("recalled", "failed load"):
                raise Conflict(f"pack {found['code']} is neither recalled nor from a failed load")
            if found["used_at"]:
                raise Conflict(f"pack {found['code']} was {_opened(found)}: nothing to reprocess")
            store.insert(
                "qc_reprocessed",
                {"pack_id": found["id"], "at": utc_text(now), "note": note, "user": user},
            )
            done.append(found["code"])
    return done
