"""Names of tests and problems the way a patient reads them, in English and Spanish.

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


_LOINC = re.compile(r"\d{1,7}-\d")


def clinic_key(test: str) -> str:
    """What the clinic's own words are kept under: the LOINC code, or the folded name."""
    text = (test or "").strip()
    if _LOINC.fullmatch(text):
        from macli.identifiers import check_loinc

        return check_loinc(text)
    key = _key(text)
    if not key:
        from macli.errors import Invalid

        raise Invalid("name the test by its name (HbA1c) or its LOINC code (4548-4)")
    return key


def clinic_words(store, test: str, loinc: str | None, language: str) -> str | None:
    """The clinic's own words for a test (by LOINC first, then by name), or None; a name
    the shipped table knows (LDL) is also found by its code (13457-7)."""
    name = _key(test or "")
    for key in (loinc, BY_NAME.get(name), name):
        if not key:
            continue
        words = store.scalar(
            "SELECT words FROM letter_plain_names WHERE key = ? AND language = ?"
            " ORDER BY id DESC LIMIT 1",
            [key, language],
        )
        if words:
            return words
    return None


def patient_name_of(store, test: str, loinc: str | None, language: str) -> str:
    """A test as a letter names it: the clinic's words, else the shipped ones, else the
    test's own name; the test's name follows in brackets."""
    words = clinic_words(store, test, loinc, language)
    if words is None:
        return plain_name(test, loinc, language)
    return words if _key(words) == _key(test) else f"{words} ({test})"


def known(store, language: str) -> list[dict]:
    """The clinic's words for tests (newest per test), then the shipped table's."""
    rows = [
        {"test": row["key"], "language": language, "words": row["words"], "source": "clinic"}
        for row in store.query(
            "SELECT key, words FROM letter_plain_names n WHERE language = ? AND id ="
            " (SELECT max(id) FROM letter_plain_names m WHERE m.key = n.key"
            "  AND m.language = n.language) ORDER BY key",
            [language],
        )
    ]
    if language in ("en", "es"):
        index = 1 if language == "es" else 0
        rows += [
            {"test": code, "language": language, "words": words[index], "source": "shipped"}
            for code, words in BY_LOINC.items()
        ]
    return rows


def plain_name(test: str, loinc: str | None = None, language: str = "en") -> str:
    """`HbA1c` -> `average blood sugar over 3 months (HbA1c)`; unknown tests keep their name."""
    code = loinc if loinc in BY_LOINC else BY_NAME.get(_key(test or ""))
    if code is None or language not in ("en", "es"):
        # No plain words in this language: the test's own name beats English words.
        return test
    words = BY_LOINC[code][1 if language == "es" else 0]
    if _key(words) == _key(test):
        return words
    return f"{words} ({test})"


