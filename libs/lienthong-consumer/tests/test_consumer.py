"""The JetStream consumer feeds a sink in order, puts unreadable events aside, and resumes from the sink."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

import nats
import pytest
from google.protobuf import struct_pb2
from nats.js.errors import NotFoundError
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, create_engine, func, insert, select

from lienthong.consumer import SqlProjection, StreamConsumer
from lienthong.consumer.metering import DELAY, EVENTS, PENDING
from lienthong.events.v1 import events_pb2
from lienthong.relay import NatsLink
from lienthong.telemetry.readings import metric_points


class Names(SqlProjection):
    name = "consumed_names"

    def define_tables(self, metadata: MetaData) -> None:
        self.names = Table(
            "consumed_names_rows", metadata, Column("id", Integer, primary_key=True), Column("name", String(50))
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        connection.execute(insert(self.names).values(name=envelope.data["name"]))  # ValueError without a name

    def names_in_order(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(self.names.c.name).order_by(self.names.c.id)).scalars())

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(self.names)).scalar_one())


def envelope(**data: str) -> bytes:
    payload = struct_pb2.Struct()
    payload.update(data)
    return events_pb2.EventEnvelope(aggregate="Thing", event="Named", data=payload).SerializeToString()


async def things_stream(nats_url: str, instance: str, messages: list[bytes]) -> tuple[str, str]:
    """A stream of this test's own holding `messages`; its name and the subject they were published on."""
    stream, subject = f"{instance.upper()}_THINGS", f"{instance}.things.thing.named"
    client = await nats.connect(nats_url)
    js = client.jetstream()
    await js.add_stream(name=stream, subjects=[f"{instance}.things.>"])
    for data in messages:
        await js.publish(subject, data)
    await client.close()
    return stream, subject


async def consume_until(consumer: StreamConsumer, projection: Names, stream: str, position: int) -> None:
    await run_until(consumer, lambda: projection.last_position(stream) >= position, f"the read model at {position}")


async def run_until(consumer: StreamConsumer, done: Callable[[], bool], what: str) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(600):
            if done():
                break
            await asyncio.sleep(0.05)
        else:
            raise TimeoutError(f"the consumer did not reach {what}")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_unreadable_and_unappliable_events_are_put_aside_without_stopping_the_stream(
    nats_url: str, instance: str, database_url: str
) -> None:
    messages = [envelope(name="a"), b"\xff\xffnot protobuf", envelope(label="no name"), envelope(name="d")]
    stream, subject = await things_stream(nats_url, instance, messages)

    projection = Names(create_engine(database_url))
    link = NatsLink(nats_url, "consumer-test")
    consumer = StreamConsumer(link, stream=stream, durable="names", sink=projection, fetch_timeout=0.2)
    await consume_until(consumer, projection, stream, 4)

    assert projection.names_in_order() == ["a", "d"]
    reasons = projection.dead_letter_reasons()
    assert [(s, p) for s, p, _ in reasons] == [(stream, 2), (stream, 3)]
    assert reasons[0][2].startswith("not an event envelope")
    assert reasons[1][2] == "ValueError: Value not set"

    # A restart resumes from the sink's position: nothing is applied or put aside twice.
    client = await nats.connect(nats_url)
    await client.jetstream().publish(subject, envelope(name="e"))
    await client.close()
    restarted = StreamConsumer(link, stream=stream, durable="names", sink=projection, fetch_timeout=0.2)
    await consume_until(restarted, projection, stream, 5)
    await link.close()
    assert (projection.names_in_order(), len(projection.dead_letter_reasons())) == (["a", "d", "e"], 2)


async def test_the_consumer_counts_what_it_applied_and_put_aside_and_has_nothing_pending_at_the_end(
    nats_url: str, instance: str, database_url: str
) -> None:
    messages = [envelope(name="a"), b"\xff\xffnot protobuf", envelope(name="c"), envelope(name="d"), envelope(name="e")]
    stream, _ = await things_stream(nats_url, instance, messages)
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")

    projection = Names(create_engine(database_url))
    link = NatsLink(nats_url, "consumer-test")
    consumer = StreamConsumer(
        link, stream=stream, durable="names", sink=projection, batch_size=2, fetch_timeout=0.2, meter=meter
    )
    mine = {("consumer", "names"), ("stream", stream)}
    applied = frozenset({*mine, ("outcome", "applied")})
    await run_until(consumer, lambda: metric_points(reader, EVENTS).get(applied) == 4, "4 events applied")
    await link.close()

    assert metric_points(reader, EVENTS) == {
        applied: 4,
        frozenset({*mine, ("outcome", "quarantined")}): 1,
    }
    assert metric_points(reader, DELAY) == {frozenset(mine): 4}  # a JetStream → applied delay per event applied
    assert metric_points(reader, PENDING) == {frozenset(mine): 0}


