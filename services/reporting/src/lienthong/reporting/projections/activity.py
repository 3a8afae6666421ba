"""Documents sent and received per agency per day, counted from the documents service's events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Date, MetaData, String, Table, select

from lienthong.consumer import SqlProjection, UtcDateTime, data_of, utc_row
from lienthong.consumer.rows import RowCache
from lienthong.events.v1 import events_pb2
from lienthong.reporting.domain.days import reporting_day
from lienthong.reporting.domain.report import Counts, Processing, ProcessingRecord, processing_summary
from lienthong.reporting.projections.periods import within


@dataclass(frozen=True)
class DayCount:
    """Documents an agency sent and received on one Vietnamese calendar day."""

    day: date
    sent: int
    received: int
    sent_signed: int = 0  # of `sent`, those that carried at least one digital signature
    refused: int = 0  # documents the agency refused (status 02)
    recalled: int = 0  # copies the agency gave back when their sender recalled them (status 15)


@dataclass(frozen=True)
class AgencyStats:
    """An agency's totals over a period, and the days of the period that had documents, oldest first."""

    agency_code: str
    sent: int
    received: int
    days: tuple[DayCount, ...]

    @property
    def sent_signed(self) -> int:
        return sum(day.sent_signed for day in self.days)

    @property
    def refused(self) -> int:
        return sum(day.refused for day in self.days)

    @property
    def recalled(self) -> int:
        return sum(day.recalled for day in self.days)


# What the daily table counts per agency and day (the columns of DayCount after its day).
COUNTERS = ("sent", "sent_signed", "received", "refused", "recalled")


