"""Stored events as plain records: what the relay publishes and what auditors read."""

from __future__ import annotations

import base64
import enum
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from sqlalchemy import Connection, Engine, Table, select

from lienthong.eventstore.mapper import META

_ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", META}


@dataclass(frozen=True)
class EventRecord:
    """One stored event, decoded, with JSON-compatible data."""

    position: int  # notification id in the application's log; 0 when read per aggregate
    aggregate_id: str
    version: int
    aggregate: str  # e.g. "OutgoingDocument"
    event: str  # e.g. "Registered"
    occurred_at: datetime
    actor: str
    traceparent: str
    data: dict[str, Any]


def read_events(app: Application[Any], start: int, limit: int) -> list[EventRecord]:
    """Up to `limit` events of the application's log from position `start` (inclusive), in order.

    One SELECT of the events table's columns (not the recorder's ORM objects), decoded straight to JSON
    values: a log is read in pages of thousands as fast as the rows come.
    """
    table = _events_table(app)
    query = select(*_COLUMNS(table)).where(table.c.id >= start).order_by(table.c.id).limit(limit)
    with _engine(app).connect() as connection:
        rows = connection.execute(query).all()
    return [_decode(app, row, row.id, str(_uuid(row.originator_id))) for row in rows]


def aggregate_history(
    app: Application[Any], aggregate_id: UUID, connection: Connection | None = None
) -> list[EventRecord]:
    """Every stored event of one aggregate, in version order."""
    return aggregate_histories(app, [aggregate_id], connection).get(aggregate_id, [])


def aggregate_histories(
    app: Application[Any], aggregate_ids: Sequence[UUID], connection: Connection | None = None
) -> dict[UUID, list[EventRecord]]:
    """Every stored event of each of the aggregates, in version order, read in one SELECT per thousand
    aggregates; an aggregate without events is left out. On `connection` when given (see `reading`)."""
    if connection is None:
        with reading(app) as own:
            return aggregate_histories(app, aggregate_ids, own)
    table = _events_table(app)
    histories: dict[UUID, list[EventRecord]] = {}
    unique = list(dict.fromkeys(aggregate_ids))
    for start in range(0, len(unique), _IDS_PER_QUERY):
        chunk = unique[start : start + _IDS_PER_QUERY]
        for originator_id, rows in groupby(_rows_of_aggregates(connection, table, chunk), key=itemgetter(1)):
            key = _uuid(originator_id)
            text = str(key)  # once per aggregate, not per event
            histories[key] = [_decode(app, row, 0, text) for row in rows]
    return histories


def _rows_of_aggregates(connection: Connection, table: Table, aggregate_ids: list[UUID]) -> Sequence[Any]:
    """The events rows (the columns of `_COLUMNS`) of the aggregates, by aggregate and version.

    On PostgreSQL one statement of fixed text (`= ANY(%s)` of a uuid array) straight on the driver's cursor,
    which psycopg prepares on the server once a connection has run it a few times (its `prepare_threshold`):
    a GetHistory is two of these, and building, caching and compiling an SQLAlchemy `IN` of varying length
    took more time than PostgreSQL did (profile in the commit). Elsewhere (SQLite, which has no arrays) the
    SQLAlchemy statement."""
    if connection.dialect.name != "postgresql":
        query = (
            select(*_COLUMNS(table))
            .where(table.c.originator_id.in_(aggregate_ids))
            .order_by(table.c.originator_id, table.c.originator_version)
        )
        return connection.execute(query).all()
    name = connection.dialect.identifier_preparer.format_table(table)
    columns = ", ".join(column.name for column in _COLUMNS(table))
    statement = (
        f"SELECT {columns} FROM {name}"  # the table's own names, not input
        " WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
    )
    driver: Any = connection.connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute(statement, [aggregate_ids])
        rows: list[Any] = cursor.fetchall()
    return rows


@contextmanager
def reading(app: Application[Any]) -> Iterator[Connection]:
    """A connection of the store for reads: on PostgreSQL in autocommit, so that a SELECT is one round trip
    (no BEGIN before it, no ROLLBACK after); a request's few SELECTs share it. Events are never changed
    once stored, so what one SELECT sees the next sees too."""
    engine = _engine(app)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            _without_jit(connection)
        yield connection


