"""Lab history for the 10-year benchmark clinic: about 60,000 orders of the demo's
catalogue, each drawn, sent and resulted (about 120,000 results, 700,000 analytes),
reviewed and told; the last two days still open as a clinic's would be (tests out,
results waiting for review, one critical).

Rows go in with executemany without the per-row checks of `macli lab`: this is a load
generator. Listed in bench/clinic.py GENERATORS.
"""

from __future__ import annotations

from datetime import timedelta

from macli.lab import catalogue, demo, results
from macli.when import utc_text

YEARS = 10
ORDERS = 60_000
SENT_OUT = ["CBC", "Basic metabolic panel", "Comprehensive metabolic panel", "Lipid panel", "TSH"]


def generate(store, rng, now, zone) -> None:
    start = now - timedelta(days=365 * YEARS)
    span = int((now - start).total_seconds())
    with store.write():
        tests = {}
        for line in demo.CATALOGUE.strip().splitlines():
            name, loinc, specimen, container, turnaround, kind, unit, span_text, kit, _ = (
                part.strip() for part in line.split("|")
            )
            if kit or name == "12-lead EKG":
                continue
            tests[name] = catalogue.get(
                store,
                catalogue.add(
                    store,
                    name,
                    loinc=loinc,
                    specimen=specimen,
                    container=container or None,
                    lab=demo.LAB,
                    turnaround=turnaround or None,
                    value_type=kind,
                    unit=unit or None,
                    reference_range=span_text or None,
                    user="bench",
                    now=start,
                )["name"],
            )
        patients = store.scalar("SELECT MAX(id) FROM patients")
        providers = store.scalar("SELECT MAX(id) FROM providers")
        offsets = sorted(rng.randrange(span) for _ in range(ORDERS))
        order_rows, item_rows, specimen_rows, result_rows, obs_rows = [], [], [], [], []
        review_rows, notify_rows = [], []
        item_id = specimen_id = result_id = 0
        recent = now - timedelta(days=2)
        critical_left = True
        for order_id, offset in enumerate(offsets, start=1):
            at = start + timedelta(seconds=offset)
            patient, provider = rng.randint(1, patients), rng.randint(1, providers)
            order_rows.append((order_id, patient, provider, "routine", 0, 0, utc_text(at), "bench"))
            chosen = rng.sample(SENT_OUT, rng.choice((1, 1, 2, 3)))
            specimen_id += 1
            sent = at + timedelta(hours=6)
            specimen_rows.append(
                (
                    specimen_id,
                    order_id,
                    "blood",
                    "gold top (SST)",
                    demo.LAB,
                    utc_text(at),
                    "bench",
                    utc_text(sent) if sent < now else None,
                )
            )
            reported = at + timedelta(hours=22)
            for name in chosen:
                test = tests[name]
                item_id += 1
                due = utc_text(at + timedelta(minutes=test["turnaround_minutes"]))
                item_rows.append((item_id, order_id, test["id"], specimen_id, due))
                if reported > now or (at > recent and rng.random() < 0.5):
                    continue  # still out
                result_id += 1
                abnormal = critical = 0
                for loinc, analyte, unit, span_text, mean, sd, decimals in demo.PANELS[name]:
                    value = demo._value(rng, mean, sd, decimals)
                    flag = results.flag_for(float(value), span_text)
                    abnormal |= flag not in (None, "N")
                    obs_rows.append(
                        (result_id, loinc, analyte, value, float(value), unit, span_text, flag)
                    )
                if at > recent and critical_left and name == "Basic metabolic panel":
                    critical, critical_left = 1, False
                result_rows.append(
                    (
                        result_id,
                        order_id,
                        item_id,
                        patient,
                        provider,
                        utc_text(at),
                        utc_text(reported),
                        utc_text(reported),
                        int(abnormal or critical),
                        critical,
                    )
                )
                if at < recent:
                    seen = reported + timedelta(hours=5)
                    review_rows.append((result_id, provider, utc_text(seen), 1))
                    notify_rows.append((result_id, utc_text(seen + timedelta(hours=3))))
        conn = store.conn
        conn.executemany(
            "INSERT INTO lab_orders (id, patient_id, provider_id, priority, fasting, poc,"
            " ordered_at, ordered_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            order_rows,
        )
        conn.executemany(
            "INSERT INTO lab_specimens (id, order_id, specimen, container, lab, collected_at,"
            " collected_by, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            specimen_rows,
        )
        conn.executemany(
            "INSERT INTO lab_order_items (id, order_id, test_id, specimen_id, due_at)"
            " VALUES (?, ?, ?, ?, ?)",
            item_rows,
        )
        conn.executemany(
            "INSERT INTO lab_results (id, order_id, item_id, patient_id, provider_id, source,"
            " status, observed_at, reported_at, recorded_at, recorded_by, abnormal, critical)"
            " VALUES (?, ?, ?, ?, ?, 'manual', 'final', ?, ?, ?, 'bench', ?, ?)",
            result_rows,
        )
        conn.executemany(
            "INSERT INTO lab_observations (result_id, loinc, name, value, numeric, unit,"
            " reference_range, flag) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            obs_rows,
        )
        conn.executemany(
            "INSERT INTO lab_reviews (result_id, provider_id, at, user, notify_needed)"
            " VALUES (?, ?, ?, 'bench', ?)",
            review_rows,
        )
        conn.executemany(
            "INSERT INTO lab_notifications (result_id, how, at, user) VALUES (?, 'portal', ?, 'bench')",
            notify_rows,
        )
