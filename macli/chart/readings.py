"""Vital-sign sets in the store: record (with both tiers of checks and BMI), amend,
list and the series behind `chart trend`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from macli import audit
from macli.chart import entries, units, vitals
from macli.errors import Invalid
from macli.patients import core as patients
from macli.store import Store
from macli.when import from_utc_text, local_text, parse_datetime, utc_text

HEIGHT_LOINC = vitals.VITALS["height"].loinc
WEIGHT_LOINC = vitals.VITALS["weight"].loinc
# An earlier height is used for BMI if taken in adulthood, or within this many days.
CHILD_HEIGHT_DAYS = 30
OPTION_NAMES = ("bp", "pulse", "resp", "temp", "spo2", "weight", "height", "pain")


def age_on(dob: str, day: date) -> tuple[int, int]:
    """(full years, full months) of age on `day`."""
    born = date.fromisoformat(dob)
    months = (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)
    return months // 12, months


def taken_instant(text: str | None, *, tz: ZoneInfo, now: datetime) -> datetime:
    """When a reading was taken: `--at` (never in the future) or now."""
    if not text:
        return now
    taken = parse_datetime(text, tz, now)
    if taken > now + timedelta(minutes=5):
        raise Invalid(f"{local_text(taken, tz)} is in the future; vitals are charted when taken")
    return taken


def record(
    store: Store,
    patient_ref: str,
    values: dict[str, str | None],
    *,
    at: str | None = None,
    confirm: bool = False,
    clinic_units: str,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> dict:
    """Record one set of vitals; returns it as `listing` shows it."""
    quantities = vitals.parse_set(values, clinic_units)
    if not quantities:
        raise Invalid("give at least one measurement, e.g. --bp 120/80 --pulse 72")
    taken = taken_instant(at, tz=tz, now=now)
    with store.write():
        patient = patients.resolve(store, patient_ref)
        entry_id = _write(
            store, patient, quantities, set(quantities), taken, confirm, user, now, tz
        )
        audit.record(
            store,
            user=user,
            action="chart.vitals",
            now=now,
            patient_id=patient["id"],
            detail=f"entry {entry_id}",
        )
    return one(store, entry_id, tz)


def amend(
    store: Store,
    entry: dict,
    changes: dict[str, str | None],
    *,
    reason: str,
    confirm: bool,
    clinic_units: str,
    user: str,
    now: datetime,
    tz: ZoneInfo,
) -> int:
    """Write the corrected set (old values, changed ones replaced, "" clears) as a new entry."""
    patient = patients.get(store, entry["patient_id"])
    old = {
        row["name"]: units.Quantity(Decimal(row["value"]), row["entered"], None)
        for row in _values(store, [entry["id"]])
        if row["name"] != "bmi"
    }
    given = {k: v for k, v in changes.items() if k in OPTION_NAMES and v is not None}
    cleared = {k for k, v in given.items() if v.strip() == ""}
    new = vitals.parse_set({k: v for k, v in given.items() if k not in cleared}, clinic_units)
    merged = {**old, **new}
    for name in cleared:
        for part in ("systolic", "diastolic") if name == "bp" else (name,):
            merged.pop(part, None)
    if not merged:
        raise Invalid("the amended set would hold no measurement; use --void to withdraw it")
    taken = (
        taken_instant(changes.get("at"), tz=tz, now=now)
        if changes.get("at")
        else from_utc_text(entry["at"])
    )
    return _write(
        store,
        patient,
        merged,
        set(new),
        taken,
        confirm,
        user,
        now,
        tz,
        amends=entry,
        reason=reason,
    )


def _write(
    store, patient, quantities, changed, taken, confirm, user, now, tz, amends=None, reason=None
) -> int:
    thread = amends["thread_id"] if amends else None
    values = {name: q.value for name, q in quantities.items()}
    height_entry = height_note = None
    if "weight" in values:
        height = (
            _earlier_height(store, patient, taken, thread, tz) if "height" not in values else None
        )
        if "height" in values or height:
            height_cm = values["height"] if "height" in values else height["value"]
            values["bmi"] = vitals.bmi(values["weight"], height_cm)
            if height:
                height_entry = height["entry_id"]
                height_note = f"entry {height['entry_id']} of {local_text(height['at'], tz)[:10]}"
    if {"weight", "height"} & changed and "bmi" in values:
        changed = changed | {"bmi"}
    if "systolic" in changed:
        changed = changed | {"diastolic"}
    years, months = age_on(patient["dob"], taken.astimezone(tz).date())
    previous = _previous_weight(store, patient, taken, thread, tz) if "weight" in changed else None
    concerns = vitals.unusual(
        {name: value for name, value in values.items() if name in changed},
        age_years=years,
        age_months=months,
        entered={name: q.entered for name, q in quantities.items()},
        previous_weight=previous,
        height_source=height_note,
    )
    if concerns and not confirm:
        raise Invalid(
            "unusual value(s): " + "; ".join(concerns) + ". Check them with the patient "
            "and add --confirm to record"
        )
    entry_id = entries.add(
        store,
        patient_id=patient["id"],
        kind="vitals",
        at=taken,
        user=user,
        now=now,
        amends=amends,
        reason=reason,
    )
    rows = []
    for name, value in values.items():
        vital = vitals.VITALS[name]
        if name == "bmi":
            entered, derived = None, height_entry or entry_id
        else:
            entered, derived = quantities[name].entered, None
        rows.append(
            (entry_id, vital.loinc, units.decimal_text(value), vital.unit, entered, derived)
        )
    store.conn.executemany(
        "INSERT INTO chart_vital_values (entry_id, loinc, value, unit, entered, derived_from)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    return entry_id


def _earlier_height(store, patient, taken, thread, tz) -> dict | None:
    row = _latest(store, patient["id"], HEIGHT_LOINC, taken, thread)
    if row is None:
        return None
    measured = from_utc_text(row["at"])
    adult_then = age_on(patient["dob"], measured.astimezone(tz).date())[0] >= vitals.ADULT_YEARS
    if adult_then or taken - measured <= timedelta(days=CHILD_HEIGHT_DAYS):
        return {**row, "value": Decimal(row["value"])}
    return None


def _previous_weight(store, patient, taken, thread, tz):
    row = _latest(store, patient["id"], WEIGHT_LOINC, taken, thread)
    if row is None:
        return None
    measured = from_utc_text(row["at"])
    days = (taken - measured).days
    return Decimal(row["value"]), local_text(measured, tz)[:10], days


def _latest(store, patient_id, loinc, taken, thread) -> dict | None:
    """The newest live value of one vital taken at or before `taken`, outside `thread`."""
    return store.one(
        "SELECT v.value, e.id AS entry_id, e.at FROM chart_entries e"
        " JOIN chart_vital_values v ON v.entry_id = e.id AND v.loinc = ?"
        " WHERE e.patient_id = ? AND e.kind = 'vitals' AND e.at <= ? AND e.voided = 0"
        f" AND e.thread_id IS NOT ? AND {entries.NOT_AMENDED}"
        " ORDER BY e.at DESC, e.id DESC LIMIT 1",
        [loinc, patient_id, utc_text(taken), thread],
    )


def _values(store: Store, entry_ids: list[int]) -> list[dict]:
    marks = ", ".join("?" for _ in entry_ids)
    rows = store.query(
        "SELECT entry_id, loinc, value, unit, entered, derived_from FROM chart_vital_values"
        f" WHERE entry_id IN ({marks})",
        entry_ids,
    )
    for row in rows:
        row["name"] = vitals.BY_LOINC[row["loinc"]].name
    return rows


# -- reading back -----------------------------------------------------------------------


def sets(store: Store, patient_id: int, tz: ZoneInfo, *, last: int | None = None) -> list[dict]:
    """Live vitals sets of a patient, oldest first (or only the newest `last`)."""
    limit = f" LIMIT {int(last)}" if last else ""
    found = store.query(
        "SELECT e.id, e.at, e.amends, e.recorded_at, e.recorded_by FROM chart_entries e"
        " WHERE e.patient_id = ? AND e.kind = 'vitals' AND e.voided = 0"
        f" AND {entries.NOT_AMENDED} ORDER BY e.at DESC, e.id DESC{limit}",
        [patient_id],
    )
    found.reverse()
    return _assemble(store, found, patients.get(store, patient_id)["dob"], tz)


def one(store: Store, entry_id: int, tz: ZoneInfo) -> dict:
    entry = entries.get(store, entry_id, ("vitals",))
    return _assemble(store, [entry], patients.get(store, entry["patient_id"])["dob"], tz)[0]


def _assemble(store: Store, found: list[dict], dob: str, tz: ZoneInfo) -> list[dict]:
    """Each set as {id, at, taken, values{name: Decimal}, entered{name: text}, ...}."""
    if not found:
        return []
    by_entry: dict[int, list[dict]] = {}
    for row in _values(store, [entry["id"] for entry in found]):
        by_entry.setdefault(row["entry_id"], []).append(row)
    out = []
    for entry in found:
        rows = by_entry.get(entry["id"], [])
        values = {row["name"]: Decimal(row["value"]) for row in rows}
        taken = from_utc_text(entry["at"])
        years = age_on(dob, taken.astimezone(tz).date())[0]
        bp = None
        if "systolic" in values and years >= vitals.ADULT_YEARS:
            bp = vitals.bp_class(values["systolic"], values["diastolic"])
        out.append(
            {
                "id": entry["id"],
                "at": entry["at"],
                "taken": local_text(taken, tz),
                "values": values,
                "entered": {row["name"]: row["entered"] for row in rows if row["entered"]},
                "bp_class": bp,
                "flags": vitals.flags(values, years),
                "amended": (
                    f"amended {local_text(entry['recorded_at'], tz)[:10]}"
                    if entry.get("amends")
                    else ""
                ),
            }
        )
    return out


# -- rows for output --------------------------------------------------------------------

MACHINE_COLUMNS = (
    "id",
    "taken",
    "systolic_mmhg",
    "diastolic_mmhg",
    "bp_class",
    "pulse_per_min",
    "resp_per_min",
    "temp_cel",
    "spo2_pct",
    "weight_kg",
    "height_cm",
    "bmi",
    "pain",
    "flags",
    "amended",
)
PEOPLE_COLUMNS = (
    "id",
    "taken",
    "bp",
    "bp_class",
    "pulse",
    "resp",
    "temp",
    "spo2",
    "weight",
    "height",
    "bmi",
    "pain",
    "amended",
)
_MACHINE_NAMES = {
    "systolic_mmhg": "systolic",
    "diastolic_mmhg": "diastolic",
    "pulse_per_min": "pulse",
    "resp_per_min": "resp",
    "temp_cel": "temp",
    "spo2_pct": "spo2",
    "weight_kg": "weight",
    "height_cm": "height",
    "bmi": "bmi",
    "pain": "pain",
}


def number(value: Decimal | None):
    """A decimal as a JSON number whose text is the exact decimal (int when whole)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(units.decimal_text(value))


