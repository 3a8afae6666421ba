"""SQL read models fed by events: the base class every projection derives from."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
    inspect,
    select,
)
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from lienthong.consumer.errors import UnprocessableEvent
from lienthong.events.v1 import events_pb2
from lienthong.relay import PositionTable

log = logging.getLogger(__name__)

# Failures that say the database is unreachable or busy, not that the event is bad: retried, never put aside.
TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError, ProgrammingError)


class SqlProjection(ABC):
    """A read model in SQL tables whose position per stream is saved in the same transaction as its rows.

    Subclasses declare their tables in `define_tables()` and change them in `apply()`. An event that
    `apply()` cannot take (bad data, a bug) is put aside in `<name>_dead_letters` with the reason, and the
    events after it go on; a rebuild from zero tries it again.
    """

    name: str = "projection"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.metadata = MetaData()
        self.dead_letters = Table(
            f"{self.name}_dead_letters",
            self.metadata,
            Column("stream", String(200), primary_key=True),
            Column("position", BigInteger, primary_key=True, autoincrement=False),
            Column("subject", String(500), nullable=False),
            Column("reason", Text, nullable=False),
            Column("data", LargeBinary, nullable=False),
            Column("at", DateTime(timezone=True), nullable=False),
        )
        self.define_tables(self.metadata)
        self._positions = PositionTable(engine, prefix=self.name)
        self._known_streams: set[str] = set()
        if self._schema_changed():
            # A read model is derived data: when its tables changed shape, drop them and replay from zero.
            log.warning("read model %s changed shape; rebuilding it from zero", self.name)
            self.metadata.drop_all(engine)
            with engine.begin() as connection:
                self._positions.delete_all(connection)
        self.metadata.create_all(engine)

    def _schema_changed(self) -> bool:
        """Whether a table has other columns than declared, or is missing from a read model already fed."""
        existing = inspect(self.engine)
        for table in self.metadata.sorted_tables:
            if not existing.has_table(table.name):
                if self._positions.any():
                    return True
                continue
            columns = {column["name"] for column in existing.get_columns(table.name)}
            if columns != {column.name for column in table.columns}:
                return True
        return False

    @abstractmethod
    def define_tables(self, metadata: MetaData) -> None:
        """Declare the read model's tables on `metadata`."""

    @abstractmethod
    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        """Change the read model for one event, inside the caller's transaction."""

    def last_position(self, stream: str) -> int:
        return self._positions.read(stream)

    def process(self, stream: str, position: int, envelope: events_pb2.EventEnvelope) -> None:
        self.process_many(stream, [(position, envelope)])

    def process_many(self, stream: str, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """Apply events in position order in one transaction, skipping those already applied.

        The position row is locked for the transaction, so that replicas feeding one read model take turns.
        An event that cannot be applied is put aside: the ones before it are applied, then it is kept as a
        dead letter, then the ones after it are applied.
        """
        if stream not in self._known_streams:
            self._positions.ensure(stream)
            self._known_streams.add(stream)
        pending = list(events)
        while pending:
            try:
                self._apply_in_order(stream, pending)
                break
            except UnprocessableEvent as failure:
                self._apply_in_order(stream, [event for event in pending if event[0] < failure.position])
                bad = next(envelope for position, envelope in pending if position == failure.position)
                log.error("read model %s puts event %s of %s aside: %s", self.name, failure.position, stream, failure)
                subject = f"{bad.aggregate}.{bad.event}"
                self.quarantine(stream, failure.position, subject, bad.SerializeToString(), failure.reason)
                pending = [event for event in pending if event[0] > failure.position]
        self.after_commit()

    def _apply_in_order(self, stream: str, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        with self.engine.begin() as connection:
            done = self._positions.get(connection, stream, lock=True)
            last = done
            for position, envelope in events:
                if position <= last:
                    continue  # redelivered: already applied
                try:
                    self.apply(connection, envelope)
                except TRANSIENT:
                    raise
                except Exception as error:
                    raise UnprocessableEvent(position, f"{type(error).__name__}: {error}") from error
                last = position
            if last > done:
                self._positions.set(connection, stream, last)

    def quarantine(self, stream: str, position: int, subject: str, data: bytes, reason: str) -> None:
        """Keep the event at `position` aside with `reason` and move past it, in one transaction."""
        with self.engine.begin() as connection:
            if position <= self._positions.get(connection, stream, lock=True):
                return
            row = {"stream": stream, "position": position, "subject": subject, "reason": reason, "data": data}
            connection.execute(self.dead_letters.insert().values(**row, at=datetime.now(UTC)))
            self._positions.set(connection, stream, position)

    def dead_letter_reasons(self) -> list[tuple[str, int, str]]:
        """(stream, position, reason) of every event put aside, in order."""
        columns = self.dead_letters.c
        query = select(columns.stream, columns.position, columns.reason).order_by(columns.stream, columns.position)
        with self.engine.connect() as connection:
            return [(row.stream, int(row.position), row.reason) for row in connection.execute(query)]

    def after_commit(self) -> None:  # noqa: B027 - a hook subclasses may use, doing nothing by default
        """Called after each transaction of `process_many` commits (for caches of the read model)."""

    def empty(self) -> int:
        """Empty the read model and forget its positions, as `reset()`; return how many rows it held.

        Only while no consumer of this read model runs: a running one would go on from where it was and
        record its position, so that the events before it would never be applied again.
        """
        with self.engine.connect() as connection:
            held = sum(
                int(connection.execute(select(func.count()).select_from(table)).scalar_one())
                for table in self.metadata.sorted_tables
            )
        self.reset()
        return held

    def reset(self) -> None:
        """Empty the read model and forget every position: the next run rebuilds it from zero."""
        with self.engine.begin() as connection:
            for table in reversed(self.metadata.sorted_tables):
                connection.execute(table.delete())
            self._positions.delete_all(connection)
        self._known_streams.clear()


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp column that stores UTC and reads back aware datetimes, on PostgreSQL and SQLite alike.

    SQLite keeps no offset and compares timestamps as text, so a bound given in +07:00 would be compared
    with a UTC value as if both were the same clock: every value is turned to UTC on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a timestamp without its offset cannot be stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value)


def utc_row(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row with every datetime aware: SQLite returns them naive, and read models store UTC."""
    return {str(key): utc(value) if isinstance(value, datetime) else value for key, value in row.items()}


def utc(moment: datetime) -> datetime:
    """`moment` as an aware UTC datetime (a naive one is taken to be UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
