"""Demo providers and patients: made-up names, fictional 555-01xx numbers, example.org mail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from macli.patients import core, providers
from macli.when import localize, utc_text

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
# Massachusetts area codes and two of its neighbours' (patients from over the border);
# 555-0100 to 555-0199 are reserved for fiction in each.
AREA_CODES = ["617", "857", "781", "508", "978", "339", "351", "413", "774", "603", "401"]
PROVIDERS = [
    ("Dr. Maya Chen", "MD", "teal", "1234567893"),
    ("Dr. Samuel Okafor", "DO", "orange", None),
    ("Priya Natarajan", "NP", "purple", None),
]
# Names the demo gives to women (others to men), whatever their spelling elsewhere.
FEMALE_NAMES = {
    "Ana",
    "Maria",
    "Olivia",
    "Emma",
    "Sofía",
    "Mei",
    "Priya",
    "Amara",
    "Zoë",
    "Chloé",
    "Ingrid",
    "Leila",
    "Anya",
    "Yuki",
    "Fatima",
    "Grace",
    "Elena",
    "Isabella",
    "Ava",
    "Nadia",
    "Siobhán",
    "Camila",
    "Hannah",
    "Aisha",
    "Ruth",
    "Linh",
    "Lucía",
}
ZIP_CODES = ["02110", "02114", "02116", "02118", "02127", "02130", "02134"]
STREETS = ["Elm Street", "Harbor Road", "Maple Avenue", "Cedar Lane", "River Way", "Oak Court"]
# The practice's panel: enough people for three providers' days at a few visits a year each.
PANEL = 1200
# Patients who registered during the demo's year of history (each comes in first for a
# "new patient" visit), and the ones who called in the last two weeks (RECENT_DAYS).
NEWCOMERS = 130
RECENT_DAYS = 16
# Plans under 65; at 65 nearly everyone is on Medicare.
PLANS = ["Blue Harbor PPO", "Commonwealth Care", "Atlantic Health HMO", "Self-pay"]
PLAN_WEIGHTS = [4, 3, 3, 1]


def populate(context) -> None:
    """Providers and the practice's patients, registered over the years in MRN order."""
    store, rng, today = context.store, context.rng, context.today
    for name, title, color, npi in PROVIDERS:
        providers.add(store, name, title=title, color=color, npi=npi, now=context.now)
    people, seen = [], set()
    numbers = iter(rng.sample([(a, n) for a in AREA_CODES for n in range(100, 200)], 1100))
    while len(people) < PANEL:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 31000))
        if born >= today or (first, last) in seen:
            continue
        seen.add((first, last))
        number = next(numbers, None) if rng.random() < 0.8 else None
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        # Older patients would rather have a call than a text; the newest patients, who
        # phoned to register, asked to be called before their first visit.
        preferences = [2, 2, 5, 1] if age >= 65 else [5, 3, 1, 1]
        prefers = rng.choices(["sms", "email", "phone", "none"], weights=preferences)[0]
        if len(people) < RECENT_DAYS:
            prefers, number = "phone", number or next(numbers)
        insurance = (
            "Medicare"
            if age >= 65 and rng.random() < 0.95
            else rng.choices(PLANS, weights=PLAN_WEIGHTS)[0]
        )
        fields = {
            "name": f"{first} {last}",
            "dob": born.isoformat(),
            "sex": ("female" if first in FEMALE_NAMES else "male")
            if rng.random() < 0.98
            else "other",
            "phone": f"{number[0]}-555-0{number[1]}" if number else None,
            "email": _email(first, last, rng) if rng.random() < 0.75 else None,
            "prefers": prefers,
            "address": f"{rng.randint(1, 999)} {rng.choice(STREETS)}, Boston, MA"
            f" {rng.choice(ZIP_CODES)}",
            "insurance": insurance,
        }
        channels = [c for c in ("sms", "email", "phone") if rng.random() < 0.8]
        if prefers != "none" and prefers not in channels and rng.random() < 0.9:
            channels.append(prefers)
        if len(people) < RECENT_DAYS and "phone" not in channels:
            channels.append("phone")
        people.append((_registered(context, born, len(people)), fields, channels))
    # MRNs follow registration: the longest-standing patients have the lowest numbers.
    people.sort(key=lambda person: person[0])
    rows = [core.clean(fields, region="US", today=today) for _, fields, _ in people]
    ids = core.insert_rows(store, rows, context.now)
    for patient_id, (registered, _, channels) in zip(ids, people, strict=True):
        core.record_consent(
            store, patient_id, channels, True, "registration", context.user, registered
        )
    store.conn.executemany(
        "UPDATE patients SET created_at = ?, updated_at = ? WHERE id = ?",
        [
            (utc_text(registered), utc_text(registered), patient_id)
            for patient_id, (registered, _, _) in zip(ids, people, strict=True)
        ],
    )


def _registered(context, born: date, number: int) -> datetime:
    """When a patient registered: NEWCOMERS during the last year (the last few in the last
    RECENT_DAYS), everyone else at least two years ago, so that the visit before the
    demo's year on record (schedule demo) was not their first; never before birth."""
    rng, today = context.rng, context.today
    if number < RECENT_DAYS:
        day = today - timedelta(days=RECENT_DAYS - number)
    elif number < NEWCOMERS or (today - born).days < 2 * 365:
        day = today - timedelta(days=rng.randint(RECENT_DAYS + 1, 364))
    else:
        day = today - timedelta(days=rng.randint(2 * 365, 12 * 365))
    day = max(day, born + timedelta(days=rng.randint(2, 20)))
    if day >= today:  # born in the last few days: registered yesterday
        day = today - timedelta(days=1)
    moment = datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))))
    return localize(moment, context.zone)


def _email(first: str, last: str, rng) -> str:
    from macli.identifiers import fold

    local = f"{fold(first)}.{fold(last)}".replace(" ", "").replace("'", "")
    return f"{local}{rng.randint(1, 99)}@example.org"
