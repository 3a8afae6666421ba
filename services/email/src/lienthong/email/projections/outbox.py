"""The notifications as an SQL table: what the outbox must send next, and what ListNotifications shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.json_format import MessageToDict
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, insert, or_, select, update

from lienthong.consumer import SqlProjection, UtcDateTime, utc_row
from lienthong.events.v1 import events_pb2


@dataclass(frozen=True)
class NotificationRow:
    id: str
    agency_code: str
    to_address: str
    subject: str
    state: str
    document_id: str
    attempts: int
    next_attempt_at: datetime | None
    updated_at: datetime


class Outbox(SqlProjection):
    """One row per notification with its delivery state."""

    name = "email_outbox"

    def define_tables(self, metadata: MetaData) -> None:
        self.notifications = Table(
            "email_notifications",
            metadata,
            Column("id", String(36), primary_key=True),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("to_address", Text, nullable=False),
            Column("subject", Text, nullable=False),
            Column("state", String(10), nullable=False, index=True),
            Column("document_id", String(36), nullable=False),
            Column("attempts", Integer, nullable=False, default=0),
            Column("next_attempt_at", UtcDateTime()),
            Column("updated_at", UtcDateTime(), nullable=False),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        if envelope.aggregate != "Notification":
            return
        data = MessageToDict(envelope.data)
        at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
        table = self.notifications
        row = table.c.id == envelope.aggregate_id
        match envelope.event:
            case "Queued":
                connection.execute(
                    insert(table).values(
                        id=envelope.aggregate_id,
                        agency_code=data["agency_code"],
                        to_address=data["to_address"],
                        subject=data["subject"],
                        state="queued",
                        document_id=data["document_id"],
                        attempts=0,
                        updated_at=at,
                    )
                )
            case "AttemptStarted":
                connection.execute(update(table).where(row).values(state="sending", updated_at=at))
            case "Interrupted":
                connection.execute(update(table).where(row).values(state="queued", updated_at=at))
            case "Sent" | "DeliveryConfirmed":
                connection.execute(
                    update(table).where(row).values(state="sent", attempts=table.c.attempts + 1, updated_at=at)
                )
            case "Deferred":
                next_at = datetime.fromisoformat(data["next_attempt_at"]).astimezone(UTC)
                connection.execute(
                    update(table)
                    .where(row)
                    .values(state="deferred", attempts=table.c.attempts + 1, next_attempt_at=next_at, updated_at=at)
                )
            case "Bounced":
                connection.execute(
                    update(table).where(row).values(state="bounced", attempts=table.c.attempts + 1, updated_at=at)
                )
            case _:
                pass

    def due(self, now: datetime, limit: int = 100) -> list[str]:
        """Ids of the notifications to send now: queued, or deferred until a time that has come."""
        table = self.notifications
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.id)
                .where(
                    or_(
                        table.c.state == "queued",
                        (table.c.state == "deferred") & (table.c.next_attempt_at <= now.astimezone(UTC)),
                    )
                )
                .order_by(table.c.updated_at)
                .limit(limit)
            ).all()
        return [row[0] for row in rows]

    def in_doubt(self) -> list[str]:
        """Ids of the notifications with an attempt started and no outcome (left by a crash)."""
        table = self.notifications
        with self.engine.connect() as connection:
            rows = connection.execute(select(table.c.id).where(table.c.state == "sending")).all()
        return [row[0] for row in rows]

    def of_agency(self, agency_code: str) -> list[NotificationRow]:
        """Notifications for an agency ("" for all), newest first."""
        table = self.notifications
        query = select(table).order_by(table.c.updated_at.desc())
        if agency_code:
            query = query.where(table.c.agency_code == agency_code)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [NotificationRow(**utc_row(row._mapping)) for row in rows]
