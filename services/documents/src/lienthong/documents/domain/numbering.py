"""Numbers and notations of documents (số, ký hiệu) per NĐ 30/2020: `05/BC-STTTT`, `12/QĐ-UBND`, `05/UBND-VP`."""

from __future__ import annotations

import re

from lienthong.documents.domain.doctypes import DocumentType
from lienthong.errors import InvalidArgument

NUMBER_LIMIT = 11  # characters of the number field (số), Phụ lục VI
NOTATION_LIMIT = 30  # characters of the notation field (ký hiệu), Phụ lục VI
# An abbreviation stands between hyphens and after the slash of `05/BC-STTTT`: none of those may be inside it.
_ABBREVIATION = re.compile(r"[^\s/\-]+")


def format_number(n: int) -> str:
    """The number (số) as written: from 1, with a leading zero below 10 (1 → "01", 12 → "12").

    Raises InvalidArgument below 1 or past the 11 characters of the number field.
    """
    if n < 1:
        raise InvalidArgument(f"document numbers start at 1, got {n}")
    text = f"{n:02d}"
    if len(text) > NUMBER_LIMIT:
        raise InvalidArgument(f"number {text} has {len(text)} characters; the limit is {NUMBER_LIMIT}")
    return text


def _check_abbreviation(what: str, text: str) -> None:
    if not _ABBREVIATION.fullmatch(text):
        raise InvalidArgument(
            f"{what} {text!r} must be a non-empty abbreviation without spaces, '-' or '/' (as in 05/BC-STTTT)"
        )


def _check_notation(text: str) -> None:
    if not text:
        raise InvalidArgument("a notation (ký hiệu) must not be empty")
    if len(text) > NOTATION_LIMIT:
        raise InvalidArgument(f"notation {text!r} has {len(text)} characters; the limit is {NOTATION_LIMIT}")
    if "/" in text or any(char.isspace() for char in text):
        raise InvalidArgument(f"notation {text!r} must not contain '/' or spaces")


def notation(doc_type: DocumentType, agency_short_name: str, unit_short_name: str | None = None) -> str:
    """The notation (ký hiệu): `<type abbreviation>-<agency>[-<unit>]`, e.g. `QĐ-UBND`, `BC-STTTT-VP`.

    Công văn and thư công have no type abbreviation: `UBND-VP`, or just `UBND` without a unit. An empty
    unit counts as none. Raises InvalidArgument for an empty agency abbreviation, one containing a space,
    '-' or '/', or a notation longer than 30 characters.
    """
    _check_abbreviation("agency abbreviation", agency_short_name)
    parts = [doc_type.abbreviation, agency_short_name]
    if unit_short_name:
        _check_abbreviation("unit abbreviation", unit_short_name)
        parts.append(unit_short_name)
    text = "-".join(part for part in parts if part)
    _check_notation(text)
    return text


def document_code(number: int, notation_text: str) -> str:
    """Number and notation as they stand on the document (số, ký hiệu): `05/BC-STTTT`.

    Raises InvalidArgument for a number out of range or a notation that is empty, longer than 30
    characters, or contains '/' or spaces.
    """
    _check_notation(notation_text)
    return f"{format_number(number)}/{notation_text}"


def series_key(agency_code: str, year: int, doc_type: DocumentType | None) -> str:
    """The name of a number series (sổ đăng ký văn bản đi), which restarts at 1 on 1 January.

    By default an agency keeps one series per calendar year for documents of every type: pass
    `doc_type=None` (`outgoing:000.00.12.H41:2026`). An agency configured to number a type separately
    (e.g. its decisions) passes that type for documents of it (`outgoing:000.00.12.H41:2026:QUYET_DINH`),
    and None for all the others; choosing is the caller's job. Distinct arguments give distinct keys.
    """
    if not agency_code or ":" in agency_code or any(char.isspace() for char in agency_code):
        raise InvalidArgument(f"agency code {agency_code!r} cannot name a number series")
    if not 1 <= year <= 9999:
        raise InvalidArgument(f"year {year} is out of range")
    key = f"outgoing:{agency_code}:{year:04d}"
    return key if doc_type is None else f"{key}:{doc_type.name}"
