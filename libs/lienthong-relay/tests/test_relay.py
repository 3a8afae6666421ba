"""The relay publishes every stored event to JetStream once, resuming after crashes and NATS outages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from eventsourcing.domain import Aggregate, event
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from sqlalchemy import text

from lienthong.events.v1 import events_pb2
from lienthong.eventstore import StoredApplication, event_context, store_environment
from lienthong.launcher.nats_server import NatsServer
from lienthong.launcher.testing import stream_messages
from lienthong.leases import Fence, PostgresLease
from lienthong.relay import EventRelay, NatsLink, StreamNames
from lienthong.relay.metering import DELAY, LAG, PUBLISHED
from lienthong.telemetry.readings import metric_points


class Parcel(Aggregate):
    """A tiny aggregate for relay tests."""

    @event("Posted")
    def __init__(self, label: str) -> None:
        self.label = label

    @event("Stamped")
    def stamp(self, office: str) -> None:
        self.office = office


class ParcelApp(StoredApplication):
    name = "Parcels"


def envelopes(url: str, stream: str) -> list[tuple[str, str, events_pb2.EventEnvelope]]:
    """(subject, Nats-Msg-Id, envelope) of every message of a stream."""
    return [
        (m.subject, m.message_id, events_pb2.EventEnvelope.FromString(m.data)) for m in stream_messages(url, stream)
    ]


@contextlib.asynccontextmanager
async def running_relay(
    app: StoredApplication, url: str, instance: str, meter: metrics.Meter | None = None, poll_interval: float = 0.2
) -> AsyncIterator[EventRelay]:
    link = NatsLink(url, "relay-test")
    names = StreamNames(instance)
    relay = EventRelay(
        app, link, service="parcels", names=names, poll_interval=poll_interval, publish_timeout=1, meter=meter
    )
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await link.close()


async def wait_until(predicate, limit: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + limit
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)


async def test_every_stored_event_is_published_with_its_subject_and_message_id(
    database_url: str, nats_url: str, instance: str
) -> None:
    app = ParcelApp(store_environment("parcels", database_url))
    with event_context("clerk@000.00.12.H41"):
        parcel = Parcel("first")
        parcel.stamp("H41")
        app.save(parcel)

    async with running_relay(app, nats_url, instance) as relay:
        await wait_until(lambda: _ready(relay.published >= 2))

    messages = await asyncio.to_thread(envelopes, nats_url, StreamNames(instance).stream("parcels"))
    assert [(m[0], m[1]) for m in messages] == [
        (f"{instance}.parcels.parcel.posted", f"{parcel.id}:1"),
        (f"{instance}.parcels.parcel.stamped", f"{parcel.id}:2"),
    ]
    posted = messages[0][2]
    assert (posted.aggregate, posted.event, posted.actor, posted.position) == (
        "Parcel",
        "Posted",
        "clerk@000.00.12.H41",
        1,
    )
    assert dict(posted.data) == {"label": "first"}


async def test_a_restarted_relay_resumes_and_republishing_is_deduplicated(
    database_url: str, nats_url: str, instance: str
) -> None:
    app = ParcelApp(store_environment("parcels", database_url))
    app.save(Parcel("a"))
    async with running_relay(app, nats_url, instance) as relay:
        await wait_until(lambda: _ready(relay.published >= 1))
    # A crash after JetStream acknowledged but before the position was saved: the relay publishes again.
    app.engine.dispose()
    from lienthong.relay import PositionTable

    PositionTable(app.engine, "parcels").write("relay:" + StreamNames(instance).stream("parcels"), 0)
    app.save(Parcel("b"))
    async with running_relay(app, nats_url, instance) as relay:
        await wait_until(lambda: _ready(relay.published >= 2))

    messages = await asyncio.to_thread(envelopes, nats_url, StreamNames(instance).stream("parcels"))
    assert [m[2].data["label"] for m in messages] == ["a", "b"]


async def test_events_stored_while_nats_is_down_arrive_once_it_is_back(
    database_url: str, owned_nats: NatsServer, instance: str
) -> None:
    app = ParcelApp(store_environment("parcels", database_url))
    app.save(Parcel("before"))
    async with running_relay(app, owned_nats.url, instance) as relay:
        await wait_until(lambda: _ready(relay.published >= 1))
        owned_nats.kill()
        for label in ("during-1", "during-2", "during-3"):
            app.save(Parcel(label))
        await asyncio.sleep(0.5)  # the relay fails to publish meanwhile; nothing is lost
        owned_nats.start()
        await wait_until(lambda: _ready(relay.published >= 4))

    messages = await asyncio.to_thread(envelopes, owned_nats.url, StreamNames(instance).stream("parcels"))
    assert [m[2].data["label"] for m in messages] == ["before", "during-1", "during-2", "during-3"]
    assert len({m[1] for m in messages}) == 4


async def test_the_relay_lag_counts_the_events_waiting_while_nats_is_down(
    database_url: str, owned_nats: NatsServer, instance: str
) -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    stream = frozenset({("stream", StreamNames(instance).stream("parcels"))})
    app = ParcelApp(store_environment("parcels", database_url))
    app.save(Parcel("before"))
    async with running_relay(app, owned_nats.url, instance, meter) as relay:
        await wait_until(lambda: _ready(relay.published >= 1))
        assert metric_points(reader, PUBLISHED) == {stream: 1}
        owned_nats.kill()
        for label in ("during-1", "during-2", "during-3"):
            app.save(Parcel(label))
        await wait_until(lambda: _ready(metric_points(reader, LAG).get(stream) == 3))
        owned_nats.start()
        await wait_until(lambda: _ready(metric_points(reader, LAG).get(stream) == 0))

    assert metric_points(reader, PUBLISHED) == {stream: 4}
    assert metric_points(reader, DELAY) == {stream: 4}  # one store → JetStream delay per event


async def _ready(value: bool) -> bool:
    return value


@pytest.fixture(autouse=True)
def _quiet_nats_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("ERROR", logger="nats")


async def test_a_long_log_is_published_in_store_order(database_url: str, nats_url: str, instance: str) -> None:
    app = ParcelApp(store_environment("parcels", database_url))
    parcels = [Parcel(f"parcel {n}") for n in range(150)]
    for parcel in parcels:
        parcel.stamp("H41")
    app.save(*parcels)  # 300 events, more than one batch

    async with running_relay(app, nats_url, instance) as relay:
        await wait_until(lambda: _ready(relay.published >= 300))

    messages = await asyncio.to_thread(envelopes, nats_url, StreamNames(instance).stream("parcels"))
    assert [envelope.position for _, _, envelope in messages] == list(range(1, 301))


# Longer than wait_until's limit: an event published in time was woken for, not polled for.
NO_POLL = 600.0


async def test_the_relay_is_woken_by_a_save_of_its_application(database_url: str, nats_url: str, instance: str) -> None:
    app = ParcelApp(store_environment("parcels", database_url))
    async with running_relay(app, nats_url, instance, poll_interval=NO_POLL) as relay:
        await asyncio.sleep(0.2)  # the relay has found nothing and sleeps
        await asyncio.to_thread(app.save, Parcel("woken"))
        await wait_until(lambda: _ready(relay.published >= 1))


async def test_the_relay_is_woken_by_a_commit_of_another_replica(
    database_url: str, nats_url: str, instance: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share a log on PostgreSQL only (LISTEN/NOTIFY); SQLite is one process's file")
    relayed, replica = (ParcelApp(store_environment("parcels", database_url)) for _ in range(2))
    async with running_relay(relayed, nats_url, instance, poll_interval=NO_POLL) as relay:
        await asyncio.sleep(0.5)  # the relay has found nothing and sleeps
        for label in ("one", "two"):
            await asyncio.to_thread(replica.save, Parcel(label))
            await wait_until(lambda label=label: _ready(relay.published == (1 if label == "one" else 2)))


async def test_a_relay_whose_lease_was_taken_over_cannot_move_the_position(
    database_url: str, nats_url: str, instance: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("leases are rows in PostgreSQL; on SQLite the one process always holds them")
    app = ParcelApp(store_environment("parcels", database_url))
    fence = Fence(PostgresLease(app.engine, "parcels", "single-active", seconds=60))
    fence.token = fence.lease.acquire()
    link = NatsLink(nats_url, "relay-test")
    relay = EventRelay(app, link, service="parcels", names=StreamNames(instance), poll_interval=0.1, guard=fence.check)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.to_thread(app.save, Parcel("one"))
        await wait_until(lambda: _ready(relay.position() == 1))
        with app.engine.begin() as connection:  # another replica takes the lease over
            connection.execute(text("UPDATE parcels_leases SET holder = 'elsewhere', token = token + 1"))
        await asyncio.to_thread(app.save, Parcel("two"))
        await wait_until(lambda: _ready(relay.published == 2))  # published (JetStream de-duplicates a repeat)...
        await asyncio.sleep(0.5)
        assert relay.position() == 1  # ...but the stale holder's position write was refused
        assert not fence.held
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await link.close()
