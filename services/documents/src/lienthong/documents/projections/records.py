"""Records (hồ sơ) as SQL tables, fed by the documents service's Record events, for listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, Text, insert, select, update

from lienthong.consumer import SqlProjection, UtcDateTime, data_of, utc, utc_row
from lienthong.events.v1 import events_pb2


@dataclass(frozen=True)
class FiledRow:
    ordinal: int
    document_id: str
    direction: str
    code: str
    filed_at: datetime


@dataclass(frozen=True)
class RecordRow:
    id: str
    agency_code: str
    code: str
    title: str
    retention_years: int
    state: str
    opened_at: datetime
    closed_at: datetime | None
    documents: tuple[FiledRow, ...]


class RecordsRegister(SqlProjection):
    """Every agency's records with their documents in filing order."""

    name = "documents_records"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)

    def define_tables(self, metadata: MetaData) -> None:
        self.records = Table(
            "documents_records",
            metadata,
            Column("id", String(36), primary_key=True),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("code", String(50), nullable=False),
            Column("title", Text, nullable=False),
            Column("retention_years", Integer, nullable=False),
            Column("state", String(10), nullable=False),
            Column("opened_at", UtcDateTime(), nullable=False),
            Column("closed_at", UtcDateTime()),
        )
        self.filed = Table(
            "documents_record_documents",
            metadata,
            Column("record_id", String(36), primary_key=True),
            Column("ordinal", Integer, primary_key=True),
            Column("document_id", String(36), nullable=False),
            Column("direction", String(10), nullable=False),
            Column("code", String(42), nullable=False),
            Column("filed_at", UtcDateTime(), nullable=False),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        if envelope.aggregate != "Record":
            return
        data: dict[str, Any] = data_of(envelope)
        key = envelope.aggregate_id
        match envelope.event:
            case "Opened":
                connection.execute(
                    insert(self.records).values(
                        id=key,
                        agency_code=data["agency_code"],
                        code=data["code"],
                        title=data["title"],
                        retention_years=int(data["retention_years"]),
                        state="open",
                        opened_at=_utc(data["opened_at"]),
                    )
                )
            case "DocumentFiled":
                connection.execute(
                    insert(self.filed).values(
                        record_id=key,
                        ordinal=int(data["ordinal"]),
                        document_id=data["document_id"],
                        direction=data["direction"],
                        code=data["document_code"],
                        filed_at=_utc(data["at"]),
                    )
                )
            case "Closed":
                connection.execute(
                    update(self.records)
                    .where(self.records.c.id == key)
                    .values(state="closed", closed_at=_utc(data["at"]))
                )
            case _:
                pass

    def by_id(self, record_id: str) -> RecordRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(self.records).where(self.records.c.id == record_id)).first()
            return self._row(connection, row._mapping) if row else None

    def of_agency(self, agency_code: str, state: str, limit: int, offset: int) -> tuple[list[RecordRow], bool]:
        """A page of an agency's records (in `state`, or all when empty), newest first."""
        query = select(self.records).where(self.records.c.agency_code == agency_code)
        if state:
            query = query.where(self.records.c.state == state)
        query = query.order_by(self.records.c.opened_at.desc(), self.records.c.code).offset(offset).limit(limit + 1)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
            found = [self._row(connection, row._mapping) for row in rows[:limit]]
        return found, len(rows) > limit

    def _row(self, connection: Connection, mapping: Any) -> RecordRow:
        filed = connection.execute(
            select(self.filed).where(self.filed.c.record_id == mapping["id"]).order_by(self.filed.c.ordinal)
        ).all()
        documents = tuple(FiledRow(f.ordinal, f.document_id, f.direction, f.code, utc(f.filed_at)) for f in filed)
        return RecordRow(**utc_row(mapping), documents=documents)


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)
