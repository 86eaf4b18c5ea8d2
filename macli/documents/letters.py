"""Letters to patients from templates: fields from the record, plain names for tests,
the clinic's letterhead (macli/pdf.py), filed on the chart as kind `letter`.

A template is plain text: its first line is the letter's title, the rest its body, with
`{field}` marks filled from the record. Templates ship per language in
`macli/documents/templates/<language>/<name>.txt`; `letter template set` keeps a
clinic's own version beside them (append-only: the newest one is used).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from importlib import resources

from macli import audit, pdf
from macli.documents import filing, plain, readability
from macli.errors import Invalid, NotFound
from macli.patients import core as patients
from macli.store import Store
from macli.when import from_utc_text, utc_text

NAMES = {
    "normal-results": "Test results, all in range",
    "follow-up-results": "Test results needing a follow-up visit",
    "missed-appointment": "A missed appointment, and how to rebook",
    "work-school-note": "A note for work or school",
    "referral": "A referral to a specialist",
    "could-not-reach": "We tried to call and could not reach you",
}
LANGUAGES = {"en": "English", "es": "Spanish"}  # the languages templates ship in
# Names for messages about languages the clinic may add its own versions in.
_LANGUAGE_NAMES = {
    **LANGUAGES,
    "pt": "Portuguese",
    "fr": "French",
    "ht": "Haitian Creole",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "ko": "Korean",
    "ru": "Russian",
    "ar": "Arabic",
    "tl": "Tagalog",
    "pl": "Polish",
    "it": "Italian",
    "de": "German",
}


def language_name(code: str) -> str:
    """`Spanish` for es; the code itself for a language without a name here."""
    return _LANGUAGE_NAMES.get(code, code)


# Every field a template may use, and what gives it.
FIELDS = {
    "date": "the letter's date",
    "patient_name": "the patient's full name",
    "first_name": "the patient's first name",
    "dob": "the patient's date of birth",
    "clinic_name": "setting clinic.name",
    "clinic_phone": "setting clinic.phone",
    "clinic_address": "setting clinic.address",
    "results": "the tests of --result (or the last day's), in plain words",
    "results_date": "the day those tests were taken",
    "provider": "--appointment: who the visit was with",
    "appointment_date": "--appointment: its date",
    "appointment_time": "--appointment: its time",
    "visit_date": "--appointment's date, or today",
    "to": "--to: the specialist",
    "reason": "--reason, else --problem's plain words",
    "problem": "--problem ID: a problem on the chart, in plain words",
    "until": "--until: a date",
}
# What each field needs from the command line when a template uses it.
NEEDS = {
    "results": "--result ID (or results on the chart)",
    "results_date": "--result ID (or results on the chart)",
    "provider": "--appointment ID",
    "appointment_date": "--appointment ID",
    "appointment_time": "--appointment ID",
    "to": "--to TEXT (who the patient is referred to)",
    "reason": "--reason TEXT (or --problem ID)",
    "problem": "--problem ID (see `macli chart problem list`)",
    "until": "--until DATE",
}
_FIELD = re.compile(r"\{([a-z_]+)\}")

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
}
_WORDS = {
    "en": {"in": "in the normal range", "out": "not in the normal range", "range": "normal"},
    "es": {"in": "en el rango normal", "out": "fuera del rango normal", "range": "normal"},
    "pt": {"in": "dentro do normal", "out": "fora do normal", "range": "normal"},
}


def date_words(day: date, language: str) -> str:
    """`December 4, 2026` / `4 de diciembre de 2026`."""
    month = _MONTHS.get(language, _MONTHS["en"]).split()[day.month - 1]
    if language in ("es", "pt"):
        return f"{day.day} de {month} de {day.year}"
    return f"{month} {day.day}, {day.year}"


def time_words(moment: datetime, language: str) -> str:
    if language != "en":
        return moment.strftime("%H:%M")
    return moment.strftime("%I:%M %p").lstrip("0")


# -- templates --------------------------------------------------------------------------


def _name(name: str) -> str:
    key = (name or "").strip().lower()
    if key not in NAMES:
        raise NotFound(f"no letter template {name!r}; the templates are: {', '.join(NAMES)}")
    return key


def _language(code: str | None) -> str:
    code = (code or "en").strip().lower().replace("_", "-").split("-")[0]
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise Invalid(f"{code!r} is not a language code (en, es, ...)")
    return code


def shipped(name: str, language: str) -> str | None:
    """The template macli ships for `name` in `language`, or None."""
    path = resources.files("macli.documents.templates").joinpath(language, f"{name}.txt")
    return path.read_text(encoding="utf-8") if path.is_file() else None


# A row with an empty body is a reset: from then on the shipped text is used again (a
# template set by the clinic is never empty, `check` refuses that).
RESET = ""


def template(store: Store, name: str, language: str) -> tuple[str, str] | None:
    """(text, source) of the template used for `name` in `language`: the clinic's newest
    version, else the shipped one; None if there is neither."""
    row = store.one(
        "SELECT body FROM letter_templates WHERE name = ? AND language = ? ORDER BY id DESC LIMIT 1",
        [name, language],
    )
    if row is not None and row["body"] != RESET:
        return row["body"], "clinic"
    text = shipped(name, language)
    return (text, "shipped") if text is not None else None


def check(text: str) -> tuple[str, str]:
    """(title, body) of a template's text, or Invalid naming what is wrong."""
    text = _clean_multiline(text, "the template")
    lines = text.strip("\n").split("\n")
    title = lines[0].strip()
    body = "\n".join(lines[1:]).strip("\n")
    if not title or not body:
        raise Invalid("a template is its title on the first line, then the letter's text")
    unknown = sorted(set(_FIELD.findall(text)) - set(FIELDS))
    if unknown:
        raise Invalid(
            f"unknown field {{{unknown[0]}}} in the template; fields: "
            + ", ".join("{" + field + "}" for field in FIELDS)
        )
    return title, body


