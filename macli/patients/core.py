"""Patients: registration, look-up by MRN or name, edits, consent, CSV import and export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from macli import audit, csvfile
from macli.errors import Conflict, Invalid, NotFound
from macli.identifiers import email_address, fold, mrn_for, phone_e164
from macli.patients.contact import CHANNELS, channel_list, person_name
from macli.store import Store
from macli.text import clean as clean_input
from macli.when import parse_date, utc_text

SEXES = ("female", "male", "other", "unknown")
PREFERENCES = ("sms", "email", "phone", "none")
FIELDS = ("name", "dob", "sex", "phone", "email", "prefers", "address", "insurance")
LANGUAGE_FIELDS = ("language", "interpreter")
IMPORT_COLUMNS = (*FIELDS, "consent")
LIST_COLUMNS = ("mrn", "name", "dob", "sex", "phone", "email", "prefers")
FIND_COLUMNS = ("mrn", "name", "dob", "phone")
_SEX_ALIASES = {"f": "female", "m": "male", "o": "other", "u": "unknown", "x": "other"}


def _claim_name(text: str) -> str:
    """A name in Latin letters for claims (X12 carries no other script)."""
    from macli.text import ascii_form

    name = person_name(text)[0]
    lost = ascii_form(name)[1]
    if lost:
        raise Invalid(
            f"a claim name is written in Latin letters, as on the insurance card "
            f"({lost!r} cannot go on a claim): e.g. --claim-name 'Wang Wei'"
        )
    return name


def clean(values: dict, *, region: str, today: date) -> dict:
    """Validate and normalise patient fields; only the keys given are returned."""
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
        if key == "name":
            out["name"], out["first_name"] = person_name(value)
            out["search_name"] = fold(out["name"])
        elif key == "dob":
            born = parse_date(value)
            if born > today:
                raise Invalid(f"date of birth {born} is in the future")
            if born.year < 1880:
                raise Invalid(f"date of birth {born} is too far in the past")
            out["dob"] = born.isoformat()
        elif key == "sex":
            sex = _SEX_ALIASES.get(value.lower(), value.lower())
            if sex not in SEXES:
                raise Invalid(f"unknown sex {value!r} (use {', '.join(SEXES)})")
            out["sex"] = sex
        elif key == "phone":
            out["phone"] = phone_e164(value, region) if value else None
        elif key == "email":
            out["email"] = email_address(value) if value else None
        elif key == "prefers":
            prefers = value.lower() or "none"
            if prefers not in PREFERENCES:
                raise Invalid(
                    f"unknown contact preference {value!r} (use {', '.join(PREFERENCES)})"
                )
            out["prefers"] = prefers
        elif key == "claim_name":
            out[key] = _claim_name(value) if value else None
        elif key == "language":
            from macli.patients.language import check

            out["language"], out["language_name"] = check(value) if value else (None, None)
        elif key == "interpreter":
            out["interpreter"] = int(bool(value))
        elif key in ("address", "insurance"):
            out[key] = clean_input(value, f"the {key}") or None
        else:
            raise Invalid(f"unknown patient field {key!r}")
    return out


# Older than this at registration is far more likely a mistyped year (1890 for 1990).
OLDEST_LIKELY = 110


def add(
    store: Store,
    fields: dict,
    *,
    consent: str | None = None,
    region: str,
    user: str,
    now: datetime,
    today: date,
    allow_duplicate: bool = False,
    confirm: bool = False,
) -> dict:
    """Register a patient (with consent given at registration) and return the new row.
    A date of birth making the patient older than OLDEST_LIKELY needs `confirm`."""
    if not fields.get("name") or not fields.get("dob"):
        raise Invalid("a patient needs a name and a date of birth")
    row = clean(fields, region=region, today=today)
    born = date.fromisoformat(row["dob"])
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age > OLDEST_LIKELY and not confirm:
        raise Invalid(
            f"date of birth {born} makes the patient {age}; check it (a typo for"
            f" {born.year + 100}?), or add --confirm to register it"
        )
    channels = channel_list(consent) if consent else []
    with store.write():
        if not allow_duplicate:
            twin = store.one(
                "SELECT mrn FROM patients WHERE search_name = ? AND dob = ?",
                [row["search_name"], row["dob"]],
            )
            if twin:
                raise Conflict(
                    f"{row['name']}, born {row['dob']}, is already registered as {twin['mrn']} "
                    "(use --allow-duplicate if this is a different person)"
                )
        patient_id = insert_rows(store, [row], now)[0]
        record_consent(store, patient_id, channels, True, "registration", user, now)
        audit.record(store, user=user, action="patient.add", now=now, patient_id=patient_id)
    return get(store, patient_id)


def insert_rows(store: Store, rows: list[dict], now: datetime) -> list[int]:
    """Insert cleaned patient rows (inside a write) and return their new ids."""
    # Ids are taken under the write lock so each MRN can be written with its row.
    first = (store.scalar("SELECT MAX(id) FROM patients") or 0) + 1
    stamp = utc_text(now)
    ids = list(range(first, first + len(rows)))
    for row in rows:
        keep_language(store, row)
    store.conn.executemany(
        "INSERT INTO patients (id, mrn, name, first_name, search_name, dob, sex, phone, email,"
        " prefers, address, insurance, language, interpreter, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                patient_id,
                mrn_for(patient_id),
                row["name"],
                row["first_name"],
                row["search_name"],
                row["dob"],
                row.get("sex", "unknown"),
                row.get("phone"),
                row.get("email"),
                row.get("prefers", "none"),
                row.get("address"),
                row.get("insurance"),
                row.get("language"),
                row.get("interpreter", 0),
                stamp,
                stamp,
            )
            for patient_id, row in zip(ids, rows, strict=True)
        ],
    )
    index_names(store, first, first + len(rows) - 1)
    return ids


def index_names(store: Store, first_id: int, last_id: int) -> None:
    """Add patients `first_id..last_id` to the name index `patient_find` searches (inside
    a write; a writer that inserts patients without insert_rows calls this after)."""
    store.execute(
        "INSERT INTO patient_names (rowid, search_name)"
        " SELECT id, search_name FROM patients WHERE id BETWEEN ? AND ?",
        [first_id, last_id],
    )


def keep_language(store: Store, row: dict) -> None:
    """Keep the name of a cleaned row's language (inside a write); drops it from the row."""
    name = row.pop("language_name", None)
    if row.get("language") and name:
        store.execute(
            "INSERT INTO languages (code, name) VALUES (?, ?) ON CONFLICT (code) DO NOTHING",
            [row["language"], name],
        )


