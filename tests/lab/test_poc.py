"""Point-of-care tests: the kit from stock, expired lots refused, controls required."""

import json

from tests.conftest import dump


def clinic(run):
    run("patient add 'Ana Lima' --dob 1990-01-01")
    run("stock item add STREP-KIT --name 'Rapid strep test kit' --unit test")
    run("stock receive STREP-KIT 5 --lot OLD1 --expires 2026-12-31")
    run("stock receive STREP-KIT 5 --lot NEW2 --expires 2027-06-30")
    run(
        "lab test add 'Rapid strep' --loinc 78012-2 --specimen swab --poc --kit STREP-KIT"
        " --value-type text --qc-levels positive,negative --qc-every lot"
    )


def test_poc_uses_the_first_expiring_lot_once_its_controls_passed(run, db_path, store):
    clinic(run)
    before = dump(db_path)
    err = run("lab poc P000001 --test 'Rapid strep' --result negative", expect=1).stderr
    assert "needs its controls first: positive (none run on lot OLD1)" in err
    assert "macli lab control 'Rapid strep' --lot OLD1 --level positive" in err
    assert dump(db_path) == before
    run("lab control 'Rapid strep' --lot OLD1 --level positive --result pass")
    run("lab control 'Rapid strep' --lot OLD1 --level negative --result fail")
    err = run("lab poc P000001 --test 'Rapid strep' --result negative", expect=1).stderr
    assert "negative (failed on 2026-11-26)" in err
    run("lab control 'Rapid strep' --lot OLD1 --level negative --result pass")
    row = json.loads(run("lab poc P000001 --test 'Rapid strep' --result negative -f json").stdout)
    assert row["kit_lot"] == "OLD1" and row["override"] == "no"
    lots = {r["lot"]: r["on_hand"] for r in store.query("SELECT lot, on_hand FROM stock_lots")}
    assert lots == {"OLD1": 4, "NEW2": 5}
    # It is a final result in the provider's inbox.
    assert [r["test"] for r in json.loads(run("lab inbox -f json").stdout)] == ["Rapid strep"]


def test_a_lot_without_controls_needs_an_audited_override(run):
    clinic(run)
    err = run(
        "lab poc P000001 --test 'Rapid strep' --result positive --kit-lot NEW2 --override", expect=1
    ).stderr
    assert "--override needs --why" in err
    row = json.loads(
        run(
            "lab poc P000001 --test 'Rapid strep' --result positive --kit-lot NEW2 --flag A"
            " --override --why 'controls out of stock; Dr Chen agreed' -f json"
        ).stdout
    )
    assert row["override"] == "yes"
    actions = [r["action"] for r in json.loads(run("audit list -f json").stdout)]
    assert "lab.poc.override" in actions


def test_an_expired_lot_is_refused(run, db_path):
    clinic(run)
    run("lab control 'Rapid strep' --lot OLD1 --level positive --result pass")
    run("lab control 'Rapid strep' --lot OLD1 --level negative --result pass")
    before = dump(db_path)
    err = run(
        "--now 2027-01-05T09:00:00 lab poc P000001 --test 'Rapid strep' --result negative --kit-lot OLD1",
        expect=1,
    ).stderr
    assert "expired on 2026-12-31" in err
    assert dump(db_path) == before
    # Without a named lot, the expired one is passed over: the next lot needs its controls.
    err = run(
        "--now 2027-01-05T09:00:00 lab poc P000001 --test 'Rapid strep' --result negative",
        expect=1,
    ).stderr
    assert "on lot NEW2 needs its controls" in err


def test_an_ekg_keeps_its_tracing_in_the_store(run, tmp_path):
    run("patient add 'Ana Lima' --dob 1990-01-01")
    run("lab test add '12-lead EKG' --loinc 34534-8 --specimen other --poc --value-type text")
    tracing = tmp_path / "ekg.pdf"
    tracing.write_bytes(b"%PDF-1.4 tracing\n")
    row = json.loads(
        run(
            f"lab poc P000001 --test '12-lead EKG' --result 'sinus rhythm'"
            f" --interpretation 'NSR 72, normal axis' --attach {tracing} -f json"
        ).stdout
    )
    assert len(row["attachment"]) == 64
    shown = json.loads(run(f"lab show {row['result']} -f json").stdout)
    assert shown["interpretation"] == "NSR 72, normal axis"
    assert shown["attachment_name"] == "ekg.pdf"
    out = tmp_path / "back.pdf"
    run(f"lab attachment {row['result']} -o {out}")
    assert out.read_bytes() == tracing.read_bytes()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    run("check")


def test_a_tracing_is_in_the_backup_and_a_damaged_one_fails_check(run, tmp_path, store):
    run("patient add 'Ana Lima' --dob 1990-01-01")
    run("lab test add '12-lead EKG' --loinc 34534-8 --specimen other --poc --value-type text")
    tracing = tmp_path / "ekg.png"
    tracing.write_bytes(b"\x89PNG\r\n\x1a\n twelve leads")
    row = json.loads(
        run(
            f"lab poc P000001 --test '12-lead EKG' --result 'sinus' --attach {tracing} -f json"
        ).stdout
    )
    copy = tmp_path / "backup.db"
    run(f"backup {copy}")
    back = tmp_path / "from-backup.png"
    run(f"--db {copy} lab attachment {row['result']} -o {back}")
    assert back.read_bytes() == tracing.read_bytes()
    # What a disk fault would do to the kept tracing, past the append-only guard.
    store.conn.execute("DROP TRIGGER blobs_no_update")
    store.conn.execute(
        "UPDATE blobs SET data = CAST('twelve leeds!!!!!!!!!' AS BLOB) WHERE sha256 = ?",
        [row["attachment"]],
    )
    err = run("check", expect=1).stderr
    assert f"the file kept as {row['attachment'][:12]}... does not match its digest" in err
