"""Letters from templates: on the letterhead, with the record's fields, plain test
names, per language, filed on the chart, at a reading level patients can manage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from macli import settings
from macli.documents import letters, readability
from macli.patients import providers
from macli.when import utc_text

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


def _text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def clinic(store, run):
    for key, value in (
        ("clinic.name", "Riverside Family Practice"),
        ("clinic.phone", "(617) 555-0100"),
        ("clinic.address", "40 River Road, Springfield, MA 01103"),
    ):
        settings.put(store, key, value, user="tester", now=NOW)
    run(["patient", "add", "Ana García", "--dob", "1984-03-02"])
    provider = providers.add(store, "Dr. Maya Chen", title="MD", now=NOW)["id"]
    run("chart result add P000001 --test HbA1c --value 5.4 --unit % --range 4.0-5.6 --loinc 4548-4")
    run("chart result add P000001 --test LDL --value 162 --unit mg/dL --range 0-129")
    with store.write():
        appointment = store.insert(
            "appointments",
            {
                "patient_id": 1,
                "provider_id": provider,
                "starts_at": "2026-11-24T14:30:00Z",
                "ends_at": "2026-11-24T15:00:00Z",
                "status": "no-show",
                "status_at": utc_text(NOW),
                "created_at": utc_text(NOW - timedelta(days=9)),
                "created_by": "tester",
                "updated_at": utc_text(NOW),
            },
        )
    return {"appointment": appointment}


LETTERS = {
    "normal-results": (
        ["--result", "1"],
        [
            "average blood sugar over 3 months (HbA1c)",
            "5.4 %",
            "in the normal range",
            "November 26, 2026",
        ],
    ),
    "follow-up-results": (
        [],
        ['"bad" cholesterol (LDL)', "162 mg/dL", "not in the normal range", "in the normal range"],
    ),
    "missed-appointment": (
        ["--appointment", "{appointment}"],
        ["Dr. Maya Chen", "November 24, 2026", "9:30 AM", "40 River Road"],
    ),
    "work-school-note": (["--until", "2026-11-30"], ["Ana García was seen", "November 30, 2026"]),
    "referral": (
        ["--to", "Dr Kim, Bayside Cardiology", "--reason", "a closer look at your heart"],
        ["Dr Kim, Bayside Cardiology", "a closer look at your heart"],
    ),
    "could-not-reach": ([], ["could not reach you"]),
}


@pytest.mark.parametrize("name", list(LETTERS))
def test_each_shipped_letter_is_a_pdf_with_the_patient_letterhead_and_fields(
    name, run, clinic, tmp_path, store
):
    extra, expected = LETTERS[name]
    extra = [value.format(**clinic) for value in extra]
    out = tmp_path / f"{name}.pdf"
    result = run(["chart", "letter", "P000001", "--template", name, *extra, "-o", str(out)])
    assert "as document 1 for Ana García (P000001)" in result.stdout
    text = _text(out.read_bytes())
    for needed in [
        "Riverside Family Practice",
        "40 River Road",
        "(617) 555-0100",
        "Ana",
        *expected,
    ]:
        assert needed in text, (needed, text)
    if name != "work-school-note":
        assert "Dear Ana," in text
    # Filed on the chart as a letter, its bytes the same as the file written.
    rows = json.loads(run("chart files P000001 -f json").stdout)
    assert [(row["kind"], row["text"]) for row in rows] == [("letter", "searchable")]
    assert store.scalar("SELECT template FROM document_letters") == name
    run(["chart", "file", "show", "1", "-o", str(tmp_path / "again.pdf")])
    assert (tmp_path / "again.pdf").read_bytes() == out.read_bytes()


def test_a_spanish_letter_for_a_spanish_speaking_patient(run, clinic, tmp_path, store):
    out = tmp_path / "carta.pdf"
    run(
        [
            "chart",
            "letter",
            "P000001",
            "--template",
            "follow-up-results",
            "--language",
            "es",
            "-o",
            str(out),
        ]
    )
    text = _text(out.read_bytes())
    assert "Estimado/a Ana:" in text
    assert 'colesterol "malo" (LDL): 162 mg/dL' in text and "fuera del rango normal" in text
    assert "26 de noviembre de 2026" in text
    assert store.scalar("SELECT language FROM document_letters") == "es"
    # Every letter ships in Spanish, the referral too.
    out = tmp_path / "referencia.pdf"
    args = ["--to", "Dra. Kim", "--reason", "revisar su corazón", "-o", str(out)]
    run(["chart", "letter", "P000001", "--template", "referral", "--language", "es", *args])
    text = _text(out.read_bytes())
    assert "Su médico quiere que vea a un especialista: Dra. Kim." in text
    assert "El motivo: revisar su corazón." in text
    # No Portuguese version: written in English, and the user is told how to add one.
    result = run(
        [
            "chart",
            "letter",
            "P000001",
            "--template",
            "referral",
            "--language",
            "pt-BR",
            "--to",
            "Dr Kim",
            "--reason",
            "your heart",
        ]
    )
    assert "no Portuguese version of referral; written in English" in result.stderr
    assert "template set referral --language pt --file FILE" in result.stderr


def test_the_patients_own_language_picks_the_version(run, clinic, tmp_path):
    run("patient edit P000001 --language es")
    out = tmp_path / "carta.pdf"
    result = run(["chart", "letter", "P000001", "--template", "could-not-reach", "-o", str(out)])
    assert 'Filed the letter "Tratamos de hablar con usted"' in result.stdout
    assert "Le llamamos" in _text(out.read_bytes())
    # A language with regional tags (pt-BR) and no version: English, and how to add one.
    run("patient edit P000001 --language pt-BR")
    result = run("chart letter P000001 --template could-not-reach")
    assert "no Portuguese version of could-not-reach; written in English" in result.stderr


def test_a_normal_results_letter_refuses_a_result_out_of_range(run, clinic):
    result = run("chart letter P000001 --template normal-results", expect=1)
    assert "LDL 162 (entry 2) is not in the normal range" in result.stderr
    assert "follow-up-results" in result.stderr


def test_missing_fields_are_named(run, clinic):
    assert (
        "needs --to" in run("chart letter P000001 --template referral --reason x", expect=1).stderr
    )
    assert (
        "needs --appointment"
        in run("chart letter P000001 --template missed-appointment", expect=1).stderr
    )
    assert "no letter template" in run("chart letter P000001 --template nope", expect=1).stderr


@pytest.mark.parametrize(
    ("name", "language"),
    [
        (name, language)
        for name in letters.NAMES
        for language in letters.LANGUAGES
        if letters.shipped(name, language) is not None
    ],
)
def test_every_shipped_template_reads_at_grade_8_or_below(name, language):
    level = letters.measure(letters.shipped(name, language), language)
    assert readability.too_hard(level) is None, (name, language, level)
    if language == "en":
        assert level["grade"] <= 8


def test_the_grade_measure_tells_hard_text_from_easy():
    easy = readability.measure("We have your results. They are fine. Call us with questions.")
    hard = readability.measure(
        "Comprehensive metabolic evaluation demonstrated significantly elevated concentrations "
        "of low-density lipoprotein cholesterol, necessitating pharmacological intervention "
        "and subsequent laboratory reassessment."
    )
    assert easy["grade"] < 4 < 12 < hard["grade"]
    assert readability.syllables_english(["appointment", "cholesterol", "Okafor"]) == [3, 4, 3]
    assert [readability.syllables_spanish(w) for w in ("que", "resultados", "país")] == [1, 4, 2]


def test_template_set_keeps_the_clinics_version_and_warns_above_grade_8(run, clinic, tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("Your results\n\nDear {first_name},\n\nYour tests are fine.\n\n{results}\n")
    result = run(["chart", "letter", "template", "set", "normal-results", "--file", str(plain)])
    assert "Set normal-results (en)" in result.stdout and "Warning" not in result.stderr
    rows = json.loads(run("chart letter template list -f json").stdout)
    assert {"name": "normal-results", "language": "en", "source": "clinic"}.items() <= rows[
        0
    ].items()
    written = run(
        [
            "chart",
            "letter",
            "P000001",
            "--template",
            "normal-results",
            "--result",
            "1",
            "-o",
            str(tmp_path / "n.pdf"),
        ]
    )
    assert "Filed" in written.stdout
    assert "Your tests are fine." in _text((tmp_path / "n.pdf").read_bytes())
    hard = tmp_path / "hard.txt"
    hard.write_text(
        "Results\n\nComprehensive metabolic evaluation demonstrated significantly elevated "
        "concentrations of lipoproteins, necessitating pharmacological intervention.\n"
    )
    result = run(["chart", "letter", "template", "set", "referral", "--file", str(hard)])
    assert "Warning: the template reads at grade" in result.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("Title\n\nDear {frist_name},\n")
    assert (
        "unknown field {frist_name}"
        in run(
            ["chart", "letter", "template", "set", "referral", "--file", str(bad)], expect=1
        ).stderr
    )
    shown = run("chart letter template show normal-results --language es")
    assert shown.stdout.startswith("Sus resultados")


def test_writing_a_letter_is_audited(run, clinic, store):
    run("chart letter P000001 --template could-not-reach")
    assert (
        store.scalar(
            "SELECT count(*) FROM audit WHERE action = 'documents.file' AND patient_id = 1"
        )
        == 1
    )


def test_another_area_can_give_the_results_to_report(store, clinic):
    """The lab's results (HL7 flags: N normal, H high) reach a letter the same way."""
    given = [
        {
            "test": "TSH",
            "loinc": "3016-3",
            "value": "2.1",
            "unit": "mIU/L",
            "range": "0.4-4.0",
            "flag": "N",
            "at": "2026-11-20T15:00:00Z",
        },
        {
            "test": "Potassium",
            "loinc": "2823-3",
            "value": "5.9",
            "unit": "mmol/L",
            "range": "3.5-5.1",
            "flag": "H",
            "at": "2026-11-20T15:00:00Z",
        },
    ]
    with pytest.raises(Exception, match="Potassium 5.9"):
        letters.write(
            store,
            "P000001",
            "normal-results",
            results=given,
            user="tester",
            now=NOW,
            today=NOW.date(),
            tz=UTC,
        )
    written = letters.write(
        store,
        "P000001",
        "follow-up-results",
        results=given,
        user="tester",
        now=NOW,
        today=NOW.date(),
        tz=UTC,
    )
    text = _text(written["data"])
    assert "thyroid test (TSH): 2.1 mIU/L" in text and "November 20, 2026" in text
    assert "potassium (a body salt) (Potassium): 5.9 mmol/L" in text


