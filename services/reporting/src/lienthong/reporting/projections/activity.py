"""Documents sent and received per agency per day, counted from the documents service's events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from google.protobuf.json_format import MessageToDict
from sqlalchemy import BigInteger, Column, Connection, Date, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from lienthong.consumer import SqlProjection
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


class DocumentActivity(SqlProjection):
    """`reporting_daily_activity(agency_code, day, sent, received)`."""

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

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        data = MessageToDict(envelope.data)
        match envelope.aggregate, envelope.event:
            case "OutgoingDocument", "Sent":
                self._count(connection, data["sender_code"], datetime.fromisoformat(data["sent_at"]), "sent")
            case "IncomingDocument", "Arrived":
                self._count(connection, data["recipient_code"], datetime.fromisoformat(data["arrived_at"]), "received")
            case _:
                pass

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