def record_consent(store, patient_id, channels, granted, source, user, now) -> None:
    """Append consent given or withdrawn for each channel (inside a write)."""
    store.conn.executemany(
        "INSERT INTO patient_consents (patient_id, channel, granted, at, source, user)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(patient_id, channel, int(granted), utc_text(now), source, user) for channel in channels],
    )


def get(store: Store, patient_id: int) -> dict:
    """One patient row by internal id."""
    row = store.one("SELECT * FROM patients WHERE id = ?", [patient_id])
    if row is None:
        raise NotFound(f"no patient with id {patient_id}")
    return row


def contains_pattern(text: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') matching `text` anywhere, wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def resolve(store: Store, reference: str, *, today: date | None = None) -> dict:
    """The one patient a reference points at: an MRN, name words, a phone number (or its
    last digits), a date of birth, or a mix ("garcia 1984-03-02"); ambiguity is an error
    that lists the candidates."""
    from macli.patients import find

    text = " ".join(str(reference).split())
    if not text:
        raise Invalid("no patient given (use an MRN, a name, a phone number or a date of birth)")
    if text[0] in "pP" and text[1:].isdigit():
        row = store.one("SELECT * FROM patients WHERE mrn = ?", [text.upper()])
        if row is None:
            raise NotFound(f"no patient with MRN {text.upper()}")
        return row
    query = find.parse(text, date_order=_date_order(store), today=today)
    rows = find.matching(store, query, limit=10)
    if not rows and query.kinds == ["name"]:
        # Word prefixes found nothing: a fragment from inside a name ("arcí") still counts.
        rows = store.query(
            "SELECT * FROM patients WHERE search_name LIKE ? ESCAPE '\\'"
            " ORDER BY search_name, id LIMIT 11",
            [contains_pattern(fold(text))],
        )
    if len(rows) == 1:
        return rows[0]
    exact = [row for row in rows if row["search_name"] == fold(text)]
    if len(exact) == 1:
        return exact[0]
    if not rows:
        raise NotFound(f"no patient matches {text!r}")
    raise Invalid(f"{text!r} matches several patients: {candidates_text(rows)}. Use the MRN.")


def candidates_text(rows: list[dict]) -> str:
    """`Ana García (P000001, born 1984-03-02); ...` for the first ten, `and more` after."""
    shown = "; ".join(f"{r['name']} ({r['mrn']}, born {r['dob']})" for r in rows[:10])
    return shown + (" and more" if len(rows) > 10 else "")


def find_patients(
    store: Store, text: str, *, user: str, now: datetime, today: date, limit: int = 20
) -> dict:
    """Patients matching what a caller said (`patient find`): rows (at most `limit`),
    whether there were more, and what the text was read as. The look-up is audited."""
    from macli.patients import find

    query = find.parse(text, date_order=_date_order(store), today=today)
    rows = find.matching(store, query, limit=limit)
    more = len(rows) > limit
    rows = rows[:limit]
    audit.record(
        store,
        user=user,
        action="patient.find",
        now=now,
        patient_id=rows[0]["id"] if len(rows) == 1 else None,
        detail=f"by={'+'.join(query.kinds)} rows={len(rows)}{'+' if more else ''}",
    )
    return {"rows": rows, "more": more, "kinds": query.kinds}


def _date_order(store: Store) -> str:
    from macli import settings

    return settings.get(store, "clinic.date_order")


def search(
    store: Store, text: str | None, *, user: str, now: datetime, limit: int = 0
) -> list[dict]:
    """Patients whose name, MRN, phone or e-mail contains `text` (all when empty)."""
    return [
        dict(zip(LIST_COLUMNS, row, strict=True))
        for row in search_rows(store, text, user=user, now=now, limit=limit)
    ]


def search_rows(
    store: Store, text: str | None, *, user: str, now: datetime, limit: int = 0
) -> Iterator[tuple]:
    """`search` as tuples in LIST_COLUMNS order, read as they are iterated (any size).

    The listing is audited, with how many rows it shows, before its first row is read.
    """
    clauses, params = [], []
    if text:
        like = contains_pattern(fold(text))
        clauses.append(
            "(search_name LIKE ?1 ESCAPE '\\' OR mrn = upper(?2) OR phone LIKE ?1 ESCAPE '\\'"
            " OR lower(email) LIKE ?1 ESCAPE '\\')"
        )
        params += [like, text.strip()]
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    limit_sql = f" LIMIT {int(limit)}" if limit else ""
    count = store.scalar(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM patients {where}{limit_sql})", params
    )
    audit.record(
        store,
        user=user,
        action="patient.list",
        now=now,
        detail=f"search={text!r} rows={count}" if text else f"rows={count}",
    )
    return store.tuples(
        f"SELECT {', '.join(LIST_COLUMNS)} FROM patients {where} ORDER BY search_name, id"
        + limit_sql,
        params,
    )


