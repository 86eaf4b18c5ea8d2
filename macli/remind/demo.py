"""Demo reminders: three rules, a month of history with transport ids, a few failures and
call outcomes, and today's call list. Nothing is sent: rows are written directly, and the
demo configures no mail server or SMS provider, so `remind send` on it refuses to run."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from macli.patients.core import consents
from macli.remind import outbox, planner
from macli.when import from_utc_text, localize, utc_text

# Calls two days ahead: a Monday visit is called on Saturday morning, when the desk is in.
RULES = [("email", 2 * 86400), ("sms", 86400), ("phone", 2 * 86400)]
HISTORY_DAYS = 30
QUIET_START, QUIET_END = time(20, 0), time(8, 0)
MAIL_DOMAIN = "riverside.example.org"
# Outcomes of past reminders, with weights: mostly sent, a few failures.
EMAIL_OUTCOMES = [
    ("sent", None, 95),
    ("failed", "550 5.1.1 Recipient address rejected: User unknown", 3),
    ("sent", "451 4.7.1 Greylisted, try again later", 2),  # went through on the next run
]
SMS_OUTCOMES = [
    ("sent", None, 94),
    ("failed", "HTTP 400 error 21211: The 'To' number is not a valid phone number.", 3),
    ("sent", "HTTP 429 error 20429: Too Many Requests", 3),
]
CALL_OUTCOMES = [("reached", 6), ("voicemail", 3), ("no-answer", 2), ("wrong-number", 1)]


def populate(context) -> None:
    store, now, tz = context.store, context.now, context.zone
    stamp = utc_text(now)
    rule_ids = {}
    for channel, seconds in RULES:
        rule_ids[channel] = store.insert(
            "reminder_rules",
            {
                "channel": channel,
                "before_seconds": seconds,
                "active": 1,
                "created_at": utc_text(now - timedelta(days=HISTORY_DAYS + 30)),
                "created_by": context.user,
            },
        )
    # Everything cron would have handled by now: reminders of the last month's visits and
    # of the coming ones whose time has come, except those of the last quarter hour (the
    # next run's work, for `remind due`). Calls the desk has not got to stay on its list.
    last_run = now - timedelta(minutes=15)
    appointments = store.query(
        "SELECT a.id, a.patient_id, a.starts_at, a.created_at, p.email, p.phone, p.prefers"
        " FROM appointments a JOIN patients p ON p.id = a.patient_id"
        " WHERE a.status != 'cancelled' AND a.starts_at >= ? AND a.starts_at < ?"
        " ORDER BY a.starts_at, a.id",
        [utc_text(now - timedelta(days=HISTORY_DAYS)), utc_text(now + timedelta(days=3))],
    )
    # When each patient agreed to each channel: nothing goes out before that.
    consented = {
        (row["patient_id"], row["channel"]): row["at"]
        for row in store.query(
            "SELECT patient_id, channel, MIN(at) AS at FROM patient_consents WHERE granted = 1"
            " GROUP BY patient_id, channel"
        )
    }
    # The desk makes its calls while the clinic is open, until half an hour before closing.
    desk = {
        row[0]: (time.fromisoformat(row[1]), time.fromisoformat(row[2]))
        for row in store.conn.execute(
            "SELECT weekday, MIN(starts), MAX(ends) FROM working_hours GROUP BY weekday"
        )
    }
    rows = []
    for appointment in appointments:
        allowed = consents(store, appointment["patient_id"])
        starts = from_utc_text(appointment["starts_at"])
        booked = from_utc_text(appointment["created_at"])
        for channel, seconds in RULES:
            address = appointment[planner.ADDRESS[channel]]
            if not allowed[channel] or not address:
                continue
            if channel == "phone" and appointment["prefers"] != "phone":
                continue
            due = planner.due_at(starts, seconds, tz)
            # A booking made after its reminder fell due gets it on the next run.
            ready = max(due, booked)
            if ready > last_run:
                continue
            if utc_text(ready) < consented[appointment["patient_id"], channel]:
                continue
            rows.append(
                _history_row(context, appointment, rule_ids[channel], channel, (due, ready), desk)
            )
    _since_yesterday(rows, context)
    store.conn.executemany(
        "INSERT INTO reminders (appointment_id, rule_id, starts_at, patient_id, channel, due_at,"
        " status, recipient, transport_id, attempts, error, claimed_at, sent_at, updated_at,"
        " updated_by) VALUES (:appointment_id, :rule_id, :starts_at, :patient_id, :channel,"
        " :due_at, :status, :recipient, :transport_id, :attempts, :error, :claimed_at, :sent_at,"
        " :updated_at, :updated_by)",
        rows,
    )
    # Today's call list: the phone reminders due now, claimed as `remind send` would.
    for decision in planner.plan(store, now=now, tz=tz, channels=("phone",)):
        if decision.action == "call":
            outbox.record_claim(store, decision, "to-call", stamp, "cron")


def _history_row(context, appointment, rule_id, channel, times, desk) -> dict:
    rng, tz = context.rng, context.zone
    due, ready = times
    handled = ready + timedelta(minutes=rng.randint(0, 14))
    if channel in planner.QUIET_CHANNELS:
        # Quiet hours (the defaults) hold SMS and calls for the 08:00 run.
        local = handled.astimezone(tz)
        if planner.quiet_until(local, QUIET_START, QUIET_END):
            morning = local.date() + timedelta(days=1 if local.time() >= QUIET_START else 0)
            handled = datetime.combine(morning, QUIET_END).replace(tzinfo=tz)
    row = {
        "appointment_id": appointment["id"],
        "rule_id": rule_id,
        "starts_at": appointment["starts_at"],
        "patient_id": appointment["patient_id"],
        "channel": channel,
        "due_at": utc_text(due),
        "recipient": appointment[planner.ADDRESS[channel]],
        "attempts": 1,
        "error": None,
        "transport_id": None,
        "claimed_at": utc_text(handled),
        "sent_at": None,
        "updated_at": utc_text(handled),
        "updated_by": "cron",
    }
    if channel == "phone":
        called = _call_time(rng, handled, tz, desk)
        if called is None or called > context.now or utc_text(called) >= row["starts_at"]:
            row.update(status="to-call", attempts=0)  # still on the call list
            return row
        outcome = _weighted(rng, [(name, weight) for name, weight in CALL_OUTCOMES])
        row.update(status=outcome, updated_by="front-desk", updated_at=utc_text(called))
        if outcome == "reached":
            row["sent_at"] = row["updated_at"]
        return row
    outcomes = EMAIL_OUTCOMES if channel == "email" else SMS_OUTCOMES
    status, error = _weighted(rng, [((s, e), w) for s, e, w in outcomes])
    row.update(status=status, error=error)
    if status == "sent":
        if error:  # a temporary failure first, sent by the next run
            row["attempts"] = 2
            handled += timedelta(minutes=15)
            row["updated_at"] = utc_text(handled)
        row["sent_at"] = row["updated_at"]
        row["transport_id"] = (
            f"<remind.{rng.getrandbits(32):08x}.{rng.getrandbits(64):016x}@{MAIL_DOMAIN}>"
            if channel == "email"
            else f"SM{rng.getrandbits(128):032x}"
        )
    return row


def _call_time(rng, claimed: datetime, tz, desk: dict) -> datetime | None:
    """When the desk gets to a call put on its list at `claimed`: then if it is in, else
    when it next opens (a call due on Sunday waits for Monday morning)."""
    local = claimed.astimezone(tz).replace(tzinfo=None)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        if day.weekday() not in desk:
            continue
        opens, closes = desk[day.weekday()]
        begin = datetime.combine(day, opens)
        end = datetime.combine(day, closes) - timedelta(minutes=30)
        moment = max(local, begin) + timedelta(minutes=rng.randint(0, 40))
        if moment <= end:
            return localize(moment, tz)
    return None


def _since_yesterday(rows: list[dict], context) -> None:
    """The day sheet shows what failed or is still pending since yesterday: make sure
    there is some (a mailbox that no longer exists, a call nobody answered), as there
    would be in any real week of reminders."""
    since = utc_text(
        datetime.combine(context.today - timedelta(days=1), time()).replace(tzinfo=context.zone)
    )
    recent = sorted(
        (row for row in rows if row["updated_at"] >= since), key=lambda row: row["claimed_at"]
    )
    mails = [row for row in recent if row["channel"] == "email"]
    if mails and not any(row["status"] == "failed" for row in mails):
        mails[-1].update(
            status="failed",
            error=EMAIL_OUTCOMES[1][1],
            attempts=1,
            transport_id=None,
            sent_at=None,
            updated_at=mails[-1]["claimed_at"],
        )
    calls = [row for row in recent if row["channel"] == "phone"]
    if calls and not any(row["status"] in ("no-answer", "to-call") for row in calls):
        calls[-1].update(status="no-answer", sent_at=None)


def _weighted(rng, choices):
    return rng.choices([value for value, _ in choices], weights=[w for _, w in choices])[0]
