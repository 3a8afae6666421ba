"""Documents sent and received per agency per day, counted from the documents service's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from sqlalchemy import BigInteger, Column, Connection, Date, MetaData, String, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from lienthong.consumer import SqlProjection, UtcDateTime
from lienthong.events.v1 import events_pb2
from lienthong.reporting.domain.days import reporting_day
from lienthong.vietnamese.calendar import vietnam_date


@dataclass(frozen=True)
class DayCount:
    """Documents an agency sent and received on one Vietnamese calendar day."""

    day: date
    sent: int
    received: int


@dataclass(frozen=True)
class AgencyStats:
    """An agency's totals over a period, and the days of the period that had documents, oldest first."""

    agency_code: str
    sent: int
    received: int
    days: tuple[DayCount, ...]


@dataclass(frozen=True)
class Processing:
    """How an agency handled the documents that arrived in a period (DOMAIN.md §7)."""

    received: int
    done: int
    done_on_time: int
    done_late: int
    open: int
    open_overdue: int
    average_hours: float
    p90_hours: float


class DocumentActivity(SqlProjection):
    """The read model of document traffic, fed by the `documents` stream.

    - `reporting_daily_activity(agency_code, day, sent, received)`: the counters the reports read;
    - `reporting_sent_documents(outgoing_id, ...)`: each outgoing document counted, so that the same
      `Sent` delivered again under another stream position (a relay re-publishing after JetStream's
      de-duplication window) is not counted twice; `reporting_processing` plays that part for arrivals;
    - `reporting_processing`: one row per incoming copy with its arrival, deadline and completion.
    """

    name = "reporting"

    def define_tables(self, metadata: MetaData) -> None:
        self.daily = Table(
            "reporting_daily_activity",
            metadata,
            Column("agency_code", String(13), primary_key=True),
            Column("day", Date, primary_key=True),
            Column("sent", BigInteger, nullable=False, default=0),
            Column("received", BigInteger, nullable=False, default=0),
        )
        self.sent_documents = Table(
            "reporting_sent_documents",
            metadata,
            Column("outgoing_id", String(36), primary_key=True),
            Column("sender_code", String(13), nullable=False),
            Column("sent_on", Date, nullable=False),
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
            case "OutgoingDocument", "Sent":
                self._sent(connection, envelope.aggregate_id, data["sender_code"], reporting_day(data["sent_at"]))
            case "IncomingDocument", "Arrived":
                self._arrived(connection, envelope.aggregate_id, data["recipient_code"], data["arrived_at"])
            case "IncomingDocument", "Assigned":
                due_on = date.fromisoformat(data["due_on"]) if data.get("due_on") else None
                self._processing(connection, envelope.aggregate_id, due_on=due_on)
            case "IncomingDocument", "Completed":
                self._processing(connection, envelope.aggregate_id, completed_at=datetime.fromisoformat(data["at"]))
            case _:
                pass  # not an indicator of this read model; its position is recorded all the same

    def _sent(self, connection: Connection, outgoing_id: str, sender_code: str, day: date) -> None:
        first = _insert(connection, self.sent_documents).values(
            outgoing_id=outgoing_id, sender_code=sender_code, sent_on=day
        )
        if _inserted(connection, first, self.sent_documents.c.outgoing_id):
            self._count(connection, sender_code, day, "sent")

    def _arrived(self, connection: Connection, incoming_id: str, recipient_code: str, timestamp: str) -> None:
        arrived_at = datetime.fromisoformat(timestamp)
        day = reporting_day(timestamp)
        first = _insert(connection, self.processing).values(
            incoming_id=incoming_id, agency_code=recipient_code, arrived_on=day, arrived_at=arrived_at
        )
        if _inserted(connection, first, self.processing.c.incoming_id):
            self._count(connection, recipient_code, day, "received")

    def _count(self, connection: Connection, agency_code: str, day: date, column: str) -> None:
        values: dict[str, Any] = {"agency_code": agency_code, "day": day, "sent": 0, "received": 0, column: 1}
        statement = _insert(connection, self.daily).values(values)
        increment = {column: self.daily.c[column] + 1}
        connection.execute(statement.on_conflict_do_update(index_elements=["agency_code", "day"], set_=increment))

    def _processing(self, connection: Connection, incoming_id: str, **values: object) -> None:
        row = self.processing.c.incoming_id == incoming_id
        connection.execute(update(self.processing).where(row).values(**values))

    def agency_stats(self, agency_code: str, from_day: date | None, to_day: date | None) -> AgencyStats:
        """Totals and per-day counts of an agency from `from_day` to `to_day` (inclusive; None: unbounded)."""
        query = select(self.daily.c.day, self.daily.c.sent, self.daily.c.received).where(
            self.daily.c.agency_code == agency_code
        )
        if from_day is not None:
            query = query.where(self.daily.c.day >= from_day)
        if to_day is not None:
            query = query.where(self.daily.c.day <= to_day)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(self.daily.c.day)).all()
        days = tuple(DayCount(row.day, row.sent, row.received) for row in rows)
        return AgencyStats(
            agency_code=agency_code,
            sent=sum(d.sent for d in days),
            received=sum(d.received for d in days),
            days=days,
        )

    def processing_of(self, agency_code: str, from_day: date | None, to_day: date | None, today: date) -> Processing:
        """Documents that arrived in the period: done on time or late, open (and overdue), time to done."""
        query = select(self.processing).where(self.processing.c.agency_code == agency_code)
        if from_day is not None:
            query = query.where(self.processing.c.arrived_on >= from_day)
        if to_day is not None:
            query = query.where(self.processing.c.arrived_on <= to_day)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        done = [r for r in rows if r.completed_at is not None]
        late = [r for r in done if r.due_on is not None and vietnam_date(r.completed_at) > r.due_on]
        still_open = [r for r in rows if r.completed_at is None]
        hours = sorted((r.completed_at - r.arrived_at).total_seconds() / 3600 for r in done)
        return Processing(
            received=len(rows),
            done=len(done),
            done_on_time=len(done) - len(late),
            done_late=len(late),
            open=len(still_open),
            open_overdue=sum(1 for r in still_open if r.due_on is not None and today > r.due_on),
            average_hours=round(sum(hours) / len(hours), 2) if hours else 0.0,
            p90_hours=round(hours[min(len(hours) - 1, int(len(hours) * 0.9))], 2) if hours else 0.0,
        )

    def empty(self) -> int:
        """Empty the read model and forget its positions, as `reset()`; return how many rows it held.

        Only while no consumer of this read model runs: a running one would go on from where it was and
        record its position, so that the events before it would never be counted again.
        """
        with self.engine.connect() as connection:
            held = sum(
                int(connection.execute(select(func.count()).select_from(table)).scalar_one())
                for table in self.metadata.sorted_tables
            )
        self.reset()
        return held


def _insert(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say what to do on conflict, in the connection's dialect (PostgreSQL or SQLite)."""
    match connection.dialect.name:
        case "postgresql":
            return postgresql.insert(table)
        case "sqlite":
            return sqlite.insert(table)
        case other:  # pragma: no cover - lienthong runs on PostgreSQL, or SQLite when embedded
            raise NotImplementedError(f"the reporting read model does not support {other}")


def _inserted(connection: Connection, insert: postgresql.Insert | sqlite.Insert, key: Column[str]) -> bool:
    """Insert the row unless its key is there already; say whether it was inserted.

    RETURNING says so on both databases; `rowcount` of an INSERT is -1 with psycopg 3 under SQLAlchemy.
    """
    return connection.execute(insert.on_conflict_do_nothing().returning(key)).first() is not None


__all__ = ["AgencyStats", "DayCount", "DocumentActivity", "Processing"]
