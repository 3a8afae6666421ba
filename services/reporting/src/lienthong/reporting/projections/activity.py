"""Documents sent and received per agency per day, counted from the documents service's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from google.protobuf.json_format import MessageToDict
from sqlalchemy import BigInteger, Column, Connection, Date, MetaData, String, Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from lienthong.consumer import SqlProjection, UtcDateTime
from lienthong.events.v1 import events_pb2
from lienthong.vietnamese.calendar import vietnam_date


@dataclass(frozen=True)
class DayActivity:
    day: date
    sent: int
    received: int


@dataclass(frozen=True)
class AgencyActivity:
    agency_code: str
    sent: int
    received: int
    days: tuple[DayActivity, ...]


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
    """`reporting_daily_activity(agency_code, day, sent, received)` and `reporting_processing`, one row per
    incoming copy with its arrival, deadline and completion."""

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
                self._count(connection, data["sender_code"], datetime.fromisoformat(data["sent_at"]), "sent")
            case "IncomingDocument", "Arrived":
                arrived_at = datetime.fromisoformat(data["arrived_at"])
                self._count(connection, data["recipient_code"], arrived_at, "received")
                connection.execute(
                    insert(self.processing).values(
                        incoming_id=envelope.aggregate_id,
                        agency_code=data["recipient_code"],
                        arrived_on=vietnam_date(arrived_at),
                        arrived_at=arrived_at,
                    )
                )
            case "IncomingDocument", "Assigned":
                due_on = date.fromisoformat(data["due_on"]) if data.get("due_on") else None
                self._processing(connection, envelope.aggregate_id, due_on=due_on)
            case "IncomingDocument", "Completed":
                self._processing(connection, envelope.aggregate_id, completed_at=datetime.fromisoformat(data["at"]))
            case _:
                pass

    def _processing(self, connection: Connection, incoming_id: str, **values: object) -> None:
        row = self.processing.c.incoming_id == incoming_id
        connection.execute(update(self.processing).where(row).values(**values))

    def processing_of(self, agency_code: str, from_day: date | None, to_day: date | None, today: date) -> Processing:
        """Documents that arrived in the period: done on time or late, open (and overdue), time to done."""
        query = select(self.processing).where(self.processing.c.agency_code == agency_code)
        if from_day:
            query = query.where(self.processing.c.arrived_on >= from_day)
        if to_day:
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

    def _count(self, connection: Connection, agency_code: str, moment: datetime, column: str) -> None:
        values = {"agency_code": agency_code, "day": vietnam_date(moment), "sent": 0, "received": 0, column: 1}
        increment = {column: self.daily.c[column] + 1}
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(self.daily).values(values)
        connection.execute(statement.on_conflict_do_update(index_elements=["agency_code", "day"], set_=increment))

    def agency_activity(self, agency_code: str, from_day: date | None, to_day: date | None) -> AgencyActivity:
        """Totals and per-day counts of an agency in a period (bounds inclusive, None for open)."""
        query = select(self.daily.c.day, self.daily.c.sent, self.daily.c.received).where(
            self.daily.c.agency_code == agency_code
        )
        if from_day:
            query = query.where(self.daily.c.day >= from_day)
        if to_day:
            query = query.where(self.daily.c.day <= to_day)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(self.daily.c.day)).all()
        days = tuple(DayActivity(row.day, row.sent, row.received) for row in rows)
        return AgencyActivity(
            agency_code=agency_code,
            sent=sum(d.sent for d in days),
            received=sum(d.received for d in days),
            days=days,
        )


__all__ = ["AgencyActivity", "DayActivity", "DocumentActivity"]
