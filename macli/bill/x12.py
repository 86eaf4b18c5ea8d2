"""The X12 837P (005010X222A1) professional claim batch, written by hand.

One interchange (ISA/IEA) holding one functional group (GS/GE) holding one
transaction set (ST/SE) with every claim of the batch: the clinic as billing
provider (2010AA), then per claim its subscriber (2000B/2010BA), payer (2010BB),
the patient when not the subscriber (2000C/2010CA), the claim (2300 CLM, HI),
its rendering provider (2310B) and service lines (2400 LX/SV1/DTP).

"""

from __future__ import annotations

from datetime import datetime

from macli.bill.address import split_address
from macli.store import Store
from macli.text import ascii_form

ELEMENT, COMPONENT, REPETITION, SEGMENT = "*", ":", "^", "~"
VERSION = "005010X222A1"
PATIENT_RELATION = {"spouse": "01", "child": "19", "other": "G8"}
SEX = {"female": "F", "male": "M"}
# The X12 basic character set, less the separators this file uses.
_ALLOWED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"&'()+,-./;?=")
_TITLES = {"DR", "DR.", "DOCTOR", "MR", "MR.", "MRS", "MRS.", "MS", "MS.", "MX", "MX."}


def text(value: str | None, limit: int) -> str:
    """A value in the X12 character set: upper case, no accents, no separators.

    Letters that have no Latin form are dropped here: `claims.claim_problems` refuses a
    claim holding any (see `unwritable`) before it can be exported."""
    ascii_text, _ = ascii_form(value)
    cleaned = "".join(ch if ch in _ALLOWED else " " for ch in ascii_text.upper())
    return " ".join(cleaned.split())[:limit].strip()


def unwritable(value: str | None) -> str:
    """The letters and digits of `value` that X12's character set cannot carry."""
    return ascii_form(value)[1]


def unwritten(content: str) -> list[str]:
    """Names the rendered batch left empty (NM103 is required in every NM1): the last
    check before a batch is marked submitted, should any text have escaped the others."""
    problems = []
    for line in content.splitlines():
        elements = line.rstrip(SEGMENT).split(ELEMENT)
        if elements[0] == "NM1" and (len(elements) < 4 or not elements[3]):
            problems.append(f"an NM1*{elements[1] if len(elements) > 1 else ''} name is empty")
    return problems


def claim_person(patient: dict) -> tuple[str, str]:
    """(last, first) of the patient as claims carry them: the romanised claim name
    when one is on file (`patient edit --claim-name`), else the name."""
    if patient.get("claim_name"):
        return person(patient["claim_name"])
    return person(patient["name"], patient["first_name"])


def amount(cents: int) -> str:
    """Cents as an X12 decimal: 150, 150.5, 0.25 (no float, no trailing zeros)."""
    whole, rest = divmod(int(cents), 100)
    if not rest:
        return str(whole)
    return f"{whole}.{rest:02d}".rstrip("0")


def segment(*elements) -> str:
    """One segment; trailing empty elements are left out as the standard asks."""
    values = ["" if value is None else str(value) for value in elements]
    while values and values[-1] == "":
        values.pop()
    return ELEMENT.join(values) + SEGMENT


def person(name: str, first: str | None = None) -> tuple[str, str]:
    """(last, first) of 'First Last'; titles such as 'Dr.' are dropped."""
    words = [w for w in name.split() if w.upper() not in _TITLES]
    if first and words and words[0] == first and len(words) > 1:
        return " ".join(words[1:]), first
    if len(words) == 1:
        return words[0], ""
    return " ".join(words[1:]), words[0]


def render(store: Store, clinic: dict, batch: list[dict], number: int, local: datetime) -> str:
    """The 837P text of a batch under interchange control number `number`."""
    control = f"{number:09d}"
    sender = text(clinic["submitter_id"], 15)
    receiver = text(clinic["receiver_id"], 15)
    body = [
        segment("ST", "837", f"{number:04d}"[-9:], VERSION),
        segment(
            "BHT", "0019", "00", control, local.strftime("%Y%m%d"), local.strftime("%H%M"), "CH"
        ),
        segment("NM1", "41", "2", text(clinic["name"], 60), "", "", "", "", "46", sender),
        segment("PER", "IC", text(clinic["name"], 60), "TE", clinic["phone"]),
        segment(
            "NM1", "40", "2", text(clinic["receiver_name"], 60), "", "", "", "", "46", receiver
        ),
        segment("HL", "1", "", "20", "1"),
        segment("NM1", "85", "2", text(clinic["name"], 60), "", "", "", "", "XX", clinic["npi"]),
        *_address(clinic["address"]),
        segment("REF", "EI", clinic["tax_id"]),
    ]
    hl = 1
    for claim in batch:
        hl = _claim(store, claim, body, hl)
    body.append(segment("SE", len(body) + 1, f"{number:04d}"[-9:]))
    header = [
        "ISA*00*"
        + " " * 10
        + "*00*"
        + " " * 10
        + f"*ZZ*{sender:<15}*ZZ*{receiver:<15}*{local:%y%m%d}*{local:%H%M}*{REPETITION}*00501*"
        + f"{control}*0*{clinic['usage']}*{COMPONENT}{SEGMENT}",
        segment(
            "GS",
            "HC",
            sender,
            receiver,
            local.strftime("%Y%m%d"),
            local.strftime("%H%M"),
            number,
            "X",
            VERSION,
        ),
    ]
    trailer = [segment("GE", "1", number), segment("IEA", "1", control)]
    return "\n".join(header + body + trailer) + "\n"


