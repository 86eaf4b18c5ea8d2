"""Phone tables. A message is written once when it is taken; everything that happens to
it after (a hand-over, a callback attempt, closing, reopening) is one more row of the
append-only `phone_events`, so a closed message keeps its whole history."""

from macli.schema import append_only

RELATIONS = ("self", "parent", "spouse", "caregiver", "pharmacy", "lab", "other")
REASONS = (
    "appointment",
    "medication",
    "refill",
    "results",
    "billing",
    "symptoms",
    "records",
    "other",
)
OUTCOMES = ("reached", "voicemail", "no-answer", "wrong-number")
EVENT_KINDS = ("forward", "callback", "close", "reopen")


def _among(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def phone_001_messages(db):
    # for_provider_id NULL means the front desk. due_at is when the callback is due.
    db.execute(
        f"""
        CREATE TABLE phone_messages (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER REFERENCES patients (id),
            caller TEXT NOT NULL,
            relation TEXT NOT NULL CHECK ({_among("relation", RELATIONS)}),
            number TEXT NOT NULL,
            reason TEXT NOT NULL CHECK ({_among("reason", REASONS)}),
            note TEXT NOT NULL,
            for_provider_id INTEGER REFERENCES providers (id),
            urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
            emergency INTEGER NOT NULL CHECK (emergency IN (0, 1)),
            identity_verified INTEGER NOT NULL CHECK (identity_verified IN (0, 1)),
            due_at TEXT NOT NULL,
            taken_at TEXT NOT NULL,
            taken_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE INDEX phone_messages_patient ON phone_messages (patient_id, id)")
    db.execute("CREATE INDEX phone_messages_due ON phone_messages (due_at)")
    append_only(db, "phone_messages")
    # to_provider_id / to_front_desk say who a forward hands the message to; due_at on a
    # reopen is when the new callback is due; outcome is a callback's.
    db.execute(
        f"""
        CREATE TABLE phone_events (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES phone_messages (id),
            kind TEXT NOT NULL CHECK ({_among("kind", EVENT_KINDS)}),
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            to_provider_id INTEGER REFERENCES providers (id),
            outcome TEXT CHECK (outcome IS NULL OR {_among("outcome", OUTCOMES)}),
            due_at TEXT,
            note TEXT
        ) STRICT
        """
    )
    db.execute("CREATE INDEX phone_events_message ON phone_events (message_id, kind, id)")
    append_only(db, "phone_events")
    # The open messages, kept by phone.core beside each event (a cache of what the events
    # say, like stock's on_hand): the day sheet asks for overdue ones on every view, and
    # years of closed messages should not be read for it.
    db.execute(
        """
        CREATE TABLE phone_open (
            message_id INTEGER PRIMARY KEY REFERENCES phone_messages (id),
            due_at TEXT NOT NULL,
            for_provider_id INTEGER REFERENCES providers (id)
        ) STRICT
        """
    )
    db.execute("CREATE INDEX phone_open_due ON phone_open (due_at)")
    # The current state of each message, from its latest events.
    db.execute(
        """
        CREATE VIEW phone_current AS
        SELECT s.*, CASE WHEN s.forward_id IS NULL THEN s.for_provider_id
            ELSE (SELECT f.to_provider_id FROM phone_events f WHERE f.id = s.forward_id)
          END AS current_for_id
        FROM (
          SELECT m.*,
            COALESCE((SELECT e.kind = 'close' FROM phone_events e WHERE e.message_id = m.id
              AND e.kind IN ('close', 'reopen') ORDER BY e.id DESC LIMIT 1), 0) AS closed,
            (SELECT e.id FROM phone_events e WHERE e.message_id = m.id AND e.kind = 'forward'
              ORDER BY e.id DESC LIMIT 1) AS forward_id,
            COALESCE((SELECT e.due_at FROM phone_events e WHERE e.message_id = m.id
              AND e.kind = 'reopen' ORDER BY e.id DESC LIMIT 1), m.due_at) AS current_due_at,
            (SELECT COUNT(*) FROM phone_events e WHERE e.message_id = m.id
              AND e.kind = 'callback') AS attempts
          FROM phone_messages m
        ) s
        """
    )


MIGRATIONS = [phone_001_messages]
