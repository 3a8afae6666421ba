"""SQL read models fed by events: the base class every projection derives from."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

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


class ReadModelRewound(Exception):
    """The read model's position went back (it was emptied for a rebuild): feed it from that position."""

    def __init__(self, name: str, stream: str, position: int) -> None:
        super().__init__(f"read model {name} was reset: {stream} is at position {position} again")
        self.position = position


class _BatchFailed(Exception):
    """A batch could not be applied as a whole: it is taken again one event at a time."""


class SqlProjection(ABC):
    """A read model in SQL tables whose position per stream is saved in the same transaction as its rows.

    Subclasses declare their tables in `define_tables()` and change them in `apply()`. An event that
    `apply()` cannot take (bad data, a bug) is put aside in `<name>_dead_letters` with the reason, and the
    events after it go on; a rebuild from zero tries it again.

    Several processes (replicas) may feed one read model, taking turns. A read model that also keeps
    something in the process's memory (a cache of its rows, callbacks waiting for a row) sets `remembers`:
    its `LocalFollower` then reads every event of the log in this process too, and the events another
    process applied first reach `applied_elsewhere()` instead of `apply()`.
    """

    name: str = "projection"
    remembers: ClassVar[bool] = False

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
        self._seen: dict[str, int] = {}  # the position this process last saw or recorded, per stream
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

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for a query of the read model: on PostgreSQL in autocommit, so that a SELECT is one
        round trip (no BEGIN before it, no ROLLBACK after); a query reads what is committed."""
        with self.engine.connect() as connection:
            if self.engine.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    def last_position(self, stream: str) -> int:
        return self._positions.read(stream)

    def process(self, stream: str, position: int, envelope: events_pb2.EventEnvelope) -> None:
        self.process_many(stream, [(position, envelope)])

    def apply_batch(self, connection: Connection, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """Change the read model for a run of events in position order, inside the caller's transaction.

        By default one `apply()` per event; read models that catch up with large logs override it with
        set-based SQL (`lienthong.consumer.rows.RowCache`). It may raise anything for a bad event: the
        batch is then applied again one event at a time, so that the bad one alone is put aside.
        """
        for position, envelope in events:
            try:
                self.apply(connection, envelope)
            except TRANSIENT:
                raise
            except Exception as error:
                raise UnprocessableEvent(position, f"{type(error).__name__}: {error}") from error

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
                self._put_aside(stream, pending, failure)
                pending = [event for event in pending if event[0] > failure.position]
            except _BatchFailed:
                # Which event failed is not known when a set-based write fails: take the batch event by event.
                for event in pending:
                    try:
                        self._apply_in_order(stream, [event])
                    except UnprocessableEvent as failure:
                        self._put_aside(stream, [event], failure)
                break
        self.after_commit()

    def _put_aside(
        self, stream: str, events: Sequence[tuple[int, events_pb2.EventEnvelope]], failure: UnprocessableEvent
    ) -> None:
        bad = next(envelope for position, envelope in events if position == failure.position)
        log.error("read model %s puts event %s of %s aside: %s", self.name, failure.position, stream, failure)
        subject = f"{bad.aggregate}.{bad.event}"
        self.quarantine(stream, failure.position, subject, bad.SerializeToString(), failure.reason)

    def _apply_in_order(self, stream: str, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        elsewhere = self._apply_in_transaction(stream, events)
        if elsewhere:
            self.applied_elsewhere(elsewhere)

    def _apply_in_transaction(
        self, stream: str, events: Sequence[tuple[int, events_pb2.EventEnvelope]]
    ) -> list[tuple[int, events_pb2.EventEnvelope]]:
        """Apply the events after the stored position; return those before it (applied elsewhere) when the
        read model `remembers`."""
        with self.engine.begin() as connection:
            done = self._positions.get(connection, stream, lock=True)
            if done < self._seen.get(stream, 0):
                # The read model was emptied for a rebuild since this process last fed it: go on from where
                # the events now are, or the ones before this batch would be skipped for good.
                self._seen[stream] = done
                raise ReadModelRewound(self.name, stream, done)
            self._seen[stream] = done
            fresh: list[tuple[int, events_pb2.EventEnvelope]] = []
            for position, envelope in events:
                if position > (fresh[-1][0] if fresh else done):
                    fresh.append((position, envelope))  # an event at or before `done` was redelivered
            # applied and committed by whoever moved the position past them: not applied here again
            elsewhere = [event for event in events if event[0] <= done] if self.remembers else []
            if not fresh:
                return elsewhere
            try:
                self.apply_batch(connection, fresh)
            except (UnprocessableEvent, *TRANSIENT):
                raise
            except Exception as error:
                if len(fresh) > 1:
                    raise _BatchFailed from error
                raise UnprocessableEvent(fresh[0][0], f"{type(error).__name__}: {error}") from error
            self._positions.set(connection, stream, fresh[-1][0])
            self._seen[stream] = fresh[-1][0]
        return elsewhere

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

    def applied_elsewhere(self, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:  # noqa: B027
        """Events already in the read model's rows, applied by another process (a replica, or this one
        before a redelivery), told to a read model that `remembers`, for what it keeps in memory."""

    def empty(self) -> int:
        """Empty the read model and forget its positions, as `reset()`; return how many rows it held.

        Consumers of this read model may run meanwhile (see `reset()`).
        """
        with self.engine.connect() as connection:
            held = sum(
                int(connection.execute(select(func.count()).select_from(table)).scalar_one())
                for table in self.metadata.sorted_tables
            )
        self.reset()
        return held

    def reset(self) -> None:
        """Empty the read model and set every position to zero: it is rebuilt from zero.

        Safe while consumers of the read model run, here or in other processes: the positions are locked
        first, so a batch being applied commits before the tables are emptied (or waits until they are),
        and each consumer, finding its position behind what it last saw, starts again from there
        (`ReadModelRewound`) instead of going on from where it was.
        """
        with self.engine.begin() as connection:
            self._positions.lock_all(connection)
            for table in reversed(self.metadata.sorted_tables):
                connection.execute(table.delete())
            self._positions.zero_all(connection)
        self._seen.clear()


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