def show(store: Store, reference: str, *, user: str, now: datetime) -> dict:
    """A patient's record with current consent and its history; the view is audited."""
    row = resolve(store, reference)
    history = store.query(
        "SELECT channel, CASE granted WHEN 1 THEN 'given' ELSE 'withdrawn' END AS consent,"
        " at, source, user FROM patient_consents WHERE patient_id = ? ORDER BY id",
        [row["id"]],
    )
    audit.record(store, user=user, action="patient.view", now=now, patient_id=row["id"])
    language = store.scalar("SELECT name FROM languages WHERE code = ?", [row["language"]])
    return {
        **row,
        "language_name": language,
        "consent": consents(store, row["id"]),
        "consent_history": history,
    }


def consents(store: Store, patient_id: int) -> dict[str, bool]:
    """Current consent per channel: the latest given or withdrawn record wins."""
    rows = store.query(
        "SELECT channel, granted FROM patient_consents WHERE id IN ("
        " SELECT MAX(id) FROM patient_consents WHERE patient_id = ? GROUP BY channel)",
        [patient_id],
    )
    current = {channel: False for channel in CHANNELS}
    current.update({row["channel"]: bool(row["granted"]) for row in rows})
    return current


def edit(
    store: Store,
    reference: str,
    changes: dict,
    *,
    region: str,
    user: str,
    now: datetime,
    today: date,
) -> dict:
    """Change a patient's details (the MRN never changes); returns the updated row."""
    values = clean(changes, region=region, today=today)
    if not values:
        raise Invalid("nothing to change: give at least one option")
    with store.write():
        row = resolve(store, reference)
        keep_language(store, values)
        assignments = ", ".join(f"{column} = ?" for column in values)
        store.execute(
            f"UPDATE patients SET {assignments}, updated_at = ? WHERE id = ?",
            [*values.values(), utc_text(now), row["id"]],
        )
        changed = sorted(
            {key for key, value in changes.items() if value is not None}
            & {*FIELDS, *LANGUAGE_FIELDS, "claim_name"}
        )
        audit.record(
            store,
            user=user,
            action="patient.edit",
            now=now,
            patient_id=row["id"],
            detail="changed " + ", ".join(changed),
        )
    return get(store, row["id"])


