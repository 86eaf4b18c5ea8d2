"""Stock tables. Every change of a quantity is one row of the append-only `stock_ledger`;
`stock_lots.on_hand` is a cache of the ledger sum per lot, kept by a trigger on the
ledger (so no code path can forget it) and never allowed below zero."""

from macli.schema import append_only, refuse_replace

KINDS = ("receive", "use", "count", "discard")


def stock_001_ledger(db):
    db.execute(
        """
        CREATE TABLE stock_items (
            id INTEGER PRIMARY KEY,
            sku TEXT NOT NULL,
            name TEXT NOT NULL,
            unit TEXT NOT NULL,               -- quantities are whole units of this
            category TEXT NOT NULL DEFAULT 'medical',
            reorder_at INTEGER CHECK (reorder_at >= 0),
            reorder_qty INTEGER CHECK (reorder_qty > 0),
            supplier TEXT,
            location TEXT,
            perishable INTEGER NOT NULL DEFAULT 1 CHECK (perishable IN (0, 1)),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX stock_items_sku ON stock_items (sku COLLATE NOCASE)")
    db.execute(
        """
        CREATE TABLE stock_lots (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES stock_items (id),
            lot TEXT NOT NULL,
            expires TEXT,                     -- local date; usable to the end of that day
            on_hand INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
            cost_cents INTEGER NOT NULL DEFAULT 0,      -- paid for the costed units received
            costed_quantity INTEGER NOT NULL DEFAULT 0, -- units received with a known cost
            created_at TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute(
        "CREATE UNIQUE INDEX stock_lots_item_lot ON stock_lots (item_id, lot COLLATE NOCASE)"
    )
    db.execute("CREATE INDEX stock_lots_lot ON stock_lots (lot COLLATE NOCASE)")
    # Reports and FEFO only ever look at lots that still hold something.
    db.execute(
        "CREATE INDEX stock_lots_open ON stock_lots (item_id, expires, on_hand) WHERE on_hand > 0"
    )
    db.execute(
        """
        CREATE TABLE stock_kits (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX stock_kits_name ON stock_kits (name COLLATE NOCASE)")
    db.execute(
        """
        CREATE TABLE stock_kit_items (
            kit_id INTEGER NOT NULL REFERENCES stock_kits (id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES stock_items (id),
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            PRIMARY KEY (kit_id, item_id)
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE stock_ledger (
            id INTEGER PRIMARY KEY,
            op INTEGER NOT NULL,              -- id of the first row the same command wrote
            at TEXT NOT NULL,                 -- UTC instant
            day TEXT NOT NULL,                -- the clinic's local date of `at`
            kind TEXT NOT NULL CHECK (kind IN ('receive', 'use', 'count', 'discard')),
            item_id INTEGER NOT NULL REFERENCES stock_items (id),
            lot_id INTEGER NOT NULL REFERENCES stock_lots (id),
            quantity INTEGER NOT NULL,        -- signed change of the lot's on-hand
            counted INTEGER,                  -- count: the physical figure recorded
            cost_cents INTEGER,               -- receive: the total paid for `quantity`
            supplier TEXT,
            invoice TEXT,
            expense_id INTEGER,               -- receive: the expense it was booked as
            patient_id INTEGER REFERENCES patients (id),
            kit TEXT,                         -- use: the kit this row was part of
            reason TEXT,
            note TEXT,
            user TEXT NOT NULL,
            CHECK (kind = 'count' OR quantity != 0),
            CHECK (kind != 'receive' OR quantity > 0),
            CHECK (kind NOT IN ('use', 'discard') OR quantity < 0),
            CHECK (cost_cents IS NULL OR (kind = 'receive' AND cost_cents >= 0))
        ) STRICT
        """
    )
    db.execute("CREATE INDEX stock_ledger_item ON stock_ledger (item_id, id)")
    db.execute("CREATE INDEX stock_ledger_lot ON stock_ledger (lot_id, id)")
    db.execute("CREATE INDEX stock_ledger_patient ON stock_ledger (patient_id) WHERE patient_id")
    db.execute("CREATE INDEX stock_ledger_usage ON stock_ledger (kind, day, item_id, quantity)")
    append_only(db, "stock_ledger")
    db.execute(
        """
        CREATE TRIGGER stock_ledger_same_item BEFORE INSERT ON stock_ledger
        WHEN (SELECT item_id FROM stock_lots WHERE id = NEW.lot_id) IS NOT NEW.item_id
        BEGIN SELECT RAISE(ABORT, 'stock_ledger row names a lot of another item'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER stock_ledger_on_hand AFTER INSERT ON stock_ledger
        BEGIN
            UPDATE stock_lots SET
                on_hand = on_hand + NEW.quantity,
                cost_cents = cost_cents + coalesce(NEW.cost_cents, 0),
                costed_quantity = costed_quantity
                    + CASE WHEN NEW.cost_cents IS NULL THEN 0 ELSE NEW.quantity END
            WHERE id = NEW.lot_id;
        END
        """
    )


def stock_002_holds(db):
    # A hold keeps a lot from being used until it is ended: a temperature excursion of
    # the unit it is stored in, or a supplier's recall. It is ended once (released as
    # usable, or discarded) and never deleted; only a still-open hold's `reason` may be
    # rewritten, when the excursion that placed it grows.
    db.execute(
        """
        CREATE TABLE stock_holds (
            id INTEGER PRIMARY KEY,
            lot_id INTEGER NOT NULL REFERENCES stock_lots (id),
            kind TEXT NOT NULL CHECK (kind IN ('excursion', 'recall')),
            source_id INTEGER,                -- excursion: the qc_excursions id
            reason TEXT NOT NULL,             -- what the refusal says after DO NOT USE:
            placed_at TEXT NOT NULL,
            placed_by TEXT NOT NULL,
            ended_at TEXT,
            ended_by TEXT,
            outcome TEXT CHECK (outcome IN ('released', 'discarded')),
            why TEXT,
            CHECK ((ended_at IS NULL) = (outcome IS NULL))
        ) STRICT
        """
    )
    db.execute("CREATE INDEX stock_holds_open ON stock_holds (lot_id) WHERE ended_at IS NULL")
    db.execute("CREATE INDEX stock_holds_source ON stock_holds (kind, source_id, lot_id)")
    db.execute(
        "CREATE TRIGGER stock_holds_no_delete BEFORE DELETE ON stock_holds "
        "BEGIN SELECT RAISE(ABORT, 'stock_holds is append-only'); END"
    )
    db.execute(
        """
        CREATE TRIGGER stock_holds_once BEFORE UPDATE ON stock_holds
        WHEN OLD.ended_at IS NOT NULL OR NEW.lot_id IS NOT OLD.lot_id
            OR NEW.kind IS NOT OLD.kind OR NEW.source_id IS NOT OLD.source_id
            OR NEW.placed_at IS NOT OLD.placed_at OR NEW.placed_by IS NOT OLD.placed_by
        BEGIN SELECT RAISE(ABORT, 'a stock hold is ended once and keeps its origin'); END
        """
    )
    refuse_replace(db, "stock_holds")


def stock_003_rooms(db):
    # Rooms kept stocked (exam rooms, the procedure room). A lot's `on_hand` stays the
    # whole clinic's figure; `stock_room_lots` says how much of it sits in each room, and
    # the rest is in the item's own location (the closet) as before rooms existed. Moves
    # between places are their own append-only table, since they change no lot's total;
    # a use or count in a room is a ledger row naming the room.
    db.execute(
        """
        CREATE TABLE stock_rooms (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute("CREATE UNIQUE INDEX stock_rooms_name ON stock_rooms (name COLLATE NOCASE)")
    db.execute(
        """
        CREATE TABLE stock_pars (
            room_id INTEGER NOT NULL REFERENCES stock_rooms (id),
            item_id INTEGER NOT NULL REFERENCES stock_items (id),
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            set_at TEXT NOT NULL,
            set_by TEXT NOT NULL,
            PRIMARY KEY (room_id, item_id)
        ) STRICT
        """
    )
    db.execute("ALTER TABLE stock_ledger ADD COLUMN room_id INTEGER REFERENCES stock_rooms (id)")
    db.execute(
        "CREATE INDEX stock_ledger_room ON stock_ledger (room_id, item_id, kind, id)"
        " WHERE room_id IS NOT NULL"
    )
    db.execute(
        """
        CREATE TABLE stock_moves (
            id INTEGER PRIMARY KEY,
            op INTEGER NOT NULL,              -- id of the first row the same command wrote
            at TEXT NOT NULL,
            day TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES stock_items (id),
            lot_id INTEGER NOT NULL REFERENCES stock_lots (id),
            from_room_id INTEGER REFERENCES stock_rooms (id),   -- NULL: the closet
            to_room_id INTEGER REFERENCES stock_rooms (id),     -- NULL: the closet
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            note TEXT,
            user TEXT NOT NULL,
            CHECK (from_room_id IS NOT to_room_id)
        ) STRICT
        """
    )
    db.execute("CREATE INDEX stock_moves_to ON stock_moves (to_room_id, item_id, id)")
    append_only(db, "stock_moves")
    db.execute(
        """
        CREATE TABLE stock_room_lots (
            room_id INTEGER NOT NULL REFERENCES stock_rooms (id),
            lot_id INTEGER NOT NULL REFERENCES stock_lots (id),
            item_id INTEGER NOT NULL REFERENCES stock_items (id),
            on_hand INTEGER NOT NULL CHECK (on_hand >= 0),
            PRIMARY KEY (room_id, lot_id)
        ) STRICT
        """
    )
    db.execute("CREATE INDEX stock_room_lots_lot ON stock_room_lots (lot_id, on_hand)")
    db.execute("CREATE INDEX stock_room_lots_item ON stock_room_lots (item_id, room_id)")
    # The closet holds a lot's on_hand less what the rooms hold; no write may take the
    # closet below zero (the commands refuse first, with a message; this is the floor).
    db.execute(
        """
        CREATE TRIGGER stock_ledger_closet_floor BEFORE INSERT ON stock_ledger
        WHEN NEW.room_id IS NULL AND NEW.quantity < 0
            AND EXISTS (SELECT 1 FROM stock_room_lots WHERE lot_id = NEW.lot_id
                AND on_hand > 0)
            AND (SELECT on_hand FROM stock_lots WHERE id = NEW.lot_id) + NEW.quantity
                < (SELECT coalesce(SUM(on_hand), 0) FROM stock_room_lots
                   WHERE lot_id = NEW.lot_id)
        BEGIN SELECT RAISE(ABORT, 'stock_ledger row takes units the closet does not hold'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER stock_moves_closet_floor BEFORE INSERT ON stock_moves
        WHEN NEW.from_room_id IS NULL
            AND (SELECT on_hand FROM stock_lots WHERE id = NEW.lot_id) - NEW.quantity
                < (SELECT coalesce(SUM(on_hand), 0) FROM stock_room_lots
                   WHERE lot_id = NEW.lot_id)
        BEGIN SELECT RAISE(ABORT, 'stock_moves row takes units the closet does not hold'); END
        """
    )
    # The cache row is made at zero, then changed, so its CHECK sees the result: an
    # upsert would check the (negative) change itself.
    db.execute(
        """
        CREATE TRIGGER stock_ledger_room_on_hand AFTER INSERT ON stock_ledger
        WHEN NEW.room_id IS NOT NULL
        BEGIN
            INSERT OR IGNORE INTO stock_room_lots (room_id, lot_id, item_id, on_hand)
                VALUES (NEW.room_id, NEW.lot_id, NEW.item_id, 0);
            UPDATE stock_room_lots SET on_hand = on_hand + NEW.quantity
                WHERE room_id = NEW.room_id AND lot_id = NEW.lot_id;
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER stock_moves_room_on_hand AFTER INSERT ON stock_moves
        BEGIN
            INSERT OR IGNORE INTO stock_room_lots (room_id, lot_id, item_id, on_hand)
                SELECT NEW.to_room_id, NEW.lot_id, NEW.item_id, 0
                WHERE NEW.to_room_id IS NOT NULL;
            UPDATE stock_room_lots SET on_hand = on_hand + NEW.quantity
                WHERE room_id = NEW.to_room_id AND lot_id = NEW.lot_id;
            UPDATE stock_room_lots SET on_hand = on_hand - NEW.quantity
                WHERE room_id = NEW.from_room_id AND lot_id = NEW.lot_id;
            SELECT RAISE(ABORT, 'stock_moves row takes units the room does not hold')
                WHERE NEW.from_room_id IS NOT NULL AND NOT EXISTS (SELECT 1
                    FROM stock_room_lots WHERE room_id = NEW.from_room_id
                    AND lot_id = NEW.lot_id);
        END
        """
    )


MIGRATIONS = [stock_001_ledger, stock_002_holds, stock_003_rooms]
