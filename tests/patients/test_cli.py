"""Patients and providers through the CLI, the way front-desk staff use them."""

import csv
import io
import json
import os
import stat

import pytest

from tests.conftest import dump


def add_ana(run):
    return run(
        "patient add 'García, José' --dob 1980-02-03 --phone 617-555-0142 "
        "--email Jose@Example.ORG --prefers sms --consent sms,email --sex m"
    ).stdout.strip()


def test_add_prints_the_mrn_and_normalises_contacts(run):
    assert add_ana(run) == "P000001"
    shown = json.loads(run("patient show P000001 -f json").stdout)
    assert shown["name"] == "José García"
    assert shown["phone"] == "+16175550142"
    assert shown["email"] == "Jose@example.org"
    assert shown["sex"] == "male"
    assert shown["consent"] == "sms, email"
    assert [h["channel"] for h in shown["consent_history"]] == ["sms", "email"]


@pytest.mark.parametrize(
    "args, message",
    [
        ("patient add 'Ana Lima' --dob 1990-02-30", "cannot read date '1990-02-30'"),
        ("patient add 'Ana Lima' --dob 2030-01-01", "in the future"),
        ("patient add 'Ana Lima' --dob 1990-01-01 --phone 12", "phone number"),
        ("patient add 'Ana Lima' --dob 1990-01-01 --phone 555-0142", "phone number"),
        ("patient add 'Ana Lima' --dob 1990-01-01 --email ana@", "not a valid e-mail address"),
        ("patient add 'Ana Lima' --dob 1990-01-01 --sex q", "unknown sex"),
        ("patient add 'Ana Lima' --dob 1990-01-01 --consent fax", "unknown channel 'fax'"),
        ("patient add '1234' --dob 1990-01-01", "does not look like a name"),
        ("patient add 'García, José' --dob 1980-02-03", "already registered as P000001"),
        ("patient show nobody", "no patient matches 'nobody'"),
        ("patient show P999999", "no patient with MRN P999999"),
        ("patient edit P000001", "nothing to change"),
        ("patient edit P000001 --phone abc", "phone number"),
        ("patient consent P000001 --give pigeon", "unknown channel"),
    ],
)
def test_bad_input_gets_one_error_line_and_writes_nothing(run, db_path, args, message):
    add_ana(run)
    before = dump(db_path)
    result = run(args, expect=1)
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert dump(db_path) == before


def test_usage_errors_exit_2(run):
    assert run("patient add 'Ana Lima'", expect=2).exit_code == 2
    assert run("patient add 'Ana Lima' --dob 1990-01-01 --prefers fax", expect=2).exit_code == 2
    assert "--now" in run("--now yesterday patient list", expect=2).stderr
    assert run("patient consent P000001", expect=2).exit_code == 2


def test_search_ignores_case_and_accents(run):
    add_ana(run)
    run("patient add 'Zoë Müller' --dob 1975-07-07")
    for needle in ("jose", "JOSÉ", "garcia", "gArCíA"):
        rows = json.loads(run(["patient", "list", "--search", needle, "-f", "json"]).stdout)
        assert [row["mrn"] for row in rows] == ["P000001"], needle
    assert json.loads(run("patient show muller -f json").stdout)["name"] == "Zoë Müller"
    assert json.loads(run("patient list --search 617555 -f json").stdout)[0]["mrn"] == "P000001"


def test_ambiguous_fragment_lists_the_candidates(run):
    run("patient add 'Ana Lima' --dob 1990-01-01")
    run("patient add 'Ana Limão' --dob 1991-01-01")
    result = run("patient show 'ana li'", expect=1)
    assert "matches several patients" in result.stderr
    assert "Ana Lima (P000001, born 1990-01-01)" in result.stderr
    assert "Ana Limão (P000002" in result.stderr
    # The exact full name picks one even though it is also a fragment of the other.
    assert json.loads(run("patient show 'ana lima' -f json").stdout)["mrn"] == "P000001"


def test_edit_changes_details_but_never_the_mrn(run):
    add_ana(run)
    run("patient edit jose --name 'José A. García' --phone '(857) 555-0100' --email ''")
    shown = json.loads(run("patient show P000001 -f json").stdout)
    assert shown["name"] == "José A. García" and shown["mrn"] == "P000001"
    assert shown["phone"] == "+18575550100" and shown["email"] is None


def test_consent_history_is_kept(run):
    add_ana(run)
    run("patient consent P000001 --withdraw sms --source 'replied STOP'")
    run("--now 2026-11-27T10:00 patient consent P000001 --give phone")
    shown = json.loads(run("patient show P000001 -f json").stdout)
    assert shown["consent"] == "email, phone"
    history = [(h["channel"], h["consent"], h["source"]) for h in shown["consent_history"]]
    assert history[-2:] == [("sms", "withdrawn", "replied STOP"), ("phone", "given", "staff")]


