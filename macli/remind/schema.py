"""Reminder tables: the rules, the message templates and the outbox.

The outbox (`reminders`) holds one row per appointment, rule and appointment start:
the UNIQUE key is what makes a reminder go out once, and a new start (a reschedule)
is a new key, so the reminder is due again for the new time.
"""

CHANNELS = ("email", "sms", "phone")

# queued: claimed by a run, not tried yet. sending: handed to the server right now.
# deferred: a temporary failure; due again. to-call and the call outcomes: the phone list.
STATUSES = (
    "queued",
    "sending",
    "sent",
    "deferred",
    "failed",
    "unknown",
    "withdrawn",
    "to-call",
    "reached",
    "voicemail",
    "no-answer",
    "wrong-number",
)


def remind_001_reminders(db):
    db.execute(
        """
        CREATE TABLE reminder_rules (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'phone')),
            before_seconds INTEGER NOT NULL CHECK (before_seconds > 0),
            type_id INTEGER REFERENCES appointment_types (id),
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            removed_at TEXT,
            removed_by TEXT
        ) STRICT
        """
    )
    db.execute(
        "CREATE UNIQUE INDEX reminder_rules_active ON reminder_rules"
        " (channel, before_seconds, ifnull(type_id, 0)) WHERE active = 1"
    )
    db.execute(
        """
        CREATE TABLE reminder_templates (
            channel TEXT PRIMARY KEY CHECK (channel IN ('email', 'sms')),
            subject TEXT,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL
        ) STRICT
        """
    )
    statuses = ", ".join(f"'{status}'" for status in STATUSES)
    db.execute(
        f"""
        CREATE TABLE reminders (
            id INTEGER PRIMARY KEY,
            appointment_id INTEGER NOT NULL REFERENCES appointments (id),
            rule_id INTEGER NOT NULL REFERENCES reminder_rules (id),
            starts_at TEXT NOT NULL,        -- the appointment start this reminder is for (UTC)
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'phone')),
            due_at TEXT NOT NULL,           -- UTC instant the rule made it due
            status TEXT NOT NULL CHECK (status IN ({statuses})),
            recipient TEXT,                 -- the address or number used
            transport_id TEXT,              -- SMTP Message-ID or the SMS provider's message id
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,                     -- the last failure, as the server put it
            claimed_at TEXT NOT NULL,
            sent_at TEXT,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            UNIQUE (appointment_id, rule_id, starts_at)
        ) STRICT
        """
    )
    db.execute("CREATE INDEX reminders_status ON reminders (status)")
    db.execute("CREATE INDEX reminders_starts ON reminders (starts_at)")
    db.execute("CREATE INDEX reminders_updated ON reminders (updated_at)")
    db.execute("CREATE INDEX reminders_patient ON reminders (patient_id, updated_at)")


def remind_002_language_templates(db):
    # A clinic's templates per language (BCP 47 code, as patients.language holds it); a
    # patient without a template in their language gets the clinic's default one.
    db.execute(
        """
        CREATE TABLE reminder_language_templates (
            channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
            language TEXT NOT NULL,
            subject TEXT,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            PRIMARY KEY (channel, language)
        ) STRICT
        """
    )


MIGRATIONS = [remind_001_reminders, remind_002_language_templates]
