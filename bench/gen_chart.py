"""Charts for the 10-year benchmark clinic: about 3 million vital-sign values (430,000
sets of seven, one every ~8 months per patient), plus problems, medications, allergies,
results and notes for a share of the 60,000 patients.

Rows go in with executemany, in entry-id order, without the per-row checks of
`macli chart vitals`: this is a load generator. Listed in bench/clinic.py GENERATORS.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from macli.chart import icd, vitals
from macli.chart.demo import ALLERGIES, CONDITIONS, NOTES
from macli.when import utc_text

YEARS = 10
SETS_PER_PATIENT = (4, 10)  # inclusive range of vitals sets over the ten years
BATCH = 50_000
LOINC = {name: vital.loinc for name, vital in vitals.VITALS.items()}
UNIT = {name: vital.unit for name, vital in vitals.VITALS.items()}
# As `chart vitals` stores what was entered: the unit made explicit (metric here).
ENTERED_UNIT = {"weight": " kg", "height": " cm", "temp": " °C"}


class Writer:
    """Buffers rows per table and flushes them with executemany."""

    def __init__(self, store):
        self.store = store
        self.next_id = (store.scalar("SELECT MAX(id) FROM chart_entries") or 0) + 1
        self.buffers: dict[str, list] = {}
        self.sql = {
            "entries": "INSERT INTO chart_entries (id, patient_id, kind, thread_id, at,"
            " recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, 'bench')",
            "values": "INSERT INTO chart_vital_values (entry_id, loinc, value, unit, entered,"
            " derived_from) VALUES (?, ?, ?, ?, ?, ?)",
            "problems": "INSERT INTO chart_problems VALUES (?, ?, ?, ?, NULL)",
            "medications": "INSERT INTO chart_medications VALUES (?, ?, ?, ?, ?, ?)",
            "allergies": "INSERT INTO chart_allergies VALUES (?, ?, ?, ?)",
            "results": "INSERT INTO chart_results VALUES (?, ?, ?, ?, ?, ?, ?)",
            "notes": "INSERT INTO chart_notes VALUES (?, ?)",
            "status": "INSERT INTO chart_status VALUES (?, ?, ?)",
        }

    def entry(self, patient_id: int, kind: str, at: str) -> int:
        entry_id = self.next_id
        self.next_id += 1
        self.add("entries", (entry_id, patient_id, kind, entry_id, at, at))
        return entry_id

    def add(self, table: str, row: tuple) -> None:
        buffer = self.buffers.setdefault(table, [])
        buffer.append(row)
        if len(buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        # Entries first: every detail row points at one.
        for table in ("entries", *[t for t in self.sql if t != "entries"]):
            rows = self.buffers.pop(table, [])
            if rows:
                self.store.conn.executemany(self.sql[table], rows)


def generate(store, rng, now, zone) -> None:
    icd.ensure_loaded(store)
    descriptions = {code: icd.check_billable(store, code)["description"] for code, _ in CONDITIONS}
    patients = store.query("SELECT id, dob FROM patients ORDER BY id")
    start = now - timedelta(days=365 * YEARS)
    span = int((now - start).total_seconds())
    with store.write():
        writer = Writer(store)
        for patient in patients:
            pid = patient["id"]
            height = Decimal(rng.randint(150, 192))
            weight = Decimal(rng.randint(50, 120))
            seconds = sorted(rng.randrange(span) for _ in range(rng.randint(*SETS_PER_PATIENT)))
            for index, offset in enumerate(seconds):
                at = utc_text(start + timedelta(seconds=offset))
                entry_id = writer.entry(pid, "vitals", at)
                kg = weight + Decimal(rng.randint(-40, 40)) / 10
                values = {
                    "systolic": Decimal(rng.randint(105, 160)),
                    "diastolic": Decimal(rng.randint(62, 98)),
                    "pulse": Decimal(rng.randint(55, 95)),
                    "temp": Decimal(rng.randint(362, 376)) / 10,
                    "spo2": Decimal(rng.randint(94, 100)),
                    "weight": kg,
                    "bmi": vitals.bmi(kg, height),
                }
                if index == 0:
                    values["height"] = height
                for name, value in values.items():
                    text = str(value)
                    entered = None if name == "bmi" else f"{text}{ENTERED_UNIT.get(name, '')}"
                    writer.add(
                        "values",
                        (
                            entry_id,
                            LOINC[name],
                            text,
                            UNIT[name],
                            entered,
                            entry_id if name == "bmi" else None,
                        ),
                    )
            _record(writer, rng, pid, now, start, span, descriptions)
        writer.flush()


def _record(writer, rng, pid, now, start, span, descriptions) -> None:
    def moment() -> str:
        return utc_text(start + timedelta(seconds=rng.randrange(span)))

    if rng.random() < 0.5:
        for code, medications in rng.sample(CONDITIONS, rng.randint(1, 3)):
            at = moment()
            problem = writer.entry(pid, "problem", at)
            writer.add("problems", (problem, code, descriptions[code], at[:10]))
            for name, dose, route, frequency in medications:
                med = writer.entry(pid, "medication", at)
                writer.add("medications", (med, name, dose, route, frequency, at[:10]))
            if rng.random() < 0.2:
                resolved = writer.entry(pid, "resolution", utc_text(now))
                writer.add("status", (resolved, problem, now.date().isoformat()))
    draw = rng.random()
    if draw < 0.2:
        substance, reaction, severity = rng.choice(ALLERGIES)
        allergy = writer.entry(pid, "allergy", moment())
        writer.add("allergies", (allergy, substance, reaction, severity))
    elif draw < 0.65:
        writer.entry(pid, "no-allergies", moment())
    for _ in range(rng.randint(0, 3)):
        result = writer.entry(pid, "result", moment())
        writer.add(
            "results",
            (result, "Hemoglobin A1c", f"{rng.uniform(5, 9):.1f}", "%", "4.0", "5.6", "4548-4"),
        )
    if rng.random() < 0.3:
        note = writer.entry(pid, "note", moment())
        writer.add("notes", (note, rng.choice(NOTES)))