def test_a_problem_on_the_chart_is_named_in_plain_words(run, clinic, tmp_path):
    run("chart problem add P000001 --icd I10 --onset 2020-01-01")
    problem = json.loads(run("chart problem list P000001 -f json").stdout)[0]["id"]
    out = tmp_path / "referral.pdf"
    args = ["--template", "referral", "--to", "Dr Kim", "--problem", str(problem), "-o", str(out)]
    run(["chart", "letter", "P000001", *args])
    text = _text(out.read_bytes())
    assert "The reason: high blood pressure." in text
    assert "hypertension" not in text.lower()
    run(["chart", "letter", "P000001", *args, "--language", "es"])
    assert "El motivo: presión alta." in _text(out.read_bytes())
    # --reason, when given, is the reason; a problem not on this chart is refused.
    run(["chart", "letter", "P000001", *args, "--reason", "your heart and blood pressure"])
    assert "The reason: your heart and blood pressure." in _text(out.read_bytes())
    result = run(
        [
            "chart",
            "letter",
            "P000001",
            "--template",
            "referral",
            "--to",
            "Dr Kim",
            "--problem",
            "999",
        ],
        expect=1,
    )
    assert "no problem 999 on Ana García's chart" in result.stderr


def test_problems_not_in_the_table_keep_their_description():
    from macli.documents import plain

    assert plain.plain_problem("E11.65") == "type 2 diabetes"
    assert plain.plain_problem("M54.50", language="es") == "dolor de la parte baja de la espalda"
    assert plain.plain_problem("Q99.9", "Chromosomal abnormality, unspecified") == (
        "Chromosomal abnormality, unspecified"
    )


