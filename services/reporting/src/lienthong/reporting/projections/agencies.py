"""The agency tree (for roll-ups through the identifier hierarchy) and its changes, from identifiers events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Date, Integer, MetaData, String, Table, func, insert, select

from lienthong.consumer import SqlProjection, data_of
from lienthong.consumer.rows import RowCache
from lienthong.events.v1 import events_pb2
from lienthong.reporting.projections.periods import within
from lienthong.vietnamese.calendar import vietnam_date

# identifiers event → the change it counts as (DOMAIN.md §7: identifier codes issued, changed, locked)
CHANGES = {
    "Registered": "issued",
    "Updated": "changed",
    "Locked": "locked",
    "Unlocked": "unlocked",
    "Dissolved": "dissolved",
}


@dataclass(frozen=True)
class AgencyNode:
    code: str
    parent_code: str
    name: str
    state: str


class AgencyTree(SqlProjection):
    """`reporting_agencies`: every agency with its parent, name and state; `reporting_registry_changes`: one
    row per change of the registry, counted per period."""

    name = "reporting_registry"

    def define_tables(self, metadata: MetaData) -> None:
        self.agencies = Table(
            "reporting_agencies",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("code", String(13), nullable=False, unique=True),
            Column("parent_code", String(13), nullable=False, index=True),
            Column("name", String(300), nullable=False),
            Column("level", Integer, nullable=False),
            Column("state", String(20), nullable=False),
        )
        self.changes = Table(
            "reporting_registry_changes",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("version", BigInteger, primary_key=True, autoincrement=False),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("day", Date, nullable=False),
            Column("change", String(20), nullable=False),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        self.apply_batch(connection, [(0, envelope)])

    def apply_batch(self, connection: Connection, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """The agencies the batch changes read in one SELECT, changed in memory, written back set-based;
        its changes inserted in one statement."""
        changed = [envelope for _, envelope in events if envelope.aggregate == "Agency" and envelope.event in CHANGES]
        agencies = RowCache(connection, self.agencies)
        agencies.preload(envelope.aggregate_id for envelope in changed if envelope.event != "Registered")
        changes = []
        for envelope in changed:
            row = _apply_to_agency(agencies, envelope)
            if row is None:
                raise LookupError(f"{envelope.event} of agency {envelope.aggregate_id}, which was never registered")
            day = vietnam_date(envelope.occurred_at.ToDatetime(tzinfo=UTC))
            change = CHANGES[envelope.event]
            changes.append(
                {"aggregate_id": envelope.aggregate_id, "version": envelope.version, "agency_code": row["code"]}
                | {"day": day, "change": change}
            )
        agencies.flush()
        if changes:
            connection.execute(insert(self.changes), changes)

    def nodes(self) -> dict[str, AgencyNode]:
        """Every agency by code."""
        columns = self.agencies.c
        with self.engine.connect() as connection:
            rows = connection.execute(select(columns.code, columns.parent_code, columns.name, columns.state)).all()
        return {row.code: AgencyNode(row.code, row.parent_code, row.name, row.state) for row in rows}

    def changes_of(self, codes: set[str], from_day: date | None, to_day: date | None) -> Counter[str]:
        """How many codes of `codes` were issued, changed, locked, unlocked and dissolved in the period."""
        columns = self.changes.c
        query = select(columns.change, func.count()).group_by(columns.change).where(columns.agency_code.in_(codes))
        query = within(query, columns.day, from_day, to_day)
        with self.engine.connect() as connection:
            return Counter({change: int(count) for change, count in connection.execute(query).all()})


# agency event → the state it leaves the agency in (Updated changes its name instead)
STATES = {"Locked": "locked", "Unlocked": "active", "Dissolved": "dissolved"}


def _apply_to_agency(agencies: RowCache, envelope: events_pb2.EventEnvelope) -> dict[str, Any] | None:
    """The agency's row as the event leaves it; None when the agency was never registered."""
    data = data_of(envelope)
    if envelope.event == "Registered":
        return agencies.put(
            {
                "aggregate_id": envelope.aggregate_id,
                "code": data["code"],
                "parent_code": data.get("parent_code", ""),
                "name": data["name"],
                "level": int(data.get("level", 0)),
                "state": "active",
            }
        )
    if envelope.event == "Updated":
        return agencies.update(envelope.aggregate_id, name=data["name"])
    return agencies.update(envelope.aggregate_id, state=STATES[envelope.event])
