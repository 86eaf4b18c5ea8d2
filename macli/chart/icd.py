"""ICD-10-CM look-ups: is a code real, billable, and what is it called.

The code set ships with macli as a gzipped TSV built by `macli.chart.icd_build` from
the simple-icd-10-cm package. On first use it is loaded into `icd10cm_codes` (and its
FTS5 index) in one transaction; every later look-up is an indexed query.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

from macli.errors import Invalid, NotFound
from macli.store import Store

DATA_PACKAGE = "macli.chart.data"
SHOWN_CHILDREN = 8
_CODE = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_ICD9 = re.compile(r"^([VE]?\d{2,3})(\.\d{1,2})?$")
_CODE_PREFIX = re.compile(r"^[A-Z]\d[0-9A-Z]?(\.[0-9A-Z]{0,4})?$")


def data_file():
    """The shipped code-set file (there is exactly one)."""
    # Imported here: importlib.resources costs ~20 ms of start-up that listings never need.
    from importlib.resources import files

    found = [p for p in files(DATA_PACKAGE).iterdir() if p.name.startswith("icd10cm-")]
    if len(found) != 1:
        raise RuntimeError(f"expected one ICD-10-CM data file in {DATA_PACKAGE}, found {found}")
    return found[0]


def shipped_release() -> tuple[str, str]:
    """(release, source) named in the header of the shipped file, e.g. ('April 2026', ...)."""
    import gzip

    with gzip.open(data_file().open("rb"), "rt", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
    return header[1], " ".join(header[2:])


def release(store: Store) -> str:
    """The release loaded in the store (loading it first if needed)."""
    ensure_loaded(store)
    return store.scalar("SELECT release FROM icd10cm_release")


def ensure_loaded(store: Store) -> None:
    """Load the shipped code set into the store unless that release is already there."""
    if store.scalar("SELECT release FROM icd10cm_release") == _shipped_cached():
        return
    with store.write():
        loaded = store.scalar("SELECT release FROM icd10cm_release")
        shipped, source = shipped_release()
        if loaded == shipped:
            return
        import gzip

        with gzip.open(data_file().open("rb"), "rt", encoding="utf-8") as handle:
            handle.readline()
            rows = [line.rstrip("\n").split("\t") for line in handle]
        store.execute("DELETE FROM icd10cm_codes")
        store.execute("DELETE FROM icd10cm_release")
        store.conn.executemany(
            "INSERT INTO icd10cm_codes (code, kind, billable, parent, description)"
            " VALUES (?, ?, ?, NULLIF(?, ''), ?)",
            (
                (code, kind, int(billable), parent, text)
                for code, kind, billable, parent, text in rows
            ),
        )
        store.execute("INSERT INTO icd10cm_search (icd10cm_search) VALUES ('rebuild')")
        store.execute(
            "INSERT INTO icd10cm_release (release, source, loaded_at) VALUES (?, ?, ?)",
            [shipped, source, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
        )


@functools.cache
def _shipped_cached() -> str:
    """The shipped release, read from the file's header once per process."""
    return shipped_release()[0]


def normalise(code: str) -> str:
    """`e119` -> `E11.9`; raises Invalid for text that cannot be an ICD-10-CM code."""
    text = re.sub(r"\s+", "", str(code or "")).upper().rstrip(".")
    if not text:
        raise Invalid("no ICD-10-CM code given")
    if "." not in text and len(text) > 3:
        text = text[:3] + "." + text[3:]
    if _CODE.match(text):
        return text
    if _ICD9.match(text):
        raise Invalid(
            f"{code} looks like an ICD-9-CM code; problems are coded in ICD-10-CM "
            "(find one with: macli chart icd search TEXT)"
        )
    raise Invalid(
        f"{code} is not an ICD-10-CM code: codes look like E11.9 or S72.001A "
        "(a letter, two characters, then up to four after the dot)"
    )


def lookup(store: Store, code: str) -> dict:
    """One code with its parent and children; Invalid if malformed, NotFound if unknown."""
    wanted = normalise(code)  # first: a malformed code is refused before anything is loaded
    ensure_loaded(store)
    row = store.one(
        "SELECT code, kind, billable, parent, description FROM icd10cm_codes"
        " WHERE code = ? AND kind IN ('category', 'subcategory')",
        [wanted],
    )
    if row is None:
        raise NotFound(f"{wanted} is not in ICD-10-CM ({release(store)}){_nearest(store, wanted)}")
    parent = store.one(
        "SELECT code, description FROM icd10cm_codes WHERE code = ?", [row["parent"]]
    )
    children = store.query(
        "SELECT code, description, billable FROM icd10cm_codes WHERE parent = ? ORDER BY code",
        [row["code"]],
    )
    return {
        "code": row["code"],
        "description": row["description"],
        "billable": bool(row["billable"]),
        "kind": row["kind"],
        "parent": parent["code"] if parent else None,
        "parent_description": parent["description"] if parent else None,
        "children": [{**child, "billable": bool(child["billable"])} for child in children],
        "release": release(store),
    }


