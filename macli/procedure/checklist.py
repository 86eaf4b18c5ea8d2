"""The surgical safety checklist of an office procedure, after the WHO Surgical Safety
Checklist and the Joint Commission's Universal Protocol: sign-in before the anaesthetic,
time-out before the first cut, sign-out before the patient leaves the room.

Steps go in order, each once; each answer the step needs is named when it is missing.
Sign-out records what was used, in the rooms that own it: the tray through stock, the
sterile packs through qc, the specimen through the lab. All of it is one transaction.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from macli import audit
from macli.errors import Conflict, Invalid, NotFound
from macli.lab.common import clean
from macli.store import Store
from macli.when import local_text, utc_text

STEPS = ("sign-in", "time-out", "sign-out")


def current_steps(store: Store, appointment_id: int) -> dict[str, dict]:
    """The standing row of each step done (an amendment stands for what it amends)."""
    rows = store.query(
        "SELECT * FROM procedure_steps WHERE appointment_id = ? ORDER BY id", [appointment_id]
    )
    standing: dict[str, dict] = {}
    for row in rows:
        standing[row["step"]] = {**row, "answers": json.loads(row["answers"])}
    return standing


def progress(steps: dict[str, dict]) -> str:
    """'sign-in, time-out done; next: sign-out', or 'complete'."""
    done = [step for step in STEPS if step in steps]
    if len(done) == len(STEPS):
        return "complete"
    following = STEPS[len(done)]
    return (f"{', '.join(done)} done; " if done else "") + f"next: {following}"


def _same_site(given: str | None, planned: str | None) -> bool:
    def words(text):
        return " ".join(re.findall(r"[a-z0-9]+", (text or "").lower()))

    return words(given) == words(planned)


def _answers(step: str, kind: dict, plan: dict, given: dict) -> dict:
    """The step's answers, or Invalid naming every one that is missing or wrong."""
    missing: list[str] = []

    def need(flag: str, what: str):
        if not given.get(flag):
            missing.append(f"{what} (--{flag.replace('_', '-')})")

    answers: dict = {}
    if step in ("sign-in", "time-out"):
        site = clean(given.get("site"), "the site")
        if plan["site"] and not site:
            missing.append(f"the site, confirmed: {plan['site']} (--site)")
        elif plan["site"] and not _same_site(site, plan["site"]):
            raise Invalid(
                f"the site {site!r} is not the planned site {plan['site']!r}: stop and check"
            )
        answers["site"] = site or plan["site"]
    if step == "sign-in":
        need("identity_confirmed", "identity confirmed by two identifiers")
        if kind["lateral"]:
            need("site_marked", "the site marked")
        if kind["consent"] == "required":
            need("consent_signed", "written consent signed")
        need("allergies_checked", "allergies checked")
    elif step == "time-out":
        team = clean(given.get("team"), "the team")
        if not team:
            missing.append("the team present (--team 'Dr Chen, M. Lopez MA')")
        answers["team"] = team
        need("packs_sterile", "sterility of the packs confirmed")
    else:
        need("counts_correct", "counts correct")
        if kind["specimen_test_id"] and not given.get("specimen"):
            missing.append(f"the specimen, labelled for {kind['specimen_test']} (--specimen TEXT)")
        if kind["pack_types"] and not given.get("packs"):
            missing.append(
                f"the sterile packs opened ({', '.join(kind['pack_types'])}: --pack CODE)"
            )
    if missing:
        raise Invalid(f"{step} is not complete: missing " + "; ".join(missing))
    for flag in ("identity_confirmed", "site_marked", "consent_signed", "allergies_checked"):
        if given.get(flag):
            answers[flag] = True
    if given.get("packs_sterile"):
        answers["packs_sterile"] = True
    if given.get("counts_correct"):
        answers["counts_correct"] = True
    return answers


