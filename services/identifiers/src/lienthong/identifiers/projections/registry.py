"""The agency registry as an SQL table, fed by the identifiers service's own events, with an in-memory
copy for lookups that must answer in microseconds (Get, Resolve)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, select

from lienthong.consumer import SqlProjection, UtcDateTime, data_of, utc_row
from lienthong.consumer.rows import RowCache
from lienthong.events.v1 import events_pb2
from lienthong.identifiers.domain.agency import AgencyFields
from lienthong.identifiers.domain.resolution import RegistryEntry
from lienthong.vietnamese import fold


@dataclass(frozen=True)
class AgencyRow:
    code: str
    name: str
    short_name: str
    parent_code: str
    email: str
    address: str
    contact: str
    state: str
    level: int
    registered_at: datetime
    lock_reason: str
    ending: str
    successors: str  # comma-separated codes
    ended_on: str

    @property
    def entry(self) -> RegistryEntry:
        return RegistryEntry(
            code=self.code,
            state=self.state,
            ending=self.ending,
            successors=tuple(s for s in self.successors.split(",") if s),
            ended_on=self.ended_on,
            lock_reason=self.lock_reason,
        )


class Registry(SqlProjection):
    """One row per agency, as the other services, the CLI and search read it."""

    name = "identifiers_registry"
    remembers = True  # the in-memory copy: refreshed for what other replicas applied, too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._cache: dict[str, AgencyRow] | None = None
        self._stale: set[str] = set()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def define_tables(self, metadata: MetaData) -> None:
        self.agencies = Table(
            "identifiers_agencies",
            metadata,
            Column("code", String(13), primary_key=True),
            Column("agency_id", String(36), nullable=False, unique=True),
            Column("name", Text, nullable=False),
            Column("name_folded", Text, nullable=False),
            Column("short_name", String(20), nullable=False),
            Column("parent_code", String(13), nullable=False, index=True),
            Column("email", Text, nullable=False),
            Column("address", Text, nullable=False, default=""),
            Column("contact", Text, nullable=False, default=""),
            Column("state", String(12), nullable=False, index=True),
            Column("level", Integer, nullable=False),
            Column("registered_at", UtcDateTime(), nullable=False),
            Column("lock_reason", Text, nullable=False, default=""),
            Column("ending", String(12), nullable=False, default=""),
            Column("successors", Text, nullable=False, default=""),
            Column("ended_on", String(10), nullable=False, default=""),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        self.apply_batch(connection, [(0, envelope)])

    def apply_batch(self, connection: Connection, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """The agencies the batch changes read in one SELECT, changed in memory, written back set-based."""
        changed = [(envelope, data_of(envelope)) for _, envelope in events if envelope.aggregate == "Agency"]
        agencies = RowCache(connection, self.agencies)
        code_of = self._codes_of(connection, {e.aggregate_id for e, _ in changed if e.event != "Registered"})
        agencies.preload([*code_of.values(), *(data["code"] for e, data in changed if e.event == "Registered")])
        for envelope, data in changed:
            if envelope.event == "Registered":
                taken = agencies.get(data["code"])
                if taken is not None and taken["agency_id"] != envelope.aggregate_id:
                    raise ValueError(f"code {data['code']} is registered to agency {taken['agency_id']} already")
                code_of[envelope.aggregate_id] = data["code"]
                agencies.put(_registered_row(envelope, data))
            elif (values := _changed_columns(envelope.event, data)) is not None:
                code = code_of.get(envelope.aggregate_id)
                if code is None:
                    continue  # as an UPDATE of an agency never registered: nothing changes
                agencies.update(code, **values)
            else:
                continue
            self._mark_stale(envelope.aggregate_id)
        agencies.flush()

    def _codes_of(self, connection: Connection, agency_ids: set[str]) -> dict[str, str]:
        """The codes of the agencies `agency_ids` that have a row, by agency id."""
        table, ids, codes = self.agencies, sorted(agency_ids), {}
        for start in range(0, len(ids), 500):
            query = select(table.c.agency_id, table.c.code).where(table.c.agency_id.in_(ids[start : start + 500]))
            codes.update({row.agency_id: row.code for row in connection.execute(query)})
        return codes

    def _mark_stale(self, agency_id: str) -> None:
        # Pending until the transaction commits (see process): a refresh before that would read the old row.
        self._pending.add(agency_id)

    def after_commit(self) -> None:
        with self._lock:
            self._stale |= self._pending
        self._pending = set()

    def applied_elsewhere(self, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        changed = {envelope.aggregate_id for _, envelope in events if envelope.aggregate == "Agency"}
        with self._lock:
            self._stale |= changed

    # ---- reads -------------------------------------------------------------------------------------

    def get(self, code: str) -> AgencyRow | None:
        """One agency, from memory (loaded once, refreshed for the codes that changed). A code memory does
        not hold is looked up in the table: another replica may have registered it a moment ago (its row is
        committed before its RegisterAgency answers; this process hears of it within a catch-up)."""
        row = self._memory().get(code)
        if row is None:
            found = self._select(code=code)
            if found:
                row = found[0]
                with self._lock:
                    if self._cache is not None:
                        self._cache.setdefault(code, row)
        return row

    def _memory(self) -> dict[str, AgencyRow]:
        with self._lock:
            if self._cache is None:
                self._cache = {row.code: row for row in self._select()}
                self._stale.clear()
            elif self._stale:
                ids, self._stale = self._stale, set()
                for row in self._select(ids):
                    self._cache[row.code] = row
            return self._cache

    def _select(self, agency_ids: set[str] | None = None, code: str | None = None) -> list[AgencyRow]:
        query = select(*self._row_columns()).order_by(self.agencies.c.code)
        if agency_ids is not None:
            query = query.where(self.agencies.c.agency_id.in_(sorted(agency_ids)))
        if code is not None:
            query = query.where(self.agencies.c.code == code)
        with self.engine.connect() as connection:
            return [AgencyRow(**utc_row(row._mapping)) for row in connection.execute(query)]

    def _row_columns(self) -> list[Any]:
        return [c for c in self.agencies.c if c.name not in ("name_folded", "agency_id")]

    def fields_of(self, code: str) -> AgencyFields | None:
        """The registrar's fields of a registered agency, or None."""
        row = self.get(code)
        if row is None:
            return None
        return AgencyFields.unchecked(row.name, row.short_name, row.address, row.email, row.contact)

    def all(self) -> list[AgencyRow]:
        return sorted(self._memory().values(), key=lambda row: row.code)

    def search(
        self, *, query: str, parent_code: str, state: str, limit: int, offset: int
    ) -> tuple[list[AgencyRow], bool]:
        """A page of agencies whose folded name holds every folded word of `query`; whether more follow."""
        table = self.agencies
        statement = select(*self._row_columns()).order_by(table.c.code)
        for word in fold(query).split():
            statement = statement.where(table.c.name_folded.contains(word, autoescape=True))
        if parent_code:
            statement = statement.where(table.c.parent_code == parent_code)
        if state:
            statement = statement.where(table.c.state == state)
        with self.engine.connect() as connection:
            rows = connection.execute(statement.offset(offset).limit(limit + 1)).all()
        return [AgencyRow(**utc_row(row._mapping)) for row in rows[:limit]], len(rows) > limit


def _registered_row(envelope: events_pb2.EventEnvelope, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": data["code"],
        "agency_id": envelope.aggregate_id,
        "name": data["name"],
        "name_folded": fold(data["name"]),
        "short_name": data["short_name"],
        "parent_code": data["parent_code"],
        "email": data["email"],
        "address": data.get("address", ""),
        "contact": data.get("contact", ""),
        "state": "active",
        "level": int(data["level"]),
        "registered_at": envelope.occurred_at.ToDatetime(tzinfo=UTC),
    }


def _changed_columns(event: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The columns an event of a registered agency changes; None for an event that changes none."""
    match event:
        case "Updated":
            values = {k: data[k] for k in ("name", "short_name", "address", "email", "contact")}
            return values | {"name_folded": fold(data["name"])}
        case "Locked":
            return {"state": "locked", "lock_reason": data["reason"]}
        case "Unlocked":
            return {"state": "active", "lock_reason": ""}
        case "Dissolved":
            return {
                "state": "dissolved",
                "ending": data["ending"],
                "successors": ",".join(data["successors"]),
                "ended_on": data["effective_on"],
            }
    return None
