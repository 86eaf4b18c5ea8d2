"""Reminder rows for the large clinic: the demo's three rules and a year of history (the
clinic started sending reminders a year ago), about two reminders per appointment, up to
the bench clock: reminders already due for the coming two days are in the outbox too
(sent, or on today's call list), as the morning's cron run would have left them."""

from __future__ import annotations

from datetime import timedelta

from macli.remind import planner
from macli.when import from_utc_text, utc_text

RULES = [("email", 2 * 86400), ("sms", 86400), ("phone", 86400)]
BATCH = 50_000


def generate(store, rng, now, zone) -> None:
    stamp = utc_text(now - timedelta(days=366))
    today = now.astimezone(zone).date()
    # Visits up to the longest rule ahead may already have a reminder due.
    horizon = now + timedelta(seconds=max(seconds for _, seconds in RULES), days=1)
    with store.write():
        rule_ids = {
            channel: store.insert(
                "reminder_rules",
                {
                    "channel": channel,
                    "before_seconds": seconds,
                    "active": 1,
                    "created_at": stamp,
                    "created_by": "bench",
                },
            )
            for channel, seconds in RULES
        }
        # The bench patients all consented to sms and email; phone goes to those who prefer it.
        appointments = store.iterate(
            "SELECT a.id, a.patient_id, a.starts_at, p.email, p.phone, p.prefers"
            " FROM appointments a JOIN patients p ON p.id = a.patient_id"
            " WHERE a.status != 'cancelled' AND a.starts_at >= ? AND a.starts_at < ?"
            " ORDER BY a.starts_at",
            [stamp, utc_text(horizon)],
        )
        rows = []
        for appointment in appointments:
            starts = from_utc_text(appointment["starts_at"])
            for channel, seconds in RULES:
                if channel == "phone" and appointment["prefers"] != "phone":
                    continue
                due_at = planner.due_at(starts, seconds, zone)
                if due_at > now:
                    continue
                due = utc_text(due_at)
                if channel == "phone" and due_at.astimezone(zone).date() == today:
                    status, transport_id = "to-call", None  # staff call during the day
                elif channel == "phone":
                    status = rng.choice(["reached", "reached", "voicemail", "no-answer"])
                    transport_id = None
                else:
                    status = "sent" if rng.random() < 0.97 else "failed"
                    transport_id = (
                        f"<remind.{len(rows)}.{rng.getrandbits(64):016x}@clinic.example.org>"
                        if channel == "email"
                        else f"SM{rng.getrandbits(128):032x}"
                    )
                rows.append(
                    (
                        appointment["id"],
                        rule_ids[channel],
                        appointment["starts_at"],
                        appointment["patient_id"],
                        channel,
                        due,
                        status,
                        appointment[planner.ADDRESS[channel]],
                        transport_id if status == "sent" else None,
                        None if status != "failed" else "550 5.1.1 User unknown",
                        due,
                        due if status in ("sent", "reached") else None,
                        due,
                    )
                )
                if len(rows) >= BATCH:
                    _insert(store, rows)
                    rows = []
        _insert(store, rows)


def _insert(store, rows) -> None:
    store.conn.executemany(
        "INSERT INTO reminders (appointment_id, rule_id, starts_at, patient_id, channel, due_at,"
        " status, recipient, transport_id, error, claimed_at, sent_at, updated_at, updated_by,"
        " attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'cron', 1)",
        rows,
    )