def set_consent(
    store: Store,
    reference: str | int,
    channel: str,
    granted: bool,
    *,
    source: str,
    user: str,
    now: datetime,
) -> dict:
    """Record consent given or withdrawn for one channel, with its date and source."""
    channels = channel_list(channel)
    if len(channels) != 1:
        raise Invalid("give exactly one channel")
    with store.write():
        row = get(store, reference) if isinstance(reference, int) else resolve(store, reference)
        record_consent(store, row["id"], channels, granted, source, user, now)
        audit.record(
            store,
            user=user,
            action="patient.consent",
            now=now,
            patient_id=row["id"],
            detail=f"{channels[0]} {'given' if granted else 'withdrawn'} ({source})",
        )
    return row


def import_csv(store: Store, data, *, region: str, user: str, now: datetime, today: date) -> int:
    """Import patients from CSV (bytes, or a binary file read as it goes), all or nothing;
    returns how many were added. Rows go from the file through validation into the one
    transaction a batch at a time, so memory stays flat however long the file."""
    from itertools import islice

    seen: set[tuple[str, str]] = set()
    phone_cache: dict[str, str] = {}

    def parse(values: dict[str, str]) -> tuple[dict, list[str]]:
        consent = values.pop("consent", "")
        phone = values.pop("phone", "").strip()
        row = clean(values, region=region, today=today)
        if not row.get("name") or not row.get("dob"):
            raise Invalid("name and dob may not be empty")
        if phone:
            # Numbers repeat in real files (families); each is validated once.
            if phone not in phone_cache:
                phone_cache[phone] = phone_e164(phone, region)
            row["phone"] = phone_cache[phone]
        key = (row["search_name"], row["dob"])
        if key in seen:
            raise Invalid(f"{row['name']}, born {row['dob']}, appears twice in the file")
        seen.add(key)
        return row, channel_list(consent) if consent.strip() else []

    parsed = csvfile.iter_rows(data, columns=IMPORT_COLUMNS, required=("name", "dob"), parse=parse)
    count = 0
    # The file is read inside the write: a bad row anywhere rolls every batch back.
    with store.write():
        while batch := list(islice(parsed, IMPORT_BATCH)):
            keys = {(row["search_name"], row["dob"]) for row, _ in batch}
            existing = _already_registered(store, keys)
            if existing:
                name, dob = existing
                raise Conflict(f"{name}, born {dob}, is already registered; nothing was imported")
            ids = insert_rows(store, [row for row, _ in batch], now)
            for patient_id, (_, channels) in zip(ids, batch, strict=True):
                if channels:
                    record_consent(store, patient_id, channels, True, "import", user, now)
            audit.record_many(
                store,
                user=user,
                action="patient.import",
                now=now,
                entries=[(patient_id, None) for patient_id in ids],
            )
            count += len(batch)
    return count


IMPORT_BATCH = 2000


def _already_registered(store: Store, keys: set[tuple[str, str]]) -> tuple[str, str] | None:
    store.execute("CREATE TEMP TABLE IF NOT EXISTS incoming (search_name TEXT, dob TEXT)")
    store.execute("DELETE FROM temp.incoming")
    store.conn.executemany("INSERT INTO temp.incoming VALUES (?, ?)", list(keys))
    row = store.one(
        "SELECT p.name, p.dob FROM temp.incoming i JOIN patients p"
        " ON p.search_name = i.search_name AND p.dob = i.dob LIMIT 1"
    )
    store.execute("DELETE FROM temp.incoming")
    return (row["name"], row["dob"]) if row else None


def export_rows(store: Store, *, user: str, now: datetime):
    """Every patient with its current consent, for `patient export`; the export is audited
    when the first row is read (after the output file was opened)."""
    count = store.scalar("SELECT COUNT(*) FROM patients")
    audit.record(store, user=user, action="patient.export", now=now, detail=f"rows={count}")
    yield from store.iterate(
        "SELECT p.mrn, p.name, p.dob, p.sex, p.phone, p.email, p.prefers, p.address,"
        " p.insurance, (SELECT group_concat(channel, ',') FROM ("
        "   SELECT c.channel, c.granted FROM patient_consents c WHERE c.id IN ("
        "     SELECT MAX(id) FROM patient_consents WHERE patient_id = p.id GROUP BY channel)"
        "   ) WHERE granted = 1) AS consent"
        " FROM patients p ORDER BY p.id"
    )
