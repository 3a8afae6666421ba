"""Aggregates' events written in bulk into a service's event store, in the format its application stores.

Each event goes through the application's own mapper (the stamp of who acted, the JSON transcoding) and its
recorder (`insert_events`, thousands per transaction), then the application's chain sealer links them, so
the store is what the service itself would have written, only dated in the past and written much faster.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from lienthong.eventstore import StoredApplication
from lienthong.eventstore.chain import ChainSealer

BATCH = 5000


class BulkWriter:
    """Collects the pending events of aggregates, dated when the command happened, and inserts them in batches."""

    def __init__(self, app: StoredApplication, batch: int = BATCH) -> None:
        self.app = app
        self._batch = batch
        self._pending: list[StoredEvent] = []
        self.written = 0

    def put(self, aggregate: Aggregate, at: datetime) -> None:
        """Store the events `aggregate` has pending, each dated `at` (an aware datetime)."""
        for domain_event in aggregate.collect_events():
            object.__setattr__(domain_event, "timestamp", at)
            self._pending.append(self.app.mapper.to_stored_event(domain_event))
        if len(self._pending) >= self._batch:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self.app.recorder.insert_events(self._pending)
            self.written += len(self._pending)
            self._pending = []

    def finish(self) -> int:
        """Insert what is left and seal the chain over every event of the store; return how many were written."""
        self.flush()
        ChainSealer(self.app).seal()
        return self.written