def _without_jit(connection: Connection) -> None:
    """Turn PostgreSQL's JIT off for this pooled connection, once. Without statistics on the events table
    (a bulk load before autovacuum analysed it, or autovacuum off) the planner takes one aggregate's events for
    0.5% of the log and a page of a thousand for more than the whole log; past `jit_above_cost` it compiles
    the query first: 173 ms for a page that reads in 24 ms at 100,000 documents, and every GetHistory past a
    million. These reads are index lookups, which JIT never speeds up."""
    info = connection.connection.info
    if not info.get("jit_off"):
        connection.exec_driver_sql("SET jit = off")
        info["jit_off"] = True


_IDS_PER_QUERY = 1000


def _COLUMNS(table: Table) -> list[Any]:
    return [table.c.id, table.c.originator_id, table.c.originator_version, table.c.topic, table.c.state]


def _events_table(app: Application[Any]) -> Table:
    table: Table = app.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    return table


def _engine(app: Application[Any]) -> Engine:
    engine: Engine = app.recorder.datastore.engine  # type: ignore[attr-defined]
    return engine


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _decode(app: Application[Any], row: Any, position: int, aggregate_id: str) -> EventRecord:
    """The record of a row of `_COLUMNS` (of the aggregate whose id reads `aggregate_id`)."""
    _, originator_id, version, topic, stored = row
    state = _state_of(app, originator_id, version, topic, stored)
    meta = state.get(META) or {}
    aggregate, event = _names_of(topic)
    return EventRecord(
        position=position,
        aggregate_id=aggregate_id,
        version=version,
        aggregate=aggregate,
        event=event,
        occurred_at=datetime.fromisoformat(state["timestamp"]),
        actor=str(meta.get("actor", "")),
        traceparent=str(meta.get("traceparent", "")),
        data={k: v for k, v in state.items() if k not in _ENVELOPE_FIELDS},
    )


@cache  # a store holds a few dozen topics, and a replay decodes millions of rows
def _names_of(topic: str) -> tuple[str, str]:
    """The aggregate's and the event's class names in a topic (`module:Aggregate.Event`)."""
    aggregate, _, event = topic.rpartition(":")[2].rpartition(".")
    return aggregate or event, event


def _state_of(app: Application[Any], originator_id: Any, version: int, topic: str, stored: Any) -> dict[str, Any]:
    """The stored state as JSON values: the library's markers of UUIDs, times, dates and decimals become
    the strings `to_jsonable` makes of them, without building the domain event. An encrypted or compressed
    state, an upcast event, or a marker of a transcoding an application registered takes the application's
    own decoding."""
    stored = bytes(stored) if isinstance(stored, memoryview) else stored
    if not (app.mapper.cipher or app.mapper.compressor):
        try:
            state: dict[str, Any] = _DECODER.decode(stored.decode())
        except _OtherTranscoding:
            pass
        else:
            if "class_version" not in state:
                return state
    notification = StoredEvent(originator_id, version, topic, stored)
    domain_event = vars(app.mapper.to_domain_event(notification))
    return {key: to_jsonable(value) for key, value in domain_event.items()}


class _OtherTranscoding(Exception):
    """A value stored by a transcoding other than the library's standard ones."""


def _jsonable_marker(value: dict[str, Any]) -> Any:
    if len(value) != 2 or "_type_" not in value or "_data_" not in value:
        return value
    kind, data = value["_type_"], value["_data_"]
    if kind == "uuid_hex":
        return str(UUID(hex=data))
    if kind in ("datetime_iso", "date_iso", "decimal_str"):
        return data  # what `isoformat()` / `str()` of the decoded value gives back
    raise _OtherTranscoding(kind)


def to_jsonable(value: Any) -> Any:
    """`value` with datetimes, dates, UUIDs, enums, decimals, bytes and dataclasses turned into JSON values."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return str(value)


_DECODER = json.JSONDecoder(object_hook=_jsonable_marker)  # one for all: a decoder is not cheap to make