def machine_row(reading: dict) -> dict:
    """Canonical values (UCUM units named in the column) for scripts."""
    row = {"id": reading["id"], "taken": reading["taken"], "bp_class": reading["bp_class"]}
    for column, name in _MACHINE_NAMES.items():
        row[column] = number(reading["values"].get(name))
    row["flags"] = ",".join(f"{name}:{flag}" for name, flag in reading["flags"].items())
    row["amended"] = reading["amended"]
    return {column: row.get(column) for column in MACHINE_COLUMNS}


def shown(reading: dict, name: str, system: str) -> str | None:
    """One value for people, in the clinic's units (as entered when entered in them)."""
    values, entered = reading["values"], reading["entered"]
    if name == "bp":
        if "systolic" not in values:
            return None
        return f"{values['systolic']}/{values['diastolic']}"
    if name not in values:
        return None
    value = values[name]
    text = entered.get(name)
    if name == "weight":
        same = text and units.parse_weight(text).system == system
        out = text if same else units.weight_text(value, system)
    elif name == "height":
        same = text and units.parse_height(text).system == system
        out = text if same else units.height_text(value, system)
    elif name == "temp":
        same = text and units.parse_temperature(text, system)[0].system == system
        out = text if same else units.temperature_text(value, system)
    elif name == "spo2":
        out = f"{value}%"
    else:
        out = units.decimal_text(value)
    flag = reading["flags"].get(name)
    return f"{out} {flag}" if flag else out


def plotted(name: str, value: Decimal, system: str) -> tuple[float, str]:
    """A value as a number in the clinic's display unit, with that unit, for the plot."""
    if name == "weight" and system == "us":
        return float(value / units.POUND_KG), "lb"
    if name == "height" and system == "us":
        return float(value / units.INCH_CM), "in"
    if name == "temp":
        return (float(value * 9 / 5 + 32), "°F") if system == "us" else (float(value), "°C")
    return float(value), vitals.VITALS[name].shown


def people_row(reading: dict, system: str) -> dict:
    """Values in the clinic's units with H/L flags, for the table."""
    row = {"id": reading["id"], "taken": reading["taken"], "bp_class": reading["bp_class"]}
    for name in ("bp", "pulse", "resp", "temp", "spo2", "weight", "height", "bmi", "pain"):
        row[name] = shown(reading, name, system)
    row["amended"] = reading["amended"]
    return {column: row.get(column) for column in PEOPLE_COLUMNS}
