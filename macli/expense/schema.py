"""Expense tables: categories, expenses (append-only apart from filing an uncategorized
row), receipts by content hash, statement imports and budgets."""

METHODS = ("cash", "card", "check", "transfer")
UNCATEGORIZED = "uncategorized"


def expense_001_expenses(db):
    db.execute(
        """
        CREATE TABLE expense_categories (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE         -- lower-case path: supplies:medical
        ) STRICT
        """
    )
    db.execute("INSERT INTO expense_categories (name) VALUES ('uncategorized')")
    db.execute(
        """
        CREATE TABLE expense_receipts (
            sha256 TEXT PRIMARY KEY,          -- hex digest of data: one copy per content
            data BLOB NOT NULL,
            size INTEGER NOT NULL
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE expense_imports (
            id INTEGER PRIMARY KEY,
            file_name TEXT NOT NULL,
            file_sha256 TEXT NOT NULL,
            added INTEGER NOT NULL,
            already INTEGER NOT NULL,         -- rows seen in an earlier import
            ignored INTEGER NOT NULL,         -- rows a rule said to skip, or zero amounts
            imported_at TEXT NOT NULL,
            imported_by TEXT NOT NULL
        ) STRICT
        """
    )
    db.execute(
        """
        CREATE TABLE expenses (
            id INTEGER PRIMARY KEY,
            spent_on TEXT NOT NULL,           -- local date YYYY-MM-DD
            amount_cents INTEGER NOT NULL CHECK (amount_cents != 0),  -- negative: refund
            category_id INTEGER NOT NULL REFERENCES expense_categories (id),
            vendor TEXT,
            memo TEXT,                        -- imports: the statement's description
            method TEXT CHECK (method IN ('cash', 'card', 'check', 'transfer')),
            receipt_sha256 TEXT REFERENCES expense_receipts (sha256),
            receipt_name TEXT,
            source TEXT,                      -- another area's row this came from ...
            source_id INTEGER,                -- ... e.g. stock_receipt 34
            import_id INTEGER REFERENCES expense_imports (id),
            fingerprint TEXT,                 -- statement row identity (re-imports skip it)
            voids_id INTEGER REFERENCES expenses (id),  -- this row reverses that one
            void_reason TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            CHECK ((voids_id IS NULL) = (void_reason IS NULL)),
            CHECK ((source IS NULL) = (source_id IS NULL))
        ) STRICT
        """
    )
    db.execute("CREATE INDEX expenses_spent_on ON expenses (spent_on, amount_cents)")
    db.execute("CREATE INDEX expenses_category ON expenses (category_id, spent_on, amount_cents)")
    db.execute("CREATE INDEX expenses_vendor ON expenses (vendor COLLATE NOCASE)")
    db.execute("CREATE UNIQUE INDEX expenses_fingerprint ON expenses (fingerprint)")
    db.execute("CREATE UNIQUE INDEX expenses_voids ON expenses (voids_id)")
    db.execute("CREATE UNIQUE INDEX expenses_source ON expenses (source, source_id)")
    # No deletes, and what was spent never changes: a mistake is voided by a reversing
    # entry. Only filing an uncategorized row (category, vendor) and attaching a
    # receipt later update a row.
    db.execute(
        "CREATE TRIGGER expenses_no_delete BEFORE DELETE ON expenses "
        "BEGIN SELECT RAISE(ABORT, 'expenses are never deleted; void them'); END"
    )
    db.execute(
        """
        CREATE TRIGGER expenses_fixed BEFORE UPDATE OF
            id, spent_on, amount_cents, memo, method, source, source_id, import_id,
            fingerprint, voids_id, void_reason, created_at, created_by
        ON expenses
        BEGIN SELECT RAISE(ABORT, 'an expense is fixed once recorded; void it'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER expenses_file_once BEFORE UPDATE OF category_id, vendor ON expenses
        WHEN OLD.category_id != (SELECT id FROM expense_categories WHERE name = 'uncategorized')
        BEGIN SELECT RAISE(ABORT, 'only an uncategorized expense can be filed'); END
        """
    )
    db.execute(
        """
        CREATE TRIGGER expenses_receipt_once BEFORE UPDATE OF receipt_sha256, receipt_name
        ON expenses WHEN OLD.receipt_sha256 IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'the expense already has a receipt'); END
        """
    )
    db.execute(
        """
        CREATE TABLE expense_budgets (
            category_id INTEGER PRIMARY KEY REFERENCES expense_categories (id),
            period TEXT NOT NULL CHECK (period IN ('monthly', 'yearly')),
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            set_at TEXT NOT NULL,
            set_by TEXT NOT NULL
        ) STRICT
        """
    )


def expense_002_receipts_in_blobs(db):
    # Receipts move into the store-wide blobs table (macli/blobs.py), which filed
    # documents and tracings share. `expenses.receipt_sha256` is rebuilt to point
    # there; the digests do not change, so every receipt reads back as before.
    db.execute(
        "INSERT INTO blobs (sha256, size, data) SELECT sha256, size, data FROM expense_receipts"
    )
    keep = [
        row[0]
        for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'expenses'"
            " AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid"
        ).fetchall()
    ]
    table_sql = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'expenses'"
    ).fetchone()[0]
    new_sql = table_sql.replace("REFERENCES expense_receipts (sha256)", "REFERENCES blobs (sha256)")
    if new_sql == table_sql:
        raise RuntimeError("expenses.receipt_sha256 does not reference expense_receipts")
    new_sql = new_sql.replace("CREATE TABLE expenses", "CREATE TABLE expenses_rebuilt", 1)
    new_sql = new_sql.replace("REFERENCES expenses (id)", "REFERENCES expenses_rebuilt (id)")
    db.execute(new_sql)
    db.execute("INSERT INTO expenses_rebuilt SELECT * FROM expenses")
    # Dropping runs an implicit DELETE that fires no trigger; nothing else points at
    # expenses, and its own voids_id links are whole again once the copy is renamed.
    db.execute("DROP TABLE expenses")
    db.execute("ALTER TABLE expenses_rebuilt RENAME TO expenses")
    for sql in keep:
        db.execute(sql)
    db.execute("DROP TABLE expense_receipts")


MIGRATIONS = [expense_001_expenses, expense_002_receipts_in_blobs]
