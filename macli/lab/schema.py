"""Lab tables. Orders and specimens carry their state (changed in one write, audited);
results, their analytes, reviews and notifications are append-only: a corrected result
is a new row that supersedes the earlier one, and both stay."""

from macli.schema import append_only


def lab_001_orders_results(db):
    db.execute(
        """
        CREATE TABLE lab_tests (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            loinc TEXT NOT NULL,
            specimen TEXT NOT NULL
                CHECK (specimen IN ('blood', 'urine', 'swab', 'stool', 'other')),
            container TEXT,
            lab TEXT,                          -- the reference lab; NULL for in-office tests
            turnaround_minutes INTEGER CHECK (turnaround_minutes > 0),
            poc INTEGER NOT NULL DEFAULT 0 CHECK (poc IN (0, 1)),
            kit_sku TEXT,                      -- stock item a point-of-care test uses up
            value_type TEXT NOT NULL DEFAULT 'numeric' CHECK (value_type IN ('numeric', 'text')),
            unit TEXT,
            reference_range TEXT,
            qc_levels TEXT,                    -- comma-separated control levels required
            qc_every TEXT CHECK (qc_every IN ('lot', 'daily', 'weekly')),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX lab_tests_name ON lab_tests (name COLLATE NOCASE)")
    db.execute("CREATE INDEX lab_tests_loinc ON lab_tests (loinc)")
    db.execute(
        """
        CREATE TABLE lab_orders (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            provider_id INTEGER REFERENCES providers (id),
            priority TEXT NOT NULL DEFAULT 'routine' CHECK (priority IN ('routine', 'stat')),
            fasting INTEGER NOT NULL DEFAULT 0 CHECK (fasting IN (0, 1)),
            appointment_id INTEGER REFERENCES appointments (id),
            note TEXT,
            poc INTEGER NOT NULL DEFAULT 0 CHECK (poc IN (0, 1)),
            ordered_at TEXT NOT NULL,
            ordered_by TEXT NOT NULL,
            cancelled_at TEXT,
            cancelled_by TEXT,
            cancel_reason TEXT
        ) STRICT
        """
    )
    db.execute("CREATE INDEX lab_orders_patient ON lab_orders (patient_id, id)")
    db.execute(
        """
        CREATE TABLE lab_specimens (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES lab_orders (id),
            specimen TEXT NOT NULL,
            container TEXT,
            lab TEXT,
            collected_at TEXT NOT NULL,
            collected_by TEXT NOT NULL,
            site TEXT,
            note TEXT,
            manifest_id INTEGER REFERENCES lab_manifests (id),
            sent_at TEXT
        ) STRICT
        """
    )
    db.execute("CREATE INDEX lab_specimens_order ON lab_specimens (order_id)")
    db.execute("CREATE INDEX lab_specimens_unsent ON lab_specimens (lab) WHERE sent_at IS NULL")
    db.execute(
        """
        CREATE TABLE lab_manifests (
            id INTEGER PRIMARY KEY,
            lab TEXT,
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            specimens INTEGER NOT NULL
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE lab_order_items (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES lab_orders (id),
            test_id INTEGER NOT NULL REFERENCES lab_tests (id),
            specimen_id INTEGER REFERENCES lab_specimens (id),
            -- the latest result (cache of lab_results, kept by a trigger)
            result_id INTEGER,
            result_status TEXT,
            -- what the latest result waits for: 'review', 'tell', or NULL (closed)
            follow_up TEXT CHECK (follow_up IN ('review', 'tell')),
            due_at TEXT                         -- when the result is expected
        ) STRICT
        """
    )
    db.execute("CREATE INDEX lab_order_items_order ON lab_order_items (order_id, test_id)")
    # `lab pending` reads only the items still waiting for a final result.
    db.execute(
        "CREATE INDEX lab_order_items_pending ON lab_order_items (due_at)"
        " WHERE result_status IS NULL OR result_status = 'preliminary'"
    )
    db.execute(
        "CREATE INDEX lab_order_items_follow_up ON lab_order_items (follow_up, result_id)"
        " WHERE follow_up IS NOT NULL"
    )
    db.execute(
        """
        CREATE TABLE lab_messages (
            id INTEGER PRIMARY KEY,
            control_id TEXT NOT NULL,           -- MSH-10
            file TEXT NOT NULL,
            number INTEGER NOT NULL,            -- the message's place in its file
            received_at TEXT NOT NULL,
            received_by TEXT NOT NULL,
            placer TEXT,                        -- ORC-2 / OBR-2 as sent
            patient_name TEXT,                  -- PID-5 as sent
            patient_dob TEXT,                   -- PID-7 as sent
            text TEXT NOT NULL,                 -- the message as received
            state TEXT NOT NULL CHECK (state IN ('attached', 'quarantined', 'matched')),
            reason TEXT,
            order_id INTEGER REFERENCES lab_orders (id),
            matched_at TEXT,
            matched_by TEXT,
            matched_why TEXT
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX lab_messages_control ON lab_messages (control_id)")
    db.execute(
        "CREATE INDEX lab_messages_quarantined ON lab_messages (id) WHERE state = 'quarantined'"
    )
    db.execute(
        """
        CREATE TABLE lab_results (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES lab_orders (id),
            item_id INTEGER NOT NULL REFERENCES lab_order_items (id),
            patient_id INTEGER NOT NULL REFERENCES patients (id),
            provider_id INTEGER REFERENCES providers (id),
            source TEXT NOT NULL CHECK (source IN ('hl7', 'manual', 'poc')),
            message_id INTEGER REFERENCES lab_messages (id),
            status TEXT NOT NULL CHECK (status IN ('preliminary', 'final', 'corrected')),
            supersedes INTEGER REFERENCES lab_results (id),
            observed_at TEXT NOT NULL,          -- when the specimen was taken or the test done
            reported_at TEXT NOT NULL,          -- when the lab released it
            recorded_at TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            abnormal INTEGER NOT NULL DEFAULT 0 CHECK (abnormal IN (0, 1)),
            critical INTEGER NOT NULL DEFAULT 0 CHECK (critical IN (0, 1)),
            interpretation TEXT,
            attachment TEXT REFERENCES blobs (sha256),  -- a tracing kept in the store (macli/blobs.py)
            attachment_name TEXT,
            kit_lot TEXT,
            override_why TEXT
        ) STRICT
        """
    )
    db.execute("CREATE INDEX lab_results_patient ON lab_results (patient_id, id)")
    db.execute("CREATE INDEX lab_results_item ON lab_results (item_id, id)")
    db.execute("CREATE INDEX lab_results_supersedes ON lab_results (supersedes) WHERE supersedes")
    append_only(db, "lab_results")
    db.execute(
        """
        CREATE TRIGGER lab_results_latest AFTER INSERT ON lab_results
        BEGIN
            UPDATE lab_order_items
            SET result_id = NEW.id, result_status = NEW.status, follow_up = 'review'
            WHERE id = NEW.item_id;
        END
        """
    )
    db.execute(
        """
        CREATE TABLE lab_observations (
            id INTEGER PRIMARY KEY,
            result_id INTEGER NOT NULL REFERENCES lab_results (id),
            loinc TEXT,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            numeric REAL,
            unit TEXT,
            reference_range TEXT,
            flag TEXT CHECK (flag IN ('L', 'H', 'LL', 'HH', 'A', 'N')),
            critical INTEGER NOT NULL DEFAULT 0 CHECK (critical IN (0, 1)),
            comment TEXT
        ) STRICT
        """
    )
    db.execute("CREATE INDEX lab_observations_result ON lab_observations (result_id)")
    append_only(db, "lab_observations")
    db.execute(
        """
        CREATE TABLE lab_reviews (
            id INTEGER PRIMARY KEY,
            result_id INTEGER NOT NULL REFERENCES lab_results (id),
            provider_id INTEGER NOT NULL REFERENCES providers (id),
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            comment TEXT,
            notify_needed INTEGER NOT NULL CHECK (notify_needed IN (0, 1))
        ) STRICT
        """
    )
    db.execute("CREATE INDEX lab_reviews_result ON lab_reviews (result_id)")
    append_only(db, "lab_reviews")
    # The inbox and the open list read lab_order_items.follow_up (indexed), kept here.
    db.execute(
        """
        CREATE TRIGGER lab_reviews_follow_up AFTER INSERT ON lab_reviews
        BEGIN
            UPDATE lab_order_items SET follow_up = CASE
                WHEN NEW.notify_needed = 1 AND NOT EXISTS
                    (SELECT 1 FROM lab_notifications n WHERE n.result_id = NEW.result_id)
                THEN 'tell' ELSE NULL END
            WHERE id = (SELECT item_id FROM lab_results WHERE id = NEW.result_id)
                AND result_id = NEW.result_id;
        END
        """
    )
    db.execute(
        """
        CREATE TABLE lab_notifications (
            id INTEGER PRIMARY KEY,
            result_id INTEGER NOT NULL REFERENCES lab_results (id),
            how TEXT NOT NULL CHECK (how IN ('phone', 'letter', 'portal', 'email', 'in-person')),
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            note TEXT
        ) STRICT
        """
    )
    db.execute("CREATE INDEX lab_notifications_result ON lab_notifications (result_id)")
    append_only(db, "lab_notifications")
    db.execute(
        """
        CREATE TRIGGER lab_notifications_follow_up AFTER INSERT ON lab_notifications
        BEGIN
            UPDATE lab_order_items SET follow_up = NULL
            WHERE id = (SELECT item_id FROM lab_results WHERE id = NEW.result_id)
                AND result_id = NEW.result_id AND follow_up = 'tell';
        END
        """
    )
    db.execute(
        """
        CREATE TABLE lab_controls (
            id INTEGER PRIMARY KEY,
            test_id INTEGER NOT NULL REFERENCES lab_tests (id),
            lot TEXT NOT NULL,
            level TEXT NOT NULL CHECK (level IN ('positive', 'negative', 'low', 'normal', 'high')),
            passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
            at TEXT NOT NULL,
            day TEXT NOT NULL,                  -- the clinic's local date of `at`
            user TEXT NOT NULL,
            note TEXT
        ) STRICT
        """
    )
    db.execute("CREATE INDEX lab_controls_test_lot ON lab_controls (test_id, lot, level, id)")
    append_only(db, "lab_controls")


MIGRATIONS = [lab_001_orders_results]
