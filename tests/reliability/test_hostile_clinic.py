"""Hostile input against a whole demo clinic (hypothesis): payments, coding and coverage
for claims, fee schedules, stock quantities, lots, units and kits, reminder rules,
templates and STOP lists. Every input works, or fails with one `Error:` line and nothing
committed."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.reliability.harness import macli
from tests.reliability.hostile import (
    AMOUNTS,
    DATE,
    FUZZ,
    NASTY,
    argv,
    argv_text,
    either,
    judge,
    options,
)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "clinic.db"
    built = macli("demo", "--db", str(path))
    assert built.ok, str(built)
    return path


@pytest.fixture
def clinic(demo_file, db_path) -> dict:
    """A fresh copy of the demo clinic as the test's store, and ids found in it."""
    shutil.copyfile(demo_file, db_path)
    connection = sqlite3.connect(db_path)

    def first(sql):
        return connection.execute(sql).fetchone()[0]

    found = {
        "claims": [
            f"C{claim_id}"
            for (claim_id,) in connection.execute(
                "SELECT MIN(id) FROM bill_claims GROUP BY status ORDER BY status"
            )
        ],
        "visit": str(
            first(
                "SELECT id FROM appointments WHERE status = 'completed'"
                " AND id NOT IN (SELECT appointment_id FROM bill_claims) ORDER BY id DESC"
            )
        ),
        "lot": first("SELECT lot FROM stock_lots ORDER BY id"),
        "sku": first(
            "SELECT i.sku FROM stock_items i JOIN stock_lots l ON l.item_id = i.id ORDER BY l.id"
        ),
        "call": str(first("SELECT id FROM reminders WHERE channel = 'phone' ORDER BY id")),
        "email": str(first("SELECT id FROM reminders WHERE channel = 'email' ORDER BY id")),
    }
    connection.close()
    return found


def some(clinic_key, *others):
    """A strategy for an id from the demo clinic (drawn in the test), or anything."""
    return st.one_of(
        st.just(clinic_key), st.sampled_from(others or ["C0", "C99999", ""]), argv_text()
    )


def pick_id(clinic, value):
    if value in clinic:
        found = clinic[value]
        return found[0] if isinstance(found, list) else found
    return value


QUANTITY = either("1", "0", "-1", "2", "1.5", "1e3", "99999999999999999999", "١٢", " 3 ")
LINE = either(
    "99213",
    "99213:25",
    "99213x2",
    "99213x0",
    "99213:25:59x2@1,2",
    "99213@9",
    "99213x99999999999999999999",
    "@",
    "x2",
    "XXXXX",
    "99213:",
    pattern=r"\d{5}(:[0-9A-Z]{2}){0,2}(x\d{1,3})?(@\d(,\d){0,3})?",
)
DX = either("E11.9", "E11.9,I10", "I10,I10", "E11", "", ",", "Z00.00" + ",I10" * 20)


# -- billing ----------------------------------------------------------------------------------


@FUZZ
@given(
    st.sampled_from(range(6)) | argv_text(),
    AMOUNTS,
    options(adjust=AMOUNTS, reason=either("CO-45", "PR-2", "XX-99", "CO45"), date=DATE),
)
@example(0, "99999999999999999999.99", {})
def test_any_payment(run, db_path, clinic, claim, amount, chosen):
    if isinstance(claim, int):
        claim = clinic["claims"][claim % len(clinic["claims"])]
    judge(run, db_path, argv(["bill", "pay", claim, amount], chosen))


@FUZZ
@given(st.lists(LINE, max_size=4), DX, st.booleans(), some("visit", "0", "99999999"))
def test_any_coding(run, db_path, clinic, lines, dx, yes, visit):
    args = ["bill", "code", pick_id(clinic, visit), "--dx", dx]
    for line in lines:
        args += ["--line", line]
    judge(run, db_path, args + (["--yes"] if yes else []))


@FUZZ
@given(
    options(
        payer=either("Blue Harbor PPO", "New Payer Co"),
        payer_id=either("BHP01", "", "x" * 200),
        member_id=argv_text(),
        group=argv_text(),
        subscriber_name=argv_text(),
        subscriber_dob=DATE,
    ),
    either("P000001", "P000002", "nobody"),
)
def test_any_coverage(run, db_path, clinic, chosen, patient):
    judge(run, db_path, argv(["bill", "coverage", patient], chosen))


def csv_bytes(draw, header, cells) -> bytes:
    rows = [header] if header else []
    for _ in range(draw(st.integers(0, 5))):
        width = draw(st.one_of(st.just(len(header)), st.integers(0, 5)))
        rows.append([draw(cells) for _ in range(width)])
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    data = buffer.getvalue().encode(encoding, errors="replace")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=6)) + data[cut:]
    return data


