"""Finding a patient from what a caller says: phone numbers in any common form (or their
last digits), dates of birth as people write them, MRNs and name words, in any mix.

Every lookup is an index lookup: the MRN and date of birth have their own indexes, a
phone number's last four digits have an index on the stored E.164 text, and name words
are prefixes in the full-text index `patient_names` (see patients/schema.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from macli.errors import Invalid
from macli.identifiers import fold
from macli.store import Store

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?"
_EDGE_START, _EDGE_END = r"(?<![\w/.-])", r"(?![\w/-]|\.\d)"
_ISO = re.compile(_EDGE_START + r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _EDGE_END)
_NUMERIC = re.compile(_EDGE_START + r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})" + _EDGE_END)
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(\d{4})\b", re.I)
_MONTH_DAY = re.compile(r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I)
_MRN = re.compile(r"(?<!\w)[pP](\d{1,9})(?!\w)")
# A run of digits with the separators people put in phone numbers.
_PHONE = re.compile(r"\+?\(?\d[\d\s().-]*\d\)?|\d")
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?")
LIMIT = 20


@dataclass
class Query:
    """What a lookup text says: each part narrows the match (they are ANDed)."""

    text: str
    mrns: list[str] = field(default_factory=list)
    dobs: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)  # digits only, no trunk zeros
    words: list[str] = field(default_factory=list)  # folded name words

    @property
    def kinds(self) -> list[str]:
        return [
            kind
            for kind, parts in (
                ("mrn", self.mrns),
                ("dob", self.dobs),
                ("phone", self.phones),
                ("name", self.words),
            )
            if parts
        ]


def parse(text: str, *, date_order: str = "mdy", today: date | None = None) -> Query:
    """Read a lookup text into its MRNs, dates of birth, phone digits and name words."""
    query = Query(" ".join(str(text).split()))
    if not query.text:
        raise Invalid("nothing to look for: give a name, phone, date of birth or MRN")
    rest = query.text
    today = today or date.today()

    def take(pattern, read):
        nonlocal rest
        for match in list(pattern.finditer(rest)):
            read(match)
        rest = pattern.sub(" ", rest)

    take(_ISO, lambda m: query.dobs.append(_date(m[1], m[2], m[3], m[0], today)))
    take(_DAY_MONTH, lambda m: query.dobs.append(_date(m[3], _month(m[2]), m[1], m[0], today)))
    take(_MONTH_DAY, lambda m: query.dobs.append(_date(m[3], _month(m[1]), m[2], m[0], today)))

    def numeric(match):
        first, second = (match[1], match[2]) if date_order == "mdy" else (match[2], match[1])
        query.dobs.append(_date(match[3], first, second, match[0], today))

    take(_NUMERIC, numeric)
    take(_MRN, lambda m: query.mrns.append(f"P{int(m[1]):06d}"))
    take(_PHONE, lambda m: query.phones.append(_phone_digits(m[0])))
    for word in _WORD.findall(rest):
        folded = fold(word)
        if folded:
            query.words.append(folded)
    if not query.kinds:
        raise Invalid(f"cannot read {query.text!r} as a name, phone, date of birth or MRN")
    return query


def _month(text: str) -> str:
    key = text.lower().rstrip(".")
    return str(MONTHS.get(key) or MONTHS[key[:3]])


def _date(year: str, month: str, day: str, shown: str, today: date) -> str:
    number = int(year)
    if len(year) == 2:
        # A two-digit year is a birth year: the latest century that is not in the future.
        number += 2000 if 2000 + number <= today.year else 1900
    try:
        born = date(number, int(month), int(day))
    except ValueError:
        raise Invalid(f"cannot read {shown!r} as a date of birth") from None
    return born.isoformat()


def _phone_digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if len(digits) < 4:
        raise Invalid(
            f"{text.strip()!r} is too short to find a phone number: give at least its last 4 digits"
        )
    if len(digits) > 15:
        raise Invalid(f"{text.strip()!r} cannot be a phone number (more than 15 digits)")
    # A national trunk prefix (0 in most of the world) is not part of the E.164 number.
    return digits.lstrip("0") if len(digits) >= 8 else digits


def where(query: Query) -> tuple[list[str], list]:
    """SQL conditions on `patients p` (ANDed) and their parameters for a query."""
    clauses, params = [], []
    for mrn in query.mrns:
        clauses.append("p.mrn = ?")
        params.append(mrn)
    for dob in query.dobs:
        clauses.append("p.dob = ?")
        params.append(dob)
    for digits in query.phones:
        clauses.append("substr(p.phone, -4) = ? AND p.phone LIKE ?")
        params += [digits[-4:], "%" + digits]
    if query.words:
        clauses.append("p.id IN (SELECT rowid FROM patient_names WHERE patient_names MATCH ?)")
        params.append(" ".join('"' + word.replace('"', '""') + '"*' for word in query.words))
    return clauses, params


def matching(store: Store, query: Query, *, limit: int = LIMIT) -> list[dict]:
    """Patients matching every part of the query, by name, at most `limit` (+1 to tell
    the caller there are more)."""
    clauses, params = where(query)
    return store.query(
        f"SELECT p.* FROM patients p WHERE {' AND '.join(clauses)}"
        f" ORDER BY p.search_name, p.id LIMIT {int(limit) + 1}",
        params,
    )