async def test_a_read_model_rebuilt_while_its_service_consumes_loses_and_doubles_nothing(
    nats_url: str, instance: str, database_url: str
) -> None:
    """The service's consumer runs all along; a rebuild (another process: its own engine and projection
    object) empties the read model and replays the stream. The service applies a batch after the emptying
    and before the rebuild's replay starts: without noticing that its position went back, it would record
    a position past the events it never re-applied, and the replay would skip them."""
    stream, subject = await things_stream(nats_url, instance, [envelope(name=f"n{i}") for i in range(1, 301)])
    service = Names(create_engine(database_url))
    link = NatsLink(nats_url, "consumer-test")
    running = StreamConsumer(link, stream=stream, durable="names", sink=service, batch_size=50, fetch_timeout=0.1)
    task = asyncio.create_task(running.run())
    client = await nats.connect(nats_url)
    try:
        await until(lambda: service.last_position(stream) == 300, "the service at 300")
        rebuild = Names(create_engine(database_url))
        rebuild.reset()
        for i in range(301, 321):  # the service goes on consuming what is new, after the emptying
            await client.jetstream().publish(subject, envelope(name=f"n{i}"))
        await until(lambda: service.last_position(stream) >= 20 and running.processed > 300, "the service again")
        shown: list[tuple[int, int]] = []
        replay = StreamConsumer(link, stream=stream, durable="rebuild", sink=rebuild, fetch_timeout=0.1)
        await replay.catch_up(lambda done, total: shown.append((done, total)), batch_size=40)
        for i in range(321, 341):
            await client.jetstream().publish(subject, envelope(name=f"n{i}"))
        await until(lambda: service.last_position(stream) == 340, "the service at 340")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.close()
        await link.close()
    assert sorted(service.names_in_order()) == sorted(f"n{i}" for i in range(1, 341))
    assert service.dead_letter_reasons() == []
    assert all(done <= total for done, total in shown)


async def until(done: Callable[[], bool], what: str) -> None:
    for _ in range(600):
        if done():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"not reached: {what}")


async def test_a_catch_up_in_many_batches_applies_every_event_once_in_stream_order_and_unreadable_ones_aside(
    nats_url: str, instance: str, database_url: str
) -> None:
    """Order, positions and the unreadable events at batch borders (the stream's first, the last of a batch,
    the first of the next, the stream's last) hold across many fetched batches."""
    unreadable = {1, 7, 8, 50, 100}
    messages = [b"\xff\xffnot protobuf" if i in unreadable else envelope(name=f"n{i}") for i in range(1, 101)]
    stream, _ = await things_stream(nats_url, instance, messages)
    projection = Names(create_engine(database_url))
    link = NatsLink(nats_url, "consumer-test")
    shown: list[tuple[int, int]] = []
    try:
        consumer = StreamConsumer(link, stream=stream, durable="rebuild", sink=projection, fetch_timeout=0.5)
        taken = await consumer.catch_up(lambda done, total: shown.append((done, total)), batch_size=7)
    finally:
        await link.close()
    assert taken == 100
    assert projection.names_in_order() == [f"n{i}" for i in range(1, 101) if i not in unreadable]
    assert [position for _, position, _ in projection.dead_letter_reasons()] == sorted(unreadable)
    assert projection.last_position(stream) == 100
    assert shown[-1] == (100, 100)
    assert [done for done, _ in shown] == sorted({done for done, _ in shown})  # forward, batch by batch


class FailingOnce(Names):
    """Names whose batch starting at `position` fails once, as a database going away would."""

    def __init__(self, engine: Engine, position: int) -> None:
        super().__init__(engine)
        self._failing_at: int | None = position

    def process_many(self, stream: str, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        if events and events[0][0] == self._failing_at:
            self._failing_at = None
            raise RuntimeError("the database went away")
        super().process_many(stream, events)


async def test_a_catch_up_whose_batch_fails_applies_nothing_after_it_and_the_next_resumes_from_the_sink(
    nats_url: str, instance: str, database_url: str
) -> None:
    stream, _ = await things_stream(nats_url, instance, [envelope(name=f"n{i}") for i in range(1, 41)])
    projection = FailingOnce(create_engine(database_url), position=15)  # the third batch of seven
    link = NatsLink(nats_url, "consumer-test")
    try:
        consumer = StreamConsumer(link, stream=stream, durable="rebuild", sink=projection, fetch_timeout=0.5)
        with pytest.raises(RuntimeError, match="went away"):
            await consumer.catch_up(batch_size=7)
        # Nothing of the failed batch, nor after it, was applied.
        assert (projection.last_position(stream), projection.count()) == (14, 14)
        js = (await link.client()).jetstream()
        with pytest.raises(NotFoundError):  # the catch-up's consumer is gone with it
            await js.consumer_info(stream, "rebuild")
        assert await consumer.catch_up(batch_size=7) == 26
    finally:
        await link.close()
    assert projection.names_in_order() == [f"n{i}" for i in range(1, 41)]
