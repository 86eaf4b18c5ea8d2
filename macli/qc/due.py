"""What the lab upkeep asks for today: checks, spore tests, excursions, recalled packs."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from macli.qc import excursions, packs, sterilizers
from macli.store import Store
from macli.when import local_text

DUE_COLUMNS = ("kind", "subject", "detail")


def due(store: Store, *, now: datetime, tz: ZoneInfo) -> list[dict]:
    """One line per thing to do, most urgent kinds first."""
    today = now.astimezone(tz).date().isoformat()
    lines = []
    for excursion in excursions.listing(store, open_only=True, tz=tz):
        missing = excursions.missing_steps(store, excursion["id"])
        lines.append(
            {
                "kind": "excursion",
                "subject": f"{excursion['unit']} (excursion {excursion['id']})",
                "detail": f"{excursion['status']}: {excursion['worst']} from {excursion['started']}"
                f", {excursion['open_holds']} lot(s) on hold"
                + (f"; to do: {', '.join(missing)}" if missing else "")
                + f" (macli qc excursion show {excursion['id']})",
            }
        )
    for sterilizer in store.query("SELECT * FROM qc_sterilizers ORDER BY name COLLATE NOCASE"):
        state = sterilizers.service(store, sterilizer)
        if not state["in_service"]:
            lines.append(
                {
                    "kind": "out of service",
                    "subject": sterilizer["name"],
                    "detail": f"failed spore test {state['failed_test']['day']}: "
                    f"{state['passes_since']} of {sterilizers.RETESTS_TO_RETURN} passing retests",
                }
            )
            continue
        spore = sterilizers.spore_due(store, sterilizer, now=now, tz=tz)
        if spore["state"] != "ok":
            lines.append(
                {
                    "kind": f"spore test {spore['state']}",
                    "subject": sterilizer["name"],
                    "detail": f"last {spore['last']} ({spore['days']} days ago)"
                    if spore["last"]
                    else "no spore test recorded",
                }
            )
    for load in store.query(
        "SELECT s.name, c.load_number, c.at FROM qc_cycles c"
        " JOIN qc_sterilizers s ON s.id = c.sterilizer_id"
        " WHERE c.implant = 1 AND c.chemical = 'pass'"
        " AND NOT EXISTS (SELECT 1 FROM qc_spore_tests t WHERE t.sterilizer_id = c.sterilizer_id"
        " AND t.at >= c.at AND t.result = 'pass' AND coalesce(t.control, '') != 'fail')"
        " AND NOT EXISTS (SELECT 1 FROM qc_packs p JOIN qc_recalls r ON r.pack_id = p.id"
        " WHERE p.cycle_id = c.id) ORDER BY c.at"
    ):
        lines.append(
            {
                "kind": "implant load",
                "subject": f"{load['name']} load {load['load_number']}",
                "detail": f"run {local_text(load['at'], tz)}: its packs wait for the spore test"
                " run with it (macli qc spore ...)",
            }
        )
    recalled = packs.recalls(store, open_only=True, tz=tz)
    if recalled:
        lines.append(
            {
                "kind": "recalled packs",
                "subject": f"{len(recalled)} pack(s)",
                "detail": "not reprocessed: "
                + ", ".join(row["pack"] for row in recalled[:6])
                + (" ..." if len(recalled) > 6 else "")
                + " (macli qc recall list)",
            }
        )
    for unit in store.query(
        "SELECT u.*, (SELECT MAX(at) FROM qc_checks c WHERE c.unit_id = u.id) AS last_at,"
        " (SELECT 1 FROM qc_checks c WHERE c.unit_id = u.id AND c.day = ?) AS done"
        " FROM qc_units u ORDER BY u.name COLLATE NOCASE",
        [today],
    ):
        if not unit["done"]:
            lines.append(
                {
                    "kind": "temperature check",
                    "subject": f"{unit['kind']} '{unit['name']}'",
                    "detail": "no check today"
                    + (f" (last {local_text(unit['last_at'], tz)})" if unit["last_at"] else ""),
                }
            )
    return lines