def _clean_multiline(text: str, what: str) -> str:
    # Until the shared text-intake rule lands (macli/text.py): line ends made \n, and
    # control characters, which would print as garbage or escape a terminal, refused.
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    for number, line in enumerate(text.split("\n"), 1):
        bad = next((ch for ch in line if ord(ch) < 32 and ch != "\t" or ord(ch) == 127), None)
        if bad is not None:
            raise Invalid(f"{what} has a control character (U+{ord(bad):04X}) on line {number}")
    return text.replace("\t", "    ")


def sample_text(text: str) -> str:
    """The template as a reader meets it, for measuring: fields filled with plain samples,
    the list of results left out (its words come from the catalogue, not the writer)."""
    samples = {
        "date": "May 4",
        "patient_name": "Ana Lee",
        "first_name": "Ana",
        "dob": "May 4",
        "clinic_name": "Main Street Clinic",
        "clinic_phone": "555-0100",
        "clinic_address": "12 Main Street",
        "results_date": "May 4",
        "provider": "Dr Chen",
        "appointment_date": "May 4",
        "appointment_time": "9:30",
        "visit_date": "May 4",
        "to": "Dr Kim",
        "reason": "a check of your heart",
        "problem": "high blood pressure",
        "until": "May 6",
    }
    lines = [line for line in text.splitlines() if line.strip() != "{results}"]
    return _FIELD.sub(lambda m: samples.get(m[1], "it"), "\n".join(lines))


def measure(text: str, language: str) -> dict:
    """Readability of a template (Flesch–Kincaid grade for English, else ease)."""
    return readability.measure(sample_text(text), language)


def list_templates(store: Store) -> list[dict]:
    """Every template name in every language that has one, with its source and level."""
    clinic = {
        (row["name"], row["language"])
        for row in store.query(
            "SELECT name, language FROM letter_templates t WHERE body <> ? AND id ="
            " (SELECT max(id) FROM letter_templates l"
            "  WHERE l.name = t.name AND l.language = t.language)",
            [RESET],
        )
    }
    rows = []
    for name, about in NAMES.items():
        languages = sorted(
            {lang for lang in LANGUAGES if shipped(name, lang) is not None}
            | {lang for (n, lang) in clinic if n == name},
            key=lambda lang: (lang != "en", lang),
        )
        for language in languages:
            text, source = template(store, name, language)
            level = measure(text, language)
            rows.append(
                {
                    "name": name,
                    "language": language,
                    "source": source,
                    "about": about,
                    "grade": level["grade"],
                    "ease": level["ease"],
                    "fields": ", ".join(sorted(set(_FIELD.findall(text)))),
                }
            )
    return rows


