"""Renders the page of an official document (the PDF that is numbered and signed) from its metadata.

The page uses the PDF standard Helvetica font, which has no Vietnamese letters, so the text is written
without diacritics; a document drafted with its own PDF keeps that PDF untouched.
"""

from __future__ import annotations

import textwrap
from datetime import date

from lienthong.vietnamese import without_diacritics

# A4 in points, with 72 pt (one inch) margins left and right.
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 595, 842, 72
# Helvetica letters average about 0.55 em; 0.6 keeps a wrapped line inside the margin.
_EM_PER_CHARACTER = 0.6


def ascii_text(text: str) -> str:
    """Vietnamese text without diacritics ("Báo cáo" → "Bao cao"); anything else non-ASCII becomes "?"."""
    return without_diacritics(text).encode("ascii", "replace").decode()


def _wrapped(text: str, size: int) -> list[str]:
    width = int((PAGE_WIDTH - 2 * MARGIN) / (size * _EM_PER_CHARACTER))
    return textwrap.wrap(text, width) or [""]


def _pdf_string(text: str) -> str:
    escaped = ascii_text(text).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"({escaped})"


def render_document_pdf(*, agency_name: str, code: str, issued_on: date, type_name: str, subject: str) -> bytes:
    """A one-page A4 PDF showing the issuing agency, number and notation, date, type and subject."""
    fields: list[tuple[int, str]] = [
        (11, agency_name.upper()),
        (11, f"So: {code}"),
        (11, f"Ngay {issued_on.day:02d} thang {issued_on.month:02d} nam {issued_on.year}"),
        (11, ""),
        (16, type_name.upper()),
        (12, subject),
    ]
    lines = [(size, part) for size, text in fields for part in _wrapped(text, size)]
    content = ["BT", "/F1 11 Tf", f"{MARGIN} {PAGE_HEIGHT - MARGIN} Td"]
    for size, text in lines:
        content += [f"/F1 {size} Tf", f"{_pdf_string(text)} Tj", f"0 -{size + 8} Td"]
    content.append("ET")
    stream = "\n".join(content).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R " % (PAGE_WIDTH, PAGE_HEIGHT)
        + b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)
