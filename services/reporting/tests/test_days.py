"""The reporting day of an event is the Vietnamese calendar day of its timestamp."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.reporting.domain.days import reporting_day


def test_an_evening_in_utc_is_the_next_day_in_vietnam() -> None:
    assert reporting_day("2026-03-01T18:30:00+00:00") == date(2026, 3, 2)


def test_the_vietnamese_day_starts_at_17_00_utc() -> None:
    assert reporting_day("2026-03-01T16:59:59+00:00") == date(2026, 3, 1)
    assert reporting_day("2026-03-01T17:00:00Z") == date(2026, 3, 2)


def test_a_timestamp_in_vietnam_time_keeps_its_date() -> None:
    assert reporting_day("2026-03-02T00:00:00+07:00") == date(2026, 3, 2)
    assert reporting_day("2026-03-01T23:59:59.999999+07:00") == date(2026, 3, 1)


def test_new_year_comes_seven_hours_earlier_than_in_utc() -> None:
    assert reporting_day("2026-12-31T17:00:00+00:00") == date(2027, 1, 1)


def test_a_timestamp_without_offset_has_no_reporting_day() -> None:
    with pytest.raises(ValueError, match="offset"):
        reporting_day("2026-03-01T18:30:00")


def test_a_malformed_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="Invalid isoformat"):
        reporting_day("01/03/2026 18:30")


@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_the_day_is_utc_plus_seven_hours_whatever_the_offset_written(moment: datetime, offset_minutes: int) -> None:
    written = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    assert reporting_day(written.isoformat()) == (written.astimezone(UTC) + timedelta(hours=7)).date()