def show_template(store: Store, name: str, language: str | None = None) -> dict:
    """One template's text, source and readability."""
    name, language = _name(name), _language(language)
    found = template(store, name, language)
    if found is None:
        raise NotFound(f"no {language_name(language)} version of {name}")
    text, source = found
    return {
        "name": name,
        "language": language,
        "source": source,
        "text": text,
        **measure(text, language),
    }


def set_template(
    store: Store, name: str, text: str, *, language: str | None = None, user: str, now: datetime
) -> dict:
    """Keep the clinic's own version of a template; returns its level and any warning."""
    name, language = _name(name), _language(language)
    title, body = check(text)
    body_text = title + "\n\n" + body + "\n"
    level = measure(body_text, language)
    with store.write():
        store.insert(
            "letter_templates",
            {
                "name": name,
                "language": language,
                "body": body_text,
                "set_at": utc_text(now),
                "set_by": user,
            },
        )
        audit.record(
            store, user=user, action="letter.template.set", now=now, detail=f"{name} {language}"
        )
    return {"name": name, "language": language, **level, "warning": readability.too_hard(level)}


def reset_template(
    store: Store, name: str, *, language: str | None = None, user: str, now: datetime
) -> dict:
    """Go back to the shipped text of a template (the clinic's versions stay on record)."""
    name, language = _name(name), _language(language)
    with store.write():
        current = template(store, name, language)
        if current is None or current[1] != "clinic":
            raise Invalid(
                f"{name} ({language}) has no version of the clinic's own; nothing to reset"
            )
        store.insert(
            "letter_templates",
            {
                "name": name,
                "language": language,
                "body": RESET,
                "set_at": utc_text(now),
                "set_by": user,
            },
        )
        audit.record(
            store, user=user, action="letter.template.reset", now=now, detail=f"{name} {language}"
        )
    back = template(store, name, language)
    return {"name": name, "language": language, "source": back[1] if back else None}


def plain_names(store: Store, language: str | None = None) -> list[dict]:
    """The words letters use for tests in `language`: the clinic's, then the shipped."""
    return plain.known(store, _language(language))


def set_plain_name(
    store: Store, test: str, words: str, *, language: str | None = None, user: str, now: datetime
) -> dict:
    """Keep the clinic's own words for a test in letters (by LOINC code or name)."""
    language = _language(language)
    key = plain.clinic_key(test)
    words = " ".join(_clean_multiline(words or "", "the words").split())
    if not words:
        raise Invalid("give the words a patient reads for the test")
    if len(words) > 120:
        raise Invalid("keep the words short: 120 characters at most")
    with store.write():
        store.insert(
            "letter_plain_names",
            {
                "key": key,
                "language": language,
                "words": words,
                "set_at": utc_text(now),
                "set_by": user,
            },
        )
        audit.record(
            store, user=user, action="letter.plain.set", now=now, detail=f"{key} {language}"
        )
    return {"test": key, "language": language, "words": words}


# -- writing a letter -------------------------------------------------------------------


def patient_language(store: Store, patient: dict) -> str:
    """The language letters to this patient are written in (the record's, else en)."""
    return _language(patient.get("language")) if patient.get("language") else "en"


