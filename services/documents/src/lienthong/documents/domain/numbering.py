"""Numbers and notations of documents (số, ký hiệu) per NĐ 30/2020: `05/BC-STTTT`, `12/QĐ-UBND`, `05/UBND-VP`."""

from __future__ import annotations

from lienthong.documents.domain.doctypes import DocumentType
from lienthong.errors import InvalidArgument

NUMBER_LIMIT = 11  # characters of the number field, Phụ lục VI
NOTATION_LIMIT = 30  # characters of the notation field, Phụ lục VI


def format_number(n: int) -> str:
    """The number as written: a leading zero below 10 (1 → "01"), numbers run from 1."""
    if n < 1:
        raise InvalidArgument(f"document numbers start at 1, got {n}")
    text = f"{n:02d}"
    if len(text) > NUMBER_LIMIT:
        raise InvalidArgument(f"number {text} is longer than {NUMBER_LIMIT} characters")
    return text


def notation(doc_type: DocumentType, agency_short_name: str, unit_short_name: str | None = None) -> str:
    """`<type abbreviation>-<agency>[-<unit>]`; for công văn and thư công, which have none, `<agency>[-<unit>]`."""
    parts = [doc_type.abbreviation, agency_short_name, unit_short_name or ""]
    text = "-".join(part for part in parts if part)
    if len(text) > NOTATION_LIMIT:
        raise InvalidArgument(f"notation {text} is longer than {NOTATION_LIMIT} characters")
    return text


def document_code(number: int, notation_text: str) -> str:
    """Number and notation as they stand on the document: `05/BC-STTTT`."""
    return f"{format_number(number)}/{notation_text}"


def series_key(agency_code: str, year: int, doc_type: DocumentType | None) -> str:
    """The name of a number series (sổ đăng ký văn bản đi).

    By default one series per agency per calendar year for documents of every type (`doc_type=None`);
    an agency that keeps a separate series for a type passes that type.
    """
    return f"outgoing:{agency_code}:{year}" + (f":{doc_type.name}" if doc_type else "")
