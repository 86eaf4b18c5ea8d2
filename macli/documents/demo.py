"""Documents and letters of the demo clinic: the recent patients' insurance cards, the
referrals and outside records that came back by fax, and the letters the desk sent
(results letters after results, a missed-appointment letter after a no-show). All
synthetic: made-up senders, PDFs drawn here, filed through the same functions as the
commands, each on the day it would have happened."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta

from macli.documents import filing, letters
from macli.when import from_utc_text

SENDERS = (
    ("Bayside Cardiology", "Dr. Priya Raman", "echocardiogram and a heart rhythm check"),
    ("Harbor Orthopedics", "Dr. Luis Ortega", "knee pain on stairs for three months"),
    ("Northgate Dermatology", "Dr. Emma Stone", "a changing mole on the back"),
    ("Mercy General Hospital", "Discharge office", "discharge summary after a short stay"),
)
RECENT_DAYS = 45
CARDS = 40  # patients with an insurance card on file
RESULT_LETTERS = 24
MISSED_LETTERS = 10


def _png(seed: int) -> bytes:
    """A tiny picture standing in for a phone photo of a card (unique per patient)."""
    width, height = 6, 4
    shade = bytes([seed % 256, (seed // 256) % 256, 120])
    raw = b"".join(b"\x00" + shade * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))


def _faxed_pdf(sender: tuple, patient: dict, day, at: datetime) -> bytes:
    from macli import pdf

    clinic, doctor, about = sender
    doc = pdf.start({"name": clinic, "address": "Fax 555-0177"}, "Referral / clinical note")
    doc.set_creation_date(at)
    pdf.text(doc, f"Date: {day.isoformat()}")
    pdf.text(doc, f"Patient: {patient['name']}  DOB {patient['dob']}")
    pdf.text(doc, f"From: {doctor}")
    pdf.text(doc, f"Reason: {about}.")
    pdf.text(doc, "Please see the enclosed notes. Thank you for the referral.")
    return bytes(doc.output())


def _scan_pdf(seed: int, at: datetime) -> bytes:
    """A PDF holding only a picture, as a fax of a handwritten form arrives: no text."""
    from fpdf import FPDF

    doc = FPDF()
    doc.set_creation_date(at)
    doc.add_page()
    doc.set_fill_color(seed % 200, 90, 140)
    doc.rect(20, 20 + seed % 30, 120, 60, style="F")
    return bytes(doc.output())


def _at(day, hour: int, context) -> datetime:
    from macli.when import localize

    return localize(datetime(day.year, day.month, day.day, hour, 15), context.zone)


def populate(context) -> None:
    store, rng, zone = context.store, context.rng, context.zone
    today = context.today
    since = (context.now - timedelta(days=RECENT_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = store.query(
        "SELECT p.id, p.mrn, p.name, p.dob, MIN(a.starts_at) AS first_visit"
        " FROM appointments a JOIN patients p ON p.id = a.patient_id"
        " WHERE a.status = 'completed' AND a.starts_at >= ? AND a.ends_at <= ?"
        " GROUP BY p.id ORDER BY p.id",
        [since, context.now.strftime("%Y-%m-%dT%H:%M:%SZ")],
    )
    for number, patient in enumerate(rng.sample(recent, min(CARDS, len(recent)))):
        day = from_utc_text(patient["first_visit"]).astimezone(zone).date()
        filed_at = min(_at(day, 8, context), context.now)
        filing.file(
            store,
            patient["mrn"],
            [(f"card-{patient['mrn'].lower()}.png", _png(patient["id"]))],
            kind="insurance-card",
            source="front desk",
            user=context.user,
            now=filed_at,
            today=day,
        )
        if number % 3 == 0:
            sender = SENDERS[number % len(SENDERS)]
            later = min(day + timedelta(days=rng.randint(1, 10)), today)
            kind = "outside-record" if "Hospital" in sender[0] else "referral"
            filing.file(
                store,
                patient["mrn"],
                [
                    (
                        f"fax-{later.isoformat()}-{patient['id']}.pdf",
                        _faxed_pdf(sender, patient, later, filed_at),
                    )
                ],
                kind=kind,
                dated=later.isoformat(),
                source=f"{sender[1]}, {sender[0]}",
                user=context.user,
                now=min(_at(later, 9, context), context.now),
                today=later,
            )
        if number % 5 == 1:
            filing.file(
                store,
                patient["mrn"],
                [(f"consent-{patient['id']}.pdf", _scan_pdf(patient["id"], filed_at))],
                kind="consent",
                note="signed treatment consent (scanned)",
                user=context.user,
                now=filed_at,
                today=day,
            )
    _results_letters(context)
    _missed_letters(context)


def _results_letters(context) -> None:
    """A letter the day after a patient's latest results (normal, or come in)."""
    from macli.chart import findings

    store, zone = context.store, context.zone
    latest = store.query(
        "SELECT e.patient_id, p.mrn, MAX(e.at) AS at FROM chart_entries e"
        " JOIN patients p ON p.id = e.patient_id WHERE e.kind = 'result'"
        " GROUP BY e.patient_id ORDER BY at DESC LIMIT ?",
        [RESULT_LETTERS + 10],
    )
    written = 0
    for row in latest:
        day = from_utc_text(row["at"]).astimezone(zone).date() + timedelta(days=1)
        if day >= context.today or written >= RESULT_LETTERS:
            continue
        rows = findings.results(store, row["patient_id"], tz=zone)
        last = max(from_utc_text(r["at"]).astimezone(zone).date() for r in rows)
        flagged = any(
            r["flag"] for r in rows if from_utc_text(r["at"]).astimezone(zone).date() == last
        )
        letters.write(
            store,
            row["mrn"],
            "follow-up-results" if flagged else "normal-results",
            user=context.user,
            now=_at(day, 11, context),
            today=day,
            tz=zone,
        )
        written += 1


