"""Reminder benchmark: one `macli remind send` of 2,000 e-mail reminders to a local
aiosmtpd server, on a copy of the large clinic, next to plain smtplib sending the same
number of messages over one connection (the floor any sender has to pay).

    python bench/bench_remind.py

Writes the `remind` section of docs/performance.md. Target: under 10 s, one connection.
"""

from __future__ import annotations

import shutil
import smtplib
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clinic  # noqa: E402
from bench.harness import (  # noqa: E402
    NOW,
    OUT,
    arguments,
    env_for,
    macli_path,
    ms,
    table,
    time_run,
    verdict,
    write_section,
)
from macli.migrations import open_store  # noqa: E402
from macli.when import localize, utc_text, zone  # noqa: E402
from tests.servers import LocalController  # noqa: E402

REMINDERS = 2000
RUNS = 3
# A day well past anything the generators book, so exactly our 2,000 are due.
DAY = date(2028, 2, 16)
SEND_AT = "2028-02-14T19:00:00"  # two days before, after the last visit's due time
TARGET_SECONDS = 10


class Counter:
    """Takes every message and counts messages and connections; nothing else."""

    def __init__(self):
        self.messages = 0
        self.sessions = set()

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.sessions.add(id(session))
        return "250 OK"


def prepare(source: Path) -> Path:
    """A copy of the large clinic with 2,000 visits on DAY and an e-mail rule 2 days before."""
    target = OUT / "remind-template.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, target)
    store = open_store(target)
    tz = zone("America/New_York")
    stamp = utc_text(datetime(2026, 11, 26, 14, 0, tzinfo=UTC))
    day_start = localize(datetime.combine(DAY, datetime.min.time()), tz)
    with store.write():
        clash = store.scalar(
            "SELECT COUNT(*) FROM appointments WHERE starts_at >= ? AND starts_at < ?",
            [utc_text(day_start - timedelta(days=3)), utc_text(day_start + timedelta(days=3))],
        )
        if clash:
            raise SystemExit(f"{clash} appointments already near {DAY}; pick another DAY")
        type_id = store.scalar("SELECT id FROM appointment_types ORDER BY id LIMIT 1")
        if type_id is None:
            type_id = store.insert(
                "appointment_types", {"name": "Follow-up", "duration_minutes": 15, "active": 1}
            )
        providers = [row["id"] for row in store.query("SELECT id FROM providers ORDER BY id")]
        rows = []
        for index in range(REMINDERS):
            provider = providers[index % len(providers)]
            slot = index // len(providers)  # five-minute slots from 08:00
            starts = localize(
                datetime.combine(DAY, datetime.min.time()) + timedelta(hours=8, minutes=5 * slot),
                tz,
            )
            rows.append(
                (
                    1 + index * 29,  # 2,000 different patients across the 60,000
                    provider,
                    type_id,
                    utc_text(starts),
                    utc_text(starts + timedelta(minutes=5)),
                    stamp,
                    stamp,
                    "bench",
                    stamp,
                )
            )
        store.conn.executemany(
            "INSERT INTO appointments (patient_id, provider_id, type_id, starts_at, ends_at,"
            " status, status_at, created_at, created_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?)",
            rows,
        )
        for key, value in (
            ("clinic.name", "Riverside Family Practice"),
            ("clinic.phone", "+16175550100"),
            ("smtp.host", "127.0.0.1"),
            ("smtp.security", "none"),
            ("smtp.from", "reminders@clinic.example.org"),
        ):
            store.execute(
                "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value, stamp, "bench"],
            )
        store.execute("UPDATE reminder_rules SET active = 0")
        store.insert(
            "reminder_rules",
            {
                "channel": "email",
                "before_seconds": 2 * 86400,
                "active": 1,
                "created_at": stamp,
                "created_by": "bench",
            },
        )
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return target


