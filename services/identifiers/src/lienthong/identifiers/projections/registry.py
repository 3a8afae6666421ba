"""The agency registry as an SQL table, fed by the identifiers service's own events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from sqlalchemy import Column, Connection, DateTime, Integer, MetaData, String, Table, Text, insert, select

from lienthong.consumer import SqlProjection, utc_row
from lienthong.events.v1 import events_pb2


@dataclass(frozen=True)
class AgencyRow:
    code: str
    name: str
    short_name: str
    parent_code: str
    email: str
    state: str
    level: int
    registered_at: datetime


class Registry(SqlProjection):
    """One row per agency, as the other services and the CLI read it."""

    name = "identifiers_registry"

    def define_tables(self, metadata: MetaData) -> None:
        self.agencies = Table(
            "identifiers_agencies",
            metadata,
            Column("code", String(13), primary_key=True),
            Column("name", Text, nullable=False),
            Column("short_name", String(20), nullable=False),
            Column("parent_code", String(13), nullable=False, index=True),
            Column("email", Text, nullable=False),
            Column("state", String(12), nullable=False),
            Column("level", Integer, nullable=False),
            Column("registered_at", DateTime(timezone=True), nullable=False),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        if (envelope.aggregate, envelope.event) != ("Agency", "Registered"):
            return
        data = MessageToDict(envelope.data)
        connection.execute(
            insert(self.agencies).values(
                code=data["code"],
                name=data["name"],
                short_name=data["short_name"],
                parent_code=data["parent_code"],
                email=data["email"],
                state="active",
                level=int(data["level"]),
                registered_at=envelope.occurred_at.ToDatetime(tzinfo=UTC),
            )
        )

    def get(self, code: str) -> AgencyRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(self.agencies).where(self.agencies.c.code == code)).first()
        return _row(row._mapping) if row else None

    def all(self) -> list[AgencyRow]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(self.agencies).order_by(self.agencies.c.code)).all()
        return [_row(r._mapping) for r in rows]


def _row(mapping: Mapping[Any, Any]) -> AgencyRow:
    return AgencyRow(**utc_row(mapping))
