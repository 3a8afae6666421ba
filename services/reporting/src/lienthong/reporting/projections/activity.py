"""Documents sent and received per agency per day, counted from the documents service's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from sqlalchemy import BigInteger, Column, Connection, Date, MetaData, String, Table, select, update

from lienthong.consumer import SqlProjection, UtcDateTime, utc_row
from lienthong.events.v1 import events_pb2
from lienthong.reporting.domain.days import reporting_day
from lienthong.reporting.domain.report import Counts, Processing, ProcessingRecord, processing_summary
from lienthong.reporting.projections.periods import within
from lienthong.reporting.projections.upserts import insert_of, inserted


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
        data = MessageToDict(envelope.data)
        match envelope.aggregate, envelope.event:
            case "OutgoingDocument", "Drafted":
                self._outgoing(connection, envelope.aggregate_id, data["sender_code"])
                row = self.outgoing.c.outgoing_id == envelope.aggregate_id
                connection.execute(update(self.outgoing).where(row).values(doc_type=data["doc_type"]))
            case "OutgoingDocument", "Signed":
                self._signed(connection, envelope.aggregate_id)
            case "OutgoingDocument", "Sent":
                self._sent(connection, envelope.aggregate_id, data["sender_code"], reporting_day(data["sent_at"]))
            case "IncomingDocument", "Arrived":
                self._arrived(connection, envelope.aggregate_id, data["recipient_code"], data["arrived_at"])
            case "IncomingDocument", "Refused":
                self._count(connection, data["recipient_code"], reporting_day(data["at"]), "refused")
            case "IncomingDocument", "Recalled":
                self._recalled(connection, envelope.aggregate_id, reporting_day(data["at"]))
            case "IncomingDocument", "Assigned":
                due_on = date.fromisoformat(data["due_on"]) if data.get("due_on") else None
                self._processing(connection, envelope.aggregate_id, due_on=due_on)
            case "IncomingDocument", "Completed":
                self._processing(connection, envelope.aggregate_id, completed_at=datetime.fromisoformat(data["at"]))
            case _:
                pass  # not an indicator of this read model; its position is recorded all the same

    def _outgoing(self, connection: Connection, outgoing_id: str, sender_code: str) -> None:
        """The document's row, created by whichever of its events comes first."""
        row = insert_of(connection, self.outgoing).values(outgoing_id=outgoing_id, sender_code=sender_code)
        connection.execute(row.on_conflict_do_nothing())

    def _signed(self, connection: Connection, outgoing_id: str) -> None:
        row = self.outgoing.c.outgoing_id == outgoing_id
        connection.execute(update(self.outgoing).where(row).values(signatures=self.outgoing.c.signatures + 1))

    def _sent(self, connection: Connection, outgoing_id: str, sender_code: str, day: date) -> None:
        self._outgoing(connection, outgoing_id, sender_code)
        not_yet_sent = (self.outgoing.c.outgoing_id == outgoing_id) & self.outgoing.c.sent_on.is_(None)
        first = update(self.outgoing).where(not_yet_sent).values(sent_on=day).returning(self.outgoing.c.signatures)
        signatures = connection.execute(first).scalar_one_or_none()
        if signatures is not None:
            self._count(connection, sender_code, day, "sent")
            if signatures > 0:
                self._count(connection, sender_code, day, "sent_signed")

    def _recalled(self, connection: Connection, incoming_id: str, day: date) -> None:
        copy = select(self.processing.c.agency_code).where(self.processing.c.incoming_id == incoming_id)
        agency_code = connection.execute(copy).scalar_one_or_none()
        if agency_code is not None:
            self._count(connection, agency_code, day, "recalled")

    def _arrived(self, connection: Connection, incoming_id: str, recipient_code: str, timestamp: str) -> None:
        arrived_at = datetime.fromisoformat(timestamp)
        day = reporting_day(timestamp)
        first = insert_of(connection, self.processing).values(
            incoming_id=incoming_id, agency_code=recipient_code, arrived_on=day, arrived_at=arrived_at
        )
        if inserted(connection, first, self.processing.c.incoming_id):
            self._count(connection, recipient_code, day, "received")

    def _count(self, connection: Connection, agency_code: str, day: date, column: str) -> None:
        values: dict[str, Any] = {"agency_code": agency_code, "day": day} | dict.fromkeys(COUNTERS, 0) | {column: 1}
        statement = insert_of(connection, self.daily).values(values)
        increment = {column: self.daily.c[column] + 1}
        connection.execute(statement.on_conflict_do_update(index_elements=["agency_code", "day"], set_=increment))

    def _processing(self, connection: Connection, incoming_id: str, **values: object) -> None:
        row = self.processing.c.incoming_id == incoming_id
        connection.execute(update(self.processing).where(row).values(**values))

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


__all__ = ["AgencyStats", "DayCount", "DocumentActivity", "Processing"]
