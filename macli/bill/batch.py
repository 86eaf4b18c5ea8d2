"""Sending claims: checking a batch and the clinic's identifiers, then writing the 837P
file and marking its claims submitted, all in one transaction.

The interchange control number is the id of the export's row in `bill_exports`
(AUTOINCREMENT, append-only): taken under the write lock, written to the file and
committed together, so a failed export leaves neither a file nor a used number, and a
number once used is never used again.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from macli import audit, settings
from macli.bill import claims, views, x12
from macli.bill.address import split_address
from macli.bill.status import transition
from macli.errors import Conflict, Invalid, MacliError
from macli.files import open_private
from macli.identifiers import check_npi
from macli.store import Store
from macli.when import utc_text

MAX_CLAIMS = 5000  # per transaction set, as the implementation guide recommends


def clinic_problems(store: Store) -> tuple[dict, list[str]]:
    """The clinic's identifiers for the billing provider and envelopes, and what is missing."""
    problems, clinic = [], {}
    clinic["name"] = settings.get(store, "clinic.name")
    npi = settings.get(store, "clinic.npi")
    try:
        clinic["npi"] = check_npi(npi or "")
    except Invalid as error:
        problems.append(
            "clinic.npi is not set (macli config set clinic.npi NUMBER)"
            if not npi
            else f"clinic.npi: {error.message}"
        )
    tax_id = settings.get(store, "clinic.tax_id")
    if not tax_id or not (tax_id.isdigit() and len(tax_id) == 9):
        problems.append(
            "clinic.tax_id is not set to a nine-digit EIN (macli config set clinic.tax_id 12-3456789)"
        )
    clinic["tax_id"] = tax_id
    address = settings.get(store, "clinic.address")
    try:
        clinic["address"] = split_address(address or "")
        if len(clinic["address"]["zip"]) != 9:
            problems.append(
                "clinic.address needs the nine-digit ZIP+4 for a billing provider "
                "(e.g. '100 Example Street, Boston, MA 02110-1301')"
            )
    except Invalid as error:
        problems.append(
            f"clinic.address {error.message}"
            if address
            else "clinic.address is not set (macli config set clinic.address "
            "'100 Example Street, Boston, MA 02110-1301')"
        )
    phone = settings.get(store, "clinic.phone")
    if not phone or not phone.startswith("+1") or len(phone) != 12:
        problems.append(
            "clinic.phone is not set to a US number (macli config set clinic.phone ...)"
        )
    clinic["phone"] = (phone or "")[2:]
    clinic["submitter_id"] = settings.get(store, "bill.submitter_id") or tax_id
    for key in ("bill.receiver_id", "bill.receiver_name"):
        clinic[key.split(".")[1]] = settings.get(store, key)
        if not clinic[key.split(".")[1]]:
            problems.append(
                f"{key} is not set: ask your clearinghouse (macli config set {key} ...)"
            )
    clinic["usage"] = "P" if settings.get(store, "bill.usage") == "production" else "T"
    return clinic, problems


def select(store: Store, claim_ids: list[int] | None) -> list[dict]:
    """The claims of a batch: those named, or every ready claim."""
    if claim_ids is not None:
        rows = {row["id"]: row for row in views.query_rows(store, claim_ids=claim_ids)}
        missing = [f"C{number}" for number in claim_ids if number not in rows]
        if missing:
            raise Invalid(f"no claim {', '.join(missing)}")
        return [rows[number] for number in dict.fromkeys(claim_ids)]
    rows = views.query_rows(store, status="ready")
    if not rows:
        raise Invalid("no claims are ready to send (see `macli bill list --status draft`)")
    return rows


def export(
    store: Store,
    path: Path | str,
    *,
    claim_ids: list[int] | None = None,
    all_or_nothing: bool = False,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Write the 837P batch of ready claims to a new file and mark them submitted.

    A claim that cannot be sent (not ready, or failing its checks) is held back and
    listed in `held` with its reasons while the others go; with `all_or_nothing` any
    such claim stops the whole batch. A problem with the clinic's own identifiers
    stops it always: no claim could be sent."""
    path = Path(path)
    if path.exists():
        raise Conflict(f"{path} already exists; choose a new file name")
    created = False
    try:
        with store.write():
            batch = select(store, claim_ids)
            if len(batch) > MAX_CLAIMS:
                raise Invalid(f"{len(batch)} claims; send at most {MAX_CLAIMS} per file (--claims)")
            clinic, problems = clinic_problems(store)
            if problems:
                raise Invalid("nothing was exported: " + "; ".join(problems))
            held = []
            for claim in batch:
                if claim["status"] != "ready":
                    reasons = [f"C{claim['id']} is {claim['status']}, not ready"]
                else:
                    reasons = claims.claim_problems(store, claim)
                if reasons:
                    held.append({"claim": f"C{claim['id']}", "problems": reasons})
            if held and (all_or_nothing or len(held) == len(batch)):
                reasons = [reason for claim in held for reason in claim["problems"]]
                raise Invalid("nothing was exported: " + "; ".join(reasons))
            kept = {claim["claim"] for claim in held}
            batch = [claim for claim in batch if f"C{claim['id']}" not in kept]
            stamp = utc_text(now)
            # Taken under the write lock, so no other export can take the same number.
            number = 1 + (
                store.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'bill_exports'") or 0
            )
            content = x12.render(store, clinic, batch, number, now.astimezone(tz))
            unwritten = x12.unwritten(content)
            if unwritten:
                raise Invalid("nothing was exported: " + "; ".join(unwritten))
            digest = hashlib.sha256(content.encode("ascii")).hexdigest()
            store.insert(
                "bill_exports",
                {
                    "id": number,
                    "at": stamp,
                    "user": user,
                    "file_name": str(path),
                    "claims": len(batch),
                    "sha256": digest,
                },
            )
            transition(
                store,
                batch,
                "submitted",
                f"interchange {number:09d}",
                user=user,
                now=now,
                changes={"export_id": number},
            )
            audit.record_many(
                store,
                user=user,
                action="bill.export.x12",
                now=now,
                entries=[(claim["patient_id"], f"claim C{claim['id']}") for claim in batch],
            )
            try:
                handle = open_private(path, "x", encoding="ascii")
                created = True
                with handle:
                    handle.write(content)
                    handle.flush()
                    os.fsync(handle.fileno())
            except FileExistsError as error:
                raise Conflict(f"{path} already exists; choose a new file name") from error
            except OSError as error:
                raise MacliError(
                    f"cannot write {path}: {error.strerror}; nothing was exported"
                ) from error
    except BaseException:
        # The transaction rolled back, so its control number is free again: so is the file.
        if created:
            path.unlink(missing_ok=True)
        raise
    return {
        "interchange": number,
        "claims": len(batch),
        "path": str(path),
        "sha256": digest,
        "held": held,
    }
