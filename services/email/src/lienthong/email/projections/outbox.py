"""The notifications as an SQL table: what the outbox must send next, and what ListNotifications shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, or_, select

from lienthong.consumer import SqlProjection, UtcDateTime, data_of, utc_row
from lienthong.consumer.rows import RowCache
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
        self.apply_batch(connection, [(0, envelope)])

    def apply_batch(self, connection: Connection, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """The batch's notifications read in one SELECT, changed in memory, written back set-based."""
        rows = RowCache(connection, self.notifications)
        notices = [envelope for _, envelope in events if envelope.aggregate == "Notification"]
        rows.preload(envelope.aggregate_id for envelope in notices if envelope.event != "Queued")
        for envelope in notices:
            _apply_notification(rows, envelope)
        rows.flush()

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


def _apply_notification(rows: RowCache, envelope: events_pb2.EventEnvelope) -> None:
    at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
    key = envelope.aggregate_id
    match envelope.event:
        case "Queued":
            data = data_of(envelope)
            rows.put(
                {
                    "id": key,
                    "agency_code": data["agency_code"],
                    "to_address": data["to_address"],
                    "subject": data["subject"],
                    "state": "queued",
                    "document_id": data["document_id"],
                    "attempts": 0,
                    "updated_at": at,
                }
            )
        case "AttemptStarted":
            rows.update(key, state="sending", updated_at=at)
        case "Interrupted":
            rows.update(key, state="queued", updated_at=at)
        case "Sent" | "DeliveryConfirmed" | "Bounced" | "Deferred":
            if (row := rows.get(key)) is None:
                return
            state = {"Deferred": "deferred", "Bounced": "bounced"}.get(envelope.event, "sent")
            rows.update(key, state=state, attempts=row["attempts"] + 1, updated_at=at)
            if envelope.event == "Deferred":
                next_at = datetime.fromisoformat(data_of(envelope)["next_attempt_at"]).astimezone(UTC)
                rows.update(key, next_attempt_at=next_at)
        case _:
            pass
