"""Reporting days are Vietnamese calendar days (UTC+07:00, no daylight saving)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7))


def vietnam_day(moment: datetime) -> date:
    """The day in Vietnam at `moment`: 2026-03-01T18:30Z is already 2026-03-02 there."""
    if moment.tzinfo is None:
        raise ValueError("a reporting time must carry its offset")
    return moment.astimezone(VIETNAM).date()