def fresh_copy(template: Path, port: int) -> Path:
    target = OUT / "remind-run.db"
    for suffix in ("", "-wal", "-shm", ".lock", ".remind-send.lock"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(template, target)
    store = open_store(target)
    with store.write():
        store.execute("UPDATE settings SET value = ? WHERE key = 'smtp.port'", [str(port)])
        if not store.scalar("SELECT 1 FROM settings WHERE key = 'smtp.port'"):
            store.execute(
                "INSERT INTO settings (key, value, updated_at, updated_by)"
                " VALUES ('smtp.port', ?, '2026-11-26T14:00:00Z', 'bench')",
                [str(port)],
            )
    store.close()
    return target


def macli_send(template: Path) -> tuple[list[float], int, int]:
    samples, messages, connections = [], 0, 0
    for _ in range(RUNS):
        counter = Counter()
        server = LocalController(counter, hostname="127.0.0.1", port=0)
        server.start()
        try:
            db = fresh_copy(template, server.port)
            started = time.perf_counter()
            completed = subprocess.run(
                [macli_path(), "remind", "send"],
                env=env_for(db, MACLI_NOW=SEND_AT),
                capture_output=True,
            )
            samples.append(time.perf_counter() - started)
        finally:
            server.stop()
        if completed.returncode != 0 or completed.stdout or completed.stderr:
            raise SystemExit(f"remind send failed: {completed.returncode} {completed.stderr!r}")
        messages, connections = counter.messages, len(counter.sessions)
        if messages != REMINDERS:
            raise SystemExit(f"the server took {messages} messages, expected {REMINDERS}")
    return samples, messages, connections


def smtplib_floor() -> list[float]:
    """2,000 messages already built as bytes, through smtplib over one connection."""
    messages = []
    for index in range(REMINDERS):
        message = EmailMessage()
        message["From"] = "reminders@clinic.example.org"
        message["To"] = f"patient{index}@example.org"
        message["Subject"] = "Appointment reminder: Wed Feb 16 at 9:00 AM"
        message.set_content("Hello Ana,\n\nThis is a reminder of your appointment.\n")
        messages.append((message["To"], message.as_bytes(policy=SMTP)))
    samples = []
    for _ in range(RUNS):
        counter = Counter()
        server = LocalController(counter, hostname="127.0.0.1", port=0)
        server.start()
        try:
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", server.port) as smtp:
                for recipient, data in messages:
                    smtp.sendmail("reminders@clinic.example.org", [recipient], data)
            samples.append(time.perf_counter() - started)
        finally:
            server.stop()
    return samples


def main() -> None:
    template = prepare(clinic.large())
    ours, messages, connections = macli_send(template)
    floor = smtplib_floor()
    mine, base = statistics.median(ours), statistics.median(floor)

    def timed(*args, now=NOW):
        return time_run([macli_path(), *args], env=env_for(template, MACLI_NOW=now), repeat=5)

    store = open_store(template)
    history = store.scalar("SELECT COUNT(*) FROM reminders")
    appointments = store.scalar("SELECT COUNT(*) FROM appointments")
    store.close()
    send_rows = [
        [
            "plain `smtplib`: 2,000 messages built beforehand, one connection (the floor)",
            f"{base:.2f} s",
            "1.0x",
            "",
            "",
        ],
        [
            f"`macli remind send`: plan, claim, render and record {REMINDERS:,} reminders"
            f" ({messages:,} messages over {connections} connection)",
            f"{mine:.2f} s",
            f"{mine / base:.1f}x",
            f"< {TARGET_SECONDS} s, one connection",
            verdict(
                "remind",
                f"`macli remind send` of {REMINDERS:,} e-mail reminders",
                f"{mine:.2f} s over {connections} connection",
                f"< {TARGET_SECONDS} s, one connection",
                mine < TARGET_SECONDS and connections == 1,
            ),
        ],
    ]
    listing_rows = [
        [
            f"`remind due -f csv` with the {REMINDERS:,} due",
            ms(timed("remind", "due", "-f", "csv", now=SEND_AT)),
        ],
        ["`remind due -f csv` at the bench clock", ms(timed("remind", "due", "-f", "csv"))],
        [
            "`remind log --date 2026-11-25 -f csv`",
            ms(timed("remind", "log", "--date", "2026-11-25", "-f", "csv")),
        ],
        ["`remind calls --date 2026-11-25`", ms(timed("remind", "calls", "--date", "2026-11-25"))],
    ]
    write_section(
        "remind",
        "### Sending 2,000 e-mail reminders to a local SMTP server (aiosmtpd)\n\n"
        f"On a copy of the large clinic, median of {RUNS} runs, each on a fresh copy; the"
        " whole `macli remind send` process is timed, start-up included.\n\n"
        + table(["command", "median", "ratio", "target", ""], send_rows)
        + f"\n\n### Reminder listings on the large clinic ({appointments:,} appointments,"
        f" {history:,} reminders in the outbox; median of 5, start-up included)\n\n"
        + table(["command", "median"], listing_rows)
        + "\n\nReproduce: `python bench/bench_remind.py`.",
    )


if __name__ == "__main__":
    arguments(__doc__)
    main()
