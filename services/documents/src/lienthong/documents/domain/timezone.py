"""Vietnam time (UTC+07:00, no daylight saving): the calendar that numbering and issue dates follow."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def vietnam_date(moment: datetime) -> date:
    """The calendar date in Vietnam at `moment` (an aware datetime)."""
    return moment.astimezone(VIETNAM).date()


def start_of_vietnam_day(day: date) -> datetime:
    """The instant a Vietnamese calendar day begins (00:00 +07:00)."""
    return datetime(day.year, day.month, day.day, tzinfo=VIETNAM)
