"""Phone rows for the large clinic: languages for one patient in twenty, representatives
for one in six, and ten years of phone messages (about 60,000, three events each) of
which the last days' are still open, as a busy desk would leave them."""

from __future__ import annotations

from datetime import timedelta

from macli.when import utc_text

YEARS = 10
MESSAGES_PER_DAY = 16
REASONS = ("appointment", "medication", "refill", "results", "billing", "records", "other")


def generate(store, rng, now, zone) -> None:
    patients = store.scalar("SELECT MAX(id) FROM patients")
    providers = [row["id"] for row in store.query("SELECT id FROM providers ORDER BY id")]
    with store.write():
        store.conn.executemany(
            "INSERT INTO languages (code, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [("es", "Spanish"), ("pt-BR", "Portuguese (Brazil)"), ("vi", "Vietnamese")],
        )
        store.conn.executemany(
            "UPDATE patients SET language = ?, interpreter = ? WHERE id = ?",
            [
                (rng.choice(("es", "es", "pt-BR", "vi")), int(rng.random() < 0.4), patient)
                for patient in range(1, patients + 1, 20)
            ],
        )
        store.conn.executemany(
            "INSERT INTO patient_contacts (patient_id, name, relation, phone, may_discuss,"
            " added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, 'bench')",
            [
                (
                    patient,
                    f"Contact {patient}",
                    rng.choice(("mother", "father", "spouse", "caregiver", "daughter")),
                    f"+1781555{rng.randint(0, 9999):04d}",
                    int(rng.random() < 0.8),
                    utc_text(now - timedelta(days=rng.randint(1, 3000))),
                )
                for patient in range(3, patients + 1, 6)
            ],
        )
        messages, events, still_open = [], [], []
        message_id = 0
        for day in range(YEARS * 365, -1, -1):
            for _ in range(MESSAGES_PER_DAY):
                message_id += 1
                taken = now - timedelta(days=day, minutes=rng.randint(30, 9 * 60))
                due = taken + timedelta(hours=rng.randint(1, 20))
                for_id = rng.choice(providers) if rng.random() < 0.5 else None
                messages.append(
                    (
                        message_id,
                        rng.randint(1, patients),
                        "Caller",
                        "self",
                        f"+1617555{rng.randint(0, 9999):04d}",
                        rng.choice(REASONS),
                        "Asks to be called back about the matter in the reason",
                        for_id,
                        0,
                        0,
                        1,
                        utc_text(due),
                        utc_text(taken),
                        "bench",
                    )
                )
                if day <= 1 and rng.random() < 0.6:
                    still_open.append((message_id, utc_text(due), for_id))
                    continue
                called = utc_text(taken + timedelta(hours=1))
                events.append((message_id, "callback", called, "reached", None))
                events.append((message_id, "close", called, None, "Answered"))
        store.conn.executemany(
            "INSERT INTO phone_messages (id, patient_id, caller, relation, number, reason, note,"
            " for_provider_id, urgent, emergency, identity_verified, due_at, taken_at, taken_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            messages,
        )
        store.conn.executemany(
            "INSERT INTO phone_events (message_id, kind, at, user, outcome, note)"
            " VALUES (?, ?, ?, 'bench', ?, ?)",
            events,
        )
        store.conn.executemany(
            "INSERT INTO phone_open (message_id, due_at, for_provider_id) VALUES (?, ?, ?)",
            still_open,
        )
