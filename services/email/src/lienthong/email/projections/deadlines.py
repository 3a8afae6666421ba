"""Processing deadlines (hạn xử lý) of incoming documents, from the documents service's events: what is due
tomorrow and what is overdue, for the daily reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Boolean, Column, Connection, Date, MetaData, String, Table, Text, insert, select, update

from lienthong.consumer import SqlProjection, data_of
from lienthong.events.v1 import events_pb2

# The IncomingDocument events this read model follows.
DEADLINE_EVENTS = ("Arrived", "Assigned", "Completed", "Refused", "Recalled")


@dataclass(frozen=True)
class DeadlineRow:
    incoming_id: str
    recipient_code: str
    sender_code: str
    code: str
    subject: str
    due_on: date | None
    open: bool


class Deadlines(SqlProjection):
    """`email_deadlines`: one row per incoming copy, with its deadline once assigned; closed when done,
    refused or recalled."""

    name = "email_deadlines"

    def define_tables(self, metadata: MetaData) -> None:
        self.deadlines = Table(
            "email_deadlines",
            metadata,
            Column("incoming_id", String(36), primary_key=True),
            Column("recipient_code", String(13), nullable=False),
            Column("sender_code", String(13), nullable=False),
            Column("code", Text, nullable=False),
            Column("subject", Text, nullable=False),
            Column("due_on", Date, index=True),
            Column("open", Boolean, nullable=False),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        if envelope.aggregate != "IncomingDocument":
            return
        data = data_of(envelope)
        table = self.deadlines
        row = table.c.incoming_id == envelope.aggregate_id
        match envelope.event:
            case "Arrived":
                connection.execute(
                    insert(table).values(
                        incoming_id=envelope.aggregate_id,
                        recipient_code=data["recipient_code"],
                        sender_code=data["sender_code"],
                        code=data["code"],
                        subject=data["subject"],
                        due_on=None,
                        open=True,
                    )
                )
            case "Assigned":
                due_on = date.fromisoformat(data["due_on"]) if data.get("due_on") else None
                connection.execute(update(table).where(row).values(due_on=due_on))
            case "Completed" | "Refused" | "Recalled":
                connection.execute(update(table).where(row).values(open=False))
            case _:
                pass

    def due_on(self, day: date) -> list[DeadlineRow]:
        """Open documents whose deadline is `day`."""
        return self._rows(self.deadlines.c.due_on == day)

    def overdue(self, today: date) -> list[DeadlineRow]:
        """Open documents whose deadline has passed."""
        return self._rows(self.deadlines.c.due_on < today)

    def _rows(self, condition: object) -> list[DeadlineRow]:
        table = self.deadlines
        query = select(table).where(table.c.open.is_(True), condition).order_by(table.c.due_on, table.c.incoming_id)  # type: ignore[arg-type]
        with self.engine.connect() as connection:
            return [DeadlineRow(**row._mapping) for row in connection.execute(query)]