class DocumentActivity(SqlProjection):
    """The read model of document traffic, fed by the `documents` stream.

    - `reporting_daily_activity(agency_code, day, sent, sent_signed, received, refused, recalled)`: the
      counters the reports read;
    - `reporting_outgoing(outgoing_id, ...)`: each outgoing document with its signatures and the day it
      was counted as sent, so that the same `Sent` delivered again under another stream position (a relay
      re-publishing after JetStream's de-duplication window) is not counted twice;
      `reporting_processing` plays that part for arrivals;
    - `reporting_processing`: one row per incoming copy with its arrival, deadline and completion.
    """

    name = "reporting"

    def define_tables(self, metadata: MetaData) -> None:
        self.daily = Table(
            "reporting_daily_activity",
            metadata,
            Column("agency_code", String(13), primary_key=True),
            Column("day", Date, primary_key=True),
            *(Column(name, BigInteger, nullable=False, default=0) for name in COUNTERS),
        )
        self.outgoing = Table(
            "reporting_outgoing",
            metadata,
            Column("outgoing_id", String(36), primary_key=True),
            Column("sender_code", String(13), nullable=False),
            Column("doc_type", String(10), nullable=False, default=""),
            Column("signatures", BigInteger, nullable=False, default=0),
            Column("sent_on", Date),  # set once, by the first `Sent` seen
        )
        self.processing = Table(
            "reporting_processing",
            metadata,
            Column("incoming_id", String(36), primary_key=True),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("arrived_on", Date, nullable=False, index=True),
            Column("arrived_at", UtcDateTime(), nullable=False),
            Column("due_on", Date),
            Column("completed_at", UtcDateTime()),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        self.apply_batch(connection, [(0, envelope)])

    def apply_batch(self, connection: Connection, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """The batch's rows read in one SELECT per table, counted in memory, written back set-based."""
        rows = _ActivityRows(self, connection)
        envelopes = [(envelope, data_of(envelope)) for _, envelope in events]
        rows.preload(envelopes)
        for envelope, data in envelopes:
            rows.apply(envelope, data)
        rows.flush()

    def agency_stats(self, agency_code: str, from_day: date | None, to_day: date | None) -> AgencyStats:
        """Totals and per-day counts of an agency from `from_day` to `to_day` (inclusive; None: unbounded)."""
        rows = sorted(self.daily_counts({agency_code}, from_day, to_day), key=lambda row: row.day)
        days = tuple(DayCount(row.day, **{name: getattr(row, name) for name in COUNTERS}) for row in rows)
        return AgencyStats(
            agency_code=agency_code,
            sent=sum(d.sent for d in days),
            received=sum(d.received for d in days),
            days=days,
        )

    def processing_of(self, agency_code: str, from_day: date | None, to_day: date | None, today: date) -> Processing:
        """Documents that arrived in the period: done on time or late, open (and overdue), time to done."""
        return processing_summary(self.processing_records({agency_code}, from_day, to_day), today)

    def processing_records(self, codes: set[str], from_day: date | None, to_day: date | None) -> list[ProcessingRecord]:
        """The incoming copies of agencies `codes` that arrived in the period (None: unbounded)."""
        columns = self.processing.c
        query = select(columns.agency_code, columns.arrived_at, columns.due_on, columns.completed_at).where(
            columns.agency_code.in_(codes)
        )
        query = within(query, columns.arrived_on, from_day, to_day)
        with self.engine.connect() as connection:
            return [ProcessingRecord(**utc_row(row._mapping)) for row in connection.execute(query)]

    def daily_counts(self, codes: set[str], from_day: date | None, to_day: date | None) -> list[Counts]:
        """The daily counters of agencies `codes` in the period (None: unbounded)."""
        query = select(self.daily).where(self.daily.c.agency_code.in_(codes))
        query = within(query, self.daily.c.day, from_day, to_day)
        with self.engine.connect() as connection:
            return [Counts(**row._mapping) for row in connection.execute(query)]


class _ActivityRows:
    """The rows of the activity read model one batch changes (see `RowCache`)."""

    def __init__(self, activity: DocumentActivity, connection: Connection) -> None:
        self.daily = RowCache(connection, activity.daily)
        self.outgoing = RowCache(connection, activity.outgoing)
        self.processing = RowCache(connection, activity.processing)

    def preload(self, events: Sequence[tuple[events_pb2.EventEnvelope, dict[str, Any]]]) -> None:
        outgoing, processing, days = [], [], []
        for envelope, data in events:
            if envelope.aggregate == "OutgoingDocument":
                outgoing.append(envelope.aggregate_id)
                if envelope.event == "Sent":
                    days.append((data["sender_code"], reporting_day(data["sent_at"])))
            elif envelope.aggregate == "IncomingDocument":
                processing.append(envelope.aggregate_id)
                if envelope.event == "Arrived":
                    days.append((data["recipient_code"], reporting_day(data["arrived_at"])))
                elif envelope.event == "Refused":
                    days.append((data["recipient_code"], reporting_day(data["at"])))
        self.outgoing.preload(outgoing)
        self.processing.preload(processing)
        self.daily.preload(days)

    def flush(self) -> None:
        self.daily.flush()
        self.outgoing.flush()
        self.processing.flush()

    def apply(self, envelope: events_pb2.EventEnvelope, data: dict[str, Any]) -> None:
        key = envelope.aggregate_id
        match envelope.aggregate, envelope.event:
            case "OutgoingDocument", "Drafted":
                self._outgoing(key, data["sender_code"])["doc_type"] = data["doc_type"]
            case "OutgoingDocument", "Signed":
                if (row := self.outgoing.get(key)) is not None:
                    self.outgoing.update(key, signatures=row["signatures"] + 1)
            case "OutgoingDocument", "Sent":
                self._sent(key, data["sender_code"], reporting_day(data["sent_at"]))
            case "IncomingDocument", "Arrived":
                self._arrived(key, data["recipient_code"], data["arrived_at"])
            case "IncomingDocument", "Refused":
                self._count(data["recipient_code"], reporting_day(data["at"]), "refused")
            case "IncomingDocument", "Recalled":
                if (copy := self.processing.get(key)) is not None:
                    self._count(copy["agency_code"], reporting_day(data["at"]), "recalled")
            case "IncomingDocument", "Assigned":
                due_on = date.fromisoformat(data["due_on"]) if data.get("due_on") else None
                self.processing.update(key, due_on=due_on)
            case "IncomingDocument", "Completed":
                self.processing.update(key, completed_at=datetime.fromisoformat(data["at"]))
            case _:
                pass  # not an indicator of this read model; its position is recorded all the same

    def _outgoing(self, outgoing_id: str, sender_code: str) -> dict[str, Any]:
        """The document's row, created by whichever of its events comes first."""
        row = self.outgoing.get(outgoing_id)
        if row is None:
            return self.outgoing.put({"outgoing_id": outgoing_id, "sender_code": sender_code})
        return self.outgoing.update(outgoing_id) or row

    def _sent(self, outgoing_id: str, sender_code: str, day: date) -> None:
        row = self._outgoing(outgoing_id, sender_code)
        if row["sent_on"] is None:  # the first `Sent` counts; the same delivered again does not
            row["sent_on"] = day
            self._count(sender_code, day, "sent")
            if row["signatures"] > 0:
                self._count(sender_code, day, "sent_signed")

    def _arrived(self, incoming_id: str, recipient_code: str, timestamp: str) -> None:
        if self.processing.get(incoming_id) is not None:
            return
        day = reporting_day(timestamp)
        arrived_at = datetime.fromisoformat(timestamp)
        self.processing.put(
            {"incoming_id": incoming_id, "agency_code": recipient_code, "arrived_on": day, "arrived_at": arrived_at}
        )
        self._count(recipient_code, day, "received")

    def _count(self, agency_code: str, day: date, column: str) -> None:
        row = self.daily.get((agency_code, day))
        if row is None:
            self.daily.put({"agency_code": agency_code, "day": day} | dict.fromkeys(COUNTERS, 0) | {column: 1})
        else:
            self.daily.update((agency_code, day), **{column: row[column] + 1})


__all__ = ["AgencyStats", "DayCount", "DocumentActivity", "Processing"]