def write_csv(path, rows, header=("name", "dob", "phone", "email", "consent")):
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_import_is_all_or_nothing(run, db_path, tmp_path):
    add_ana(run)
    good = tmp_path / "good.csv"
    write_csv(
        good,
        [
            ["Omar Ali", "1970-05-05", "617 555 0199", "", "sms"],
            ["Mei Chen", "2001-12-12", "", "mei@example.org", ""],
        ],
    )
    assert "Imported 2 patients." in run(["patient", "import", str(good)]).stdout
    assert json.loads(run("patient show omar -f json").stdout)["consent"] == "sms"
    before = dump(db_path)
    cases = {
        "bad-phone.csv": (
            [["A B", "1970-01-01", "", "", ""], ["C D", "1970-01-01", "12", "", ""]],
            "line 3: ",
        ),
        "bad-date.csv": ([["A B", "19700101", "", "", ""]], "line 2: cannot read date"),
        "twice.csv": (
            [["A B", "1970-01-01", "", "", ""], ["a b", "1970-01-01", "", "", ""]],
            "appears twice",
        ),
        "exists.csv": ([["Omar Ali", "1970-05-05", "", "", ""]], "already registered"),
        "short.csv": ([["A B", "1970-01-01"]], "line 2: has 2 fields"),
    }
    for name, (rows, message) in cases.items():
        path = tmp_path / name
        write_csv(path, rows)
        result = run(["patient", "import", str(path)], expect=1)
        assert message in result.stderr, (name, result.stderr)
        assert "nothing was imported" in result.stderr
        assert dump(db_path) == before, name
    unknown = tmp_path / "unknown.csv"
    write_csv(unknown, [["A B", "1970-01-01"]], header=("name", "dob", "ssn"))
    assert "unknown column(s) ssn" in run(["patient", "import", str(unknown)], expect=1).stderr
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"name,dob\n\xff\xfe,1970-01-01\n")
    assert "not UTF-8" in run(["patient", "import", str(binary)], expect=1).stderr
    assert dump(db_path) == before


def test_a_latin1_csv_is_refused_naming_the_line_and_how_to_save_it(run, db_path, tmp_path):
    before = dump(db_path)
    latin1 = tmp_path / "from-excel.csv"
    latin1.write_bytes(
        "name,dob\nAna Lopez,1980-01-02\nJosé Martínez,1970-05-06\n".encode("cp1252")
    )
    error = run(["patient", "import", str(latin1)], expect=1).stderr
    assert "line 3 has the byte 0xE9, probably 'é' saved as Windows-1252/Latin-1" in error
    assert "Save it as UTF-8" in error
    assert len(error.strip().splitlines()) == 1
    assert dump(db_path) == before


def test_csv_export_neutralises_formulas_and_is_private(run, tmp_path):
    run(["patient", "add", "=HYPERLINK(1+1) Bob Smith", "--dob", "1970-01-01"])
    out = run("patient export -f csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["name"].startswith("'=HYPERLINK")
    target = tmp_path / "patients.csv"
    run(["patient", "export", "-f", "csv", "-o", str(target)])
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert "'=HYPERLINK" in target.read_text()
    assert "patient.export" in run("audit list").stdout


def test_json_is_an_array_and_csv_has_a_header_when_empty(run):
    assert json.loads(run("patient list -f json").stdout) == []
    assert run("patient list -f csv").stdout == "mrn,name,dob,sex,phone,email,prefers\n"


def test_providers(run, db_path):
    assert run("provider add 'Dr. Maya Chen' --title MD --color teal").stdout.strip() == "1"
    run("provider edit chen --npi 1234567893")
    rows = json.loads(run("provider list -f json").stdout)
    assert rows == [
        {
            "id": 1,
            "name": "Dr. Maya Chen",
            "title": "MD",
            "color": "teal",
            "npi": "1234567893",
            "active": 1,
        }
    ]
    before = dump(db_path)
    assert "check digit" in run("provider edit chen --npi 1234567890", expect=1).stderr
    assert "already exists" in run("provider add 'dr. maya chen'", expect=1).stderr
    assert dump(db_path) == before


def test_config(run, db_path):
    assert run("config get clinic.timezone").stdout.strip() == "America/New_York"
    run("config set clinic.timezone Europe/Lisbon")
    assert run("config get clinic.timezone").stdout.strip() == "Europe/Lisbon"
    run("config set clinic.phone '(617) 555-0100'")
    assert run("config get clinic.phone").stdout.strip() == "+16175550100"
    before = dump(db_path)
    result = run("config set clinic.colour blue", expect=1)
    assert "unknown setting 'clinic.colour'; known settings: clinic.name" in result.stderr
    assert "unknown time zone" in run("config set clinic.timezone Mars/Base", expect=1).stderr
    assert "ISO 4217" in run("config set clinic.currency dollars", expect=1).stderr
    assert dump(db_path) == before
    listing = json.loads(run("config list -f json").stdout)
    assert {"key": "clinic.currency", "value": "USD", "source": "default"}.items() <= listing[
        3
    ].items()


@pytest.mark.parametrize(
    "data, line",
    [(b"NAME, Dob ,Email\r\x01\n", 1), (b"name,dob\nAna Lima,1990-01-01\rx\n", 2)],
)
def test_a_lone_carriage_return_in_a_cell_is_named_and_nothing_is_imported(
    run, tmp_path, db_path, data, line
):
    from tests.conftest import dump

    path = tmp_path / "patients.csv"
    path.write_bytes(data)
    before = dump(db_path)
    result = run(f"patient import {path}", expect=1)
    assert result.stderr.startswith(f"Error: line {line}: a carriage return (CR) alone")
    assert "Traceback" not in result.stderr and dump(db_path) == before
