"""Feeds a service's own read model straight from its event store, so that reads see the caller's writes.

A command handler calls `catch_up()` after it saves; a background loop catches up with what other replicas
of the service stored. The position lives with the projection's rows, as for JetStream consumers.
"""

from __future__ import annotations

import asyncio
import threading

from lienthong.consumer.projection import SqlProjection
from lienthong.eventstore import StoredApplication, read_events
from lienthong.relay import envelope_of

LOCAL_SOURCE = "local"


class LocalFollower:
    """Applies the events of `app`'s log to `sink` in order, each once."""

    def __init__(self, app: StoredApplication, sink: SqlProjection, *, service: str, batch_size: int = 500) -> None:
        self._app = app
        self._sink = sink
        self._service = service
        self._batch_size = batch_size
        self._lock = threading.Lock()

    def catch_up(self) -> int:
        """Apply every event stored so far; return how many were applied."""
        applied = 0
        with self._lock:
            while True:
                position = self._sink.last_position(LOCAL_SOURCE)
                records = read_events(self._app, position + 1, self._batch_size)
                if records:
                    events = [(record.position, envelope_of(self._service, record)) for record in records]
                    self._sink.process_many(LOCAL_SOURCE, events)
                applied += len(records)
                if len(records) < self._batch_size:
                    return applied

    async def run(self, interval: float = 1.0) -> None:
        """Catch up every `interval` seconds until cancelled (for events stored by other replicas)."""
        while True:
            await asyncio.to_thread(self.catch_up)
            await asyncio.sleep(interval)
