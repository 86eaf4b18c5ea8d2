"""Schedule tables. The appointment columns below are a contract other areas read
(remind, bill, today): add columns in new migrations, never rename or drop them."""

from macli.schema import append_only

# Statuses an appointment moves through; `cancelled` frees the slot, the rest hold it.
STATUSES = (
    "scheduled",
    "arrived",
    "in-room",
    "completed",
    "no-show",
    "left-without-visit",
    "cancelled",
)


def schedule_001_appointments(db):
    db["appointment_types"].create(
        {"id": int, "name": str, "duration_minutes": int, "active": int},
        pk="id",
        not_null={"name", "duration_minutes", "active"},
        defaults={"active": 1},
    )
    db.execute("CREATE UNIQUE INDEX appointment_types_name ON appointment_types (name)")
    db.execute(
        """
        CREATE TABLE appointments (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            provider_id INTEGER NOT NULL REFERENCES providers (id),
            type_id INTEGER REFERENCES appointment_types (id),
            starts_at TEXT NOT NULL,          -- UTC instant, 2026-12-01T14:30:00Z
            ends_at TEXT NOT NULL,            -- UTC instant, after starts_at
            room TEXT,
            reason TEXT,
            status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN (
                'scheduled', 'arrived', 'in-room', 'completed', 'no-show',
                'left-without-visit', 'cancelled')),
            status_at TEXT NOT NULL,          -- UTC instant of the last status change
            series_id INTEGER REFERENCES appointments (id),  -- first occurrence of a series
            cancel_reason TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK (ends_at > starts_at)
        ) STRICT
        """
    )
    db.execute("CREATE INDEX appointments_provider_start ON appointments (provider_id, starts_at)")
    db.execute("CREATE INDEX appointments_patient_start ON appointments (patient_id, starts_at)")
    db.execute("CREATE INDEX appointments_room_start ON appointments (room, starts_at)")
    db.execute("CREATE INDEX appointments_start ON appointments (starts_at)")
    db.execute("CREATE INDEX appointments_series ON appointments (series_id, starts_at)")


def schedule_002_hours_blocks_rooms(db):
    # Weekly working hours as local wall-clock times (HH:MM) of the clinic zone:
    # one row per provider, weekday (0 = Monday) and interval.
    db.execute(
        """
        CREATE TABLE working_hours (
            provider_id INTEGER NOT NULL REFERENCES providers (id),
            weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
            starts TEXT NOT NULL,
            ends TEXT NOT NULL,
            CHECK (ends > starts),
            PRIMARY KEY (provider_id, weekday, starts)
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE schedule_blocks (
            id INTEGER PRIMARY KEY,
            provider_id INTEGER NOT NULL REFERENCES providers (id),
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            reason TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            CHECK (ends_at > starts_at)
        ) STRICT
        """
    )
    db.execute("CREATE INDEX schedule_blocks_provider ON schedule_blocks (provider_id, ends_at)")
    db.execute(
        """
        CREATE TABLE rooms (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            active INTEGER NOT NULL DEFAULT 1
        ) STRICT
        """
    )
    # The domain part of every exported UID: random once per store, so UIDs stay
    # stable across exports and differ between clinics.
    db.execute(
        """
        CREATE TABLE schedule_calendar (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            uid_domain TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute(
        "INSERT INTO schedule_calendar (id, uid_domain)"
        " VALUES (1, lower(hex(randomblob(8))) || '.macli')"
    )


def schedule_003_status_corrections(db):
    # A completed visit is changed only as a correction with its reason, kept here.
    db.execute(
        """
        CREATE TABLE appointment_corrections (
            id INTEGER PRIMARY KEY,
            appointment_id INTEGER NOT NULL REFERENCES appointments (id),
            from_status TEXT NOT NULL,
            to_status TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            user TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute(
        "CREATE INDEX appointment_corrections_appointment"
        " ON appointment_corrections (appointment_id, id)"
    )
    append_only(db, "appointment_corrections")


MIGRATIONS = [
    schedule_001_appointments,
    schedule_002_hours_blocks_rooms,
    schedule_003_status_corrections,
]
