"""HL7 v2.5.1 ORU^R01 test messages written out by hand (never by the parser under test)."""

from __future__ import annotations


def oru(
    control: str,
    placer: str,
    *,
    family: str = "LIMA",
    given: str = "ANA",
    dob: str = "19900101",
    test: str = "51990-0^Basic metabolic panel^LN",
    status: str = "F",
    observations: list[str] | None = None,
    reported: str = "20261126083000",
) -> str:
    """One message, segments ended by CR as HL7 wants."""
    observations = observations or [
        "OBX|1|NM|2823-3^Potassium^LN||4.2|mmol/L^^UCUM|3.5-5.1|N|||F",
        "OBX|2|NM|2345-7^Glucose^LN||92|mg/dL^^UCUM|70-99|N|||F",
    ]
    segments = [
        f"MSH|^~\\&|QUESTLAB|QUEST|MACLI|CLINIC|{reported}||ORU^R01^ORU_R01|{control}|P|2.5.1",
        f"PID|1||P000001^^^CLINIC^MR||{family}^{given}||{dob}|F",
        f"ORC|RE|{placer}|F{control}",
        f"OBR|1|{placer}|F{control}|{test}|||20261125090000|||||||||||||||{reported}|||{status}",
        *observations,
    ]
    return "\r".join(segments) + "\r"
