"""A claim's life: the moves its status may make, and the one place that makes them.

draft → ready → submitted → partial/paid/denied, partial → paid; a draft or ready claim
(never sent) may be withdrawn. A draft may be recoded (it stays a draft) and a partly
paid claim paid again in part; the store's
`bill_claims_forward` trigger refuses any other move whatever code runs. Every move,
and the first status of a new claim, is one row of `bill_claim_events`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from macli.errors import Conflict
from macli.store import Store
from macli.when import utc_text

# What each status may become (a status listed under itself is a move that stays put).
MOVES: dict[str, tuple[str, ...]] = {
    "draft": ("draft", "ready", "withdrawn"),
    "ready": ("submitted", "withdrawn"),
    "submitted": ("partial", "paid", "denied"),
    "partial": ("partial", "paid"),
    "paid": (),
    "denied": (),
    "withdrawn": (),
}


def transition(
    store: Store,
    claims: dict | Iterable[dict],
    to: str,
    why: str | None,
    *,
    user: str,
    now: datetime,
    changes: dict | None = None,
) -> None:
    """Move one claim (or several) to status `to`, refusing a move not in MOVES, and
    record each move with `why` as its note. `changes` are further columns set with it.

    A claim just inserted is given as its row and its own status: its first event. The
    caller holds the write transaction and writes the audit row.
    """
    batch = [claims] if isinstance(claims, dict) else list(claims)
    for claim in batch:
        if to not in MOVES.get(claim["status"], ()):
            raise Conflict(f"claim C{claim['id']} is {claim['status']}: it cannot become {to}")
    stamp = utc_text(now)
    sets = "".join(f"{column} = ?, " for column in changes or {})
    # status_at is when the claim last moved; a recoded draft has not moved.
    store.conn.executemany(
        f"UPDATE bill_claims SET {sets}status = ?,"
        " status_at = CASE WHEN ? THEN ? ELSE status_at END WHERE id = ?",
        [
            (
                *(changes or {}).values(),
                to,
                not claim["status"] == to == "draft",
                stamp,
                claim["id"],
            )
            for claim in batch
        ],
    )
    store.conn.executemany(
        "INSERT INTO bill_claim_events (claim_id, status, at, user, note) VALUES (?, ?, ?, ?, ?)",
        [(claim["id"], to, stamp, user, why) for claim in batch],
    )