def _results(
    store: Store, patient: dict, result_ids: list[int], language: str, tz, given=None
) -> tuple:
    from macli.chart import findings

    rows = given if given is not None else findings.results(store, patient["id"], tz=tz)
    if given is not None:
        chosen = list(given)
    elif result_ids:
        by_id = {row["id"]: row for row in rows}
        chosen = []
        for result_id in result_ids:
            if result_id not in by_id:
                raise NotFound(
                    f"no current result {result_id} on {patient['name']}'s chart "
                    "(see `macli chart result list`)"
                )
            chosen.append(by_id[result_id])
    else:
        if not rows:
            return [], None, []
        last_day = max(from_utc_text(row["at"]).astimezone(tz).date() for row in rows)
        chosen = [row for row in rows if from_utc_text(row["at"]).astimezone(tz).date() == last_day]
    if not chosen:
        return [], None, []
    words = _WORDS.get(language, _WORDS["en"])
    lines = []
    for row in chosen:
        unit = f" {row['unit']}" if row["unit"] else ""
        state = words["out"] if _out_of_range(row) else words["in"]
        if not row["range"]:
            state = ""
        shown = f"{row['value']}{unit}"
        ranged = f" ({words['range']}: {row['range']}{unit})" if row["range"] else ""
        label = plain.patient_name_of(store, row["test"], row["loinc"], language)
        lines.append(f"- {label}: {shown}{ranged}" + (f", {state}" if state else ""))
    day = max(from_utc_text(row["at"]).astimezone(tz).date() for row in chosen)
    flagged = [row for row in chosen if _out_of_range(row)]
    return lines, day, flagged


def _out_of_range(row: dict) -> bool:
    # H/L from the chart; HL7's H, L, HH, LL, A (abnormal) from the lab; N is normal.
    return bool(row.get("flag")) and row["flag"] != "N"


def fields(
    store: Store,
    patient: dict,
    *,
    language: str,
    result_ids: list[int],
    appointment_id: int | None,
    to: str | None,
    reason: str | None,
    until: date | None,
    today: date,
    problem_id: int | None = None,
    tz,
    wanted: set[str],
    results: list[dict] | None = None,
) -> dict:
    """The values of the fields a template uses, or Invalid naming the missing option."""
    from macli import settings

    values = {
        "date": date_words(today, language),
        "patient_name": patient["name"],
        "first_name": patient["first_name"] or patient["name"].split()[0],
        "dob": date_words(date.fromisoformat(patient["dob"]), language),
        "clinic_name": settings.get(store, "clinic.name") or "",
        "clinic_phone": _phone(settings.get(store, "clinic.phone")),
        "clinic_address": settings.get(store, "clinic.address") or "",
        "visit_date": date_words(today, language),
    }
    if wanted & {"results", "results_date"}:
        lines, day, flagged = _results(store, patient, result_ids, language, tz, results)
        if flagged and "normal" in wanted:
            row = flagged[0]
            raise Invalid(
                f"{row['test']} {row['value']} ({row.get('where') or 'entry ' + str(row.get('id'))})"
                " is not in the normal range "
                f"({row['range']}): write --template follow-up-results instead"
            )
        if not lines:
            raise Invalid(
                f"{patient['name']} has no results on the chart to report; "
                "record them first (`macli chart result add`) or choose another template"
            )
        values["results"] = "\n".join(lines)
        values["results_date"] = date_words(day, language)
    if appointment_id is not None:
        from macli.schedule import core as schedule

        visit = schedule.get(store, appointment_id)
        if visit["patient_id"] != patient["id"]:
            raise Invalid(f"appointment {appointment_id} is not {patient['name']}'s")
        starts = from_utc_text(visit["starts_at"]).astimezone(tz)
        provider = store.one(
            "SELECT name, title FROM providers WHERE id = ?", [visit["provider_id"]]
        )
        values["provider"] = " ".join(p for p in (provider["title"], provider["name"]) if p)
        values["appointment_date"] = date_words(starts.date(), language)
        values["appointment_time"] = time_words(starts, language)
        values["visit_date"] = values["appointment_date"]
    if to:
        values["to"] = " ".join(to.split())
    if problem_id is not None:
        values["problem"] = _problem(store, patient, problem_id, language, tz)
    if reason:
        values["reason"] = " ".join(reason.split()).rstrip(".")
    elif values.get("problem"):
        values["reason"] = values["problem"]
    if until:
        values["until"] = date_words(until, language)
    for field in sorted(wanted):
        if not values.get(field) and field in NEEDS:
            raise Invalid(f"this letter needs {NEEDS[field]}")
    return values


