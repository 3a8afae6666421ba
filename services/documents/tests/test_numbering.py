"""Numbers and notations of NĐ 30/2020 §2, and the 29 document types."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.numbering import document_code, format_number, notation, series_key
from lienthong.errors import InvalidArgument


def test_there_are_29_types_with_the_abbreviations_of_the_decree() -> None:
    assert len(DocumentType) == 29
    assert [t.value for t in DocumentType] == list(range(1, 30))
    assert {
        t.name: t.abbreviation for t in DocumentType if t.abbreviation in {"QyĐ", "CTr", "TTr", "ĐA", "HĐ", "CĐ"}
    } == {
        "QUY_DINH": "QyĐ",
        "CHUONG_TRINH": "CTr",
        "TO_TRINH": "TTr",
        "DE_AN": "ĐA",
        "HOP_DONG": "HĐ",
        "CONG_DIEN": "CĐ",
    }
    assert [t.name for t in DocumentType if not t.abbreviation] == ["CONG_VAN", "THU_CONG"]
    assert DocumentType.QUYET_DINH.vietnamese_name == "Quyết định (cá biệt)"


@pytest.mark.parametrize(
    ("number", "doc_type", "agency", "unit", "expected"),
    [
        (12, DocumentType.QUYET_DINH, "UBND", None, "12/QĐ-UBND"),
        (5, DocumentType.BAO_CAO, "STTTT", None, "05/BC-STTTT"),
        (5, DocumentType.CONG_VAN, "UBND", "VP", "05/UBND-VP"),
        (1, DocumentType.THU_CONG, "UBND", None, "01/UBND"),
    ],
)
def test_the_examples_of_the_decree(
    number: int, doc_type: DocumentType, agency: str, unit: str | None, expected: str
) -> None:
    assert document_code(number, notation(doc_type, agency, unit)) == expected


@given(st.integers(1, 10**9))
def test_numbers_below_ten_get_a_leading_zero_and_no_others_do(n: int) -> None:
    text = format_number(n)
    assert int(text) == n
    assert len(text) == max(2, len(str(n)))


def test_limits_of_the_metadata_are_enforced() -> None:
    with pytest.raises(InvalidArgument, match="start at 1"):
        format_number(0)
    with pytest.raises(InvalidArgument, match="longer than 30 characters"):
        notation(DocumentType.BAO_CAO, "A" * 20, "B" * 10)


def test_one_series_per_agency_per_year_unless_a_type_has_its_own() -> None:
    assert series_key("000.00.12.H41", 2026, None) == "outgoing:000.00.12.H41:2026"
    assert series_key("000.00.12.H41", 2027, None) != series_key("000.00.12.H41", 2026, None)
    assert series_key("000.00.12.H41", 2026, DocumentType.QUYET_DINH).endswith(":QUYET_DINH")