# The order every list of codes is offered in: a code this clinic has used first, then
# the shorter, general codes ("unspecified", "without complications") before their rare
# relatives, so E11 offers E11.9 near the top instead of E11.00.
_USES_JOIN = (
    " LEFT JOIN (SELECT code, COUNT(*) AS uses FROM chart_problems GROUP BY code) u"
    " ON u.code = c.code"
)
_GENERAL_FIRST = (
    "u.uses IS NULL, length(c.code), NOT c.billable,"
    " CASE WHEN c.description LIKE '%without complication%' THEN 0"
    " WHEN c.description LIKE '%unspecified%' THEN 1 ELSE 2 END"
)


def billable_codes(store: Store, code: str) -> list[dict]:
    """The billable codes under a header, the common and general ones first."""
    # ICD-10-CM is a prefix hierarchy: E11's descendants are E11.*, E11.6's are E11.6?*.
    low = code + ("." if "." not in code else "")
    return store.query(
        f"SELECT c.code, c.description FROM icd10cm_codes c{_USES_JOIN}"
        f" WHERE c.code > ? AND c.code < ? AND c.billable = 1 ORDER BY {_GENERAL_FIRST}, c.code",
        [low, low + "\x7f"],
    )


def check_billable(store: Store, code: str) -> dict:
    """{code, description} of a billable code; Invalid for malformed, unknown or header codes."""
    try:
        found = lookup(store, code)
    except NotFound as error:
        raise Invalid(error.message) from None
    if found["billable"]:
        return {"code": found["code"], "description": found["description"]}
    choices = billable_codes(store, found["code"])
    shown = "".join(f"\n  {c['code']}  {c['description']}" for c in choices[:SHOWN_CHILDREN])
    more = (
        f"\n  ... and {len(choices) - SHOWN_CHILDREN} more"
        f" (macli chart icd search {found['code']} --billable --limit {len(choices)})"
        if len(choices) > SHOWN_CHILDREN
        else ""
    )
    # S72.001 and S00.00 have only 7-character children: they lack the 7th character.
    children = found["children"]
    seventh = children and all(len(c["code"].replace(".", "")) == 7 for c in children)
    why = "needs its 7th character" if seventh else "is a header, not billable"
    raise Invalid(
        f"{found['code']} ({found['description']}) {why}; choose a billable code:{shown}{more}"
    )


def _nearest(store: Store, code: str) -> str:
    trimmed = code
    while len(trimmed) > 3:
        trimmed = trimmed[:-1].rstrip(".")
        row = store.one(
            "SELECT code, description, billable FROM icd10cm_codes WHERE code = ?", [trimmed]
        )
        if row:
            return f"; the nearest code is {row['code']} {row['description']}"
    return "; find codes with: macli chart icd search TEXT"


def search(store: Store, text: str, *, limit: int = 25, billable_only: bool = False) -> list[dict]:
    """Codes whose description matches all words of `text` (or whose code starts with it),
    the common and general ones first; see `search_total` for how many matched."""
    return search_total(store, text, limit=limit, billable_only=billable_only)["rows"]


def search_total(store: Store, text: str, *, limit: int = 25, billable_only: bool = False) -> dict:
    """{rows, total}: the first `limit` codes `search` finds, and how many match in all."""
    needle = " ".join(str(text or "").split())
    if not needle:
        raise Invalid("give words to search for (e.g. diabetes) or the start of a code (E11)")
    only = " AND c.billable = 1" if billable_only else ""
    upper = needle.upper().replace(" ", "")
    words = [] if _CODE_PREFIX.match(upper) else re.findall(r"\w+", needle, flags=re.UNICODE)
    if not words and not _CODE_PREFIX.match(upper):
        raise Invalid(f"nothing to search for in {text!r}")
    ensure_loaded(store)  # after the checks: a refused search leaves the store as it was
    if not words:
        source = " FROM icd10cm_codes c"
        where = f" WHERE c.code >= ? AND c.code < ? AND c.kind IN ('category', 'subcategory'){only}"
        params: list = [upper, upper + "\x7f"]
        order = f"{_GENERAL_FIRST}, c.code"
    else:
        source = " FROM icd10cm_search s JOIN icd10cm_codes c ON c.id = s.rowid"
        where = f" WHERE icd10cm_search MATCH ? AND c.kind IN ('category', 'subcategory'){only}"
        params = [" ".join(f'"{word}"*' for word in words)]
        order = f"{_GENERAL_FIRST}, s.rank, c.code"
    rows = store.query(
        f"SELECT c.code, c.description, c.billable{source}{_USES_JOIN}{where}"
        f" ORDER BY {order} LIMIT ?",
        [*params, limit],
    )
    total = len(rows)
    if total == limit:
        total = store.scalar(f"SELECT COUNT(*){source}{where}", params)
    rows = [{**row, "billable": "yes" if row["billable"] else "no"} for row in rows]
    return {"rows": rows, "total": total}
