"""Bank and card statements (CSV) into expenses, with a small rules file, and
re-imports that add nothing twice.

A statement row is known by a fingerprint: SHA-256 of its date, its amount as the
statement shows it, its description (case-folded, spaces collapsed) and how many
identical rows came before it on that day in the same file. Statements cover whole
days, so an overlapping statement repeats the same rows with the same counters and
their fingerprints are already in the store.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from macli import csvfile
from macli.errors import Invalid, MacliError
from macli.expense import categories
from macli.expense.core import check_fileable, get
from macli.expense.schema import METHODS
from macli.money import parse_amount
from macli.store import Store
from macli.text import clean as clean_input
from macli.when import utc_text

SKIP = "skip"
RULE_COLUMNS = ("pattern", "vendor", "category")


@dataclass(frozen=True)
class Rule:
    line: int
    pattern: re.Pattern
    vendor: str | None
    category: str | None  # a category name, SKIP, or None (leave uncategorized)


def parse_rules(store: Store, data: bytes) -> list[Rule]:
    """Read a rules file: CSV `pattern,vendor,category`, `#` comments, first match wins.

    A pattern is text found anywhere in the description, ignoring case, or `/regex/`.
    The category must exist; `skip` leaves matching rows out; empty leaves them
    uncategorized (the vendor is still set).
    """
    lines = csvfile.decode(data, "the rules file").splitlines()
    rules: list[Rule] = []
    header_seen = False
    for number, record in _numbered_csv(lines):
        if not header_seen:
            header = [cell.strip().lower() for cell in record]
            if tuple(header) != RULE_COLUMNS:
                raise Invalid(f"rules line {number}: the header must be {','.join(RULE_COLUMNS)}")
            header_seen = True
            continue
        if len(record) != 3:
            raise Invalid(f"rules line {number}: expected 3 fields, found {len(record)}")
        pattern_text, vendor, category = (cell.strip() for cell in record)
        if not pattern_text:
            raise Invalid(f"rules line {number}: the pattern is empty")
        try:
            if (
                len(pattern_text) > 2
                and pattern_text.startswith("/")
                and pattern_text.endswith("/")
            ):
                pattern = re.compile(pattern_text[1:-1], re.IGNORECASE)
            else:
                pattern = re.compile(re.escape(" ".join(pattern_text.split())), re.IGNORECASE)
        except re.error as error:
            raise Invalid(f"rules line {number}: bad regular expression: {error}") from error
        if category and category.lower() != SKIP:
            try:
                category = categories.resolve(
                    store, category, hint="create it with `macli expense category add`"
                )["name"]
            except MacliError as error:
                raise Invalid(f"rules line {number}: {error.message}") from error
        rules.append(
            Rule(number, pattern, vendor or None, (category.lower() if category else None))
        )
    if not header_seen:
        raise Invalid("the rules file is empty: expected the header pattern,vendor,category")
    return rules


def _numbered_csv(lines: list[str]):
    """(line number, fields) of each CSV line that is not blank or a # comment."""
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            yield number, next(csv.reader([line]))
        except csv.Error as error:
            raise Invalid(f"rules line {number}: {error}") from error


def match(rules: list[Rule], description: str) -> Rule | None:
    """The first rule whose pattern occurs in `description`."""
    text = " ".join(description.split())
    for rule in rules:
        if rule.pattern.search(text):
            return rule
    return None


def fingerprint(day: date, statement_cents: int, description: str, occurrence: int) -> str:
    """The identity of a statement row (see the module docstring)."""
    normal = " ".join(description.casefold().split())
    text = f"{day.isoformat()}|{statement_cents}|{normal}|{occurrence}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _column(header: list[str], wanted: str, option: str) -> int:
    """The index of a column given by header name (any case) or 1-based number."""
    wanted = wanted.strip()
    if wanted.isdigit():
        index = int(wanted) - 1
        if not 0 <= index < len(header):
            raise Invalid(f"line 1: {option} {wanted}: the file has {len(header)} columns")
        return index
    names = [name.strip().casefold() for name in header]
    if wanted.casefold() not in names:
        raise Invalid(
            f"line 1: no column {wanted!r} for {option}; the columns are: {', '.join(header)}"
        )
    return names.index(wanted.casefold())