def check(
    store: Store,
    appointment_id,
    step: str,
    *,
    given: dict,
    note: str | None = None,
    by: str | None = None,
    override_why: str | None = None,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Record one checklist step; sign-out also uses the tray, opens the packs and
    creates the specimen. Nothing is written when anything is refused."""
    from macli.procedure import prep
    from macli.procedure.types import planned

    if step not in STEPS:
        raise Invalid(f"the steps are {', '.join(STEPS)}")
    note = clean(note, "the note", multiline=True)
    by = clean(by, "who did it") or user
    override_why = clean(override_why, "the reason")
    with store.write():
        plan = planned(store, appointment_id)
        kind = plan["type"]
        if plan["status"] in ("cancelled", "no-show"):
            raise Conflict(f"appointment {plan['appointment_id']} is {plan['status']}")
        steps = current_steps(store, plan["appointment_id"])
        if step in steps:
            raise Conflict(f"{step} was already done ({local_text(steps[step]['at'], tz)})")
        before = STEPS[: STEPS.index(step)]
        skipped = [s for s in before if s not in steps]
        if skipped:
            raise Conflict(f"{step} cannot come before {skipped[0]}: the steps go in order")
        answers = _answers(step, kind, plan, given)
        row = {
            "appointment_id": plan["appointment_id"],
            "step": step,
            "note": note,
            "at": utc_text(now),
            "by": by,
        }
        result: dict = {"appointment": plan["appointment_id"], "step": step}
        if step == "sign-in":
            from macli.chart import core as chart

            allergies = chart.allergies(store, plan["patient_id"], tz=tz)
            meds = chart.medications(store, plan["patient_id"], tz=tz)
            flags = prep.allergy_flags(allergies) + prep.bleeding_flags(meds)
            answers["flags_at_sign_in"] = flags
            result["flags"] = flags
        if step == "sign-out":
            result.update(_use(store, plan, kind, given, answers, override_why, user, now, tz))
            row.update(
                stock_op=result.get("stock_op"),
                lab_order_id=result.get("lab_order_id"),
                packs=json.dumps(result.get("packs", [])),
                override_why=override_why if result.get("overridden") else None,
            )
        row["answers"] = json.dumps(answers, sort_keys=True)
        result["id"] = store.insert("procedure_steps", row)
        audit.record(
            store,
            user=user,
            action=f"procedure.{step}",
            now=now,
            patient_id=plan["patient_id"],
            detail=f"appointment={plan['appointment_id']}",
        )
    result["checklist"] = progress({**steps, step: row})
    return result


def _use(store, plan, kind, given, answers, override_why, user, now, tz) -> dict:
    """Sign-out's uses: the tray, the packs, the specimen."""
    from macli.lab import orders
    from macli.qc import packs
    from macli.stock import core as stock

    reference = f"procedure {plan['appointment_id']}"
    used: dict = {"packs": [], "overridden": []}
    if kind["kit"]:
        taken = stock.use(
            store, kit=kind["kit"], patient=plan["mrn"], note=reference, user=user, now=now, tz=tz
        )
        used["stock_op"] = taken["op"]
        used["tray"] = taken["taken"]
    for code in given.get("packs") or []:
        found = packs.pack(store, code)
        if not found["usable"] and found["status"] != "used" and not override_why:
            raise Conflict(
                f"DO NOT USE pack {found['code']}: {found['why_not']}"
                " (an emergency: --override --why TEXT)"
            )
        packs.use_pack(
            store,
            code,
            patient_id=plan["patient_id"],
            reference=reference,
            emergency_why=override_why,
            user=user,
            now=now,
        )
        if not found["usable"]:
            used["overridden"].append(found["code"])
        used["packs"].append(found["code"])
    if given.get("specimen") and kind["specimen_test_id"]:
        specimen = clean(given["specimen"], "the specimen")
        order = orders.place(
            store,
            plan["mrn"],
            [kind["specimen_test"]],
            appointment=plan["appointment_id"],
            note=f"{kind['name']}: {specimen}",
            user=user,
            now=now,
        )
        made = orders.collect(
            store, order["order"], site=plan["site"], note=specimen, user=user, now=now
        )
        used["lab_order_id"] = orders.get(store, order["order"])["id"]
        used["order"] = order["order"]
        used["specimens"] = [m["specimen"] for m in made]
        answers["specimen"] = specimen
    return used


def steps_listing(store: Store, appointment_id, *, user: str, now, tz: ZoneInfo) -> list[dict]:
    """`procedure show`: each step done, its answers, who and when; audited."""
    from macli.procedure.types import planned

    with store.write():
        plan = planned(store, appointment_id)
        rows = store.query(
            "SELECT * FROM procedure_steps WHERE appointment_id = ? ORDER BY id",
            [plan["appointment_id"]],
        )
        audit.record(
            store,
            user=user,
            action="procedure.view",
            now=now,
            patient_id=plan["patient_id"],
            detail=f"appointment={plan['appointment_id']}",
        )
    return [
        {
            "id": row["id"],
            "step": row["step"],
            "at": local_text(row["at"], tz),
            "by": row["by"],
            "answers": ", ".join(
                k if v is True else f"{k}={v}"
                for k, v in json.loads(row["answers"]).items()
                if v not in (None, [], "")
            ),
            "packs": ", ".join(json.loads(row["packs"])) or None,
            "note": row["note"],
        }
        for row in rows
    ]


_CODE = re.compile(r"S(\d+)-(\d{1,6})(?:-(\d{1,3}))?", re.IGNORECASE)


def trace(store: Store, reference: str, *, user: str, now, tz: ZoneInfo) -> list[dict]:
    """The patients whose procedures opened a pack, or any pack of a load (S1-0042)."""
    match = _CODE.fullmatch((reference or "").strip())
    if not match:
        raise Invalid(f"{reference!r} is neither a pack (S1-0042-03) nor a load (S1-0042)")
    where = "c.sterilizer_id = ? AND c.load_number = ?"
    params: list = [int(match[1]), int(match[2])]
    if match[3]:
        where += " AND p.number = ?"
        params.append(int(match[3]))
    with store.write():
        rows = store.query(
            "SELECT p.code, c.load_number, u.at, u.reference, u.patient_id, pt.mrn, pt.name,"
            " pt.phone, r.spore_test_id AS recalled_by FROM qc_pack_uses u"
            " JOIN qc_packs p ON p.id = u.pack_id JOIN qc_cycles c ON c.id = p.cycle_id"
            " LEFT JOIN patients pt ON pt.id = u.patient_id"
            " LEFT JOIN qc_recalls r ON r.pack_id = p.id"
            f" WHERE {where} ORDER BY u.at",
            params,
        )
        known = store.scalar(
            f"SELECT 1 FROM qc_packs p JOIN qc_cycles c ON c.id = p.cycle_id WHERE {where} LIMIT 1",
            params,
        )
        if not known:
            raise NotFound(f"no sterile pack or load {reference!r}")
        patients = {row["patient_id"] for row in rows if row["patient_id"]}
        if patients:
            audit.record_many(
                store,
                user=user,
                action="procedure.trace",
                now=now,
                entries=[(pid, f"trace={reference.strip().upper()}") for pid in sorted(patients)],
            )
    return [
        {
            "pack": row["code"],
            "opened": local_text(row["at"], tz),
            "for": row["reference"],
            "mrn": row["mrn"],
            "patient": row["name"],
            "phone": row["phone"],
            "recalled": f"spore test {row['recalled_by']}" if row["recalled_by"] else None,
        }
        for row in rows
    ]
