"""Folding Vietnamese for search and ASCII output."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lienthong.vietnamese import fold, without_diacritics


def test_every_spelling_of_a_phrase_folds_the_same() -> None:
    assert fold("Quyết Định") == fold("quyết định") == fold("QUYET  DINH") == "quyet dinh"
    assert fold("Sở Nội vụ") == "so noi vu"


def test_the_letter_d_with_stroke_becomes_d_and_case_is_kept() -> None:
    assert without_diacritics("Đắk Lắk, đường") == "Dak Lak, duong"


@given(st.text())
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


def test_the_vietnamese_day_turns_at_five_in_the_afternoon_utc() -> None:
    from datetime import UTC, date, datetime

    import pytest

    from lienthong.vietnamese.calendar import start_of_vietnam_day, vietnam_date

    assert vietnam_date(datetime(2026, 12, 31, 16, 59, tzinfo=UTC)) == date(2026, 12, 31)
    assert vietnam_date(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert start_of_vietnam_day(date(2027, 1, 1)).astimezone(UTC) == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="offset"):
        vietnam_date(datetime(2026, 1, 1))