def import_statement(
    store: Store,
    data: bytes,
    *,
    file_name: str,
    date_col: str,
    amount_col: str,
    desc_col: str,
    date_format: str = "%Y-%m-%d",
    negate: bool = False,
    method: str | None = "card",
    rules: list[Rule] | None = None,
    dry_run: bool = False,
    user: str,
    now: datetime,
) -> dict:
    """Import a statement in one transaction; a bad row stops it with its line number.

    Returns counts: added, uncategorized (of those added), already (imported before)
    and ignored (skipped by a rule or of zero amount).
    """
    if method is not None and method not in METHODS:
        raise Invalid(f"unknown payment method {method!r}; use one of {', '.join(METHODS)}")
    rules = rules or []
    reader = csvfile.reader(csvfile.decode(data, "the statement"))
    line = 1
    try:
        header = next(reader, None)
        if not header:
            raise Invalid("line 1: the file is empty; expected a header row")
        wanted = [
            _column(header, date_col, "--date-col"),
            _column(header, amount_col, "--amount-col"),
            _column(header, desc_col, "--desc-col"),
        ]
        parsed, seen, ignored = [], {}, 0
        for record in reader:
            # The line the record ends on (a quoted field may span lines); errors name it.
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) <= max(wanted):
                raise Invalid(f"has {len(record)} fields, the header has {len(header)}")
            day_text, amount_text, description = (record[i].strip() for i in wanted)
            try:
                day = datetime.strptime(day_text, date_format).date()
            except ValueError:
                raise Invalid(
                    f"cannot read date {day_text!r} with --date-format {date_format}"
                ) from None
            cents = parse_amount(amount_text)
            # A bank's text: control characters in it mean nothing and are dropped.
            description = " ".join(clean_input(description, "the description", strip=True).split())
            if not description:
                raise Invalid("the description is empty")
            key = (day, cents, description.casefold())
            seen[key] = seen.get(key, 0) + 1
            rule = match(rules, description)
            if cents == 0 or (rule and rule.category == SKIP):
                ignored += 1
                continue
            parsed.append(
                {
                    "fingerprint": fingerprint(day, cents, description, seen[key]),
                    "spent_on": day.isoformat(),
                    "amount_cents": -cents if negate else cents,
                    "memo": description,
                    "vendor": rule.vendor if rule else None,
                    "category": rule.category if rule and rule.category else None,
                }
            )
    except csv.Error as error:
        raise Invalid(f"line {reader.line_num}: {error}; nothing was imported") from error
    except MacliError as error:
        message = (
            error.message if error.message.startswith("line ") else f"line {line}: {error.message}"
        )
        raise Invalid(f"{message}; nothing was imported") from error
    return _write(
        store,
        parsed,
        file_name=file_name,
        data=data,
        ignored=ignored,
        method=method,
        dry_run=dry_run,
        user=user,
        now=now,
    )


class _DryRun(Exception):
    pass


def _write(store, parsed, *, file_name, data, ignored, method, dry_run, user, now) -> dict:
    counts = {"added": 0, "uncategorized": 0, "already": 0, "ignored": ignored}
    try:
        with store.write():
            known = _known_fingerprints(store, [row["fingerprint"] for row in parsed])
            fresh = [row for row in parsed if row["fingerprint"] not in known]
            counts["already"] = len(parsed) - len(fresh)
            counts["added"] = len(fresh)
            counts["uncategorized"] = sum(1 for row in fresh if row["category"] is None)
            import_id = store.insert(
                "expense_imports",
                {
                    "file_name": file_name,
                    "file_sha256": hashlib.sha256(data).hexdigest(),
                    "added": counts["added"],
                    "already": counts["already"],
                    "ignored": counts["ignored"],
                    "imported_at": utc_text(now),
                    "imported_by": user,
                },
            )
            category_ids = {
                row["name"]: row["id"]
                for row in store.query("SELECT id, name FROM expense_categories")
            }
            created_at = utc_text(now)
            store.conn.executemany(
                "INSERT INTO expenses (spent_on, amount_cents, category_id, vendor, memo, "
                "method, import_id, fingerprint, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        row["spent_on"],
                        row["amount_cents"],
                        category_ids[row["category"] or categories.UNCATEGORIZED],
                        row["vendor"],
                        row["memo"],
                        method,
                        import_id,
                        row["fingerprint"],
                        created_at,
                        user,
                    )
                    for row in fresh
                ],
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return counts


def _known_fingerprints(store: Store, fingerprints: list[str]) -> set[str]:
    known: set[str] = set()
    # Chunks stay under SQLite's limit on bound parameters.
    for start in range(0, len(fingerprints), 500):
        chunk = fingerprints[start : start + 500]
        known.update(
            row["fingerprint"]
            for row in store.query(
                "SELECT fingerprint FROM expenses WHERE fingerprint IN "
                f"({', '.join('?' for _ in chunk)})",
                chunk,
            )
        )
    return known


def apply_rules(store: Store, rules: list[Rule]) -> dict:
    """File uncategorized expenses whose description a rule matches; returns counts."""
    counts = {"filed": 0, "unmatched": 0}
    with store.write():
        uncategorized = categories.find(store, categories.UNCATEGORIZED)["id"]
        rows = store.query(
            "SELECT e.id, e.memo FROM expenses e WHERE e.category_id = ? ORDER BY e.id",
            [uncategorized],
        )
        for row in rows:
            rule = match(rules, row["memo"] or "")
            if rule is None or rule.category in (None, SKIP):
                counts["unmatched"] += 1
                continue
            try:
                check_fileable(get(store, row["id"]))
            except MacliError:
                counts["unmatched"] += 1
                continue
            store.execute(
                "UPDATE expenses SET category_id = ?, vendor = coalesce(?, vendor) WHERE id = ?",
                [categories.find(store, rule.category)["id"], rule.vendor, row["id"]],
            )
            counts["filed"] += 1
    return counts