def _problem(store: Store, patient: dict, problem_id: int, language: str, tz) -> str:
    """A problem on the patient's list (any version's id), in the words a patient reads."""
    from macli.chart import core as chart

    for row in chart.problems(store, patient["id"], include_resolved=True, tz=tz):
        if problem_id in (row["id"], row["thread_id"]):
            return plain.plain_problem(row["code"], row["description"], language)
    raise NotFound(
        f"no problem {problem_id} on {patient['name']}'s chart (see `macli chart problem list`)"
    )


def _phone(value: str | None) -> str:
    if not value:
        return ""
    from macli.identifiers import phone_national

    try:
        return phone_national(value)
    except Exception:
        return value


def render_pdf(store: Store, title: str, body: str, *, now: datetime | None = None) -> bytes:
    """The letter on the clinic's letterhead, as PDF bytes: each line as written, a gap
    between paragraphs."""
    head = pdf.letterhead(store)
    head["phone"] = _phone(head.get("phone")) or None
    doc = pdf.start(head, title)
    if now is not None:
        doc.set_creation_date(now)  # the letter's own time, not the machine's clock
    doc.ln(4)
    for paragraph in re.split(r"\n\s*\n", body.strip()):
        for line in paragraph.split("\n"):
            pdf.text(doc, line.strip(), size=11, height=6)
        doc.ln(3)
    return bytes(doc.output())


def write(
    store: Store,
    patient_ref: str,
    name: str,
    *,
    result_ids: list[int] | None = None,
    appointment_id: int | None = None,
    to: str | None = None,
    reason: str | None = None,
    until: str | None = None,
    problem_id: int | None = None,
    language: str | None = None,
    results: list[dict] | None = None,
    user: str,
    now: datetime,
    today: date,
    tz,
) -> dict:
    """Write a letter from a template and file it on the chart (kind `letter`).

    `results` lets another area (the lab) give the tests to report, each a dict with
    test, loinc, value, unit, range ("70-99"), flag ("" or "N" when in range), at (UTC
    text) and, optionally, where (how an error names it: "lab result 12").

    Returns the document row, the PDF bytes, and the language it was written in (with a
    note when the patient's language has no version of this template).
    """
    from macli.when import parse_date

    name = _name(name)
    patient = patients.resolve(store, patient_ref)
    wanted_language = _language(language) if language else patient_language(store, patient)
    found = template(store, name, wanted_language)
    notice = None
    used_language = wanted_language
    if found is None:
        used_language = "en"
        found = template(store, name, "en")
        notice = (
            f"there is no {language_name(wanted_language)} version of {name}; "
            f"written in English (add one with `macli chart letter template set {name} "
            f"--language {wanted_language} --file FILE`)"
        )
    text, _ = found
    title, body = check(text)
    until_day = parse_date(until, today) if until else None
    values = fields(
        store,
        patient,
        language=used_language,
        result_ids=list(result_ids or []),
        appointment_id=appointment_id,
        to=to,
        reason=reason,
        until=until_day,
        problem_id=problem_id,
        today=today,
        tz=tz,
        wanted=set(_FIELD.findall(text)) | ({"normal"} if name == "normal-results" else set()),
        results=results,
    )
    filled_title = _FIELD.sub(lambda m: values.get(m[1], ""), title)
    filled = _FIELD.sub(lambda m: values.get(m[1], ""), body)
    data = render_pdf(store, filled_title, values["date"] + "\n\n" + filled, now=now)
    file_name = f"letter-{name}-{today.isoformat()}.pdf"
    with store.write():
        rows = filing.file(
            store,
            patient["mrn"],
            [(file_name, data)],
            kind="letter",
            source=values["clinic_name"] or None,
            note=NAMES[name]
            + ("" if used_language == "en" else f" ({language_name(used_language)})"),
            user=user,
            now=now,
            today=today,
        )
        document = rows[0]
        if not document["already"]:
            store.insert(
                "document_letters",
                {
                    "document_id": document["thread_id"],
                    "template": name,
                    "language": used_language,
                    "result_id": (result_ids or [None])[0],
                    "appointment_id": appointment_id,
                },
            )
    return {
        "document": document,
        "data": data,
        "language": used_language,
        "notice": notice,
        "title": filled_title,
    }
