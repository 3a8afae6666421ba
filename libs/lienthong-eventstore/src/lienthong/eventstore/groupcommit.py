"""Group commit: appends made at the same time by many threads share one transaction.

Under load, every command of a service appends a few events in a transaction of its own, and on PostgreSQL
each such transaction takes the events table's lock (so that positions are assigned in commit order) and
waits for its own flush to disk. Here the first appender to arrive becomes the leader: it takes every
append queued meanwhile, stores them in one transaction (one lock, one multi-row INSERT, one commit), and
hands each appender its positions; the others wait for it instead of for the table lock.

Optimistic concurrency is kept per aggregate: an append whose aggregate version is already stored (in the
table, or earlier in the same group) fails alone with `IntegrityError`, as it would have alone, and the
rest of the group is stored. A tracked append (a consumer's position) is checked the same way. When the
database refuses the group anyway (another process appended the same version between the check and the
insert, which the PostgreSQL table lock rules out but SQLite's lazy locking does not), every append of the
group is retried in a transaction of its own, as the library does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy
from eventsourcing import persistence
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder, SQLAlchemyProcessRecorder
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session


@dataclass
class _Append:
    """One caller's append, waiting in the group."""

    events: Sequence[StoredEvent]
    tracking: Tracking | None
    done: bool = False
    positions: list[int] = field(default_factory=list)
    error: BaseException | None = None


class _Group:
    """The queue of appends and the turn of whoever stores them (the leader)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._queue: list[_Append] = []
        self._leading = False
        self.sizes: list[int] = []  # how many appends each group stored, for tests and benchmarks

    def submit(self, append: _Append, store: Callable[[list[_Append]], None]) -> None:
        with self._condition:
            self._queue.append(append)
            while not append.done and self._leading:
                self._condition.wait()
            if append.done:
                return
            self._leading = True
            group, self._queue = self._queue, []
        try:
            store(group)
        except BaseException as error:  # every appender of the group hears why
            for waiting in group:
                if not waiting.done:
                    waiting.error = error
        finally:
            with self._condition:
                for waiting in group:
                    waiting.done = True
                self.sizes.append(len(group))
                del self.sizes[:-1000]
                self._leading = False
                self._condition.notify_all()


class _GroupCommitting(SQLAlchemyApplicationRecorder):
    """An application recorder whose appends from concurrent threads are stored in shared transactions."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = _Group()
        self.regrouped = 0  # groups the database refused, whose appends were then stored one by one

    def insert_events(
        self, stored_events: Sequence[StoredEvent], *, session: Session | None = None, **kwargs: Any
    ) -> Sequence[int] | None:
        if session is not None or set(kwargs) - {"tracking"}:
            return super().insert_events(stored_events, session=session, **kwargs)
        append = _Append(list(stored_events), kwargs.get("tracking"))
        self.group.submit(append, self._store)
        if append.error is not None:
            raise append.error
        return append.positions

    def _store(self, group: list[_Append]) -> None:
        if len(group) == 1:
            self._store_alone(group[0])
            return
        try:
            self._store_together(group)
        except persistence.IntegrityError:
            self.regrouped += 1
            for append in group:  # the database refused the group: each append on its own, as the library does
                append.error = None
                self._store_alone(append)

    def _store_alone(self, append: _Append) -> None:
        try:
            if append.tracking is None:
                positions = super().insert_events(append.events)
            else:
                positions = super().insert_events(append.events, tracking=append.tracking)
            append.positions = list(positions or [])
        except Exception as error:
            append.error = error

    def _store_together(self, group: list[_Append]) -> None:
        with self.transaction(commit=True) as session:
            self._lock_table(session)
            stored = self._stored_versions(session, group)
            accepted: list[_Append] = []
            for append in group:
                conflict = next(
                    (e for e in append.events if e.originator_version <= stored.get(str(e.originator_id), 0)), None
                )
                if conflict is not None:
                    append.error = persistence.IntegrityError(
                        f"version {conflict.originator_version} of {conflict.originator_id} is already stored"
                    )
                    continue
                if append.tracking is not None:
                    try:
                        self._track(session, append.tracking)
                    except persistence.IntegrityError as error:
                        append.error = error
                        continue
                for stored_event in append.events:
                    stored[str(stored_event.originator_id)] = stored_event.originator_version
                accepted.append(append)
            rows = [
                {
                    "originator_id": e.originator_id,
                    "originator_version": e.originator_version,
                    "topic": e.topic,
                    "state": e.state,
                }
                for append in accepted
                for e in append.events
            ]
            positions: list[int] = []
            if rows:
                table = self.events_record_cls.__table__
                statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
                try:
                    positions = [int(row[0]) for row in session.execute(statement, rows)]
                except sqlalchemy.exc.IntegrityError as error:
                    raise persistence.IntegrityError(error) from error
            self._notify_channel(session)
        start = 0
        for append in accepted:
            append.positions = positions[start : start + len(append.events)]
            start += len(append.events)

    def _stored_versions(self, session: Session, group: list[_Append]) -> dict[str, int]:
        """The newest stored version of each aggregate the group appends to (versions have no gaps), by the
        aggregate id as text."""
        ids = list({e.originator_id for append in group for e in append.events})
        if not ids:
            return {}
        record = self.events_record_cls
        query = (
            select(record.originator_id, func.max(record.originator_version))
            .where(record.originator_id.in_(ids))
            .group_by(record.originator_id)
        )
        return {str(originator): int(version) for originator, version in session.execute(query)}

    def _track(self, session: Session, tracking: Tracking) -> None:
        raise persistence.IntegrityError("this recorder does not track positions")


class GroupCommitApplicationRecorder(_GroupCommitting):
    """The application recorder of services that only append their own events."""


class GroupCommitProcessRecorder(_GroupCommitting, SQLAlchemyProcessRecorder):
    """The recorder of services that also store a consumed position with the events it caused."""

    def _track(self, session: Session, tracking: Tracking) -> None:
        self._insert_tracking(session, tracking)  # refuses (IntegrityError) a position already recorded


class GroupCommitFactory(SQLAlchemyFactory):
    """`eventsourcing_sqlalchemy`'s factory, whose recorders commit concurrent appends in groups."""

    application_recorder_class = GroupCommitApplicationRecorder
    process_recorder_class = GroupCommitProcessRecorder
