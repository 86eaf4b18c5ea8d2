"""What is due: for each appointment ahead and each rule, send, wait or skip, and why.

`remind due` shows this plan and `remind send` acts on it inside the transaction that
claims the reminders, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from macli import audit, settings
from macli.patients.core import consents
from macli.remind import rules as rules_module
from macli.remind.rules import before_text
from macli.store import Store
from macli.when import from_utc_text, local_text, parse_time, utc_text

# The statuses of an earlier attempt that settle a reminder, with what `due` says.
SETTLED = {
    "queued": "claimed by a run in progress",
    "sending": "being sent by a run in progress",
    "sent": "already sent",
    "failed": "failed",
    "unknown": "outcome unknown: see remind log",
    "withdrawn": "withdrawn",
    "to-call": "on the call list",
    "reached": "called: reached",
    "voicemail": "called: voicemail",
    "no-answer": "called: no answer",
    "wrong-number": "called: wrong number",
}
ADDRESS = {"email": "email", "sms": "phone", "phone": "phone"}
NO_ADDRESS = {"email": "no e-mail address", "sms": "no phone number", "phone": "no phone number"}
QUIET_CHANNELS = ("sms", "phone")


@dataclass
class Decision:
    """One reminder (appointment, rule, appointment start) and what a run does with it."""

    appointment_id: int
    rule_id: int
    channel: str
    before_seconds: int
    patient_id: int
    mrn: str
    first_name: str
    provider: str
    starts_at: str
    due_at: str
    recipient: str | None
    action: str  # send | call | wait | skip
    reason: str | None = None
    reminder_id: int | None = None
    status: str | None = None

    @property
    def final(self) -> bool:
        """Skipped for a reason that will not change by waiting."""
        return self.action == "skip"


def due_at(starts_at: datetime, before_seconds: int, tz: ZoneInfo) -> datetime:
    """When a reminder `before_seconds` ahead of `starts_at` is due.

    Whole days count on the clinic's calendar (1 day before a 09:00 visit is 09:00 the
    day before, also across a DST change); the hours and minutes left over are exact.
    """
    days, seconds = divmod(before_seconds, 86400)
    wall = starts_at.astimezone(tz).replace(tzinfo=None) - timedelta(days=days)
    # fold=0: a wall time in the spring-forward gap reads as the instant just after it.
    return wall.replace(tzinfo=tz).astimezone(UTC) - timedelta(seconds=seconds)


def quiet_until(local_now: datetime, start: time, end: time) -> time | None:
    """The end of quiet hours when `local_now` is inside them, else None."""
    clock = local_now.time()
    if start == end:
        return None
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    return end if inside else None


def plan(
    store: Store, *, now: datetime, tz: ZoneInfo, channels: tuple[str, ...] | None = None
) -> list[Decision]:
    """Every reminder due by `now` for an appointment still ahead, with its action."""
    active = [r for r in rules_module.active(store) if not channels or r["channel"] in channels]
    if not active:
        return []
    horizon = now + timedelta(seconds=max(r["before_seconds"] for r in active) + 86400)
    appointments = store.query(
        "SELECT a.id, a.patient_id, a.starts_at, a.status, a.type_id, p.mrn, p.first_name,"
        " p.email, p.phone, p.prefers, v.name AS provider"
        " FROM appointments a JOIN patients p ON p.id = a.patient_id"
        " JOIN providers v ON v.id = a.provider_id"
        " WHERE a.starts_at > ? AND a.starts_at <= ? ORDER BY a.starts_at, a.id",
        [utc_text(now), utc_text(horizon)],
    )
    existing = {
        (row["appointment_id"], row["rule_id"], row["starts_at"]): row
        for row in store.query(
            "SELECT id, appointment_id, rule_id, starts_at, status, error FROM reminders"
            " WHERE starts_at > ? AND starts_at <= ?",
            [utc_text(now), utc_text(horizon)],
        )
    }
    quiet_end = quiet_until(
        now.astimezone(tz),
        parse_time(settings.get(store, "remind.quiet_start")),
        parse_time(settings.get(store, "remind.quiet_end")),
    )
    consent_cache: dict[int, dict[str, bool]] = {}
    decisions = []
    for appointment in appointments:
        starts = from_utc_text(appointment["starts_at"])
        due = [
            (rule, due_at(starts, rule["before_seconds"], tz))
            for rule in active
            if rule["type_id"] in (None, appointment["type_id"])
        ]
        due = [(rule, when) for rule, when in due if when <= now]
        # The latest-due rule of a channel speaks for the appointment; earlier ones that
        # come due in the same run (a missed day, a rule added late) would only repeat it.
        latest = {}
        for rule, when in due:
            best = latest.get(rule["channel"])
            if best is None or when > best[1]:
                latest[rule["channel"]] = (rule, when)
        for rule, when in due:
            decision = _decide(
                store,
                appointment,
                rule,
                when,
                existing.get((appointment["id"], rule["id"], appointment["starts_at"])),
                latest[rule["channel"]][0],
                quiet_end,
                consent_cache,
            )
            decisions.append(decision)
    return decisions


def _decide(store, appointment, rule, when, row, latest_rule, quiet_end, consent_cache):
    channel = rule["channel"]
    decision = Decision(
        appointment_id=appointment["id"],
        rule_id=rule["id"],
        channel=channel,
        before_seconds=rule["before_seconds"],
        patient_id=appointment["patient_id"],
        mrn=appointment["mrn"],
        first_name=appointment["first_name"],
        provider=appointment["provider"],
        starts_at=appointment["starts_at"],
        due_at=utc_text(when),
        recipient=appointment[ADDRESS[channel]],
        action="skip",
        reminder_id=row["id"] if row else None,
        status=row["status"] if row else None,
    )
    patient_id = appointment["patient_id"]
    if patient_id not in consent_cache:
        consent_cache[patient_id] = consents(store, patient_id)
    if appointment["status"] != "scheduled":
        decision.reason = f"appointment {appointment['status']}"
    elif row and row["status"] in SETTLED:
        decision.reason = SETTLED[row["status"]]
        if row["status"] in ("failed", "withdrawn") and row["error"]:
            decision.reason += f": {row['error']}"
    elif not consent_cache[patient_id][channel]:
        decision.reason = _no_consent_reason(store, patient_id, channel)
    elif not decision.recipient:
        decision.reason = NO_ADDRESS[channel]
    elif channel == "phone" and appointment["prefers"] != "phone":
        decision.reason = "does not prefer phone calls"
    elif latest_rule["id"] != rule["id"]:
        decision.reason = f"superseded by rule {latest_rule['id']} ({before_text(latest_rule['before_seconds'])} before)"
    elif quiet_end is not None and channel in QUIET_CHANNELS:
        decision.action, decision.reason = "wait", f"quiet hours until {quiet_end:%H:%M}"
    else:
        decision.action = "call" if channel == "phone" else "send"
        if row and row["status"] == "deferred":
            decision.reason = f"again after: {row['error']}"
    return decision


def _no_consent_reason(store: Store, patient_id: int, channel: str) -> str:
    latest = store.one(
        "SELECT granted, source FROM patient_consents WHERE patient_id = ? AND channel = ?"
        " ORDER BY id DESC LIMIT 1",
        [patient_id, channel],
    )
    if latest is None:
        return f"no {channel} consent"
    return f"opted out ({latest['source']})"


DUE_COLUMNS = (
    "appointment_id",
    "appointment_at",
    "mrn",
    "channel",
    "before",
    "due_at",
    "action",
    "reason",
)


def due(
    store: Store,
    *,
    now: datetime,
    tz: ZoneInfo,
    user: str,
    channels: tuple[str, ...] | None = None,
) -> list[dict]:
    """The plan as rows for `remind due`; the view is audited."""
    rows = [
        {
            "appointment_id": d.appointment_id,
            "appointment_at": local_text(d.starts_at, tz),
            "mrn": d.mrn,
            "channel": d.channel,
            "before": before_text(d.before_seconds),
            "due_at": local_text(d.due_at, tz),
            "action": d.action,
            "reason": d.reason or "",
        }
        for d in plan(store, now=now, tz=tz, channels=channels)
    ]
    audit.record(store, user=user, action="remind.due", now=now, detail=f"rows={len(rows)}")
    return rows
