"""The base of every lienthong eventsourcing application: persistence chosen by a database URL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import ApplicationRecorder, Mapper, Recording, Tracking
from sqlalchemy import Engine

from lienthong.eventstore.mapper import StampingMapper


def store_environment(name: str, database_url: str) -> dict[str, str]:
    """The `eventsourcing` environment that persists application `name` at `database_url`.

    `database_url` is an SQLAlchemy URL: `sqlite:///var/documents.db` (the embedded default) or
    `postgresql+psycopg://user@host:5432/db`. Tables are named after the application
    (`<name>_events`, `<name>_tracking`), so several services can share one PostgreSQL database.
    Appends made at the same time share transactions (`lienthong.eventstore.groupcommit`).
    """
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "lienthong.eventstore.groupcommit:GroupCommitFactory",
        "SQLALCHEMY_URL": database_url,
        "CREATE_TABLE": "y",
        "NAME": name,
    }


log = logging.getLogger(__name__)

SaveListener = Callable[[], None]
# What one save stored: each aggregate saved (as it is now) with the events it stored.
SavedChanges = Sequence[tuple[Aggregate, Sequence[DomainEventProtocol[Any]]]]
SaveObserver = Callable[[SavedChanges], None]


class StoredApplication(Application[Any]):
    """An `eventsourcing` application that stamps events and tells listeners when it stored some.

    Subclasses that consume other services' events set `tracks_positions = True`: their recorder then
    stores a position (`Tracking`) in the same transaction as the events it causes, which makes the
    processing idempotent (a position recorded twice is refused by the database).
    """

    tracks_positions = False

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self._listeners: list[SaveListener] = []
        self._observers: list[SaveObserver] = []
        self._listeners_lock = threading.Lock()
        self._recorded = 0
        super().__init__(env)

    def construct_mapper(self) -> Mapper[Any]:
        base = super().construct_mapper()
        return StampingMapper(base.transcoder, compressor=base.compressor, cipher=base.cipher)

    def construct_recorder(self) -> ApplicationRecorder:
        if self.tracks_positions:
            return self.factory.process_recorder()
        return super().construct_recorder()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine of the event store, for tables that must live beside the events."""
        engine: Engine = self.recorder.datastore.engine  # type: ignore[attr-defined]
        return engine

    def add_save_listener(self, listener: SaveListener) -> None:
        """Call `listener()` (from the saving thread) after every save that stored events (a consumer's save of
        its position alone wakes nobody: the email service's delivery round ran, queries and all, for each of
        them); adding it again changes nothing (a loop restarted under a lease adds its listener on every
        start)."""
        with self._listeners_lock:
            if listener not in self._listeners:
                self._listeners.append(listener)

    def remove_save_listener(self, listener: SaveListener) -> None:
        """Stop calling `listener` (added with `add_save_listener`)."""
        with self._listeners_lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def add_save_observer(self, observer: SaveObserver) -> None:
        """Call `observer(changes)` (from the saving thread) after every save that stored events, with the
        aggregates saved and their new events: for counting what happened (metrics), never for changing it."""
        with self._listeners_lock:
            self._observers.append(observer)

    @property
    def recorded_position(self) -> int:
        """The highest log position this process has stored (0 before its first save): a command that has
        saved waits for its read models to reach this, which covers its own events."""
        return self._recorded

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        changes = [(obj, list(obj.pending_events)) for obj in objs if isinstance(obj, Aggregate)]
        recordings = super().save(*objs, **kwargs)
        self._note_recorded(recordings)
        if recordings:
            self._tell_listeners()
        self._tell_observers([(aggregate, events) for aggregate, events in changes if events])
        return recordings

    def save_tracked(self, *objs: Any, tracking: Tracking) -> None:
        """Store the aggregates' new events and the consumed position `tracking` in one transaction."""
        processing_event: ProcessingEvent[Any] = ProcessingEvent(tracking=tracking)
        processing_event.collect_events(*objs)
        recordings = self._record(processing_event)
        self._note_recorded(recordings)
        self._notify(recordings)
        if recordings:
            self._tell_listeners()

    def last_tracked_position(self, source: str) -> int:
        """The last position from `source` recorded by `save_tracked` (0 if none)."""
        return self.recorder.max_tracking_id(source) or 0  # type: ignore[attr-defined]

    def _note_recorded(self, recordings: Sequence[Recording[Any]]) -> None:
        newest = max((r.notification.id for r in recordings), default=0)
        with self._listeners_lock:
            self._recorded = max(self._recorded, newest)

    def _tell_listeners(self) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def _tell_observers(self, changes: SavedChanges) -> None:
        with self._listeners_lock:
            observers = list(self._observers)
        for observer in observers:
            try:
                observer(changes)
            except Exception:  # the events are stored: an observer's failure must not fail the command
                log.exception("a save observer failed")
