"""The reporting day of an event: the Vietnamese calendar day (UTC+07:00) of its ISO-8601 timestamp."""

from __future__ import annotations

from datetime import date, datetime

from lienthong.vietnamese.calendar import vietnam_date


def reporting_day(timestamp: str) -> date:
    """The day in Vietnam at `timestamp`, an ISO-8601 text with its offset, as events carry it.

    A document sent at 2026-03-01T18:30:00+00:00 counts on 2 March: reports follow the calendar the
    agencies work by, not UTC. A timestamp without an offset is refused (ValueError), since its day is
    unknowable.
    """
    return vietnam_date(datetime.fromisoformat(timestamp))
