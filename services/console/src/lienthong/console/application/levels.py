"""The PAdES baseline level a PDF's signatures reach, from what it carries: B-B a signature, B-T with a
trusted timestamp, B-LT when the document security store (DSS) keeps the validation data as well."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.reader import PdfFileReader


def has_validation_data(pdf: bytes) -> bool:
    """Whether the PDF's catalogue has a DSS dictionary (certificates, OCSP answers, CRLs for later checks)."""
    try:
        return "/DSS" in PdfFileReader(io.BytesIO(pdf), strict=False).root
    except Exception:  # a PDF pyHanko cannot read has no DSS it can show; the verification report says why
        return False


def level(timestamped: bool, validation_data: bool) -> str:
    if timestamped and validation_data:
        return "B-LT"
    return "B-T" if timestamped else "B-B"
