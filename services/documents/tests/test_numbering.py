"""Numbers and notations of NĐ 30/2020 §2, and the 29 document types."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.numbering import (
    NOTATION_LIMIT,
    NUMBER_LIMIT,
    document_code,
    format_number,
    notation,
    series_key,
)
from lienthong.documents.v1 import documents_pb2
from lienthong.errors import InvalidArgument

# The table of DOMAIN.md §2 (Phụ lục III of NĐ 30/2020), in its order.
TYPES = [
    ("NGHI_QUYET", "Nghị quyết", "NQ"),
    ("QUYET_DINH", "Quyết định", "QĐ"),
    ("CHI_THI", "Chỉ thị", "CT"),
    ("QUY_CHE", "Quy chế", "QC"),
    ("QUY_DINH", "Quy định", "QyĐ"),
    ("THONG_CAO", "Thông cáo", "TC"),
    ("THONG_BAO", "Thông báo", "TB"),
    ("HUONG_DAN", "Hướng dẫn", "HD"),
    ("CHUONG_TRINH", "Chương trình", "CTr"),
    ("KE_HOACH", "Kế hoạch", "KH"),
    ("PHUONG_AN", "Phương án", "PA"),
    ("DE_AN", "Đề án", "ĐA"),
    ("DU_AN", "Dự án", "DA"),
    ("BAO_CAO", "Báo cáo", "BC"),
    ("BIEN_BAN", "Biên bản", "BB"),
    ("TO_TRINH", "Tờ trình", "TTr"),
    ("HOP_DONG", "Hợp đồng", "HĐ"),
    ("CONG_DIEN", "Công điện", "CĐ"),
    ("BAN_GHI_NHO", "Bản ghi nhớ", "BGN"),
    ("BAN_THOA_THUAN", "Bản thỏa thuận", "BTT"),
    ("GIAY_UY_QUYEN", "Giấy ủy quyền", "GUQ"),
    ("GIAY_MOI", "Giấy mời", "GM"),
    ("GIAY_GIOI_THIEU", "Giấy giới thiệu", "GGT"),
    ("GIAY_NGHI_PHEP", "Giấy nghỉ phép", "GNP"),
    ("PHIEU_GUI", "Phiếu gửi", "PG"),
    ("PHIEU_CHUYEN", "Phiếu chuyển", "PC"),
    ("PHIEU_BAO", "Phiếu báo", "PB"),
    ("CONG_VAN", "Công văn", ""),
    ("THU_CONG", "Thư công", ""),
]

# An abbreviation as agencies write them: letters (Vietnamese ones too), digits and '&', no '-', '/' or space.
abbreviations = st.text(alphabet="ABCDĐEGHKLMNOPQRSTUVXYabcdđ0123456789&", min_size=1, max_size=8)


# --- the 29 types ---------------------------------------------------------------------------------------------


def test_there_are_the_29_types_of_the_decree_with_their_names_and_abbreviations() -> None:
    assert [(t.name, t.vietnamese_name, t.abbreviation) for t in DocumentType] == TYPES
    assert [t.value for t in DocumentType] == list(range(1, 30))


def test_the_types_mirror_the_protobuf_enum() -> None:
    proto = {name.removeprefix("DOCUMENT_TYPE_"): value for name, value in documents_pb2.DocumentType.items()}
    assert proto.pop("UNSPECIFIED") == 0
    assert proto == {t.name: t.value for t in DocumentType}


def test_a_type_is_found_by_its_number_and_by_its_name() -> None:
    # mypy reads the member-building __new__ as the signature of the lookup, hence the ignores
    assert DocumentType(2) is DocumentType.QUYET_DINH  # type: ignore[call-arg]
    assert DocumentType["CONG_VAN"].value == 28
    with pytest.raises(ValueError, match="30"):
        DocumentType(30)  # type: ignore[call-arg]


def test_abbreviations_are_unique_and_only_letters_and_official_letters_have_none() -> None:
    abbreviated = [t.abbreviation for t in DocumentType if t.abbreviation]
    assert len(abbreviated) == len(set(abbreviated)) == 27
    assert [t.name for t in DocumentType if not t.abbreviation] == ["CONG_VAN", "THU_CONG"]


def test_the_d_with_stroke_is_the_vietnamese_letter_and_every_text_is_nfc() -> None:
    for t in DocumentType:
        assert unicodedata.is_normalized("NFC", t.vietnamese_name)
        assert unicodedata.is_normalized("NFC", t.abbreviation)
    with_stroke = [t.abbreviation for t in DocumentType if "Đ" in t.abbreviation]
    assert with_stroke == ["QĐ", "QyĐ", "ĐA", "HĐ", "CĐ"]
    assert {c for t in DocumentType for c in t.abbreviation if not c.isascii()} == {"\u0110"}


# --- numbers ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "text"), [(1, "01"), (5, "05"), (9, "09"), (10, "10"), (12, "12"), (100, "100")])
def test_numbers_below_ten_are_written_with_a_leading_zero(n: int, text: str) -> None:
    assert format_number(n) == text


@given(st.integers(1, 10**NUMBER_LIMIT - 1))
def test_numbers_below_ten_get_a_leading_zero_and_no_others_do(n: int) -> None:
    text = format_number(n)
    assert int(text) == n
    assert text.isdigit()
    assert len(text) == max(2, len(str(n)))


@pytest.mark.parametrize("n", [0, -1, -100])
def test_numbers_start_at_one(n: int) -> None:
    with pytest.raises(InvalidArgument) as caught:
        format_number(n)
    assert caught.value.reason == f"document numbers start at 1, got {n}"


def test_a_number_may_fill_but_not_pass_the_eleven_characters_of_its_field() -> None:
    assert format_number(99_999_999_999) == "99999999999"
    with pytest.raises(InvalidArgument) as caught:
        format_number(100_000_000_000)
    assert caught.value.reason == "number 100000000000 has 12 characters; the limit is 11"


# --- notations and codes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "doc_type", "agency", "unit", "expected"),
    [
        (12, DocumentType.QUYET_DINH, "UBND", None, "12/QĐ-UBND"),
        (5, DocumentType.BAO_CAO, "STTTT", None, "05/BC-STTTT"),
        (5, DocumentType.CONG_VAN, "UBND", "VP", "05/UBND-VP"),
        (5, DocumentType.CONG_VAN, "UBND", None, "05/UBND"),
        (1, DocumentType.THU_CONG, "UBND", None, "01/UBND"),
        (3, DocumentType.TO_TRINH, "STTTT", "VP", "03/TTr-STTTT-VP"),
        (7, DocumentType.QUY_DINH, "UBND", None, "07/QyĐ-UBND"),
    ],
)
def test_the_examples_of_the_decree(
    number: int, doc_type: DocumentType, agency: str, unit: str | None, expected: str
) -> None:
    assert document_code(number, notation(doc_type, agency, unit)) == expected


def test_an_empty_unit_counts_as_none() -> None:
    assert notation(DocumentType.CONG_VAN, "UBND", "") == notation(DocumentType.CONG_VAN, "UBND") == "UBND"


def test_a_notation_may_fill_but_not_pass_its_thirty_characters() -> None:
    assert len(notation(DocumentType.BAO_CAO, "A" * 16, "B" * 10)) == NOTATION_LIMIT
    with pytest.raises(InvalidArgument) as caught:
        notation(DocumentType.BAO_CAO, "A" * 17, "B" * 10)
    assert caught.value.reason == f"notation 'BC-{'A' * 17}-{'B' * 10}' has 31 characters; the limit is 30"


@pytest.mark.parametrize("agency", ["", "UB ND", "UBND-VP", "UBND/VP", " UBND"])
def test_an_agency_abbreviation_that_would_break_the_notation_is_refused(agency: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        notation(DocumentType.BAO_CAO, agency)
    assert caught.value.reason == (
        f"agency abbreviation {agency!r} must be a non-empty abbreviation without spaces, '-' or '/' "
        "(as in 05/BC-STTTT)"
    )


@pytest.mark.parametrize("unit", ["V P", "VP-1", "VP/1"])
def test_a_unit_abbreviation_that_would_break_the_notation_is_refused(unit: str) -> None:
    with pytest.raises(InvalidArgument, match=f"unit abbreviation {unit!r} must be a non-empty abbreviation"):
        notation(DocumentType.CONG_VAN, "UBND", unit)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "a notation (ký hiệu) must not be empty"),
        ("X" * 31, f"notation '{'X' * 31}' has 31 characters; the limit is 30"),
        ("BC/STTTT", "notation 'BC/STTTT' must not contain '/' or spaces"),
        ("BC STTTT", "notation 'BC STTTT' must not contain '/' or spaces"),
    ],
)
def test_a_document_code_refuses_a_notation_it_could_not_carry(text: str, reason: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        document_code(5, text)
    assert caught.value.reason == reason


def test_a_document_code_refuses_a_number_below_one() -> None:
    with pytest.raises(InvalidArgument, match="start at 1"):
        document_code(0, "BC-STTTT")


@given(
    st.integers(1, 10**NUMBER_LIMIT - 1),
    st.sampled_from(DocumentType),
    abbreviations,
    st.none() | abbreviations,
)
def test_a_document_code_splits_back_into_its_number_and_parts(
    number: int, doc_type: DocumentType, agency: str, unit: str | None
) -> None:
    try:
        text = notation(doc_type, agency, unit)
    except InvalidArgument:
        # only the length can refuse abbreviations of this alphabet
        assert len("-".join(p for p in (doc_type.abbreviation, agency, unit) if p)) > NOTATION_LIMIT
        return
    code = document_code(number, text)
    written_number, _, written_notation = code.partition("/")
    assert written_number == format_number(number)
    assert written_notation == text
    assert text.split("-") == [p for p in (doc_type.abbreviation, agency, unit) if p]


# --- number series --------------------------------------------------------------------------------------------


def test_one_series_per_agency_per_year_unless_a_type_has_its_own() -> None:
    assert series_key("000.00.12.H41", 2026, None) == "outgoing:000.00.12.H41:2026"
    assert series_key("000.00.12.H41", 2027, None) != series_key("000.00.12.H41", 2026, None)
    assert series_key("000.00.12.H41", 2026, DocumentType.QUYET_DINH) == "outgoing:000.00.12.H41:2026:QUYET_DINH"


@pytest.mark.parametrize(("agency", "year"), [("", 2026), ("000.00.12.H41:x", 2026), ("000 1", 2026)])
def test_a_series_needs_an_agency_code_that_cannot_be_confused(agency: str, year: int) -> None:
    with pytest.raises(InvalidArgument, match="cannot name a number series"):
        series_key(agency, year, None)


@pytest.mark.parametrize("year", [0, -2026, 10000])
def test_a_series_needs_a_real_year(year: int) -> None:
    with pytest.raises(InvalidArgument, match=f"year {year} is out of range"):
        series_key("000.00.12.H41", year, None)


series_names = st.tuples(
    st.from_regex(r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-K][0-9]{2}", fullmatch=True),
    st.integers(1, 9999),
    st.none() | st.sampled_from(DocumentType),
)


@given(series_names, series_names)
def test_distinct_agencies_years_or_types_never_share_a_series(
    a: tuple[str, int, DocumentType | None], b: tuple[str, int, DocumentType | None]
) -> None:
    assert (series_key(*a) == series_key(*b)) == (a == b)
