"""Procedure tables: the types a clinic performs, which one an appointment is, and the
safety checklist done for it.

The checklist is append-only: a step is a row with its answers, who and when; a wrong
step is corrected by a new row that `amends` it, with a reason. What sign-out used is
kept where it happened: the tray in stock's ledger, the packs in qc's pack uses, the
specimen in the lab's orders; the sign-out row names the stock operation and the order.
"""

from macli.schema import append_only


def procedure_001_types_plans_steps(db):
    db.execute(
        """
        CREATE TABLE procedure_types (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            kit TEXT,                          -- a stock kit's name: the tray
            pack_types TEXT NOT NULL DEFAULT '[]',  -- JSON list of qc pack types needed
            consent TEXT NOT NULL CHECK (consent IN ('required', 'none')),
            specimen_test_id INTEGER REFERENCES lab_tests (id),
            appointment_type_id INTEGER REFERENCES appointment_types (id),
            lateral INTEGER NOT NULL DEFAULT 0 CHECK (lateral IN (0, 1)),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX procedure_types_name ON procedure_types (name COLLATE NOCASE)")
    db.execute(
        """
        CREATE TABLE procedure_plans (
            appointment_id INTEGER PRIMARY KEY REFERENCES appointments (id),
            type_id INTEGER NOT NULL REFERENCES procedure_types (id),
            site TEXT,
            planned_at TEXT NOT NULL,
            planned_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE procedure_steps (
            id INTEGER PRIMARY KEY,
            appointment_id INTEGER NOT NULL REFERENCES procedure_plans (appointment_id),
            step TEXT NOT NULL CHECK (step IN ('sign-in', 'time-out', 'sign-out')),
            answers TEXT NOT NULL,             -- JSON: what was confirmed, and the site
            note TEXT,
            stock_op INTEGER,                  -- sign-out: the stock operation of the tray
            lab_order_id INTEGER REFERENCES lab_orders (id),
            packs TEXT NOT NULL DEFAULT '[]',  -- sign-out: JSON list of pack codes opened
            override_why TEXT,                 -- a pack used that may not be (emergency)
            amends INTEGER REFERENCES procedure_steps (id),
            reason TEXT,
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            CHECK ((amends IS NULL) = (reason IS NULL))
        ) STRICT
        """
    )
    db.execute("CREATE INDEX procedure_steps_appointment ON procedure_steps (appointment_id, id)")
    append_only(db, "procedure_steps")


MIGRATIONS = [procedure_001_types_plans_steps]