def test_template_reset_goes_back_to_the_shipped_text(run, clinic, tmp_path, store):
    own = tmp_path / "own.txt"
    own.write_text("We called\n\nDear {first_name},\n\nPlease call {clinic_phone}.\n")
    run(["chart", "letter", "template", "set", "could-not-reach", "--file", str(own)])
    assert run("chart letter template show could-not-reach").stdout.startswith("We called")
    result = run("chart letter template reset could-not-reach")
    assert "could-not-reach (en) is the shipped text again." in result.stdout
    assert run("chart letter template show could-not-reach").stdout.startswith("We tried")
    rows = json.loads(run("chart letter template list -f json").stdout)
    assert {r["source"] for r in rows if r["name"] == "could-not-reach"} == {"shipped"}
    # The clinic's version stays on record; a second reset has nothing to undo.
    assert store.scalar("SELECT count(*) FROM letter_templates") == 2
    assert "nothing to reset" in run("chart letter template reset could-not-reach", expect=1).stderr
    assert store.scalar("SELECT count(*) FROM audit WHERE action = 'letter.template.reset'") == 1


def test_a_clinics_own_language_gets_its_dates_and_words(run, clinic, tmp_path):
    """Portuguese does not ship; a clinic's Portuguese template gets Portuguese dates and
    range words, the tests' own names (no English words), and no reading level made up."""
    mine = tmp_path / "pt.txt"
    mine.write_text(
        "Seus resultados\n\nPrezado(a) {first_name},\n\nResultados de {results_date}:\n\n"
        "{results}\n\nLigue para {clinic_phone}.\n"
    )
    result = run(
        [
            "chart",
            "letter",
            "template",
            "set",
            "follow-up-results",
            "--language",
            "pt",
            "--file",
            str(mine),
        ]
    )
    assert "reading level not measured in this language" in result.stdout
    assert "Warning" not in result.stderr
    out = tmp_path / "pt.pdf"
    run(
        [
            "chart",
            "letter",
            "P000001",
            "--template",
            "follow-up-results",
            "--language",
            "pt-BR",
            "-o",
            str(out),
        ]
    )
    text = _text(out.read_bytes())
    assert "26 de novembro de 2026" in text
    assert "LDL: 162 mg/dL (normal: 0-129 mg/dL), fora do normal" in text
    assert "cholesterol" not in text
    rows = json.loads(run("chart letter template list -f json").stdout)
    pt = [r for r in rows if r["language"] == "pt"]
    assert [(r["name"], r["source"], r["grade"], r["ease"]) for r in pt] == [
        ("follow-up-results", "clinic", None, None)
    ]


