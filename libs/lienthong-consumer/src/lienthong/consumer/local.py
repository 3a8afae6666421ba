"""Feeds a service's own read model straight from its event store, so that reads see the caller's writes.

One applier per read model: a command that has saved awaits `caught_up()`, which returns at once when the
read model already holds the command's events, and otherwise joins the one catch-up running for that read
model (the first waiter runs it, for everyone waiting; nobody else queues behind a global lock, and no
worker thread is held while waiting). A background loop catches up with what other replicas stored. The
position lives with the projection's rows, as for JetStream consumers.
"""

from __future__ import annotations

import asyncio
import threading
import weakref

from lienthong.consumer.consumer import Progress
from lienthong.consumer.projection import ReadModelRewound, SqlProjection
from lienthong.eventstore import StoredApplication, read_events
from lienthong.relay import envelope_of

LOCAL_SOURCE = "local"


class LocalFollower:
    """Applies the events of `app`'s log to `sink` in order, each once."""

    def __init__(self, app: StoredApplication, sink: SqlProjection, *, service: str, batch_size: int = 5000) -> None:
        self._app = app
        self._sink = sink
        self._service = service
        self._batch_size = batch_size
        self._lock = threading.Lock()  # one catch-up of this read model at a time in this process
        self._applied = 0  # a position the read model is known to hold (it only grows)
        # With a sink that remembers: the newest position this process has read, applied here or by another
        # replica (None until the first catch-up, which starts from the read model's own position).
        self._read: int | None = None
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    @property
    def applied(self) -> int:
        """The newest log position this follower has seen applied to its read model."""
        return self._applied

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply every event stored so far; return how many were applied. `progress(applied, total)` after
        each batch (total: the events between the read model's position and the log's head when it began)."""
        applied = 0
        with self._lock:
            # Only a caller shown progress needs the total: two queries less for the many catch-ups a busy
            # service makes that find nothing new.
            total = 0
            if progress is not None:
                total = (self._app.recorder.max_notification_id() or 0) - self._sink.last_position(LOCAL_SOURCE)
            while True:
                position = self._sink.last_position(LOCAL_SOURCE)
                # A sink that remembers is told of what other replicas applied: read from where this
                # process is, not from where the read model is (process_many skips what is applied).
                start = position if self._read is None or not self._sink.remembers else min(self._read, position)
                records = read_events(self._app, start + 1, self._batch_size)
                if records:
                    events = [(record.position, envelope_of(self._service, record)) for record in records]
                    try:
                        self._sink.process_many(LOCAL_SOURCE, events)
                    except ReadModelRewound:
                        self._applied = 0  # emptied for a rebuild meanwhile: read again from its position
                        self._read = None
                        continue
                    position = max(position, records[-1].position)
                self._applied = max(self._applied, position)
                self._read = max(self._read or 0, records[-1].position if records else start)
                applied += len(records)
                if progress is not None:
                    progress(applied, max(total, applied))
                if len(records) < self._batch_size:
                    return applied

    async def caught_up(self, position: int | None = None) -> None:
        """Return once the read model holds every event up to `position` (by default: everything this
        process has stored so far, which covers the caller's own saves)."""
        target = self._app.recorded_position if position is None else position
        turn = self._turn()
        while self._applied < target:
            async with turn:  # whoever holds it catches up for every waiter
                if self._applied < target:
                    await asyncio.to_thread(self.catch_up)
                    if self._applied < target and position is not None:
                        return  # asked for a position not stored (yet): what is stored is applied

    async def run(self, interval: float = 1.0) -> None:
        """Catch up every `interval` seconds until cancelled (for events stored by other replicas)."""
        while True:
            await asyncio.to_thread(self.catch_up)
            await asyncio.sleep(interval)

    def _turn(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = asyncio.Lock()
        return turn
