"""PDF pages for people to print: the clinic's letterhead, a simple table, a Code 128 barcode.

One module so labels, prep sheets, letters and inspectors' sheets look alike:

    from macli import pdf
    doc = pdf.start(pdf.letterhead(store), "Specimen labels")
    pdf.table(doc, rows, ["specimen", "test", "collected_at"])
    pdf.code128(doc, "SP-000042", x=20, y=doc.get_y() + 4)
    pdf.save(doc, path)             # mode 0600: these pages carry patient details

fpdf2 is imported only when a page is made. Its built-in fonts (Helvetica) cover Latin-1;
other characters are folded to their base letter (``Łukasz`` -> ``Lukasz``) or shown as
``?``, so a name never stops a label from printing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

MARGIN = 15  # mm
FONT = "Helvetica"


def letterhead(store) -> dict:
    """The clinic's name, address and phone from settings (missing ones are None)."""
    from macli import settings

    return {key: settings.get(store, f"clinic.{key}") for key in ("name", "address", "phone")}


def latin1(text) -> str:
    """`text` in the characters the built-in PDF fonts can draw."""
    text = "" if text is None else str(text)
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(
            base or {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d"}.get(char, "?")
        )
    return "".join(out)


def start(head: dict | None, title: str, *, page_format: str = "letter"):
    """A new document whose first page carries the letterhead and `title`."""
    from fpdf import FPDF

    doc = FPDF(unit="mm", format=page_format)
    doc.set_margins(MARGIN, MARGIN, MARGIN)
    doc.set_auto_page_break(True, margin=MARGIN)
    doc.set_title(latin1(title))
    doc.set_creator("macli")
    doc.head = head or {}
    doc.head_title = title
    new_page(doc)
    return doc


def new_page(doc) -> None:
    """Add a page and draw the letterhead and title at its top."""
    doc.add_page()
    head = doc.head
    doc.set_font(FONT, "B", 14)
    doc.cell(0, 7, latin1(head.get("name") or ""), new_x="LMARGIN", new_y="NEXT")
    doc.set_font(FONT, "", 9)
    contact = "  |  ".join(latin1(head[key]) for key in ("address", "phone") if head.get(key))
    if contact:
        doc.cell(0, 5, contact, new_x="LMARGIN", new_y="NEXT")
    y = doc.get_y() + 1
    doc.line(MARGIN, y, doc.w - MARGIN, y)
    doc.set_y(y + 3)
    doc.set_font(FONT, "B", 12)
    doc.cell(0, 7, latin1(doc.head_title), new_x="LMARGIN", new_y="NEXT")
    doc.set_font(FONT, "", 10)
    doc.ln(2)


def text(doc, line: str, *, size: float = 10, bold: bool = False, height: float = 5) -> None:
    """One paragraph, wrapped to the page width."""
    doc.set_font(FONT, "B" if bold else "", size)
    doc.multi_cell(0, height, latin1(line), new_x="LMARGIN", new_y="NEXT")
    doc.set_font(FONT, "", 10)


def table(
    doc,
    rows: Sequence[dict],
    columns: Sequence[str],
    *,
    headings: Sequence[str] | None = None,
    widths: Sequence[float] | None = None,
    size: float = 9,
) -> None:
    """A ruled table of `rows` (dicts) in `columns` order; long cells wrap, pages break."""
    headings = list(headings or [c.replace("_", " ") for c in columns])
    doc.set_font(FONT, "", size)
    with doc.table(
        col_widths=tuple(widths) if widths else None,
        line_height=size * 0.5,
        first_row_as_headings=True,
        text_align="LEFT",
    ) as grid:
        header = grid.row()
        for heading in headings:
            header.cell(latin1(heading))
        for row in rows:
            line = grid.row()
            for column in columns:
                value = row.get(column)
                line.cell(latin1("" if value is None else value))
    doc.set_font(FONT, "", 10)
    doc.ln(2)


def code128_modules(value: str) -> str:
    """The bars of `value` in Code 128 as a string of 1 (bar) and 0 (space) modules.

    python-barcode picks the code sets (B for text, C for digit runs), the weights and the
    mod-103 check; we draw the modules ourselves as vector rectangles so the PDF stays
    sharp at any printer resolution (its own writers make SVG or a raster image).
    """
    import barcode

    if not value or any(ord(c) > 126 or ord(c) < 32 for c in value):
        from macli.errors import Invalid

        raise Invalid(f"a barcode holds printable ASCII only, not {value!r}")
    return barcode.get("code128", value).build()[0]


def code128(
    doc,
    value: str,
    *,
    x: float,
    y: float,
    height: float = 12,
    module: float = 0.33,
    caption: bool = True,
) -> float:
    """Draw `value` as a Code 128 barcode at (x, y) mm; returns its width in mm.

    `module` is the narrowest bar (0.33 mm reads on any label scanner); a quiet zone of ten
    modules is left clear on each side, and `caption` prints the value under the bars.
    """
    modules = code128_modules(value)
    quiet = 10 * module
    doc.set_fill_color(0, 0, 0)
    start_x = x + quiet
    run = 0
    for index, bit in enumerate(modules + "0"):
        if bit == "1":
            run += 1
        elif run:
            left = start_x + (index - run) * module
            doc.rect(left, y, run * module, height, style="F")
            run = 0
    width = len(modules) * module + 2 * quiet
    if caption:
        doc.set_font("Courier", "", 8)
        doc.set_xy(x, y + height + 0.5)
        doc.cell(width, 3.5, value, align="C")
        doc.set_font(FONT, "", 10)
    return width


def save(doc, path) -> None:
    """Write the document to `path` with mode 0600 (it carries patient details)."""
    from macli.files import open_private

    data = bytes(doc.output())
    with open_private(path, "wb") as out:
        out.write(data)
