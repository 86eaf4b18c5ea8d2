"""Who comes in and for what: the demo's patients as the day filler books them (a
newcomer's first visit is a "new patient" one, chronic problems bring follow-ups, a
physical once a year, a flu shot once a season), and the benchmark's anyone-for-anything."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import date, timedelta

FLU_SEASON = (9, 10, 11, 12, 1, 2, 3)  # months the clinic gives flu shots
SICK_GAP_DAYS = 10  # a sick visit needs this long since the patient's last visit
TRIES = 8  # patients considered for a slot before it is left open


class Panel:
    """Who comes in and for what. Each patient is picked in proportion to their visits a
    year and not again before their spacing is over; a booking's reason fits the patient
    (their chronic problems, age, last physical, this season's flu shot); a newcomer's
    first booking is a "new patient" visit, and only after it went ahead do they come
    back for anything else."""

    def __init__(
        self, patients, *, rates=None, follow_ups=None, ages=None, newcomers=(), near=None
    ):
        self.rates = rates or {}
        self.follow_ups = follow_ups or {}
        self.ages = ages or {}
        newcomer_ids = {patient for _, patient, _ in newcomers}
        self.pool = [p for p in patients if p not in newcomer_ids for _ in range(self.rate(p))]
        self.queue = list(newcomers)  # (ready on, patient, registered at UTC text), a heap
        heapq.heapify(self.queue)
        self.registered = {patient: stamp for _, patient, stamp in newcomers}
        self.joining: list[tuple[date, int]] = []  # newcomers seen, back from that day on
        self.last: dict[int, date] = {}
        self.had: dict[tuple[int, str], date] = {}
        self.seen: dict[int, date] = {}  # first completed visit
        # From this day on only patients already seen are booked for anything but a
        # "new patient" visit, so the day sheet never takes a regular for a newcomer.
        self.near = near
        # While True, each patient is booked at most once, and only for what a regular
        # comes in for: the year before the demo's, where only last visits are on record.
        self.once = False
        self.due_back: dict[int, date] = {}  # the day a regular's last visit is due then

    def rate(self, patient: int) -> int:
        return self.rates.get(patient, 2)

    def pick(self, rng, day: date, kind, busy: set[int]) -> tuple[int, str] | None:
        """A patient and a reason for a `kind` slot on `day`, or None to leave it open."""
        while self.joining and self.joining[0][0] <= day:
            patient = heapq.heappop(self.joining)[1]
            self.pool.extend([patient] * self.rate(patient))
        if kind.name == "new patient":
            if not self.queue or self.queue[0][0] > day or self.queue[0][1] in busy:
                return None
            return heapq.heappop(self.queue)[1], rng.choice(kind.reasons)
        if self.once and kind.name not in ("follow-up", "physical", "sick visit"):
            return None
        for _ in range(TRIES):
            patient = rng.choice(self.pool)
            if patient in busy:
                continue
            if self.once and (patient in self.last or day < self.due_back.get(patient, day)):
                continue
            if self.near and day >= self.near and self.seen.get(patient, day) >= day:
                continue
            last = self.last.get(patient)
            spacing = SICK_GAP_DAYS if kind.name == "sick visit" else 365 // self.rate(patient) - 5
            if kind.name != "vaccine" and last and (day - last).days < spacing:
                continue
            reason = self.reason(rng, patient, kind, day)
            if reason:
                self.last[patient] = day
                return patient, reason
        return None

    def reason(self, rng, patient: int, kind, day: date) -> str | None:
        """Why this patient would book this kind of visit on `day`, or None if they would not."""
        age = self.ages.get(patient, 40)
        if kind.name == "follow-up":
            chronic = self.follow_ups.get(patient)
            if chronic:
                return rng.choice(chronic)
            return rng.choice(kind.reasons) if rng.random() < 0.25 else None
        if kind.name == "physical":
            if not self._due(patient, "physical", day, 330):
                return None
            self.had[patient, "physical"] = day
            if age < 18:
                return "sports physical" if age >= 6 and rng.random() < 0.4 else "annual physical"
            if age < 65 and rng.random() < 0.12:
                return "pre-employment physical"
            return "annual physical"
        if kind.name == "vaccine":
            season = day.year - (day.month < 7)
            if day.month in FLU_SEASON and self.had.get((patient, "flu")) != season:
                self.had[patient, "flu"] = season
                return "flu shot"
            if age >= 11 and rng.random() < 0.1 and (patient, "Tdap") not in self.had:
                self.had[patient, "Tdap"] = day
                return "Tdap booster"
            return None
        if kind.name == "procedure" and age < 12:
            return "wart removal"
        if kind.name == "sick visit" and self.rate(patient) == 1 and rng.random() < 0.5:
            return None  # the once-a-year kind: rarely in between
        return rng.choice(kind.reasons)

    def _due(self, patient: int, what: str, day: date, days: int) -> bool:
        last = self.had.get((patient, what))
        return last is None or (day - last).days >= days

    def waits(self, patient: int, ready: date, registered: str) -> None:
        """A newcomer registered at `registered` (UTC text) wants a first visit from `ready`."""
        self.registered[patient] = registered
        heapq.heappush(self.queue, (ready, patient, registered))

    def went(self, patient: int, kind, day: date, status: str) -> None:
        """Note how a booking turned out: a patient seen; a newcomer's first visit that
        did not happen goes back in the queue a week on."""
        if status == "completed":
            self.seen.setdefault(patient, day)
        if kind.name != "new patient":
            return
        self.last[patient] = day
        if status == "completed":
            heapq.heappush(self.joining, (day + timedelta(days=1), patient))
        elif status != "scheduled" and status != "in-room":
            self.waits(patient, day + timedelta(days=7), self.registered[patient])


class Anyone:
    """The benchmark's panel: any patient for any kind of visit. It makes volume for
    timing (bench/gen_schedule.py), not a history whose visits make sense."""

    def __init__(self, patients: Sequence[int]):
        self.patients = patients
        self.registered: dict[int, str] = {}

    def pick(self, rng, day: date, kind, busy: set[int]) -> tuple[int, str]:
        patient = rng.choice(self.patients)
        while patient in busy:
            patient = rng.choice(self.patients)
        return patient, rng.choice(kind.reasons)

    def went(self, patient: int, kind, day: date, status: str) -> None:
        pass
