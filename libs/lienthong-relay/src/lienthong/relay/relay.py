"""The relay: reads the event store's log from its saved position and publishes each event to JetStream.

The relay is woken by the commit (wakeup.py): by the application's own saves in-process, and on PostgreSQL
by the NOTIFY of every append, so an event is read as soon as it is committed, by whichever replica; the
poll interval is only a safety net. It runs on a thread and an event loop of its own, with its own NATS
connection, so that a service busy with calls (64 of them at once on the service's loop, and their
blocking work on the default executor) delays neither the wake-up, nor the publishes, nor their acks.

Guarantees: every stored event reaches JetStream (the position only moves past events JetStream has
acknowledged, so after a crash or a NATS outage the relay resumes where it stopped), and reaches it once
(each publish carries `Nats-Msg-Id` = `<aggregate id>:<version>`, which JetStream de-duplicates).

With several replicas one relay runs at a time, under the service's lease (`lienthong.leases`); `guard`
checks the lease's fencing token in the transaction that moves the position, so a relay whose lease was
taken over cannot move the position the new holder keeps.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind
from sqlalchemy import Connection

from lienthong.eventstore import EventRecord, StoredApplication, read_events
from lienthong.relay.envelopes import envelope_of, message_id_of, subject_of
from lienthong.relay.metering import RelayMetrics
from lienthong.relay.positions import PositionTable
from lienthong.relay.streams import NatsLink, StreamNames, ensure_stream
from lienthong.relay.wakeup import CommitListener
from lienthong.telemetry import context_from_headers, headers_with_context

T = TypeVar("T")

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class EventRelay:
    """Publishes the events of one service's application to its JetStream stream."""

    def __init__(
        self,
        app: StoredApplication,
        link: NatsLink,
        *,
        service: str,
        names: StreamNames,
        batch_size: int = 200,
        poll_interval: float = 1.0,
        publish_timeout: float = 5.0,
        meter: metrics.Meter | None = None,
        guard: Callable[[Connection], None] | None = None,
    ) -> None:
        self._app = app
        self._guard = guard
        self._link = link
        self._service = service
        self._names = names
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._publish_timeout = publish_timeout
        self._positions = PositionTable(app.engine, prefix=app.name.lower())
        self._position_name = f"relay:{names.stream(service)}"
        self._js: JetStreamContext | None = None
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"relay {service}")
        self.published = 0  # events acknowledged by JetStream since start, for metrics and tests
        self._metrics = RelayMetrics(names.stream(service), meter)

    @property
    def stream(self) -> str:
        """The JetStream stream it publishes to."""
        return self._names.stream(self._service)

    def position(self) -> int:
        """The notification id of the last event JetStream has acknowledged."""
        return self._positions.read(self._position_name)

    async def run(self) -> None:
        """Relay until cancelled, on a thread and event loop of its own (its NATS connection: another link
        like the one given). Errors (NATS down, database busy) are retried with back-off."""
        started: concurrent.futures.Future[tuple[asyncio.AbstractEventLoop, asyncio.Task[None]]]
        started = concurrent.futures.Future()
        ended: concurrent.futures.Future[None] = concurrent.futures.Future()
        thread = threading.Thread(
            target=self._run_own_loop, args=(started, ended), name=f"relay loop {self._service}", daemon=True
        )
        thread.start()
        try:
            await asyncio.wrap_future(ended)
        finally:  # cancelled (the service stops): stop the relay's loop and wait for it
            loop, task = await asyncio.wrap_future(started)
            with contextlib.suppress(RuntimeError):  # its loop has ended already
                loop.call_soon_threadsafe(task.cancel)
            await asyncio.to_thread(thread.join, 10)

    def _run_own_loop(
        self,
        started: concurrent.futures.Future[tuple[asyncio.AbstractEventLoop, asyncio.Task[None]]],
        ended: concurrent.futures.Future[None],
    ) -> None:
        async def relaying() -> None:
            task = asyncio.current_task()
            assert task is not None
            started.set_result((asyncio.get_running_loop(), task))
            link = self._link.another()
            try:
                await self._relay_woken(link)
            finally:
                await link.close()

        try:
            asyncio.run(relaying())
        except asyncio.CancelledError:
            pass
        except BaseException as error:
            if not started.done():
                started.set_exception(error)
            if not ended.done():
                ended.set_exception(error)
            return
        if not ended.done():
            ended.set_result(None)

    async def _relay_woken(self, link: NatsLink) -> None:
        self._loop = asyncio.get_running_loop()
        self._app.add_save_listener(self._wake_from_thread)
        channel = getattr(self._app.recorder, "channel_name", f"{self._app.name.lower()}_events")
        commits = CommitListener(self._app.engine, channel, self._wake_from_thread)
        commits.start()
        try:
            await self._relay_forever(link)
        finally:
            self._app.remove_save_listener(self._wake_from_thread)
            await asyncio.to_thread(commits.stop)

    async def _relay_forever(self, link: NatsLink) -> None:
        self._js = (await link.client()).jetstream(timeout=self._publish_timeout)
        backoff = 0.2
        stream_ready = False
        while True:
            try:
                if not stream_ready:
                    await ensure_stream(self._jetstream(), self._names, self._service)
                    stream_ready = True
                moved = await self._relay_batch()
                backoff = 0.2
                if not moved:
                    await self._sleep(self._poll_interval)
            except asyncio.CancelledError:
                raise
            except (NatsError, TimeoutError, OSError) as error:
                log.warning("relay cannot publish, retrying in %.1fs: %s", backoff, error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                log.exception("relay failed, retrying in %.1fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _relay_batch(self) -> bool:
        self._wake.clear()  # before reading, so a save during the read wakes the next round
        position = await self._in_thread(self.position)
        records = await self._in_thread(read_events, self._app, position + 1, self._batch_size)
        if not records:
            self._metrics.behind(position, position)
            return False
        head = records[-1].position
        if len(records) == self._batch_size:  # there may be more: ask the store where its log ends
            newest: int | None = await self._in_thread(self._app.recorder.max_notification_id)
            head = newest or head
        self._metrics.behind(head, position)
        # Pipelined: every publish of the batch is written to the connection in order before any ack is
        # awaited (JetStream stores them in that order); the position moves past the acknowledged prefix only.
        publishes = [asyncio.ensure_future(self._publish(record)) for record in records]
        outcomes = await asyncio.gather(*publishes, return_exceptions=True)
        acknowledged = position
        for record, outcome in zip(records, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                break
            acknowledged = record.position
            self.published += 1
            self._metrics.published(record.occurred_at)
        self._metrics.behind(head, acknowledged)
        if acknowledged > position:
            await self._in_thread(self._save_position, acknowledged)
        failure = next((outcome for outcome in outcomes if isinstance(outcome, BaseException)), None)
        if failure is not None:
            raise failure
        return True

    def _save_position(self, position: int) -> None:
        if self._guard is None:
            self._positions.write(self._position_name, position)
            return
        with self._app.engine.begin() as connection:
            self._guard(connection)
            self._positions.set(connection, self._position_name, position)

    async def _publish(self, record: EventRecord) -> None:
        subject = subject_of(self._names, self._service, record)
        parent = context_from_headers({"traceparent": record.traceparent} if record.traceparent else None)
        with tracer.start_as_current_span(f"publish {subject}", context=parent, kind=SpanKind.PRODUCER) as span:
            span.set_attribute("messaging.system", "nats")
            span.set_attribute("messaging.destination.name", subject)
            span.set_attribute("lienthong.aggregate_id", record.aggregate_id)
            headers: dict[str, Any] = headers_with_context({"Nats-Msg-Id": message_id_of(record)})
            payload = envelope_of(self._service, record).SerializeToString()
            ack = await self._jetstream().publish(subject, payload, timeout=self._publish_timeout, headers=headers)
            span.set_attribute("messaging.nats.stream_sequence", ack.seq)
            if ack.duplicate:
                log.info("event %s was already in JetStream", message_id_of(record))

    async def _in_thread(self, call: Callable[..., T], *arguments: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, functools.partial(call, *arguments))

    def _jetstream(self) -> JetStreamContext:
        assert self._js is not None, "run() connects first"
        return self._js

    def _wake_from_thread(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