@FUZZ
@given(st.data(), st.booleans())
@example(None, False)
def test_any_fee_schedule_import(run, db_path, clinic, tmp_path_factory, data, replace):
    if data is None:
        content = b"code,description,fee\n99213,Office visit,99999999999999999999.00\n"
    else:
        header = data.draw(
            st.sampled_from(
                [
                    ["code", "description", "fee"],
                    ["code", "description", "fee", "modifiers"],
                    ["fee"],
                    [],
                ]
            )
        )
        cells = st.one_of(
            AMOUNTS, st.sampled_from(["99213", "36415", "J3420", "25", "25:59", *NASTY])
        )
        content = csv_bytes(data.draw, header, cells)
    path = tmp_path_factory.mktemp("fees") / "fees.csv"
    path.write_bytes(content)
    judge(run, db_path, ["bill", "fees", "import", str(path)] + (["--replace"] if replace else []))


# -- stock ------------------------------------------------------------------------------------


@FUZZ
@given(
    st.sampled_from(["receive", "use", "count", "discard"]),
    some("sku", "NOPE", "glv-nit-s"),
    QUANTITY,
    options(
        lot=some("lot", "NEW-LOT-1"),
        expires=either("2027-01", "2027-13", "2027-02-30", "2020-01-01", "9999-12"),
        cost=AMOUNTS,
        unit_cost=AMOUNTS,
        reason=either("expired", "damaged", "monthly count", "x"),
        patient=either("P000001", "nobody"),
        note=argv_text(),
    ),
)
def test_any_stock_movement(run, db_path, clinic, verb, sku, quantity, chosen):
    allowed = {
        "receive": {"lot", "expires", "cost", "unit_cost", "note"},
        "use": {"lot", "patient", "note"},
        "count": {"lot", "reason"},
        "discard": {"lot", "reason", "note"},
    }[verb]
    chosen = {key: pick_id(clinic, value) for key, value in chosen.items() if key in allowed}
    judge(run, db_path, argv(["stock", verb, pick_id(clinic, sku), quantity], chosen))
    judge(run, db_path, ["stock", "history", pick_id(clinic, sku)])


@FUZZ
@given(
    argv_text(),
    options(
        name=argv_text(),
        unit=either("box", "each", "", "x" * 300),
        reorder_at=QUANTITY,
        reorder_qty=QUANTITY,
        category=either("medical", "vaccines", "supplies:medical", ""),
    ),
    st.lists(
        st.tuples(some("sku", "NOPE"), QUANTITY).map(lambda part: f"{part[0]}:{part[1]}"),
        max_size=3,
    ),
)
def test_any_item_and_kit(run, db_path, clinic, sku, chosen, parts):
    judge(run, db_path, argv(["stock", "item", "add", sku], {"name": "Thing", **chosen}))
    parts = [part.replace("sku:", f"{clinic['sku']}:", 1) for part in parts]
    judge(run, db_path, ["stock", "kit", "add", sku or "kit", *parts])


# -- reminders --------------------------------------------------------------------------------


@FUZZ
@given(
    either("2d", "48h", "90m", "0m", "61d", "1d12h", "99999999999999999d"),
    st.sampled_from(["email", "sms", "phone", "fax"]),
    st.one_of(st.none(), argv_text()),
)
def test_any_reminder_rule(run, db_path, clinic, before, channel, kind):
    args = ["remind", "rule", "add", "--before", before, "--channel", channel]
    judge(run, db_path, args + (["--type", kind] if kind is not None else []))


@FUZZ
@given(
    st.sampled_from(["sms", "email", "phone"]),
    st.one_of(st.text(max_size=300), st.binary(max_size=300)),
)
@example(
    "sms",
    "Hi {first_name}, see you {date} at {time}. {clinic_name} {clinic_phone}. Reply STOP to opt out",
)
@example("sms", "{first_name} {nope} Reply STOP to opt out")
@example("email", b"Subject: x\n\n{first_name}\xff")
def test_any_reminder_template(run, db_path, clinic, tmp_path_factory, channel, content):
    path = tmp_path_factory.mktemp("template") / "template.txt"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(content)
    judge(run, db_path, ["remind", "template", "set", channel, "--file", str(path)])


@FUZZ
@given(
    some("call", "0", "99999999999999999999"),
    either("reached", "voicemail", "no-answer", "wrong-number", "sent"),
    st.data(),
)
def test_any_call_mark_and_stop_list(
    run, db_path, clinic, tmp_path_factory, reminder, outcome, data
):
    judge(run, db_path, ["remind", "mark", pick_id(clinic, reminder), outcome])
    judge(run, db_path, ["remind", "mark", clinic["email"], outcome])
    header = data.draw(
        st.sampled_from([["phone"], ["From", "Body", "Date Sent"], ["number", "date"], []])
    )
    cells = st.one_of(
        st.sampled_from(
            [
                "+16175550142",
                "617-555-0142",
                "STOP",
                "stop",
                "UNSUBSCRIBE",
                "hello",
                "2026-11-20",
                *NASTY,
            ]
        ),
        st.text(max_size=20),
    )
    path = tmp_path_factory.mktemp("stop") / "stop.csv"
    path.write_bytes(csv_bytes(data.draw, header, cells))
    judge(run, db_path, ["remind", "stop-import", str(path)])
