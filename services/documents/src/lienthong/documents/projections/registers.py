"""The registers (sổ văn bản đi / đến) as SQL tables, fed by the documents service's own events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC as _UTC
from datetime import date, datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from lienthong.consumer import SqlProjection, utc, utc_row
from lienthong.events.v1 import events_pb2


@dataclass(frozen=True)
class RecipientRow:
    recipient_code: str
    incoming_id: str
    status: str
    updated_at: datetime


@dataclass(frozen=True)
class OutgoingRow:
    id: str
    sender_code: str
    doc_type: str
    subject: str
    urgency: str
    confidentiality: str
    state: str
    number: int
    notation: str
    issued_at: datetime | None
    content_sha256: str
    certificate_serial: str
    created_at: datetime
    recipients: tuple[RecipientRow, ...]


@dataclass(frozen=True)
class IncomingRow:
    id: str
    recipient_code: str
    outgoing_id: str
    sender_code: str
    doc_type: str
    subject: str
    code: str
    urgency: str
    status: str
    arrival_number: int
    arrived_at: datetime
    accepted_at: datetime | None
    assignee: str
    due_on: str
    status_before_recall: str

    def overdue(self, today: date) -> bool:
        """Past its deadline (a Vietnamese calendar day) and not done."""
        return bool(self.due_on) and today > date.fromisoformat(self.due_on) and self.status != "06"


class Registers(SqlProjection):
    """Outgoing documents with their recipients' statuses, and incoming documents per recipient."""

    name = "documents_registers"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)

    def define_tables(self, metadata: MetaData) -> None:
        self.outgoing = Table(
            "documents_outgoing",
            metadata,
            Column("id", String(36), primary_key=True),
            Column("sender_code", String(13), nullable=False, index=True),
            Column("doc_type", String(40), nullable=False),
            Column("subject", Text, nullable=False),
            Column("urgency", String(20), nullable=False),
            Column("confidentiality", String(20), nullable=False),
            Column("state", String(20), nullable=False),
            Column("number", BigInteger, nullable=False, default=0),
            Column("notation", String(30), nullable=False, default=""),
            Column("issued_at", DateTime(timezone=True)),
            Column("content_sha256", String(64), nullable=False),
            Column("certificate_serial", String(80), nullable=False, default=""),
            Column("created_at", DateTime(timezone=True), nullable=False),
        )
        self.recipients = Table(
            "documents_outgoing_recipients",
            metadata,
            Column("outgoing_id", String(36), primary_key=True),
            Column("recipient_code", String(13), primary_key=True),
            Column("incoming_id", String(36), nullable=False),
            Column("status", String(2), nullable=False),
            Column("updated_at", DateTime(timezone=True), nullable=False),
        )
        self.incoming = Table(
            "documents_incoming",
            metadata,
            Column("id", String(36), primary_key=True),
            Column("recipient_code", String(13), nullable=False, index=True),
            Column("outgoing_id", String(36), nullable=False),
            Column("sender_code", String(13), nullable=False),
            Column("doc_type", String(40), nullable=False),
            Column("subject", Text, nullable=False),
            Column("code", String(42), nullable=False),
            Column("urgency", String(20), nullable=False),
            Column("status", String(2), nullable=False),
            Column("arrival_number", BigInteger, nullable=False, default=0),
            Column("arrived_at", DateTime(timezone=True), nullable=False),
            Column("accepted_at", DateTime(timezone=True)),
            Column("assignee", Text, nullable=False, default=""),
            Column("due_on", String(10), nullable=False, default=""),
            Column("status_before_recall", String(2), nullable=False, default=""),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        data: dict[str, Any] = MessageToDict(envelope.data)
        key = envelope.aggregate_id
        at = envelope.occurred_at.ToDatetime(tzinfo=_UTC)
        match envelope.aggregate, envelope.event:
            case "OutgoingDocument", "Drafted":
                connection.execute(
                    insert(self.outgoing).values(
                        id=key,
                        sender_code=data["sender_code"],
                        doc_type=data["doc_type"],
                        subject=data["subject"],
                        urgency=data["urgency"],
                        confidentiality=data["confidentiality"],
                        state="draft",
                        content_sha256=data["content_sha256"],
                        created_at=at,
                    )
                )
            case "OutgoingDocument", "Registered":
                self._update_outgoing(
                    connection,
                    key,
                    state="registered",
                    number=int(data["number"]),
                    notation=data["notation"],
                    issued_at=_utc(data["issued_at"]),
                    content_sha256=data["content_sha256"],
                )
            case "OutgoingDocument", "Signed":
                self._update_outgoing(
                    connection,
                    key,
                    state="signed",
                    content_sha256=data["content_sha256"],
                    certificate_serial=data["certificate_serial"],
                )
            case "OutgoingDocument", "Sent":
                self._update_outgoing(connection, key, state="sent")
                for recipient in data["recipients"]:
                    connection.execute(
                        insert(self.recipients).values(
                            outgoing_id=key,
                            recipient_code=recipient["recipient_code"],
                            incoming_id=recipient["incoming_id"],
                            status="01",
                            updated_at=at,
                        )
                    )
            case "OutgoingDocument", "RecipientStatusChanged":
                connection.execute(
                    update(self.recipients)
                    .where(self.recipients.c.outgoing_id == key)
                    .where(self.recipients.c.recipient_code == data["recipient_code"])
                    .values(status=data["status"], updated_at=_utc(data["at"]))
                )
            case "IncomingDocument", "Arrived":
                connection.execute(
                    insert(self.incoming).values(
                        id=key,
                        recipient_code=data["recipient_code"],
                        outgoing_id=data["outgoing_id"],
                        sender_code=data["sender_code"],
                        doc_type=data["doc_type"],
                        subject=data["subject"],
                        code=data["code"],
                        urgency=data["urgency"],
                        status="01",
                        arrived_at=_utc(data["arrived_at"]),
                    )
                )
            case "IncomingDocument", "Accepted":
                connection.execute(
                    update(self.incoming)
                    .where(self.incoming.c.id == key)
                    .values(
                        status="03",
                        arrival_number=int(data["arrival_number"]),
                        accepted_at=_utc(data["accepted_at"]),
                    )
                )
            case "IncomingDocument", "Refused":
                self._set_status(connection, key, "02")
            case "IncomingDocument", "Assigned":
                self._set_status(connection, key, "04", assignee=data["assignee"], due_on=data["due_on"])
            case "IncomingDocument", "Started":
                self._set_status(connection, key, "05")
            case "IncomingDocument", "Completed":
                self._set_status(connection, key, "06")
            case "IncomingDocument", "RecallRequested":
                connection.execute(
                    update(self.incoming)
                    .where(self.incoming.c.id == key)
                    .values(status_before_recall=self.incoming.c.status, status="13")
                )
            case "IncomingDocument", "Recalled":
                self._set_status(connection, key, "15")
            case "IncomingDocument", "RecallRefused":
                connection.execute(
                    update(self.incoming)
                    .where(self.incoming.c.id == key)
                    .values(status=self.incoming.c.status_before_recall)
                )
            case _:
                pass  # number series and events without a register column

    def _set_status(self, connection: Connection, key: str, status: str, **values: Any) -> None:
        connection.execute(update(self.incoming).where(self.incoming.c.id == key).values(status=status, **values))

    def _update_outgoing(self, connection: Connection, key: str, **values: Any) -> None:
        connection.execute(update(self.outgoing).where(self.outgoing.c.id == key).values(**values))

    def outgoing_of(self, sender_code: str) -> list[OutgoingRow]:
        """An agency's outgoing documents, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(self.outgoing)
                .where(self.outgoing.c.sender_code == sender_code)
                .order_by(self.outgoing.c.created_at.desc())
            ).all()
            return [self._outgoing_row(connection, row._mapping) for row in rows]

    def outgoing_by_id(self, document_id: str) -> OutgoingRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(self.outgoing).where(self.outgoing.c.id == document_id)).first()
            return self._outgoing_row(connection, row._mapping) if row else None

    def incoming_of(self, recipient_code: str) -> list[IncomingRow]:
        """The documents that arrived at an agency, newest first; recalled copies have left the register."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(self.incoming)
                .where(self.incoming.c.recipient_code == recipient_code)
                .where(self.incoming.c.status != "15")
                .order_by(self.incoming.c.arrived_at.desc())
            ).all()
        return [IncomingRow(**utc_row(row._mapping)) for row in rows]

    def incoming_by_id(self, incoming_id: str) -> IncomingRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(self.incoming).where(self.incoming.c.id == incoming_id)).first()
        return IncomingRow(**utc_row(row._mapping)) if row else None

    def _outgoing_row(self, connection: Connection, mapping: Any) -> OutgoingRow:
        recipients = connection.execute(
            select(self.recipients)
            .where(self.recipients.c.outgoing_id == mapping["id"])
            .order_by(self.recipients.c.recipient_code)
        ).all()
        listed = tuple(
            RecipientRow(
                recipient_code=r.recipient_code,
                incoming_id=r.incoming_id,
                status=r.status,
                updated_at=utc(r.updated_at),
            )
            for r in recipients
        )
        return OutgoingRow(**utc_row(mapping), recipients=listed)


def _utc(iso: str) -> datetime:
    # SQLite keeps no offset: store every time as UTC.
    return datetime.fromisoformat(iso).astimezone(_UTC)
