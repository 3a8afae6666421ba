"""A durable pull consumer of one stream, always resuming from the position its sink has stored.

The sink, not JetStream, owns the position: it records it in the same transaction as its own writes.
On every (re)start the durable consumer is re-created to deliver from that position + 1, so a sink whose
database was restored from a backup, or wiped for a rebuild, is fed exactly what it is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind

from lienthong.consumer.errors import UnprocessableEvent
from lienthong.consumer.metering import ConsumerMetrics
from lienthong.consumer.projection import ReadModelRewound
from lienthong.events.v1 import events_pb2
from lienthong.relay import NatsLink
from lienthong.telemetry import context_from_headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class Sink(Protocol):
    """Where consumed events go. Both methods are called from a worker thread."""

    def last_position(self, stream: str) -> int:
        """The stream sequence of the last event this sink has processed from `stream` (0 if none)."""
        ...

    def process(self, stream: str, position: int, envelope: events_pb2.EventEnvelope) -> None:
        """Apply one event and record `position`, atomically; do nothing if `position` is already done.

        Raises `UnprocessableEvent` when the event can never be applied.
        """
        ...

    def quarantine(self, stream: str, position: int, subject: str, data: bytes, reason: str) -> None:
        """Keep an event that cannot be applied aside, with its reason, and record `position`, atomically."""
        ...


@runtime_checkable
class BatchSink(Sink, Protocol):
    """A sink that applies a run of events in one transaction (much faster when catching up)."""

    def process_many(self, stream: str, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """Apply the events in order and record the last position, atomically; skip those already done.

        Puts aside, itself, the events it cannot apply.
        """
        ...


Progress = Callable[[int, int], None]
CATCH_UP_BATCH = 2000  # events per fetch and per transaction when catching up  # (events applied so far, events this catch-up will apply in all)


class StreamConsumer:
    """Feeds the events of one JetStream stream to a sink, in stream order, each once."""

    def __init__(
        self,
        link: NatsLink,
        *,
        stream: str,
        durable: str,
        sink: Sink,
        filter_subjects: list[str] | None = None,
        batch_size: int = 100,
        fetch_timeout: float = 1.0,
        meter: metrics.Meter | None = None,
    ) -> None:
        self._link = link
        self._stream = stream
        self._durable = durable
        self._sink = sink
        self._filter_subjects = filter_subjects or []
        self._batch_size = batch_size
        self._fetch_timeout = fetch_timeout
        self.processed = 0  # events applied since start, for metrics and tests
        self.quarantined = 0  # events put aside as dead letters since start
        self._metrics = ConsumerMetrics(durable, stream, meter)

    async def run(self) -> None:
        """Consume until cancelled; any failure restarts the subscription from the sink's position."""
        backoff = 0.2
        while True:
            processed_before = self.processed
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except ReadModelRewound as rewound:
                log.info("consumer %s starts again from its sink's position: %s", self._durable, rewound)
                continue
            except NotFoundError:
                log.info("stream %s does not exist yet, waiting", self._stream)
            except (NatsError, TimeoutError, OSError) as error:
                log.warning("consumer %s on %s interrupted: %s", self._durable, self._stream, error)
            except Exception:
                log.exception("consumer %s on %s failed to process an event", self._durable, self._stream)
            if self.processed > processed_before:
                backoff = 0.2  # it worked for a while: this is a new interruption, not the same one
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _consume(self) -> None:
        js = (await self._link.client()).jetstream()
        position = await asyncio.to_thread(self._sink.last_position, self._stream)
        subscription = await self._subscribe(js, position)
        try:
            while True:
                try:
                    messages = await subscription.fetch(self._batch_size, timeout=self._fetch_timeout)
                except TimeoutError:
                    messages = []
                if not messages:  # nothing came (a timeout, or an empty batch): the end of its stream
                    self._metrics.pending(0)
                    continue
                self._metrics.pending(messages[-1].metadata.num_pending)
                await self._handle(messages)
        finally:
            await subscription.unsubscribe()

    async def catch_up(self, progress: Progress | None = None, batch_size: int = CATCH_UP_BATCH) -> int:
        """Feed the sink everything the stream holds after the sink's position, then stop; return how many
        events were taken (applied or put aside). For rebuilding a read model: fetched and applied in
        batches of `batch_size` (one transaction each), much larger than the live path's."""
        while True:
            try:
                return await self._catch_up_once(progress, batch_size)
            except ReadModelRewound as rewound:  # emptied again meanwhile: from its position, again
                log.info("catch-up of %s starts again: %s", self._durable, rewound)

    async def _catch_up_once(self, progress: Progress | None, batch_size: int) -> int:
        js = (await self._link.client()).jetstream()
        position = await asyncio.to_thread(self._sink.last_position, self._stream)
        subscription = await self._subscribe(js, position)
        taken, total = 0, 0
        try:
            while True:
                try:
                    messages = await subscription.fetch(batch_size, timeout=self._fetch_timeout)
                except TimeoutError:
                    if (await subscription.consumer_info()).num_pending == 0:
                        return taken
                    continue
                await self._handle(messages)
                taken += len(messages)
                total = max(total, taken + messages[-1].metadata.num_pending)
                if progress is not None:
                    progress(taken, total)
                if messages[-1].metadata.num_pending == 0:
                    return taken
        finally:
            await subscription.unsubscribe()
            with contextlib.suppress(NotFoundError):
                await js.delete_consumer(self._stream, self._durable)

    async def _subscribe(self, js: JetStreamContext, position: int) -> JetStreamContext.PullSubscription:
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(self._stream, self._durable)
        config = ConsumerConfig(
            durable_name=self._durable,
            ack_policy=AckPolicy.ALL,  # the sink keeps the position; one ack per batch is enough
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE if position else DeliverPolicy.ALL,
            opt_start_seq=position + 1 if position else None,
            filter_subjects=self._filter_subjects or None,
            ack_wait=30.0,
            max_ack_pending=2 * max(self._batch_size, CATCH_UP_BATCH),  # a whole catch-up batch in flight
        )
        return await js.pull_subscribe("", durable=self._durable, stream=self._stream, config=config)

    async def _handle(self, messages: Sequence[Msg]) -> None:
        """Apply a fetched batch in stream order: runs of readable events together, unreadable ones aside."""
        run: list[tuple[Msg, int, events_pb2.EventEnvelope]] = []
        for message in messages:
            position = message.metadata.sequence.stream
            try:
                run.append((message, position, events_pb2.EventEnvelope.FromString(message.data)))
            except DecodeError as error:
                await self._apply(run)
                run = []
                await self._put_aside(message, position, f"not an event envelope: {error}")
        await self._apply(run)

    async def _apply(self, run: Sequence[tuple[Msg, int, events_pb2.EventEnvelope]]) -> None:
        if not run:
            return
        spans = [self._span(message, position) for message, position, _ in run]
        applied = [message for message, _, _ in run]
        try:
            if isinstance(self._sink, BatchSink):
                events = [(position, envelope) for _, position, envelope in run]
                await asyncio.to_thread(self._sink.process_many, self._stream, events)
            else:
                for message, position, envelope in run:
                    try:
                        await asyncio.to_thread(self._sink.process, self._stream, position, envelope)
                    except UnprocessableEvent as failure:
                        applied.remove(message)
                        await self._put_aside(message, position, failure.reason)
        finally:
            for span in spans:
                span.end()
        if applied:
            await applied[-1].ack()  # AckPolicy.ALL: acknowledges every message before it too
        for message in applied:
            self._metrics.applied(message.metadata.timestamp)
        self.processed += len(applied)

    def _span(self, message: Msg, position: int) -> trace.Span:
        """A span per event, child of the span that stored it (its trace context travels in the headers)."""
        return tracer.start_span(
            f"process {message.subject}",
            context=context_from_headers(message.headers),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.consumer.group.name": self._durable,
                "messaging.nats.stream_sequence": position,
            },
        )

    async def _put_aside(self, message: Msg, position: int, reason: str) -> None:
        log.error("consumer %s puts event %s of %s aside: %s", self._durable, position, self._stream, reason)
        await asyncio.to_thread(self._sink.quarantine, self._stream, position, message.subject, message.data, reason)
        await message.ack()
        self.quarantined += 1
        self._metrics.quarantined()
