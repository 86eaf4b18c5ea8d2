"""The shared PDF pieces: letterhead from settings, a table, a Code 128 a real reader decodes."""

import os
import stat

import pytest

from macli import pdf


def rendered_barcodes(path, dpi=200):
    """Render each page as a person's printer would and decode every barcode on it (zxing-cpp)."""
    import pypdfium2
    import zxingcpp

    found = []
    document = pypdfium2.PdfDocument(str(path))
    try:
        for page in document:
            image = page.render(scale=dpi / 72).to_pil()
            found += [(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)]
    finally:
        document.close()
    return found


def page_text(path):
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


def test_letterhead_table_and_barcode_read_back(run, store, tmp_path):
    run(["config", "set", "clinic.name", "Maple Street Clinic"])
    run(["config", "set", "clinic.address", "12 Maple St, Springfield, IL 62701"])
    run(["config", "set", "clinic.phone", "(217) 555-0100"])
    head = pdf.letterhead(store)
    doc = pdf.start(head, "Specimen labels")
    pdf.table(doc, [{"test": "Lipid panel", "who": "Zoë Ng"}], ["test", "who"])
    pdf.code128(doc, "SP-000042", x=20, y=doc.get_y() + 2)
    pdf.code128(doc, "00012345678905", x=20, y=doc.get_y() + 12)  # a digit run: code set C
    path = tmp_path / "labels.pdf"
    pdf.save(doc, path)

    text = page_text(path)
    for expected in ("Maple Street Clinic", "12 Maple St", "+12175550100", "Specimen labels"):
        assert expected in text
    assert "Lipid panel" in text and "Zoë Ng" in text
    assert sorted(rendered_barcodes(path)) == [
        ("Code128", "00012345678905"),
        ("Code128", "SP-000042"),
    ]


def test_saved_file_is_private_even_under_a_permissive_umask(tmp_path):
    path = tmp_path / "sheet.pdf"
    path.write_text("old")
    path.chmod(0o644)
    old = os.umask(0)
    try:
        pdf.save(pdf.start({"name": "Clinic"}, "Sheet"), path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"%PDF")


def test_characters_outside_the_builtin_fonts_are_folded_not_fatal(tmp_path):
    assert pdf.latin1("Łukasz Dvořák 李") == "Lukasz Dvorák ?"
    doc = pdf.start({"name": "Klinik Łódź"}, "Title")
    pdf.text(doc, "Paweł")
    pdf.save(doc, tmp_path / "x.pdf")
    assert "Klinik Lódz" in page_text(tmp_path / "x.pdf")


def test_a_barcode_takes_printable_ascii_only():
    from macli.errors import Invalid

    with pytest.raises(Invalid):
        pdf.code128_modules("SP\n1")
    with pytest.raises(Invalid):
        pdf.code128_modules("")
