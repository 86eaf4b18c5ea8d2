"""Specimen labels and the courier manifest as PDF pages (macli/pdf.py)."""

from __future__ import annotations

from macli import pdf


def label_sheet(head: dict, rows: list[dict], path) -> None:
    """One label block per specimen: two patient identifiers, the tube, its barcode."""
    doc = pdf.start(head, "Specimen labels")
    for row in rows:
        if doc.get_y() > doc.h - 70:
            pdf.new_page(doc)
        top = doc.get_y()
        doc.rect(pdf.MARGIN, top, doc.w - 2 * pdf.MARGIN, 52)
        doc.set_xy(pdf.MARGIN + 3, top + 3)
        pdf.text(doc, f"{row['patient']}   DOB {row['dob']}   MRN {row['mrn']}", bold=True, size=11)
        doc.set_x(pdf.MARGIN + 3)
        pdf.text(
            doc,
            f"Order {row['order']}   Specimen {row['specimen']}   {row['priority']} {row['fasting']}".strip(),
        )
        doc.set_x(pdf.MARGIN + 3)
        pdf.text(doc, f"Test: {row['tests']}")
        doc.set_x(pdf.MARGIN + 3)
        pdf.text(
            doc, f"{row['kind']}  {row['container']}  Collected {row['collected']}  {row['lab']}"
        )
        pdf.code128(doc, row["specimen"], x=pdf.MARGIN + 3, y=top + 30, height=14)
        doc.set_y(top + 56)
    pdf.save(doc, path)


def manifest_sheet(head: dict, title: str, rows: list[dict], path) -> None:
    """The courier's list: every specimen handed over, with a line to sign."""
    doc = pdf.start(head, title)
    pdf.table(
        doc,
        rows,
        ["specimen", "order", "mrn", "patient", "dob", "tests", "container", "collected"],
        widths=(20, 18, 17, 30, 18, 40, 20, 23),
        size=8,
    )
    pdf.text(
        doc,
        f"{len(rows)} specimens.  Handed over by: ____________  Courier: ____________  Time: ______",
    )
    pdf.save(doc, path)
