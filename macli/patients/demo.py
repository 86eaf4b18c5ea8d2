"""Demo providers and patients: made-up names, fictional 555-01xx numbers, example.org mail."""

from __future__ import annotations

from datetime import date, timedelta

from macli.patients import core, providers

FIRST_NAMES = [
    "Ana",
    "José",
    "Maria",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Mateo",
    "Sofía",
    "Wei",
    "Mei",
    "Aarav",
    "Priya",
    "Kwame",
    "Amara",
    "Zoë",
    "Chloé",
    "Jonas",
    "Ingrid",
    "Omar",
    "Leila",
    "Dmitri",
    "Anya",
    "Hiroshi",
    "Yuki",
    "Fatima",
    "Tariq",
    "Grace",
    "Samuel",
    "Elena",
    "Lucas",
    "Isabella",
    "Ethan",
    "Ava",
    "Mohammed",
    "Nadia",
    "Patrick",
    "Siobhán",
    "Diego",
    "Camila",
    "Thomas",
    "Hannah",
    "Jamal",
    "Aisha",
    "Benjamin",
    "Ruth",
    "Nguyen",
    "Linh",
    "Carlos",
    "Lucía",
]
LAST_NAMES = [
    "García",
    "Smith",
    "Nguyen",
    "Okafor",
    "Müller",
    "Rossi",
    "Kowalski",
    "Johnson",
    "Martínez",
    "Chen",
    "Patel",
    "Kim",
    "O'Brien",
    "Dubois",
    "Hernández",
    "Williams",
    "Ivanova",
    "Tanaka",
    "Haddad",
    "Brown",
    "Lopez",
    "Andersson",
    "Novak",
    "Mensah",
    "Sato",
    "Rahman",
    "Cohen",
    "Silva",
    "Murphy",
    "Fischer",
    "Ali",
    "Jones",
    "Pérez",
    "Wright",
    "Costa",
    "Yilmaz",
    "Walker",
    "Singh",
    "Álvarez",
    "Reyes",
]
AREA_CODES = ["617", "857", "781", "508", "978"]
PROVIDERS = [
    ("Dr. Maya Chen", "MD", "teal", "1234567893"),
    ("Dr. Samuel Okafor", "DO", "orange", None),
    ("Priya Natarajan", "NP", "purple", None),
]
STREETS = ["Elm Street", "Harbor Road", "Maple Avenue", "Cedar Lane", "River Way", "Oak Court"]


def populate(context) -> None:
    store, rng = context.store, context.rng
    for name, title, color, npi in PROVIDERS:
        providers.add(store, name, title=title, color=color, npi=npi, now=context.now)
    rows, consents, seen = [], [], set()
    numbers = iter(rng.sample([(a, n) for a in AREA_CODES for n in range(100, 200)], 400))
    while len(rows) < 200:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 30000))
        if born >= context.today or (first, last) in seen:
            continue
        seen.add((first, last))
        area, line = next(numbers)
        prefers = rng.choices(["sms", "email", "phone", "none"], weights=[5, 3, 2, 1])[0]
        fields = {
            "name": f"{first} {last}",
            "dob": born.isoformat(),
            "sex": rng.choice(["female", "male"]) if rng.random() < 0.97 else "other",
            "phone": f"{area}-555-01{line % 100:02d}" if rng.random() < 0.92 else None,
            "email": _email(first, last, rng) if rng.random() < 0.75 else None,
            "prefers": prefers,
            "address": f"{rng.randint(1, 999)} {rng.choice(STREETS)}, Boston, MA",
            "insurance": rng.choice(
                [
                    "Blue Harbor PPO",
                    "Commonwealth Care",
                    "Medicare",
                    "Self-pay",
                    "Atlantic Health HMO",
                ]
            ),
        }
        row = core.clean(fields, region="US", today=context.today)
        rows.append(row)
        channels = [c for c in ("sms", "email", "phone") if rng.random() < 0.8]
        if prefers != "none" and prefers not in channels and rng.random() < 0.9:
            channels.append(prefers)
        consents.append(channels)
    ids = core.insert_rows(store, rows, context.now)
    for patient_id, channels in zip(ids, consents, strict=True):
        core.record_consent(
            store, patient_id, channels, True, "registration", context.user, context.now
        )


def _email(first: str, last: str, rng) -> str:
    from macli.patients.contact import fold

    local = f"{fold(first)}.{fold(last)}".replace(" ", "").replace("'", "")
    return f"{local}{rng.randint(1, 99)}@example.org"