# Problems on the chart, by ICD-10-CM code: the longest matching start of the code
# (dots ignored) gives the words; (English, Spanish). A code not found here keeps the
# code set's own description.
BY_ICD: dict[str, tuple[str, str]] = {
    "I10": ("high blood pressure", "presión alta"),
    "I11": ("heart trouble from high blood pressure", "problemas del corazón por presión alta"),
    "I20": ("chest pain from the heart (angina)", "dolor de pecho del corazón (angina)"),
    "I25": ("narrowed heart arteries", "arterias del corazón estrechas"),
    "I48": (
        "an uneven heartbeat (atrial fibrillation)",
        "latido irregular (fibrilación auricular)",
    ),
    "I50": ("a weak heart (heart failure)", "corazón débil (insuficiencia cardíaca)"),
    "I63": ("a past stroke", "un derrame cerebral"),
    "I73.9": ("poor blood flow in the legs", "mala circulación en las piernas"),
    "I83": ("varicose veins", "várices"),
    "E03": ("a slow thyroid", "tiroides lenta"),
    "E05": ("an overactive thyroid", "tiroides muy activa"),
    "E10": ("type 1 diabetes", "diabetes tipo 1"),
    "E11": ("type 2 diabetes", "diabetes tipo 2"),
    "R73.03": ("blood sugar a little high (prediabetes)", "azúcar un poco alta (prediabetes)"),
    "E66": ("weight that puts your health at risk", "un peso que pone en riesgo su salud"),
    "E78": ("high cholesterol", "colesterol alto"),
    "E55": ("low vitamin D", "vitamina D baja"),
    "D50": ("low iron in the blood (anemia)", "falta de hierro en la sangre (anemia)"),
    "D64.9": ("a low blood count (anemia)", "glóbulos rojos bajos (anemia)"),
    "J02": ("a sore throat", "dolor de garganta"),
    "J06": ("a cold", "un resfriado"),
    "J18": ("a lung infection (pneumonia)", "una infección de los pulmones (neumonía)"),
    "J30": ("allergies in the nose (hay fever)", "alergia en la nariz"),
    "J44": ("long-term lung disease (COPD)", "enfermedad crónica de los pulmones (EPOC)"),
    "J45": ("asthma", "asma"),
    "G43": ("migraine headaches", "migrañas"),
    "G47.33": ("stopped breathing in sleep (sleep apnea)", "apnea del sueño"),
    "G56.0": ("a pinched nerve in the wrist (carpal tunnel)", "túnel carpiano"),
    "F17": ("smoking", "el hábito de fumar"),
    "F32": ("depression", "depresión"),
    "F33": ("depression", "depresión"),
    "F41": ("anxiety", "ansiedad"),
    "F90": ("trouble paying attention (ADHD)", "déficit de atención (TDAH)"),
    "K21": ("acid reflux (heartburn)", "reflujo ácido (acidez)"),
    "K58": ("a sensitive bowel (IBS)", "colon irritable"),
    "K76.0": ("fat in the liver", "hígado graso"),
    "K80": ("gallstones", "piedras en la vesícula"),
    "N18": ("long-term kidney disease", "enfermedad crónica de los riñones"),
    "N39.0": ("a bladder infection", "una infección de orina"),
    "N40": ("a large prostate", "próstata agrandada"),
    "M10": ("gout", "gota"),
    "M17": ("worn knee joints (arthritis)", "desgaste de la rodilla (artrosis)"),
    "M16": ("worn hip joints (arthritis)", "desgaste de la cadera (artrosis)"),
    "M19": ("worn joints (arthritis)", "desgaste de las articulaciones (artrosis)"),
    "M25.56": ("knee pain", "dolor de rodilla"),
    "M54.5": ("low back pain", "dolor de la parte baja de la espalda"),
    "M54.2": ("neck pain", "dolor de cuello"),
    "M79.7": ("long-term muscle pain (fibromyalgia)", "dolor muscular crónico (fibromialgia)"),
    "M81": ("thin bones (osteoporosis)", "huesos débiles (osteoporosis)"),
    "L20": ("eczema", "eczema"),
    "L40": ("psoriasis", "psoriasis"),
    "L70": ("acne", "acné"),
    "D22": ("a mole", "un lunar"),
    "D48.5": ("a skin spot to check", "una mancha de la piel para revisar"),
    "H40": ("high eye pressure (glaucoma)", "presión alta en el ojo (glaucoma)"),
    "H25": ("a cloudy lens in the eye (cataract)", "catarata"),
    "H91": ("hearing loss", "pérdida de audición"),
    "R05": ("a cough", "tos"),
    "R07": ("chest pain", "dolor de pecho"),
    "R10": ("belly pain", "dolor de barriga"),
    "R51": ("headache", "dolor de cabeza"),
    "R53": ("feeling tired", "cansancio"),
    "R00.2": ("a racing heartbeat", "palpitaciones"),
    "R42": ("dizziness", "mareos"),
    "Z00": ("a checkup", "un chequeo"),
    "Z34": ("your pregnancy", "su embarazo"),
}


def plain_problem(code: str, description: str | None = None, language: str = "en") -> str:
    """`I10` -> `high blood pressure`; a code not in the table keeps its description."""
    key = (code or "").upper().replace(".", "")
    if language not in ("en", "es"):
        return description or code
    for length in range(len(key), 2, -1):
        words = _ICD_KEYS.get(key[:length])
        if words:
            return words[1 if language == "es" else 0]
    return description or code


_ICD_KEYS = {code.replace(".", ""): words for code, words in BY_ICD.items()}
