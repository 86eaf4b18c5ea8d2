"""Demo telephone desk: a few Spanish- and Portuguese-speaking patients (some needing an
interpreter) with reminder templates in their languages, representatives for children
and an elderly patient, and a day's messages: closed, overdue, open and one urgent."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from macli import settings
from macli.patients import core as patients
from macli.patients import representatives
from macli.phone import core, due
from macli.remind import templates
from macli.when import localize, utc_text

SPANISH_SURNAMES = ("García", "Álvarez", "Hernández", "Martínez", "Pérez", "Reyes", "Lopez")
PORTUGUESE_SURNAMES = ("Costa", "Silva", "Oliveira", "Souza")
TEMPLATES = {
    ("es", "sms"): (
        "Hola {first_name}: su cita en {clinic_name} es el {date} a las {time}."
        " Para cambiarla llame al {clinic_phone}. Responda STOP para no recibir más"
    ),
    ("es", "email"): (
        "Subject: Recordatorio de su cita: {date} a las {time}\n\n"
        "Hola {first_name}:\n\nLe recordamos su cita en {clinic_name} el {date} a las {time}.\n"
        "Si necesita cambiarla, llámenos al {clinic_phone}.\n\n{clinic_name}\n"
    ),
    ("pt", "sms"): (
        "Olá {first_name}: sua consulta na {clinic_name} é {date} às {time}."
        " Para remarcar ligue {clinic_phone}. Responda STOP para sair"
    ),
    ("pt", "email"): (
        "Subject: Lembrete da sua consulta: {date} às {time}\n\n"
        "Olá {first_name},\n\nLembramos a sua consulta na {clinic_name} em {date} às {time}.\n"
        "Se precisar remarcar, ligue para {clinic_phone}.\n\n{clinic_name}\n"
    ),
}


def populate(context) -> None:
    store, rng, now, tz, user = (
        context.store,
        context.rng,
        context.now,
        context.zone,
        context.user,
    )
    settings.put(store, "remind.sms_segments", "3", user=user, now=now)
    speakers = _languages(store, rng, now)
    for (language, channel), text in TEMPLATES.items():
        store.execute(
            "INSERT INTO languages (code, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [language, {"es": "Spanish", "pt": "Portuguese"}[language]],
        )
        parsed = templates.parse(channel, text, language=language, max_segments=3)
        templates.put(store, parsed, user=user, now=now - timedelta(days=40))
    _representatives(store, rng, now, user)
    _messages(store, rng, now, tz, user, speakers)


def _languages(store, rng, now) -> list[dict]:
    """Mark a few patients as Spanish or Portuguese speakers; returns them."""
    chosen = []
    for surnames, code, name, count in (
        (SPANISH_SURNAMES, "es", "Spanish", 8),
        (PORTUGUESE_SURNAMES, "pt-BR", "Portuguese (Brazil)", 4),
    ):
        store.execute(
            "INSERT INTO languages (code, name) VALUES (?, ?) ON CONFLICT DO NOTHING", [code, name]
        )
        # Those coming in soon first, so the day sheet and call list show an interpreter.
        rows = [
            row
            for row in store.query(
                "SELECT p.id, p.name, (SELECT MIN(a.starts_at) FROM appointments a"
                " WHERE a.patient_id = p.id AND a.status = 'scheduled' AND a.starts_at >= ?"
                " AND a.starts_at < ?) AS soon FROM patients p ORDER BY soon IS NULL, soon, p.id",
                [utc_text(now - timedelta(hours=12)), utc_text(now + timedelta(days=3))],
            )
            if row["name"].split()[-1] in surnames
        ][:count]
        for index, row in enumerate(rows):
            interpreter = int(index % 2 == 0)
            store.execute(
                "UPDATE patients SET language = ?, interpreter = ? WHERE id = ?",
                [code, interpreter, row["id"]],
            )
            chosen.append({**row, "language": code})
    return chosen


def _representatives(store, rng, now, user) -> None:
    today = now.date()
    children = store.query(
        "SELECT id, name, dob FROM patients WHERE dob > ? ORDER BY id LIMIT 4",
        [date(today.year - 12, today.month, 1).isoformat()],
    )
    elders = store.query(
        "SELECT id, name FROM patients WHERE dob < '1946-01-01' ORDER BY id LIMIT 2"
    )
    numbers = iter(f"617-555-01{n:02d}" for n in range(60, 100))
    for child in children:
        surname = child["name"].split()[-1]
        parent = rng.choice(("Rosa", "Marta", "Daniel", "Sam", "Lena", "Omar"))
        _add(store, child, f"{parent} {surname}", "parent", next(numbers), True, now, user)
    for index, elder in enumerate(elders):
        surname = elder["name"].split()[-1]
        _add(store, elder, f"Clara {surname}", "daughter", next(numbers), True, now, user)
        if index == 0:
            _add(store, elder, "Tom Reed", "neighbour", next(numbers), False, now, user)


def _add(store, patient, name, relation, phone, may_discuss, now, user) -> None:
    representatives.add(
        store,
        patients.mrn_for(patient["id"]),
        name,
        relation=relation,
        phone=phone,
        may_discuss=may_discuss,
        region="US",
        user=user,
        now=now - timedelta(days=90),
    )


def _previous_open_day(store, now, tz) -> date:
    day = now.astimezone(tz).date()
    for _ in range(14):
        day -= timedelta(days=1)
        if due.business_hours(store, day, tz):
            return day
    return now.astimezone(tz).date() - timedelta(days=1)


def _messages(store, rng, now, tz, user, speakers) -> None:
    """Yesterday's messages (most closed, one overdue) and this morning's (open, urgent)."""
    chen = store.one("SELECT id, name FROM providers WHERE active = 1 ORDER BY id LIMIT 1")
    yesterday = _previous_open_day(store, now, tz)

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return localize(datetime.combine(day, time(hour, minute)), tz)

    def patient(index: int) -> dict:
        row = store.one(
            "SELECT p.mrn, p.name, p.phone FROM patients p WHERE p.phone IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM appointments a WHERE a.patient_id = p.id"
            "   AND a.status = 'completed') ORDER BY p.id LIMIT 1 OFFSET ?",
            [index],
        )
        return row

    def take(who, when, reason, note, **options):
        return core.take(
            store,
            who["mrn"],
            caller=options.pop("caller", who["name"]),
            relation=options.pop("relation", "self"),
            number=who["phone"],
            reason=reason,
            for_who=options.pop("for_who", "front-desk"),
            note=note,
            region="US",
            tz=tz,
            user=user,
            now=when,
            identity_verified=True,
            **options,
        )["id"]

    doctor = chen["name"] if chen else "front-desk"
    # Yesterday: a refill handed to the doctor and closed; a billing question closed after
    # two attempts; a records request nobody got to (overdue now).
    first = take(patient(3), at(yesterday, 9, 10), "refill", "Needs a refill of lisinopril, "
                 "pharmacy is the one on Main Street", for_who=doctor)  # fmt: skip
    core.forward(store, first, "front-desk", note="Refill sent to the pharmacy", user=user,
                 now=at(yesterday, 11, 30))  # fmt: skip
    core.callback(store, first, "reached", note="Told her it is ready after 4 pm", user=user,
                  now=at(yesterday, 11, 40))  # fmt: skip
    core.close(store, first, "Refill sent; patient told", user=user, now=at(yesterday, 11, 41))
    second = take(patient(7), at(yesterday, 10, 5), "billing",
                  "Asks why the bill for the October visit is higher than last time")  # fmt: skip
    core.callback(store, second, "no-answer", note=None, user=user, now=at(yesterday, 13, 0))
    core.callback(store, second, "reached", note="Explained the lab charge", user=user,
                  now=at(yesterday, 15, 20))  # fmt: skip
    core.close(store, second, "Explained the lab charge on the bill", user=user,
               now=at(yesterday, 15, 22))  # fmt: skip
    overdue = take(patient(11), at(yesterday, 14, 15), "records",
                   "Wants a copy of her vaccination record for a new job")  # fmt: skip
    core.callback(store, overdue, "voicemail", note="Left a message to call us back",
                  user=user, now=at(yesterday, 16, 30))  # fmt: skip
    # A Spanish speaker's question for the doctor, after the cut-off: due at noon today.
    speaker = next((s for s in speakers if s["language"] == "es"), None)
    if speaker is not None:
        row = store.one("SELECT mrn, name, phone FROM patients WHERE id = ?", [speaker["id"]])
        if row["phone"]:
            take(row, at(yesterday, 16, 40), "results",
                 "Pregunta si llegaron los resultados del análisis de sangre (asks whether"
                 " the blood test results came back)", for_who=doctor)  # fmt: skip
    # This morning, when the desk has been open a while: an open one and an urgent one.
    local = now.astimezone(tz)
    if local.time() >= time(8, 45) and due.business_hours(store, local.date(), tz):
        child = store.one(
            "SELECT p.mrn, p.name, c.name AS parent, c.phone FROM patient_contacts c"
            " JOIN patients p ON p.id = c.patient_id WHERE c.relation = 'parent'"
            " ORDER BY c.id LIMIT 1"
        )
        if child:
            take(
                {"mrn": child["mrn"], "name": child["parent"], "phone": child["phone"]},
                now - timedelta(minutes=35),
                "symptoms",
                "Fever of 101 since last night, asks whether to bring him in today",
                relation="parent",
                urgent=True,
                for_who=doctor,
            )
        take(patient(15), now - timedelta(minutes=20), "appointment",
             "Wants to move next week's visit to a morning")  # fmt: skip
