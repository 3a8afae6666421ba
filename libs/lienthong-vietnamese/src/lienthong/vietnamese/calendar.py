"""Vietnam time (UTC+07:00, no daylight saving): the calendar of numbering, deadlines and reports."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def vietnam_date(moment: datetime) -> date:
    """The calendar date in Vietnam at `moment`, an aware datetime (2026-03-01T18:30Z is 2 March there)."""
    if moment.tzinfo is None:
        raise ValueError("a time without its offset has no Vietnamese date")
    return moment.astimezone(VIETNAM).date()


def start_of_vietnam_day(day: date) -> datetime:
    """The instant a Vietnamese calendar day begins (00:00 +07:00)."""
    return datetime(day.year, day.month, day.day, tzinfo=VIETNAM)


def vietnam_today() -> date:
    return datetime.now(VIETNAM).date()
