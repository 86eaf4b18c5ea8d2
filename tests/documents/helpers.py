"""Synthetic files for filing tests: a PDF with text, a PDF of a 'scan', a PNG."""

from __future__ import annotations

import struct
import zlib


def pdf_with_text(*lines: str) -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", size=12)
    for line in lines:
        doc.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def pdf_without_text() -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.rect(20, 20, 80, 50, style="F")
    return bytes(doc.output())


def png(width: int = 4, height: int = 3, shade: int = 0) -> bytes:
    raw = b"".join(b"\x00" + bytes([shade, 80, 160]) * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