def _address(parts: dict) -> list[str]:
    return [
        segment("N3", text(parts["street"], 55), text(parts["street2"], 55)),
        segment("N4", text(parts["city"], 30), parts["state"], parts["zip"]),
    ]


def _claim(store: Store, claim: dict, body: list[str], hl: int) -> int:
    patient = store.one("SELECT * FROM patients WHERE id = ?", [claim["patient_id"]])
    provider = store.one("SELECT * FROM providers WHERE id = ?", [claim["provider_id"]])
    diagnoses = store.query(
        "SELECT code FROM bill_claim_diagnoses WHERE claim_id = ? ORDER BY position", [claim["id"]]
    )
    lines = store.query(
        "SELECT * FROM bill_claim_lines WHERE claim_id = ? ORDER BY line_no", [claim["id"]]
    )
    self_paid = claim["relation"] in (None, "self")
    subscriber_hl = hl + 1
    body.append(segment("HL", subscriber_hl, "1", "22", "0" if self_paid else "1"))
    body.append(
        segment(
            "SBR",
            "P",
            "18" if self_paid else "",
            text(claim["group_number"], 50),
            "",
            "",
            "",
            "",
            "",
            claim["plan_type"],
        )
    )
    patient_last, patient_first = claim_person(patient)
    patient_demographics = [
        *_address(split_address(patient["address"])),
        segment("DMG", "D8", patient["dob"].replace("-", ""), SEX.get(patient["sex"], "U")),
    ]
    member = text(claim["member_id"], 80)
    if self_paid:
        body.append(
            segment(
                "NM1",
                "IL",
                "1",
                text(patient_last, 60),
                text(patient_first, 35),
                "",
                "",
                "",
                "MI",
                member,
            )
        )
        body.extend(patient_demographics)
    else:
        last, first = person(claim["subscriber_name"])
        body.append(
            segment("NM1", "IL", "1", text(last, 60), text(first, 35), "", "", "", "MI", member)
        )
        if claim["subscriber_dob"]:
            body.append(
                segment(
                    "DMG",
                    "D8",
                    claim["subscriber_dob"].replace("-", ""),
                    SEX.get(claim["subscriber_sex"], "U"),
                )
            )
    body.append(
        segment(
            "NM1",
            "PR",
            "2",
            text(claim["payer_name"], 60),
            "",
            "",
            "",
            "",
            "PI",
            text(claim["payer_code"], 80),
        )
    )
    hl = subscriber_hl
    if not self_paid:
        hl += 1
        body.append(segment("HL", hl, subscriber_hl, "23", "0"))
        body.append(segment("PAT", PATIENT_RELATION[claim["relation"]]))
        body.append(segment("NM1", "QC", "1", text(patient_last, 60), text(patient_first, 35)))
        body.extend(patient_demographics)
    # A correction replaces the payer's earlier claim when the payer's number for it is known.
    replaces = claim["version"] > 1 and claim["payer_claim_number"]
    body.append(
        segment(
            "CLM",
            f"C{claim['id']}",
            amount(claim["charge_cents"]),
            "",
            "",
            COMPONENT.join(("11", "B", "7" if replaces else "1")),
            "Y",
            "A",
            "Y",
            "Y",
        )
    )
    if replaces:
        body.append(segment("REF", "F8", text(claim["payer_claim_number"], 50)))
    body.append(
        segment(
            "HI",
            *(
                f"{'ABK' if n == 0 else 'ABF'}{COMPONENT}{d['code'].replace('.', '')}"
                for n, d in enumerate(diagnoses)
            ),
        )
    )
    provider_last, provider_first = person(provider["name"])
    body.append(
        segment(
            "NM1",
            "82",
            "1",
            text(provider_last, 60),
            text(provider_first, 35),
            "",
            "",
            "",
            "XX",
            provider["npi"],
        )
    )
    service_day = claim["service_date"].replace("-", "")
    for line in lines:
        procedure = COMPONENT.join(["HC", line["code"], *(line["modifiers"] or "").split(":")])
        body.append(segment("LX", line["line_no"]))
        body.append(
            segment(
                "SV1",
                procedure.rstrip(COMPONENT),
                amount(line["charge_cents"]),
                "UN",
                line["units"],
                "",
                "",
                line["pointers"],
            )
        )
        body.append(segment("DTP", "472", "D8", service_day))
    return hl
