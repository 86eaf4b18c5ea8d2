"""Names of tests the way a patient reads them, in English and Spanish.

A small catalogue of its own, keyed by LOINC code and by the names clinics type: the
lab area's test catalogue is not on main yet (when it is, its tests can carry this
field and this table becomes its default). A test not found here keeps its own name.
"""

from __future__ import annotations

import re

# LOINC: (English, Spanish). The technical name follows in brackets in a letter.
BY_LOINC: dict[str, tuple[str, str]] = {
    "4548-4": ("average blood sugar over 3 months", "azúcar promedio en la sangre de 3 meses"),
    "17856-6": ("average blood sugar over 3 months", "azúcar promedio en la sangre de 3 meses"),
    "2345-7": ("blood sugar", "azúcar en la sangre"),
    "1558-6": ("blood sugar after not eating", "azúcar en la sangre en ayunas"),
    "2339-0": ("blood sugar", "azúcar en la sangre"),
    "2093-3": ("total cholesterol", "colesterol total"),
    "2085-9": ('"good" cholesterol', 'colesterol "bueno"'),
    "13457-7": ('"bad" cholesterol', 'colesterol "malo"'),
    "2089-1": ('"bad" cholesterol', 'colesterol "malo"'),
    "2571-8": ("blood fats", "grasas en la sangre"),
    "718-7": ("iron-carrying part of the blood", "parte de la sangre que lleva el hierro"),
    "4544-3": ("red cell share of the blood", "porción de glóbulos rojos"),
    "6690-2": ("white blood cells (they fight germs)", "glóbulos blancos (combaten microbios)"),
    "777-3": ("cells that help blood clot", "células que ayudan a coagular"),
    "2160-0": ("kidney test", "prueba de los riñones"),
    "33914-3": ("kidney filter rate", "filtración de los riñones"),
    "62238-1": ("kidney filter rate", "filtración de los riñones"),
    "3016-3": ("thyroid test", "prueba de la tiroides"),
    "1742-6": ("liver test", "prueba del hígado"),
    "1920-8": ("liver test", "prueba del hígado"),
    "2823-3": ("potassium (a body salt)", "potasio (una sal del cuerpo)"),
    "2951-2": ("sodium (a body salt)", "sodio (una sal del cuerpo)"),
    "5902-2": ("blood clotting time", "tiempo de coagulación"),
    "6301-6": ("blood thinner level", "nivel del anticoagulante"),
    "2132-9": ("vitamin B12", "vitamina B12"),
    "1989-3": ("vitamin D", "vitamina D"),
    "2276-4": ("iron stores", "reservas de hierro"),
    "5811-5": ("urine strength", "concentración de la orina"),
    "2514-8": ("ketones in urine", "cetonas en la orina"),
    "2106-3": ("pregnancy test", "prueba de embarazo"),
    "78012-2": ("strep throat test", "prueba de faringitis estreptocócica"),
    "80382-5": ("flu test", "prueba de la gripe"),
    "94500-6": ("COVID-19 test", "prueba de COVID-19"),
    "2857-1": ("prostate test (PSA)", "prueba de la próstata (PSA)"),
}

# Name fragments as typed (case and punctuation ignored) -> a LOINC above.
BY_NAME = {
    "hba1c": "4548-4",
    "a1c": "4548-4",
    "hemoglobin a1c": "4548-4",
    "glucose": "2345-7",
    "fasting glucose": "1558-6",
    "cholesterol": "2093-3",
    "total cholesterol": "2093-3",
    "hdl": "2085-9",
    "ldl": "13457-7",
    "triglycerides": "2571-8",
    "hemoglobin": "718-7",
    "hgb": "718-7",
    "hematocrit": "4544-3",
    "wbc": "6690-2",
    "platelets": "777-3",
    "creatinine": "2160-0",
    "egfr": "33914-3",
    "tsh": "3016-3",
    "alt": "1742-6",
    "ast": "1920-8",
    "potassium": "2823-3",
    "sodium": "2951-2",
    "pt": "5902-2",
    "inr": "6301-6",
    "b12": "2132-9",
    "vitamin d": "1989-3",
    "ferritin": "2276-4",
    "psa": "2857-1",
    "rapid strep": "78012-2",
    "strep": "78012-2",
    "influenza": "80382-5",
    "flu": "80382-5",
    "covid": "94500-6",
    "hcg": "2106-3",
    "urine pregnancy": "2106-3",
}


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name.lower()).split())


def plain_name(test: str, loinc: str | None = None, language: str = "en") -> str:
    """`HbA1c` -> `average blood sugar over 3 months (HbA1c)`; unknown tests keep their name."""
    code = loinc if loinc in BY_LOINC else BY_NAME.get(_key(test or ""))
    if code is None:
        return test
    words = BY_LOINC[code][1 if language == "es" else 0]
    if _key(words) == _key(test):
        return words
    return f"{words} ({test})"