def test_the_measures_match_counts_made_by_hand():
    # 14 words, 2 sentences, 17 syllables (su-gar, lit-tle, vis-it):
    # 0.39 * 14/2 + 11.8 * 17/14 - 15.59 = 1.47
    english = readability.measure(
        "Your blood sugar is a little high. Please call us to book a visit."
    )
    assert (english["words"], english["sentences"], english["syllables"]) == (14, 2, 17)
    assert english["grade"] == 1.5
    # 4 words, 1 sentence, 9 syllables (re-sul-ta-dos, nor-ma-les):
    # 206.84 - 0.60 * 225 - 1.02 * 25 = 46.34
    spanish = readability.measure("Sus resultados son normales.", "es")
    assert (spanish["words"], spanish["sentences"], spanish["syllables"]) == (4, 1, 9)
    assert spanish["ease"] == 46.3


def test_a_pdf_that_cannot_be_written_is_refused_before_anything_is_filed(
    run, clinic, tmp_path, db_path
):
    from tests.conftest import dump

    before = dump(db_path)
    target = tmp_path / "no-such-folder" / "letter.pdf"
    result = run(
        ["chart", "letter", "P000001", "--template", "could-not-reach", "-o", str(target)],
        expect=1,
    )
    assert result.stderr == (
        f"Error: cannot write {target}: the folder {target.parent} does not exist\n"
    )
    # A folder given as the file is a usage error (exit 2).
    run(
        ["chart", "letter", "P000001", "--template", "could-not-reach", "-o", str(tmp_path)],
        expect=2,
    )
    assert dump(db_path) == before


