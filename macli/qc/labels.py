"""Pack labels as a PDF: sterilizer, load number, date, pack type and the pack's code
as a Code 128 barcode, three labels across a letter page."""

from __future__ import annotations

from macli import pdf

ACROSS, WIDTH, HEIGHT = 3, 60, 34  # mm


def write(store, rows: list[dict], path) -> int:
    """Draw one label per pack row (from sterilizers.labels) into `path`; returns the count."""
    doc = pdf.start(pdf.letterhead(store), "Sterile pack labels")
    top = doc.get_y()
    per_page = int((doc.h - pdf.MARGIN - top) // (HEIGHT + 4)) * ACROSS
    slot = 0
    for row in rows:
        if slot == per_page:
            pdf.new_page(doc)
            top, slot = doc.get_y(), 0
        column, line = slot % ACROSS, slot // ACROSS
        slot += 1
        x = pdf.MARGIN + column * (WIDTH + 3)
        y = top + line * (HEIGHT + 4)
        doc.rect(x, y, WIDTH, HEIGHT)
        doc.set_xy(x + 2, y + 2)
        doc.set_font(pdf.FONT, "B", 9)
        doc.cell(WIDTH - 4, 4, pdf.latin1(f"{row['sterilizer']}  load {row['load_number']}"))
        doc.set_xy(x + 2, y + 6.5)
        doc.set_font(pdf.FONT, "", 8)
        doc.cell(WIDTH - 4, 4, pdf.latin1(f"{row['day']}  {row['pack_type'] or ''}"))
        pdf.code128(doc, row["code"], x=x + 1, y=y + 12, height=14, module=0.3)
    pdf.save(doc, path)
    return len(rows)