def _missed_letters(context) -> None:
    store, zone = context.store, context.zone
    missed = store.query(
        "SELECT a.id, p.mrn, a.starts_at FROM appointments a JOIN patients p ON p.id = a.patient_id"
        " WHERE a.status = 'no-show' ORDER BY a.starts_at DESC LIMIT ?",
        [MISSED_LETTERS + 5],
    )
    written = 0
    for visit in missed:
        day = from_utc_text(visit["starts_at"]).astimezone(zone).date() + timedelta(days=1)
        if day >= context.today or written >= MISSED_LETTERS:
            continue
        letters.write(
            store,
            visit["mrn"],
            "missed-appointment",
            appointment_id=visit["id"],
            user=context.user,
            now=_at(day, 10, context),
            today=day,
            tz=zone,
        )
        written += 1


SPANISH_LETTERS = 4


def populate_languages(context) -> None:
    """Letters to the patients who read Spanish, written in Spanish: their results if
    they have any, else a "we could not reach you" letter, yesterday morning."""
    from macli.chart import findings

    store, zone = context.store, context.zone
    day = context.today - timedelta(days=1)
    speakers = store.query(
        "SELECT id, mrn FROM patients WHERE language = 'es' ORDER BY id LIMIT ?",
        [SPANISH_LETTERS],
    )
    for patient in speakers:
        rows = findings.results(store, patient["id"], tz=zone)
        if rows:
            last = max(from_utc_text(r["at"]).astimezone(zone).date() for r in rows)
            flagged = any(
                r["flag"] for r in rows if from_utc_text(r["at"]).astimezone(zone).date() == last
            )
            name = "follow-up-results" if flagged else "normal-results"
        else:
            name = "could-not-reach"
        letters.write(
            store,
            patient["mrn"],
            name,
            user=context.user,
            now=min(_at(day, 11, context), context.now),
            today=day,
            tz=zone,
        )