def test_the_clinic_gives_a_test_its_own_plain_words(run, clinic, tmp_path, store):
    run("chart result add P000001 --test MCV --value 101 --unit fL --range 80-100")
    out = tmp_path / "r.pdf"
    run(["chart", "letter", "P000001", "--template", "follow-up-results", "-o", str(out)])
    assert "- MCV: 101 fL" in _text(out.read_bytes())  # no words shipped: its own name
    run(["chart", "letter", "plain", "set", "mcv", "size of the red blood cells"])
    run(["chart", "letter", "plain", "set", "13457-7", "cholesterol that clogs arteries"])
    run(
        [
            "chart",
            "letter",
            "plain",
            "set",
            "MCV",
            "tamaño de los glóbulos rojos",
            "--language",
            "es",
        ]
    )
    run(["chart", "letter", "P000001", "--template", "follow-up-results", "-o", str(out)])
    text = _text(out.read_bytes())
    assert "- size of the red blood cells (MCV): 101 fL" in text
    # LDL was recorded without its LOINC code: its name gives the code the words are under.
    assert "- cholesterol that clogs arteries (LDL): 162 mg/dL" in text
    run(
        [
            "chart",
            "letter",
            "P000001",
            "--template",
            "follow-up-results",
            "--language",
            "es",
            "-o",
            str(out),
        ]
    )
    assert "- tamaño de los glóbulos rojos (MCV): 101 fL" in _text(out.read_bytes())
    rows = json.loads(run("chart letter plain list -f json").stdout)
    assert [(r["test"], r["source"]) for r in rows[:2]] == [
        ("13457-7", "clinic"),
        ("mcv", "clinic"),
    ]
    assert any(r["source"] == "shipped" and r["test"] == "4548-4" for r in rows)
    assert (
        "not a LOINC code: its check digit is wrong"
        in run(["chart", "letter", "plain", "set", "13457-8", "x"], expect=1).stderr
    )
    assert store.scalar("SELECT count(*) FROM audit WHERE action = 'letter.plain.set'") == 3


def test_lab_results_use_the_clinics_words_by_loinc(store, clinic):
    letters.set_plain_name(store, "2823-3", "potassium level", user="tester", now=NOW)
    given = [
        {
            "test": "Potassium",
            "loinc": "2823-3",
            "value": "5.9",
            "unit": "mmol/L",
            "range": "3.5-5.1",
            "flag": "H",
            "at": "2026-11-20T15:00:00Z",
        }
    ]
    written = letters.write(
        store,
        "P000001",
        "follow-up-results",
        results=given,
        user="tester",
        now=NOW,
        today=NOW.date(),
        tz=UTC,
    )
    assert "- potassium level (Potassium): 5.9 mmol/L" in _text(written["data"])
